import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import zlib from "node:zlib";
import { verifySigV4, type VerifyOptions } from "../../demo/sigv4-verify.ts";
import { createRequire } from "node:module";
import { LAMBDA_JSON_HEADERS, RAILS_JSON_HEADERS } from "../../fixtures/rails-answer.ts";

// ws is CommonJS; load it through require so no bundler picks its browser stub.
const { WebSocketServer } = createRequire(import.meta.url)("ws") as typeof import("ws");

/**
 * A real HTTP backend for tests, on 127.0.0.1. Every request it receives is recorded and can
 * be read back over HTTP (`GET /__log?test=ID`, by the `x-test-id` header the test sent), so
 * tests running inside workerd can assert which backend got what.
 */
export interface RecordedRequest {
  readonly backend: string;
  /** For a backend that checks SigV4: "ok", or why it refused. */
  readonly sigv4?: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly bodyBytes: number;
  readonly bodySha256: string;
  /** For `/rack`: the request as a Rack app would see it. */
  readonly rack?: RackView;
}

/**
 * A request as a Rack app (Rails on Puma, Unicorn, Passenger) sees it. Rack servers build the
 * CGI-style env (RFC 3875 §4.1.18): `HTTP_` + the field name upper-cased with `-` read as `_`
 * (`CONTENT_TYPE` and `CONTENT_LENGTH` without the prefix), so `X_Forwarded_Ssl` and
 * `X-Forwarded-Ssl` are the one variable HTTP_X_FORWARDED_SSL. Node keeps the two apart in
 * `req.headers`; this view puts them back together.
 */
export interface RackView {
  /** Every variable with each value the request gave it, in order: a server keeps one of them, or joins them. */
  readonly env: Record<string, string[]>;
  /**
   * Rack 2.2's `Request#scheme` (Rails 6.1): `https` for HTTP_X_FORWARDED_SSL=on, else an
   * allowed HTTP_X_FORWARDED_SCHEME, else the first HTTP_X_FORWARDED_PROTO, else the
   * connection's own (`http` here).
   */
  readonly scheme: string;
  /** The variables present that name a client address (ActionDispatch::RemoteIp reads HTTP_CLIENT_IP and HTTP_X_FORWARDED_FOR). */
  readonly clientIpVariables: string[];
  /** Rails 6.1's RemoteIp would raise IpSpoofAttackError (a 500): HTTP_CLIENT_IP names an address HTTP_X_FORWARDED_FOR does not hold. */
  readonly ipSpoofAttack: boolean;
}

const RACK_ALLOWED_SCHEMES = ["https", "http", "wss", "ws"];
const CLIENT_IP_VARIABLES = ["HTTP_CLIENT_IP", "HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_X_CLIENT_IP", "HTTP_TRUE_CLIENT_IP", "HTTP_X_CLUSTER_CLIENT_IP", "HTTP_FORWARDED"];

