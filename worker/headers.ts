import { OVERRIDE_COOKIE } from "./override.ts";

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1) describe one connection and must not be forwarded,
 * plus `host`, which fetch() sets from the backend URL (Heroku routes by it).
 */
const HOP_BY_HOP_REQUEST = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
]);

const HOP_BY_HOP_RESPONSE = ["connection", "keep-alive", "proxy-connection", "proxy-authenticate", "trailer", "transfer-encoding", "upgrade"];

export const INTERNAL_PREFIX = "x-cutover-";

export interface ForwardedFacts {
  readonly clientIp: string | undefined;
  /** The scheme and host the client used, e.g. `https` and `www.example.com`. */
  readonly proto: string;
  readonly host: string;
  readonly requestId: string;
  readonly websocket: boolean;
}

/**
 * The headers sent to a backend: the client's, minus hop-by-hop fields (and those the
 * client's `Connection` names), minus any client-supplied `x-cutover-*` and the tester
 * override cookie, plus X-Forwarded-For/-Proto/-Host and x-request-id.
 */
export function upstreamRequestHeaders(incoming: Headers, facts: ForwardedFacts): Headers {
  const connection = incoming.get("connection");
  const named = connection ? new Set(connection.toLowerCase().split(",").map((token) => token.trim())) : undefined;
  const headers = new Headers();
  for (const [name, value] of incoming) {
    if (HOP_BY_HOP_REQUEST.has(name) || name.startsWith(INTERNAL_PREFIX) || named?.has(name)) continue;
    if (name === "cookie" && value.includes(OVERRIDE_COOKIE)) {
      const kept = withoutCookie(value, OVERRIDE_COOKIE);
      if (kept) headers.append(name, kept);
      continue;
    }
    headers.append(name, value);
  }
  if (facts.websocket) {
    headers.set("upgrade", "websocket");
    headers.set("connection", "Upgrade");
  }
  if (facts.clientIp) {
    const prior = incoming.get("x-forwarded-for");
    headers.set("x-forwarded-for", appendForwardedFor(prior, facts.clientIp));
  }
  headers.set("x-forwarded-proto", facts.proto);
  headers.set("x-forwarded-host", facts.host);
  headers.set("x-request-id", facts.requestId);
  return headers;
}

/**
 * Cloudflare's edge already puts the client address at the end of X-Forwarded-For; add it
 * only when it is not there yet, so the chain names each hop once.
 */
function appendForwardedFor(prior: string | null, clientIp: string): string {
  if (!prior) return clientIp;
  const last = prior.slice(prior.lastIndexOf(",") + 1).trim();
  return last === clientIp ? prior : `${prior}, ${clientIp}`;
}

function withoutCookie(cookieHeader: string, name: string): string {
  return cookieHeader
    .split(";")
    .filter((pair) => pair.slice(0, pair.indexOf("=")).trim() !== name)
    .join(";")
    .trim();
}

/**
 * The response for the client: the backend's status, headers (every Set-Cookie kept) and
 * streaming body, minus hop-by-hop fields, plus `extra` (the x-cutover-* headers).
 */
export function downstreamResponse(upstream: Response, extra: readonly (readonly [string, string])[]): Response {
  const headers = new Headers(upstream.headers);
  for (const name of HOP_BY_HOP_RESPONSE) headers.delete(name);
  for (const [name, value] of extra) headers.set(name, value);
  const status = upstream.status;
  if (status === 101) {
    return new Response(null, { status, headers, webSocket: upstream.webSocket });
  }
  const nullBody = status === 204 || status === 205 || status === 304;
  return new Response(nullBody ? null : upstream.body, { status, statusText: upstream.statusText, headers });
}
