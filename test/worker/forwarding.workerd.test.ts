import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { signOverride } from "../../routes/override-token.ts";
import { get, origin, ports, received, send, table, testId, type Received } from "../support/worker-harness.ts";

const legacyOnly = table();

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

async function echo(response: Response): Promise<Received> {
  expect(response.headers.get("content-type")).toContain("application/json");
  return response.json();
}

/** What the test backend's `/rack` adds to its echo: the request as a Rack app sees it (RackView in test/support/upstream.ts). */
interface RackView {
  readonly env: Record<string, string[]>;
  readonly scheme: string;
  readonly clientIpVariables: string[];
  readonly ipSpoofAttack: boolean;
}

function rackOf(record: Received | undefined): RackView {
  const rack = (record as (Received & { rack?: RackView }) | undefined)?.rack;
  if (rack === undefined) throw new Error(`no Rack view in ${JSON.stringify(record)}`);
  return rack;
}

describe("forwarding to the chosen backend", () => {
  it("streams the backend's answer back with routing headers", async () => {
    const id = testId();
    const response = await send(legacyOnly, get("/hello?x=1", { "x-test-id": id }));
    expect(response.status).toBe(200);
    expect(response.headers.get("x-cutover-route")).toBe("(default)");
    expect(response.headers.get("x-cutover-backend")).toBe("legacy");
    expect(response.headers.get("x-cutover-version")).toBe("1");
    expect((await echo(response)).url).toBe("/hello?x=1");
    expect(await received(ports.legacy, id)).toHaveLength(1);
  });

  it("leaves the x-cutover-* response headers out in a deployment, but shows them to a tester with a valid override", async () => {
    expect(env.CUTOVER_RESPONSE_HEADERS).toBe("off"); // wrangler.toml's default
    const deployed = { CUTOVER_RESPONSE_HEADERS: env.CUTOVER_RESPONSE_HEADERS, CUTOVER_OVERRIDE_SECRET: "an-override-secret-of-32-bytes-or-more" };
    const plain = await send(legacyOnly, get("/hello"), deployed);
    await plain.arrayBuffer();
    expect([...plain.headers.keys()].filter((name) => name.startsWith("x-cutover-"))).toEqual([]);

    const token = await signOverride(deployed.CUTOVER_OVERRIDE_SECRET, { backend: "legacy", expiresAt: Date.now() / 1000 + 60 });
    const tester = await send(legacyOnly, get("/hello", { "x-cutover-override": token }), deployed);
    await tester.arrayBuffer();
    expect(tester.headers.get("x-cutover-backend")).toBe("legacy");
    const forged = await send(legacyOnly, get("/hello", { "x-cutover-override": `${token.slice(0, -2)}xx` }), deployed);
    await forged.arrayBuffer();
    expect(forged.headers.get("x-cutover-backend")).toBeNull();
  });

  it("keeps query strings and encoded paths exactly, an encoded slash only when the table keeps them", async () => {
    const keeping = table({ paths: { encodedSlash: "keep" } });
    const response = await send(keeping, get("/files/a%2Fb%20c/%E2%9C%93?q=a+b&q=%26&empty=&flag"));
    expect((await echo(response)).url).toBe("/files/a%2Fb%20c/%E2%9C%93?q=a+b&q=%26&empty=&flag");

    const id = testId();
    const refused = await send(legacyOnly, get("/files/a%2Fb", { "x-test-id": id, accept: "application/json" }));
    expect(refused.status).toBe(400);
    expect(refused.headers.get("x-cutover-error")).toBe("bad_path;encoded_slash");
    expect(await refused.json()).toMatchObject({ error: "bad_path", message: expect.stringContaining("encoded slash") });
    expect(await received(ports.legacy, id)).toEqual([]);
  });

  it("sets one view of the client (X-Forwarded-For/-Proto/-Host, Forwarded) and x-request-id, keeping a sane client id", async () => {
    const id = testId();
    const forged = {
      "x-test-id": id,
      "cf-connecting-ip": "203.0.113.7",
      "x-forwarded-for": "198.51.100.1",
      forwarded: "for=198.51.100.1;host=evil.example;proto=http",
      "x-forwarded-host": "evil.example",
      "x-forwarded-port": "8443",
      "x-forwarded-scheme": "http",
      "x-forwarded-ssl": "off",
      "x-real-ip": "198.51.100.1",
      "x-request-id": "abc-123",
    };
    const seen = (await echo(await send(legacyOnly, get("/headers", forged)))).headers;
    expect(seen["x-forwarded-for"]).toBe("203.0.113.7");
    expect(seen["x-forwarded-proto"]).toBe("https");
    expect(seen["x-forwarded-host"]).toBe("shop.example.com");
    expect(seen.forwarded).toBe("for=203.0.113.7;host=shop.example.com;proto=https");
    for (const name of ["x-forwarded-port", "x-forwarded-scheme", "x-forwarded-ssl", "x-real-ip"]) expect(seen[name], name).toBeUndefined();
    expect(seen["x-request-id"]).toBe("abc-123");

    // Behind another proxy the team trusts, the incoming chain is kept and the client appended.
    const appended = (await echo(await send(table({ forwardedFor: "append" }), get("/headers", forged)))).headers;
    expect(appended["x-forwarded-for"]).toBe("198.51.100.1, 203.0.113.7");
    expect(appended.forwarded).toBe("for=198.51.100.1, for=203.0.113.7;host=shop.example.com;proto=https");
    expect(seen.host).toBe(`127.0.0.1:${ports.legacy}`);

    const generated = (await echo(await send(legacyOnly, get("/headers", { "x-request-id": "bad id with spaces" })))).headers;
    expect(generated["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("drops forwarding headers spelled with '_', which a Rack app reads as the hyphenated ones", async () => {
    const id = testId();
    // Plain http: a Rack app must conclude http, whatever X_Forwarded_Ssl or X_Forwarded_Scheme claim.
    const request = new Request("http://shop.example.com/rack", {
      headers: {
        "x-test-id": id,
        "cf-connecting-ip": "203.0.113.7",
        X_Forwarded_Ssl: "on",
        X_Forwarded_Scheme: "https",
        X_Forwarded_Proto: "https",
        Client_IP: "6.6.6.6",
        X_Real_IP: "6.6.6.6",
        X_Request_Id: "forged",
        Proxy: "http://evil.example:8080",
        X_Cutover_Backend: "new",
        X_Custom_Thing: "kept",
      },
    });
    await (await send(legacyOnly, request)).arrayBuffer();
    const seen = rackOf((await received(ports.legacy, id))[0]);
    expect(seen.scheme).toBe("http");
    expect(seen.clientIpVariables).toEqual(["HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED"]);
    expect(seen.ipSpoofAttack).toBe(false);
    // One value per variable, the one cutover set: none of the client's reached the app beside it.
    expect(Object.fromEntries(Object.entries(seen.env).filter(([key]) => key.startsWith("HTTP_X_FORWARDED_")))).toEqual({
      HTTP_X_FORWARDED_FOR: ["203.0.113.7"],
      HTTP_X_FORWARDED_PROTO: ["http"],
      HTTP_X_FORWARDED_HOST: ["shop.example.com"],
    });
    expect(seen.env.HTTP_FORWARDED).toEqual(["for=203.0.113.7;host=shop.example.com;proto=http"]);
    expect(seen.env.HTTP_X_REQUEST_ID).toHaveLength(1);
    expect(seen.env.HTTP_X_REQUEST_ID?.[0]).not.toBe("forged");
    for (const key of ["HTTP_CLIENT_IP", "HTTP_X_REAL_IP", "HTTP_PROXY", "HTTP_X_CUTOVER_BACKEND"]) expect(seen.env[key], key).toBeUndefined();
    expect(seen.env.HTTP_X_CUSTOM_THING).toEqual(["kept"]);

    // With the table's underscoreHeaders: "drop" (nginx's default), no name with '_' is sent on.
    const dropping = { ...table(), underscoreHeaders: "drop" };
    const strict = await echo(await send(dropping, new Request("http://shop.example.com/rack", { headers: { X_Custom_Thing: "1", "x-custom-thing": "2" } })));
    expect(rackOf(strict).env.HTTP_X_CUSTOM_THING).toEqual(["2"]);
  });

  it("strips hop-by-hop headers, those named by Connection, and client x-cutover-*", async () => {
    const request = get("/headers", {
      connection: "keep-alive, x-secret-hop",
      "keep-alive": "timeout=5",
      "x-secret-hop": "1",
      "proxy-authorization": "Basic Zm9vOmJhcg==",
      te: "trailers",
      "x-cutover-backend": "new",
      "x-cutover-anything": "1",
      "x-kept": "yes",
    });
    const seen = (await echo(await send(legacyOnly, request))).headers;
    for (const name of ["keep-alive", "x-secret-hop", "proxy-authorization", "te", "x-cutover-backend", "x-cutover-anything"]) {
      expect(seen[name], name).toBeUndefined();
    }
    expect(seen["x-kept"]).toBe("yes");
  });

  it("passes redirects through instead of following them", async () => {
    const response = await send(legacyOnly, get("/redirect"));
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/elsewhere?x=1");
    expect(response.headers.getSetCookie()).toEqual(["after_redirect=1; Path=/"]);
  });

  it("keeps every Set-Cookie header separate", async () => {
    const response = await send(legacyOnly, get("/cookies"));
    await response.arrayBuffer();
    expect(response.headers.getSetCookie()).toEqual([
      "a=1; Path=/; HttpOnly",
      "b=2; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT",
      "c=3",
    ]);
  });

  it("answers HEAD with the headers and no body", async () => {
    const id = testId();
    const response = await send(legacyOnly, get("/bytes/5000", { "x-test-id": id }, { method: "HEAD" }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe("5000");
    expect(await response.text()).toBe("");
    expect((await received(ports.legacy, id))[0]?.method).toBe("HEAD");
  });

  it("passes conditional requests and 304 through", async () => {
    const response = await send(legacyOnly, get("/etag", { "if-none-match": '"v1"' }));
    expect(response.status).toBe(304);
    expect(response.headers.get("etag")).toBe('"v1"');
    expect(await response.text()).toBe("");
  });

  it("passes Range requests and 206 through", async () => {
    const response = await send(legacyOnly, get("/range", { range: "bytes=10-19" }));
    expect(response.status).toBe(206);
    expect(response.headers.get("content-range")).toBe("bytes 10-19/1000");
    expect(await response.text()).toBe("klmnopqrst");
  });

  it("passes compressed bodies with their Content-Encoding", async () => {
    const response = await send(legacyOnly, get("/gzip", { "accept-encoding": "gzip" }));
    expect(response.headers.get("content-encoding")).toBe("gzip");
    expect(JSON.parse(await response.text())).toMatchObject({ backend: "legacy" });
  });

  it("delivers the first server-sent event before the stream ends", async () => {
    const hold = testId();
    const response = await send(legacyOnly, get(`/hold/${hold}`, { accept: "text/event-stream" }));
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reader = response.body!.getReader();
    const first = await reader.read();
    // The backend has not finished: it holds the rest until released below.
    expect(new TextDecoder().decode(first.value)).toBe("data: first\n\n");
    await fetch(`${origin(ports.legacy)}/__release?id=${hold}`, { method: "POST" });
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toBe("data: last\n\n");
  });

  it("streams a 10 MB download", async () => {
    const response = await send(legacyOnly, get("/bytes/10485760"));
    const reader = response.body!.getReader();
    let total = 0;
    let chunks = 0;
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      total += chunk.value.byteLength;
      chunks++;
    }
    expect(total).toBe(10 * 1024 * 1024);
    expect(chunks).toBeGreaterThan(1);
  });

  it("streams a 10 MB upload: the backend receives bytes before the client has sent them all", async () => {
    const id = testId();
    const upload = testId();
    const chunk = new Uint8Array(1024 * 1024).fill(97);
    let sent = 0;
    let backendHadFirstMegabyte = false;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === 1) {
          // Hold the rest back until the backend reports the first megabyte arrived.
          for (let i = 0; i < 200; i++) {
            const seen = Number(await (await fetch(`${origin(ports.legacy)}/__progress?id=${upload}`)).text());
            if (seen >= chunk.byteLength) {
              backendHadFirstMegabyte = true;
              break;
            }
            await new Promise((resolve) => setTimeout(resolve, 25));
          }
        }
        if (sent === 10) return controller.close();
        controller.enqueue(chunk);
        sent++;
      },
    });
    const request = new Request("https://shop.example.com/upload", {
      method: "PUT",
      body,
      headers: { "x-test-id": id, "x-upload-id": upload, "content-type": "application/octet-stream" },
    });
    const response = await send(legacyOnly, request);
    expect(response.status).toBe(200);
    expect(backendHadFirstMegabyte).toBe(true);
    const record = (await received(ports.legacy, id))[0];
    expect(record?.bodyBytes).toBe(10 * 1024 * 1024);
    expect(record?.bodySha256).toBe(await sha256Hex(new Uint8Array(10 * 1024 * 1024).fill(97)));
  });
});