/** The Rack view of the header lines `rawHeaders` (Node's `req.rawHeaders`: name, value, name, value, …). */
export function rackView(rawHeaders: readonly string[]): RackView {
  const env: Record<string, string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = String(rawHeaders[i]).toUpperCase().replaceAll("-", "_");
    const key = name === "CONTENT_TYPE" || name === "CONTENT_LENGTH" ? name : `HTTP_${name}`;
    (env[key] ??= []).push(String(rawHeaders[i + 1]));
  }
  // Where a variable got several values, what the app reads is them joined, as Puma and Unicorn join repeated lines.
  const read = (key: string): string | undefined => env[key]?.join(", ");
  const allowed = (scheme: string | undefined) => (scheme !== undefined && RACK_ALLOWED_SCHEMES.includes(scheme) ? scheme : undefined);
  const scheme =
    read("HTTP_X_FORWARDED_SSL") === "on" ? "https" : (allowed(read("HTTP_X_FORWARDED_SCHEME")) ?? allowed(read("HTTP_X_FORWARDED_PROTO")?.split(",")[0]) ?? "http");
  // RemoteIp's ips_from: the valid addresses of a comma- or space-separated list.
  const addresses = (key: string) => (read(key) ?? "").split(/[,\s]+/).filter((ip) => /^(\d{1,3}(\.\d{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/.test(ip));
  const claimed = addresses("HTTP_CLIENT_IP")[0];
  const forwarded = addresses("HTTP_X_FORWARDED_FOR");
  return {
    env,
    scheme,
    clientIpVariables: CLIENT_IP_VARIABLES.filter((key) => key in env),
    ipSpoofAttack: claimed !== undefined && forwarded.length > 0 && !forwarded.includes(claimed),
  };
}

export interface Upstream {
  readonly port: number;
  close(): Promise<void>;
}

const ALPHABET = Buffer.from("abcdefghijklmnopqrstuvwxyz0123456789\n");

/** `n` deterministic bytes, in chunks, for streaming tests. */
function patternBytes(offset: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = ALPHABET[(offset + i) % ALPHABET.length] as number;
  return out;
}

/** A backend that checks SigV4 like an AWS endpoint: refuses with 403 what does not verify. */
export interface UpstreamOptions {
  readonly verify?: Omit<VerifyOptions, "now">;
}

export async function startUpstream(name: string, options: UpstreamOptions = {}): Promise<Upstream> {
  const log: RecordedRequest[] = [];
  /** Bytes received so far per `x-upload-id`, to prove uploads stream. */
  const progress = new Map<string, number>();
  /** Held responses, released by `POST /__release?id=`. */
  const held = new Map<string, () => void>();
  /** Requests (by `x-test-id`) whose client went away before the response was complete. */
  const abandoned = new Map<string, number>();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://upstream");
    if (url.pathname === "/__log") {
      const test = url.searchParams.get("test");
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(log.filter((entry) => entry.headers["x-test-id"] === test)));
      return;
    }
    if (url.pathname === "/__progress") {
      res.end(String(progress.get(url.searchParams.get("id") ?? "") ?? 0));
      return;
    }
    if (url.pathname === "/__abandoned") {
      res.end(String(abandoned.get(url.searchParams.get("test") ?? "") ?? 0));
      return;
    }
    if (url.pathname === "/__release") {
      const id = url.searchParams.get("id") ?? "";
      held.get(id)?.();
      held.delete(id);
      res.end("released");
      return;
    }

    const testId = req.headers["x-test-id"];
    if (typeof testId === "string") res.on("close", () => !res.writableFinished && abandoned.set(testId, (abandoned.get(testId) ?? 0) + 1));
    const hash = createHash("sha256");
    const chunks: Buffer[] = [];
    let bytes = 0;
    const uploadId = req.headers["x-upload-id"];
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (options.verify) chunks.push(chunk);
      hash.update(chunk);
      if (typeof uploadId === "string") progress.set(uploadId, bytes);
    });
    req.on("end", () => {
      const verification = options.verify
        ? verifySigV4({ method: req.method ?? "", target: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks) }, { ...options.verify, now: new Date() })
        : undefined;
      const record: RecordedRequest = {
        backend: name,
        ...(verification ? { sigv4: verification.ok ? "ok" : verification.reason } : {}),
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        bodyBytes: bytes,
        bodySha256: hash.digest("hex"),
        ...(url.pathname === "/rack" ? { rack: rackView(req.rawHeaders) } : {}),
      };
      log.push(record);
      if (verification && !verification.ok) {
        res.writeHead(403, { "content-type": "application/json", "x-served-by": name });
        res.end(JSON.stringify({ message: verification.reason }));
        return;
      }
      respond(name, record, url, req, res, held);
    });
  });

  const sockets = new WebSocketServer({ server });
  sockets.on("connection", (socket, req) => {
    socket.send(`hello from ${name} ${req.url}`);
    socket.on("message", (data) => socket.send(`${name} echo: ${String(data)}`));
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of sockets.clients) client.terminate();
        for (const release of held.values()) release();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function respond(
  name: string,
  record: RecordedRequest,
  url: URL,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  held: Map<string, () => void>,
): void {
  res.setHeader("x-served-by", name);
  const [, first, second, third] = url.pathname.split("/");
  switch (first) {
    case "bucket":
      bucket(name, url.pathname.slice("/bucket".length), req, res);
      return;
    case "shadow":
      shadowScenario(name, String(second), String(third), req, res, held);
      return;
    case "dw": {
      // /dw/<legacy status>/<new status>: a created record, as legacy and a new backend answer a write.
      const status = Number(name === "legacy" ? second : third) || 200;
      const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
      if (name === "legacy" && status < 400) headers.location = "https://legacy.example.com/accounts/acc_42";
      res.writeHead(status, headers);
      res.end(JSON.stringify(name === "legacy" ? { id: "acc_42", name: "Ada", backend: name } : { id: "from-new", backend: name }));
      return;
    }
    case "raw-status": {
      // A status line Node's writeHead would refuse or treat specially (999, 600, a bare 101).
      req.socket.end(`HTTP/1.1 ${Number(second)} Odd\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok`);
      return;
    }
    case "status": {
      res.statusCode = Number(second);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ backend: name, status: res.statusCode }));
      return;
    }
    case "slow": {
      const timer = setTimeout(() => json(res, name, record), Number(second));
      res.on("close", () => clearTimeout(timer));
      return;
    }
    case "flaky": {
      // Every (100 / N)-th request answers 500: a backend with N % of errors, deterministically.
      flakyCounter++;
      if (flakyCounter % Math.round(100 / Number(second)) === 0) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ backend: name, error: "flaky" }));
        return;
      }
      json(res, name, record);
      return;
    }
    case "reset":
      req.socket.destroy();
      return;
    case "hop":
      res.writeHead(200, { "content-type": "text/plain", connection: "keep-alive, x-hop", "keep-alive": "timeout=5", "x-hop": "1", "proxy-authenticate": "Basic", "x-kept": "1" });
      res.end("ok");
      return;
    case "redirect":
      res.writeHead(302, { location: "/elsewhere?x=1", "set-cookie": "after_redirect=1; Path=/" });
      res.end();
      return;
    case "rails-session": {
      // What a Rails app's cookie store does: the session cookie written anew (re-encrypted,
      // so another value) on every response. Derived from the one the client sent, so a
      // visitor's sequence of values is the same on every run.
      const previous = /(?:^|;\s*)_app_session=([^;]*)/.exec(String(req.headers.cookie ?? ""))?.[1] ?? "";
      res.setHeader("set-cookie", `_app_session=${createHash("sha256").update(`${previous}#next`).digest("base64url")}; path=/; HttpOnly; SameSite=Lax`);
      json(res, name, record);
      return;
    }
    case "cookies":
      res.setHeader("set-cookie", ["a=1; Path=/; HttpOnly", "b=2; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT", "c=3"]);
      json(res, name, record);
      return;
    case "etag": {
      const etag = '"v1"';
      if (req.headers["if-none-match"] === etag) {
        res.writeHead(304, { etag });
        res.end();
        return;
      }
      res.writeHead(200, { etag, "content-type": "text/plain" });
      res.end("etagged body");
      return;
    }
    case "range": {
      const body = patternBytes(0, 1000);
      const match = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers.range ?? ""));
      if (!match) {
        res.writeHead(200, { "accept-ranges": "bytes", "content-length": body.length });
        res.end(body);
        return;
      }
      const start = Number(match[1]);
      const end = Number(match[2]);
      res.writeHead(206, { "content-range": `bytes ${start}-${end}/${body.length}`, "content-length": end - start + 1 });
      res.end(body.subarray(start, end + 1));
      return;
    }
    case "gzip": {
      const body = zlib.gzipSync(Buffer.from(`{"backend":"${name}","text":"${"compressible ".repeat(200)}"}`));
      res.writeHead(200, { "content-encoding": "gzip", "content-type": "application/json", "content-length": body.length });
      res.end(body);
      return;
    }
    case "bytes": {
      // /bytes/<n>: n pattern bytes, streamed in 64 KiB chunks with backpressure.
      const total = Number(second);
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": total });
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          const size = Math.min(65536, total - sent);
          const ok = res.write(patternBytes(sent, size));
          sent += size;
          if (!ok) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
      return;
    }
    case "stall": {
      // /stall/<n>: n bytes declared, half of them sent, the rest never (until the client goes).
      const total = Number(second);
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": total });
      res.write(patternBytes(0, Math.floor(total / 2)));
      return;
    }
    case "hold": {
      // /hold/<id>: first chunk now, the rest when the test calls /__release?id=<id>.
      res.writeHead(200, { "content-type": req.headers.accept === "text/event-stream" ? "text/event-stream" : "text/plain" });
      res.write("data: first\n\n");
      held.set(String(second), () => res.end("data: last\n\n"));
      return;
    }
    default:
      json(res, name, record);
  }
}

