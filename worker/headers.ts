import { withoutCookie } from "../lib/cookies.ts";
import { INTERNAL_PREFIX } from "../lib/internal-headers.ts";
import { OVERRIDE_COOKIE } from "../routes/override-token.ts";

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1) describe one connection and must not be forwarded.
 * workerd's fetch() already drops Connection, Keep-Alive, TE, Trailer, Transfer-Encoding and
 * Upgrade (except for a WebSocket upgrade) and sets Host from the URL; these are the ones it
 * leaves.
 */
const HOP_BY_HOP_LEFT_BY_FETCH = ["proxy-authorization", "proxy-connection"];

export interface ForwardedFacts {
  readonly clientIp: string | undefined;
  /** The scheme and host the client used, e.g. `https` and `www.example.com`. */
  readonly proto: string;
  readonly host: string;
  readonly requestId: string;
}

/**
 * The headers sent to a backend: the client's, minus hop-by-hop fields (and those the
 * client's `Connection` names), minus any client-supplied `x-cutover-*` and the tester
 * override cookie, plus X-Forwarded-For/-Proto/-Host and x-request-id. The copy is made by
 * the Headers constructor (native code) and trimmed, which measured cheaper than building
 * it header by header.
 */
export function upstreamRequestHeaders(incoming: Headers, facts: ForwardedFacts): Headers {
  const headers = new Headers(incoming);
  const connection = incoming.get("connection");
  if (connection) for (const name of connectionTokens(connection)) headers.delete(name);
  for (const name of HOP_BY_HOP_LEFT_BY_FETCH) headers.delete(name);
  const internal: string[] = [];
  for (const name of headers.keys()) if (name.startsWith(INTERNAL_PREFIX)) internal.push(name);
  for (const name of internal) headers.delete(name);
  const cookie = incoming.get("cookie");
  if (cookie?.includes(OVERRIDE_COOKIE)) {
    const kept = withoutCookie(cookie, OVERRIDE_COOKIE);
    if (kept) headers.set("cookie", kept);
    else headers.delete("cookie");
  }
  if (facts.clientIp) headers.set("x-forwarded-for", appendForwardedFor(incoming.get("x-forwarded-for"), facts.clientIp));
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

/**
 * The response for the client: the backend's status, headers (every Set-Cookie kept) and
 * streaming body, plus `extra` (the x-cutover-* headers). workerd itself drops the framing
 * fields (Connection, Keep-Alive, Transfer-Encoding, Trailer, Upgrade) when it writes the
 * response; what is left to drop is what the backend's Connection header names, and
 * Proxy-Authenticate, which is for a proxy, not for the client. With nothing to add or drop,
 * the backend's response goes out as it is.
 */
export function downstreamResponse(upstream: Response, extra: readonly (readonly [string, string])[]): Response {
  const connection = upstream.headers.get("connection");
  const named = connection ? connectionTokens(connection) : [];
  const proxyAuthenticate = upstream.headers.has("proxy-authenticate");
  if (extra.length === 0 && named.length === 0 && !proxyAuthenticate) return upstream;

  const status = upstream.status;
  const nullBody = status === 204 || status === 205 || status === 304;
  // Copying through the Response constructor keeps the header copy in native code.
  const response =
    status === 101
      ? new Response(null, { status, headers: upstream.headers, webSocket: upstream.webSocket })
      : new Response(nullBody ? null : upstream.body, upstream);
  const headers = response.headers;
  for (const name of named) headers.delete(name);
  if (proxyAuthenticate) headers.delete("proxy-authenticate");
  for (const [name, value] of extra) headers.set(name, value);
  return response;
}

/** Header names a Connection header lists, other than the connection options (keep-alive, close, upgrade). */
function connectionTokens(connection: string): string[] {
  const names: string[] = [];
  for (const token of connection.split(",")) {
    const name = token.trim().toLowerCase();
    if (name !== "" && name !== "keep-alive" && name !== "close" && name !== "upgrade") names.push(name);
  }
  return names;
}
