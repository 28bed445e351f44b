import http from "node:http";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWranglerDev, type WranglerDev } from "../../cli/wrangler-dev.ts";
import { refusedPort, startUpstream, type RecordedRequest, type Upstream } from "../support/upstream.ts";

const { WebSocket } = (await import("node:module")).createRequire(import.meta.url)("ws") as typeof import("ws");

/**
 * What only a real socket shows: the Worker under `wrangler dev` (workerd over HTTP), raw
 * request targets, compressed bytes on the wire, WebSocket upgrades.
 */
describe("over real HTTP", () => {
  let legacy: Upstream;
  let fresh: Upstream;
  let worker: WranglerDev;
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
      ],
    };
    worker = await startWranglerDev({ port, vars: { CUTOVER_ROUTES: JSON.stringify(table) }, log: () => {} });
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

  it("resolves dot segments before matching, for the raw request target too", async () => {
    const id = crypto.randomUUID();
    const proxied = await raw("/api/%2e%2e/admin", { "x-test-id": id });
    expect(proxied.headers["x-cutover-route"]).toBe("(default)");
    expect((await log(legacy, id)).map((r) => r.url)).toEqual(["/admin"]);
  });

  it("keeps a doubled slash, so //api does not match /api/*", async () => {
    const id = crypto.randomUUID();
    const proxied = await raw("//api/x", { "x-test-id": id });
    expect(proxied.headers["x-cutover-backend"]).toBe("legacy");
    expect((await log(legacy, id)).map((r) => r.url)).toEqual(["//api/x"]);
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