/** A few objects, served the way S3 serves them: ETag, If-None-Match, Range, 404. */
const OBJECTS: Record<string, { type: string; body: string }> = {
  "/index.html": { type: "text/html", body: "<h1>home</h1>" },
  "/docs/index.html": { type: "text/html", body: "<h1>docs</h1>" },
  "/app.js": { type: "text/javascript", body: "console.log('app');" },
};

function bucket(name: string, key: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  const object = OBJECTS[key];
  if (!object) {
    res.writeHead(404, { "content-type": "application/xml", "x-served-by": name });
    res.end("<Error><Code>NoSuchKey</Code></Error>");
    return;
  }
  const etag = `"${createHash("md5").update(object.body).digest("hex")}"`;
  if (req.headers["if-none-match"] === etag) {
    res.writeHead(304, { etag, "x-served-by": name });
    res.end();
    return;
  }
  const range = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers.range ?? ""));
  if (range) {
    const start = Number(range[1]);
    const end = Math.min(Number(range[2]), object.body.length - 1);
    res.writeHead(206, { etag, "content-type": object.type, "content-range": `bytes ${start}-${end}/${object.body.length}`, "x-served-by": name });
    res.end(object.body.slice(start, end + 1));
    return;
  }
  res.writeHead(200, { etag, "content-type": object.type, "accept-ranges": "bytes", "x-served-by": name });
  res.end(req.method === "HEAD" ? undefined : object.body);
}

