import { createHash, randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { edgeHeaders, json, visit } from "./support/client.ts";
import { startEdge, type Edge } from "./support/edge.ts";

const MiB = 1024 * 1024;
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** Bodies between a client and Rails through cutover: conditional GETs, compression, event streams, big and slow transfers. */
describe("bodies", () => {
  let edge: Edge;

  beforeAll(async () => {
    edge = await startEdge({
      bundleRoot: inject("cutoverBundleRoot"),
      // timeoutMs as an operator might set it for a Heroku app (whose router gives up at 30 s).
      table: { backends: { legacy: { url: `http://127.0.0.1:${inject("railsPort")}`, timeoutMs: 6000 } }, default: "legacy", routes: [] },
    });
  });

  afterAll(async () => {
    await edge?.stop();
  });

  describe("ETag (fresh_when)", () => {
    it.each(["identity", "gzip"])("answers 304 to a client that holds the current version (Accept-Encoding: %s)", async (encoding) => {
      const first = await visit(edge.port, "/document", { headers: { "accept-encoding": encoding } });
      expect(first.status).toBe(200);
      const etag = String(first.headers.etag);
      expect(etag).toMatch(/^W\/"[0-9a-f]+"$/);
      const again = await visit(edge.port, "/document", { headers: { "accept-encoding": encoding, "if-none-match": etag } });
      expect(again.status).toBe(304);
      expect(again.body.length).toBe(0);
      expect(again.headers.etag).toBe(etag);
      const stale = await visit(edge.port, "/document", { headers: { "accept-encoding": encoding, "if-none-match": 'W/"older"' } });
      expect(stale.status).toBe(200);
    });
  });

  describe("compression (Rack::Deflater)", () => {
    it("gives a client that asks for gzip the app's gzip", async () => {
      const plain = await visit(edge.port, "/text", { headers: { "accept-encoding": "identity" } });
      const gzipped = await visit(edge.port, "/text", { headers: { "accept-encoding": "gzip, deflate, br" } });
      expect(gzipped.headers["content-encoding"]).toBe("gzip");
      expect(gzipped.headers.vary).toMatch(/Accept-Encoding/i);
      expect(gzipped.body.length).toBeLessThan(plain.body.length / 10);
      expect(zlib.gunzipSync(gzipped.body).equals(plain.body)).toBe(true);
    });

    it.each([["identity"], [undefined]])("gives a client that asks for no compression (Accept-Encoding: %s) identity", async (encoding) => {
      const visited = await visit(edge.port, "/text", { headers: encoding === undefined ? {} : { "accept-encoding": encoding } });
      expect(visited.status).toBe(200);
      expect(visited.headers["content-encoding"]).toBeUndefined();
      expect(visited.body.toString()).toBe("compressible line of text\n".repeat(2000));
    });
  });

  describe("server-sent events (ActionController::Live)", () => {
    it.each(["identity", "gzip"])("delivers each event as the app sends it (Accept-Encoding: %s)", async (encoding) => {
      const id = randomUUID();
      const stream = openStream(edge.port, `/events/${id}`, { accept: "text/event-stream", "accept-encoding": encoding });
      // The app sends its second event only once released, so the first one arriving now proves
      // it was not held back until the end of the stream.
      await stream.received("data: first\n\n");
      expect(stream.ended()).toBe(false);
      expect(stream.headers()?.["content-type"]).toMatch(/^text\/event-stream/);
      expect((await visit(edge.port, `/events/${id}/release`, { method: "POST", body: "" })).status).toBe(204);
      expect(await stream.whole()).toBe("data: first\n\ndata: second\n\n");
    });
  });

  it("delivers a 20 MiB download intact", async () => {
    const visited = await visit(edge.port, "/download/20", { headers: { "accept-encoding": "gzip" } });
    expect(visited.status).toBe(200);
    expect(visited.body.length).toBe(20 * MiB);
    expect(sha256(visited.body)).toBe(visited.headers["x-sha256"]);
  });

  it("delivers an 8 MiB upload intact (Rails hashes what it received)", async () => {
    const body = randomBytes(8 * MiB);
    const visited = await visit(edge.port, "/upload", { method: "POST", body, headers: { "content-type": "application/octet-stream" } });
    expect(visited.status).toBe(200);
    expect(json(visited)).toEqual({ bytes: body.length, sha256: sha256(body) });
  });

  // timeoutMs counts from when the body has been sent (b4dc524, issue 24): before that the
  // timer ran from the start of the request and this upload got a 408 after 6 s, never
  // reaching Rails. The slowest test here (~8 s), on purpose: no way to be slow but slowly.
  it("gets Rails' 200 for a slow upload that takes longer than the backend's timeoutMs to send (900 KiB over ~9 s, timeoutMs 6000)", async () => {
    const chunks = Array.from({ length: 9 }, () => randomBytes(100 * 1024));
    const body = Buffer.concat(chunks);
    const visited = await dribble(edge.port, "/upload", chunks, 1000);
    expect(visited.status).toBe(200);
    expect(JSON.parse(visited.body.toString())).toEqual({ bytes: body.length, sha256: sha256(body) });
  });
});

/** A streamed response read as it arrives (decompressed when gzip). */
function openStream(port: number, target: string, headers: Record<string, string>) {
  let text = "";
  let ended = false;
  let head: http.IncomingHttpHeaders | undefined;
  const waiters: (() => void)[] = [];
  const notify = () => waiters.splice(0).forEach((wake) => wake());
  const done = new Promise<string>((resolve, reject) => {
    const request = http.request({ host: "127.0.0.1", port, path: target, headers: edgeHeaders({ headers }), agent: false }, (response) => {
      head = response.headers;
      const body = response.headers["content-encoding"] === "gzip" ? response.pipe(zlib.createGunzip()) : response;
      body.setEncoding("utf8");
      body.on("data", (chunk: string) => {
        text += chunk;
        notify();
      });
      body.on("end", () => {
        ended = true;
        notify();
        resolve(text);
      });
      body.on("error", reject);
    });
    request.on("error", reject);
    request.end();
  });
  return {
    /** Resolves once `expected` has arrived; rejects if the stream ends without it. */
    received: async (expected: string) => {
      while (!text.includes(expected)) {
        if (ended) throw new Error(`the stream ended without ${JSON.stringify(expected)}: ${JSON.stringify(text)}`);
        await Promise.race([new Promise<void>((wake) => waiters.push(wake)), done]);
      }
    },
    ended: () => ended,
    headers: () => head,
    whole: () => done,
  };
}

/** A POST whose body goes out one chunk every `gapMs`, with its Content-Length up front: a client on a slow uplink. */
function dribble(port: number, target: string, chunks: readonly Buffer[], gapMs: number): Promise<{ status: number; body: Buffer }> {
  const length = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  let answered = false;
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: "127.0.0.1", port, path: target, method: "POST", agent: false, headers: edgeHeaders({ headers: { "content-type": "application/octet-stream", "content-length": String(length) } }) },
      (response) => {
        // An early answer (a 504, say) ends the upload: the test reports that status.
        answered = true;
        const received: Buffer[] = [];
        response.on("data", (chunk: Buffer) => received.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(received) }));
      },
    );
    request.on("error", (error) => !answered && reject(error));
    let next = 0;
    const send = () => {
      if (answered) return;
      const chunk = chunks[next++];
      if (chunk === undefined) return void request.end();
      request.write(chunk);
      setTimeout(send, gapMs);
    };
    send();
  });
}
