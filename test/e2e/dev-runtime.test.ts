import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStack, type LocalStack } from "../support/local-stack.ts";
import { refusedPort } from "../support/upstream.ts";

/** The body the backend sends to a client that asked for no compression (and gzips for one that did). */
const PAGE = "<!doctype html><title>accounts</title><p>" + "Ada Lovelace, pro, 12500. ".repeat(40);

/**
 * `cutover dev --runtime workerd` serves what production serves: a real Node backend behind
 * the stack (as a Rails app on Heroku would be), and a client speaking raw HTTP/1.1 (no
 * Accept-Encoding unless it says so, no decompression). Under `wrangler dev` each of these
 * fails: its proxy rewrote `Location: https://<the request's host>/…` to http (a redirect
 * loop with Rails' force_ssl), sent `Accept-Encoding: br, gzip` upstream whatever the client
 * asked for (and handed gzip to a client that asked for none), and kept a client's own
 * CF-Connecting-IP.
 */
describe("cutover dev --runtime workerd (the deployed bundle on plain workerd)", () => {
  let stack: LocalStack;
  let backend: http.Server;
  let port: number;
  /** What the backend received, by the x-test-id the client sent. */
  const received = new Map<string, http.IncomingHttpHeaders>();

  beforeAll(async () => {
    backend = http.createServer((request, response) => {
      received.set(String(request.headers["x-test-id"]), request.headers);
      if (request.url === "/redirect") {
        // Rails' force_ssl: to https on the host the client asked for.
        response.writeHead(301, { location: "https://example.test/x", "content-type": "text/html" }).end();
      } else if (/\bgzip\b/.test(request.headers["accept-encoding"] ?? "")) {
        // Rack::Deflater: gzip only for a client that accepts it.
        response.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-encoding": "gzip", vary: "Accept-Encoding" }).end(zlib.gzipSync(PAGE));
      } else {
        response.writeHead(200, { "content-type": "text/html; charset=utf-8", vary: "Accept-Encoding" }).end(PAGE);
      }
    });
    await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
    const dir = await mkdtemp(path.join(os.tmpdir(), "cutover-dev-runtime-"));
    const routes = path.join(dir, "routes.json");
    const legacy = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    await writeFile(routes, JSON.stringify({ backends: { legacy: { url: legacy } }, default: "legacy", routes: [] }));
    port = await refusedPort();
    stack = startLocalStack(process.execPath, ["cli/cutover.ts", "dev", "--runtime", "workerd", "--memory", "--no-demo", "--routes", routes, "--port", String(port)]);
    await stack.ready;
  }, 120_000);

  afterAll(async () => {
    if (stack?.child.exitCode === null) {
      const exited = new Promise((resolve) => stack.child.once("exit", resolve));
      stack.child.kill("SIGINT");
      await exited;
    }
    await new Promise((resolve) => backend?.close(resolve));
  });

  /** One raw HTTP/1.1 request to the stack: exactly these headers, the body's bytes as they came. */
  function get(requestPath: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const request = http.request({ host: "127.0.0.1", port, path: requestPath, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      });
      request.on("error", reject);
      request.end();
    });
  }

  it("says in its banner what runs the Worker", () => {
    expect(stack.output()).toContain(`Worker (the proxy)   http://127.0.0.1:${port}   the deployed bundle on plain workerd`);
  });

  it("hands the client a backend's https Location unchanged", async () => {
    const response = await get("/redirect", { host: "example.test", "x-test-id": "redirect" });
    expect(response.status).toBe(301);
    expect(response.headers.location).toBe("https://example.test/x");
    expect(received.get("redirect")?.host).toBe("127.0.0.1:" + (backend.address() as AddressInfo).port);
  });

  it.each([
    ["no Accept-Encoding", {}, undefined],
    ["Accept-Encoding: identity", { "accept-encoding": "identity" }, "identity"],
  ])("passes %s to the backend as the client sent it, and the backend's body back as it sent it", async (_name, sent, expected) => {
    const id = `encoding-${expected ?? "none"}`;
    const response = await get("/page", { host: "example.test", "x-test-id": id, ...sent });
    expect(received.get(id)?.["accept-encoding"]).toBe(expected);
    expect(response.status).toBe(200);
    expect(response.headers["content-encoding"]).toBeUndefined();
    expect(response.body.toString("utf8")).toBe(PAGE);
  });

  it("hands a client that accepts gzip the backend's gzip", async () => {
    const response = await get("/page", { host: "example.test", "x-test-id": "gzip", "accept-encoding": "gzip" });
    expect(received.get("gzip")?.["accept-encoding"]).toBe("gzip");
    expect(response.headers["content-encoding"]).toBe("gzip");
    expect(zlib.gunzipSync(response.body).toString("utf8")).toBe(PAGE);
  });

  it("forwards the client's address as Cloudflare's edge sets it, whatever CF-Connecting-IP the client sent", async () => {
    await get("/page", { host: "example.test", "x-test-id": "spoof", "cf-connecting-ip": "203.0.113.9" });
    expect(received.get("spoof")?.["x-forwarded-for"]).toBe("127.0.0.1");
  });
});