let flakyCounter = 0;
let noisyCounter = 0;

/**
 * Responses for shadow tests: `legacy` is the control, any other backend the candidate,
 * differing in one known way per scenario.
 */
function shadowScenario(name: string, scenario: string, id: string, req: http.IncomingMessage, res: http.ServerResponse, held: Map<string, () => void>): void {
  const control = name === "legacy";
  const send = (body: unknown, status = 200, headers: Record<string, string | string[]> = {}) => {
    res.writeHead(status, { "content-type": "application/json", "x-served-by": name, ...headers });
    res.end(JSON.stringify(body));
  };
  switch (scenario) {
    case "same":
      return send({ id: 1, name: "Ada", tags: ["a", "b"] });
    case "sized": {
      // A declared Content-Length (the others are chunked): captured in one read.
      const text = JSON.stringify({ id: 1, balance: control ? 10 : 12, note: "x".repeat(200) });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text), "x-served-by": name });
      return void res.end(text);
    }
    case "changed":
      return send({ id: 1, balance: control ? 10 : 12 });
    case "missing":
      return send(control ? { id: 1, plan: "pro" } : { id: 1 });
    case "noisy":
      return send({ id: 1, generatedAt: `2026-11-25T00:00:00.${String(noisyCounter++).padStart(6, "0")}Z` });
    case "reordered":
      return send({ tags: control ? ["a", "b", "c"] : ["c", "b", "a"] });
    case "status":
      return send({ ok: true }, control ? 200 : 500);
    case "notyet":
      // A record the backfill has not copied yet: the candidate has only those under /copied.
      return control || (req.url ?? "").includes("/copied") ? send({ id: 1 }) : send({ error: "not_found" }, 404);
    case "hold":
      if (control) return send({ id: 1 });
      held.set(id, () => send({ id: 1 }));
      return;
    case "reset":
      if (control) return send({ id: 1 });
      req.socket.destroy();
      return;
    case "zipped": {
      // 5 MB of JSON gzipped to a few KB, with the compressed length declared: what the
      // runtime hands the Worker is the decoded body, far over any capture cap.
      const zipped = zlib.gzipSync(JSON.stringify({ items: Array.from({ length: 5 * 1024 }, () => "x".repeat(1000)) }));
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip", "content-length": zipped.length, "x-served-by": name });
      return void res.end(zipped);
    }
    case "big": {
      const item = "x".repeat(1000);
      res.writeHead(200, { "content-type": "application/json", "x-served-by": name });
      res.end(JSON.stringify({ items: Array.from({ length: 5 * 1024 }, () => item) }));
      return;
    }
    case "rails":
    case "rails-changed": {
      // A Rails 6.1 app's answer (its default headers, gzipped) against a Lambda's (none of
      // them): the same body, or (rails-changed) another plan.
      const text = JSON.stringify({ id: 1, name: "Ada", plan: control || scenario === "rails" ? "pro" : "free" });
      if (!control) {
        res.writeHead(200, [...LAMBDA_JSON_HEADERS.flat(), "x-served-by", name]);
        return void res.end(text);
      }
      res.writeHead(200, [...RAILS_JSON_HEADERS.flat(), "x-served-by", name]);
      return void res.end(zlib.gzipSync(text));
    }
    case "secret":
      return send({ id: 1, card: { number: control ? "4111111111111111" : "4242424242424242" }, name: control ? "Ada" : "Ada L." }, 200, {
        "set-cookie": [control ? "session=control-secret" : "session=candidate-secret"],
      });
    case "leaky":
      // Secrets in every place a careless backend puts them, different on each side.
      return send(
        {
          id: 1,
          user: { password: control ? "pw-control-1" : "pw-candidate-1", apiKey: control ? "key-control-1" : "key-candidate-1" },
          tokens: { [control ? "tok-control-key" : "tok-candidate-key"]: true },
          payment: { last: control ? "4000056655665556" : "5555555555554444" },
          echo: control ? String(req.headers.authorization) : `seen ${String(req.headers.authorization)}`,
        },
        200,
        { "x-api-key": control ? "hdr-control-1" : "hdr-candidate-1" },
      );
    default:
      return send({ ok: true, method: req.method });
  }
}

function json(res: http.ServerResponse, name: string, record: RecordedRequest): void {
  if (res.writableEnded || res.destroyed) return;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ ...record, backend: name }));
}

/** A port nothing listens on (connections are refused); also a free port to listen on. */
export async function refusedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
