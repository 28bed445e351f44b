import { isJoinedCookieHeader, withoutCookie } from "../lib/cookies.ts";
import { INTERNAL_PREFIX } from "../lib/internal-headers.ts";
import { OVERRIDE_COOKIE } from "../routes/override-token.ts";

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1) describe one connection and must not be forwarded.
 * workerd's fetch() already drops Connection, Keep-Alive, TE, Trailer, Transfer-Encoding and
 * Upgrade (except for a WebSocket upgrade) and sets Host from the URL; these are the ones it
 * leaves. The fields a Connection header names are dropped too: workerd passes the client's
 * Connection header to the Worker and would forward the fields it names.
 */
const HOP_BY_HOP_LEFT_BY_FETCH = ["proxy-authorization", "proxy-connection"];

/**
 * Fields a client could send to claim another address, scheme or host (Rack 3 reads
 * `Forwarded` before `X-Forwarded-*`; nginx and others read `X-Real-IP`; Rails raises
 * IpSpoofAttackError on a `Client-IP` that X-Forwarded-For does not hold): dropped, and the
 * backend gets cutover's one view of the client instead. Every `x-forwarded-*` goes too. So
 * does `Proxy`, which CGI-style servers hand the app as HTTP_PROXY, the variable HTTP clients
 * read as their proxy (httpoxy, CVE-2016-5385).
 */
const DROPPED_CLIENT_FIELDS = new Set(["forwarded", "x-real-ip", "x-client-ip", "true-client-ip", "client-ip", "x-cluster-client-ip", "x-original-forwarded-for", "proxy"]);
const FORWARDED_PREFIX = "x-forwarded-";

export interface ForwardedFacts {
  readonly clientIp: string | undefined;
  /** The scheme and host the client used, e.g. `https` and `www.example.com`. */
  readonly proto: string;
  readonly host: string;
  readonly requestId: string;
  /** The table's `forwardedFor`: the client address alone, or appended to the incoming chain. */
  readonly forwardedFor: "replace" | "append";
  /** The table's `underscoreHeaders`: "drop" sends on no client field whose name holds `_` (nginx's default). */
  readonly underscoreHeaders: "drop" | "keep";
}

/**
 * The headers sent to a backend: the client's, minus hop-by-hop fields (and those the
 * client's `Connection` names), minus every client forwarding header, any client-supplied
 * `x-cutover-*` and the tester override cookie, in either spelling (`X_Forwarded_Ssl` too),
 * and with `underscoreHeaders: "drop"` every name with `_`; plus one consistent view of the client:
 * X-Forwarded-For (from CF-Connecting-IP), X-Forwarded-Proto, X-Forwarded-Host and
 * `Forwarded` (RFC 7239) saying the same, and x-request-id. Cookie lines the runtime joined
 * with ", " are sent as one `; `-separated header. The copy is made by the Headers
 * constructor (native code) and trimmed, which measured cheaper than building it header by header.
 */
export function upstreamRequestHeaders(incoming: Headers, facts: ForwardedFacts): Headers {
  const headers = new Headers(incoming);
  const connection = incoming.get("connection");
  if (connection) for (const name of connectionTokens(connection)) headers.delete(name);
  for (const name of HOP_BY_HOP_LEFT_BY_FETCH) headers.delete(name);
  const dropUnderscored = facts.underscoreHeaders === "drop";
  const dropped: string[] = [];
  for (const name of headers.keys()) {
    // Nearly every name has no `_`: for those the spelling check is one `includes`, no allocation.
    if (isDroppedField(name) || (name.includes("_") && (dropUnderscored || isDroppedByCgiName(name)))) dropped.push(name);
  }
  for (const name of dropped) headers.delete(name);
  const cookie = incoming.get("cookie");
  if (cookie !== null && (cookie.includes(OVERRIDE_COOKIE) || isJoinedCookieHeader(cookie))) {
    const kept = withoutCookie(cookie, OVERRIDE_COOKIE);
    if (kept) headers.set("cookie", kept);
    else headers.delete("cookie");
  }
  const chain = forwardedChain(facts.forwardedFor === "append" ? incoming.get("x-forwarded-for") : null, facts.clientIp);
  if (chain.length > 0) headers.set("x-forwarded-for", chain.join(", "));
  headers.set("x-forwarded-proto", facts.proto);
  headers.set("x-forwarded-host", facts.host);
  headers.set("forwarded", forwardedHeader(chain, facts));
  headers.set("x-request-id", facts.requestId);
  return headers;
}

function isDroppedField(name: string): boolean {
  return name.startsWith(INTERNAL_PREFIX) || name.startsWith(FORWARDED_PREFIX) || DROPPED_CLIENT_FIELDS.has(name);
}

/**
 * Rack and other CGI-style servers hand the app a field as `HTTP_` + its name upper-cased with
 * `-` read as `_` (RFC 3875 §4.1.18), so `X_Forwarded_Ssl: on` reaches a Rails app as
 * HTTP_X_FORWARDED_SSL, exactly as `X-Forwarded-Ssl` would (Puma keeps the `_` spelling unless
 * the `-` one is present, others keep either or join them). Such a spelling of a dropped field
 * is dropped too, and so is one of `x-request-id`: beside cutover's, it could win or be joined to it.
 */
function isDroppedByCgiName(name: string): boolean {
  const hyphenated = name.replaceAll("_", "-");
  return isDroppedField(hyphenated) || hyphenated === "x-request-id";
}

/**
 * The addresses a request passed through, the client's last. With a trusted incoming chain
 * (`forwardedFor: "append"`) it comes first; Cloudflare's edge already puts the client address
 * at its end, so it is added only when it is not there yet, naming each hop once.
 */
function forwardedChain(prior: string | null, clientIp: string | undefined): string[] {
  const chain = prior ? prior.split(",").map((hop) => hop.trim()).filter((hop) => hop !== "") : [];
  if (clientIp && chain.at(-1) !== clientIp) chain.push(clientIp);
  return chain;
}

/** RFC 7239: `for=203.0.113.9;host=shop.example.com;proto=https`, one element per hop. */
function forwardedHeader(chain: readonly string[], facts: ForwardedFacts): string {
  const hops = chain.map((hop) => `for=${forwardedNode(hop)}`);
  const last = `host=${quoteIfNeeded(facts.host)};proto=${facts.proto}`;
  if (hops.length === 0) return last;
  hops[hops.length - 1] = `${hops[hops.length - 1]};${last}`;
  return hops.join(", ");
}

/** An address as a Forwarded node: IPv6 quoted in brackets, anything that is not an address "unknown". */
function forwardedNode(address: string): string {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) return address;
  if (/^[0-9A-Fa-f:.]+$/.test(address) && address.includes(":")) return `"[${address}]"`;
  return "unknown";
}

function quoteIfNeeded(value: string): string {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(value) ? value : `"${value.replace(/["\\]/g, "\\$&")}"`;
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
