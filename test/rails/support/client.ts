import http from "node:http";
import { EDGE_SCHEME_HEADER } from "./edge.ts";
import { PUBLIC_HOST } from "./rails-server.ts";

/** The address Cloudflare saw the client connect from (CF-Connecting-IP). */
export const CLIENT_IP = "203.0.113.7";

export interface VisitOptions {
  readonly method?: string;
  readonly headers?: Record<string, string | string[]>;
  readonly body?: Buffer | string;
  /** CF-Connecting-IP, as Cloudflare's edge sets it (default CLIENT_IP). */
  readonly clientIp?: string;
  /** The client came over TLS (the edge's scheme, see EDGE_SCHEME_HEADER). */
  readonly https?: boolean;
}

export interface Visit {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** Header lines as received: name, value, name, value, … */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

/**
 * What the edge adds before the Worker sees a request: the public Host, the client's address
 * and, for a TLS client, its scheme. Test-supplied headers come after (a client can send
 * anything, spoofed forwarding headers included).
 */
export function edgeHeaders(options: VisitOptions): Record<string, string | string[]> {
  return {
    host: PUBLIC_HOST,
    "cf-connecting-ip": options.clientIp ?? CLIENT_IP,
    ...(options.https ? { [EDGE_SCHEME_HEADER]: "https" } : {}),
    ...(options.body === undefined ? {} : { "content-length": String(Buffer.byteLength(options.body)) }),
    ...options.headers,
  };
}

/** One request to cutover on `port` over a fresh connection; the body is read whole, as sent (no decompression). */
export function visit(port: number, target: string, options: VisitOptions = {}): Promise<Visit> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: "127.0.0.1", port, path: target, method: options.method ?? "GET", headers: edgeHeaders(options), agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, rawHeaders: response.rawHeaders, body: Buffer.concat(chunks) }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(options.body);
  });
}

/** A response body parsed as JSON, with what came instead in the error. */
export function json<T>(visited: Visit): T {
  try {
    return JSON.parse(visited.body.toString()) as T;
  } catch (error) {
    throw new Error(`not JSON (status ${visited.status}): ${visited.body.toString().slice(0, 300)}`, { cause: error });
  }
}

/** A client's cookie jar: what Set-Cookie lines said, sent back as one Cookie header. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  /** Takes every Set-Cookie line of a response. */
  take(visited: Visit): this {
    for (const line of setCookieLines(visited)) {
      const pair = line.split(";", 1)[0] ?? "";
      const at = pair.indexOf("=");
      if (at > 0) this.#cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    return this;
  }

  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

/** Every Set-Cookie line of a response, as received. */
export function setCookieLines(visited: Visit): string[] {
  const lines: string[] = [];
  for (let i = 0; i + 1 < visited.rawHeaders.length; i += 2) if (visited.rawHeaders[i]?.toLowerCase() === "set-cookie") lines.push(String(visited.rawHeaders[i + 1]));
  return lines;
}
