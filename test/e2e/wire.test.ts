import http from "node:http";
import net from "node:net";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { bundleCutover, startPlainWorkerd, type PlainWorkerd } from "../../fixtures/plain-workerd.ts";
import { refusedPort, startUpstream, type RecordedRequest, type Upstream } from "../support/upstream.ts";

const { WebSocket } = (await import("node:module")).createRequire(import.meta.url)("ws") as typeof import("ws");

/**
 * What only a real socket shows: the Worker as `wrangler deploy` bundles it, on plain workerd
 * (wrangler dev's proxy would rewrite the request first), raw request targets, repeated
 * header lines, compressed bytes on the wire, WebSocket upgrades.
 */
describe("over real HTTP", () => {
  let legacy: Upstream;
  let fresh: Upstream;
  let worker: PlainWorkerd;
  let port: number;

  beforeAll(async () => {
    legacy = await startUpstream("legacy");
    fresh = await startUpstream("new");
    port = await refusedPort();
    const table = {
      backends: { legacy: { url: `http://127.0.0.1:${legacy.port}` }, new: { url: `http://127.0.0.1:${fresh.port}` } },
      default: "legacy",
      routes: [
        { id: "api", match: { path: "/api/*" }, to: "new" },
        { id: "live", match: { path: "/live" }, to: "new" },
        { id: "sticky", match: { path: "/sticky/:id" }, to: { legacy: 50, new: 50 }, sticky: "cookie:session_id" },
      ],
    };
    const dir = mkdtempSync(path.join(os.tmpdir(), "cutover-wire-"));
    bundleCutover(path.join(dir, "cutover"));
    worker = await startPlainWorkerd({ dir, workers: [{ name: "cutover", port, module: "cutover/index.js", bindings: { CUTOVER_ROUTES: JSON.stringify(table), CUTOVER_RESPONSE_HEADERS: "on" } }] });
  });

  afterAll(async () => {
    await worker?.stop();
    await Promise.all([legacy?.close(), fresh?.close()]);
  });

  /** A raw HTTP/1.1 request: the path goes on the wire exactly as given. */
  function raw(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on("error", reject);
      req.end();
    });
  }

  /** Bytes on the wire exactly as given (repeated header lines, a backslash in the target). */
  function rawSocket(text: string): Promise<{ status: number; head: string }> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1", () => socket.write(text.replaceAll("\n", "\r\n")));
      let received = "";
      socket.setEncoding("latin1");
      socket.on("data", (chunk: string) => (received += chunk));
      socket.on("end", () => resolve({ status: Number(received.split(" ")[1]), head: received.split("\r\n\r\n")[0] ?? "" }));
      socket.on("error", reject);
    });
  }

  async function log(upstream: Upstream, id: string): Promise<RecordedRequest[]> {
    return (await fetch(`http://127.0.0.1:${upstream.port}/__log?test=${id}`)).json() as Promise<RecordedRequest[]>;
  }

  it("forwards compressed bytes with their Content-Encoding", async () => {
    const direct = await new Promise<Buffer>((resolve) =>
      http.get({ host: "127.0.0.1", port: legacy.port, path: "/gzip", headers: { "accept-encoding": "gzip" } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk)).on("end", () => resolve(Buffer.concat(chunks)));
      }),
    );
    const proxied = await raw("/gzip", { "accept-encoding": "gzip" });
    expect(proxied.headers["content-encoding"]).toBe("gzip");
    expect(zlib.gunzipSync(proxied.body).toString()).toBe(zlib.gunzipSync(direct).toString());
    // The very bytes the backend sent: no decompression and recompression in between.
    expect(proxied.body.equals(direct)).toBe(true);
  });

  it("does not pass the backend's hop-by-hop headers to the client", async () => {
    const proxied = await raw("/hop");
    expect(proxied.headers["x-kept"]).toBe("1");
    for (const name of ["x-hop", "keep-alive", "proxy-authenticate"]) expect(proxied.headers[name], name).toBeUndefined();
  });

  it("keeps Content-Length when the backend sends one", async () => {
    const proxied = await raw("/bytes/12345");
    expect(proxied.headers["content-length"]).toBe("12345");
    expect(proxied.body.length).toBe(12345);
  });

  it("sends an upload to the backend with the client's Content-Length, not chunked (S3, function URLs and Heroku's router expect a length)", async () => {
    const id = crypto.randomUUID();
    const body = Buffer.alloc(300 * 1024, 7);
    const response = await fetch(`http://127.0.0.1:${port}/api/upload`, { method: "POST", headers: { "x-test-id": id, "content-type": "application/octet-stream" }, body });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    const [seen] = await log(fresh, id);
    expect(seen?.bodyBytes).toBe(body.length);
    expect(seen?.headers["content-length"]).toBe(String(body.length));
    expect(seen?.headers["transfer-encoding"]).toBeUndefined();
  });

  it("resolves dot segments before matching, for the raw request target too", async () => {
    const id = crypto.randomUUID();
    const proxied = await raw("/api/%2e%2e/admin", { "x-test-id": id });
    expect(proxied.headers["x-cutover-route"]).toBe("(default)");
    expect((await log(legacy, id)).map((r) => r.url)).toEqual(["/admin"]);
  });

  it("merges a doubled slash, so //api/x is /api/x for matching and forwarding alike", async () => {
    const id = crypto.randomUUID();
    const proxied = await raw("//api/x", { "x-test-id": id });
    expect(proxied.headers["x-cutover-backend"]).toBe("new");
    expect((await log(fresh, id)).map((r) => r.url)).toEqual(["/api/x"]);
  });

  it.each([
    ["/api\\x", "backslash"],
    ["/api/..;/admin", "path_parameters"],
    ["/api/a%2Fb", "encoded_slash"],
    ["/api/%C0%AE%C0%AE/admin", "invalid_encoding"],
    ["/api/%252e%252e/admin", "double_encoding"],
  ])("refuses the raw request target %s with a 400 (%s), sending it nowhere", async (target, reason) => {
    const id = crypto.randomUUID();
    const answer = await rawSocket(`GET ${target} HTTP/1.1\nHost: shop.example.com\nx-test-id: ${id}\nConnection: close\n\n`);
    expect(answer.status).toBe(400);
    expect(answer.head.toLowerCase()).toContain(`x-cutover-error: bad_path;${reason}`);
    expect([...(await log(legacy, id)), ...(await log(fresh, id))]).toEqual([]);
  });

  it("drops the client's forwarding headers and what its Connection header names", async () => {
    const id = crypto.randomUUID();
    await rawSocket(
      [
        "GET /headers HTTP/1.1",
        "Host: shop.example.com",
        `x-test-id: ${id}`,
        // What Cloudflare's edge sets (and overwrites whatever a client sent).
        "CF-Connecting-IP: 203.0.113.7",
        "Forwarded: for=198.51.100.1;host=evil.example;proto=http",
        "X-Forwarded-For: 198.51.100.1",
        "X-Forwarded-Host: evil.example",
        "X-Real-IP: 198.51.100.1",
        "X-Forwarded-Port: 8443",
        "X-Secret-Hop: 1",
        "Connection: X-Secret-Hop, close",
        "",
        "",
      ].join("\n"),
    );
    const [seen] = await log(legacy, id);
    expect(seen?.headers["x-secret-hop"]).toBeUndefined();
    expect(seen?.headers["x-real-ip"]).toBeUndefined();
    expect(seen?.headers["x-forwarded-port"]).toBeUndefined();
    expect(seen?.headers["x-forwarded-for"]).toBe("203.0.113.7");
    expect(seen?.headers["x-forwarded-host"]).toBe("shop.example.com");
    expect(seen?.headers.forwarded).toBe("for=203.0.113.7;host=shop.example.com;proto=http");
  });

  it("reads two Cookie lines as the runtime joins them: the override cookie never reaches the backend, the first session cookie keys the cohort", async () => {
    const id = crypto.randomUUID();
    const lines = (cookies: string[]) =>
      ["GET /sticky/1 HTTP/1.1", "Host: shop.example.com", `x-test-id: ${id}`, ...cookies.map((c) => `Cookie: ${c}`), "Connection: close", "", ""].join("\n");
    const alone = await rawSocket(lines(["session_id=alice"]));
    const joined = await rawSocket(lines(["session_id=alice; theme=dark", "cutover_override=forged; session_id=mallory"]));
    const backend = (head: string) => /x-cutover-backend: (\S+)/i.exec(head)?.[1];
    expect(backend(joined.head)).toBe(backend(alone.head));
    const seen = [...(await log(legacy, id)), ...(await log(fresh, id))];
    expect(seen.map((r) => r.headers.cookie)).toContain("session_id=alice; theme=dark; session_id=mallory");
    for (const r of seen) expect(String(r.headers.cookie)).not.toContain("cutover_override");
  });

  it.each([999, 600, 101])("answers a backend's status %i with a clear 502", async (status) => {
    const answer = await rawSocket(`GET /raw-status/${status} HTTP/1.1\nHost: shop.example.com\nConnection: close\n\n`);
    expect(answer.status).toBe(502);
    expect(answer.head.toLowerCase()).toContain("x-cutover-error: bad_status");
  });

  it("upgrades WebSocket connections through the proxy", async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/live`);
    const messages: string[] = [];
    await new Promise<void>((resolve, reject) => {
      socket.on("message", (data) => {
        messages.push(String(data));
        if (messages.length === 1) socket.send("ping");
        else resolve();
      });
      socket.on("error", reject);
    });
    socket.close();
    expect(messages).toEqual(["hello from new /live", "new echo: ping"]);
  });
});
