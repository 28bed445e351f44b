import { fromBase64Url, toBase64Url } from "../lib/base64.ts";
import { readCookie } from "../lib/cookies.ts";
import type { Principal } from "./tokens.ts";

/**
 * The dashboard's session: an admin token (or a Cloudflare Access identity) is exchanged once
 * for a cookie signed with CUTOVER_SESSION_SECRET (HMAC-SHA256), `HttpOnly`, `SameSite=Strict`,
 * and on https `Secure` with the `__Host-` prefix (no Domain, Path=/: a sibling subdomain
 * cannot set or shadow it). It lives only on the admin host (CUTOVER_ADMIN_HOSTS).
 *
 * Its lifetime is the server's, not the cookie's: a session is good for SESSION_SECONDS after
 * its issued-at time, checked on every request, whatever the cookie claims. It holds the
 * token's hash (never the token), so that every request re-checks the token (a revoked token
 * ends its sessions), a random session id (for the logs), and the session's CSRF token.
 */
export interface Session {
  /** Random, per sign-in: names the session in the logs. */
  readonly sid: string;
  readonly name: string;
  readonly role: Principal["role"];
  /** SHA-256 (hex) of the admin token signed in with; null for a Cloudflare Access identity. */
  readonly tokenHash: string | null;
  /** Issued at, epoch seconds. */
  readonly iat: number;
  readonly csrf: string;
}

export const SESSION_SECONDS = 8 * 3600;
/** Clock difference between isolates tolerated on an issued-at time. */
const SKEW_SECONDS = 60;
const VERSION = "v2";
const encoder = new TextEncoder();

/** `__Host-cutover_session` on https (the prefix needs Secure); `cutover_session` on a local http admin host. */
export function sessionCookieName(url: URL): string {
  return url.protocol === "https:" ? "__Host-cutover_session" : "cutover_session";
}

/** The HMAC key sessions are signed with. */
export async function sessionKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

/** A new session for `principal`, issued now. */
export function newSession(principal: Principal, tokenHash: string | null, nowSeconds: number): Session {
  return { sid: randomId(16), name: principal.name, role: principal.role, tokenHash, iat: Math.floor(nowSeconds), csrf: randomId(18) };
}

export async function signSession(key: CryptoKey, session: Session): Promise<string> {
  const payload = toBase64Url(encoder.encode(JSON.stringify(session)));
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(`${VERSION}.${payload}`)));
  return `${VERSION}.${payload}.${toBase64Url(signature)}`;
}

/**
 * The session a request's cookie holds, when its signature is good, its fields are what
 * cutover writes, and it was issued less than SESSION_SECONDS ago (and not in the future).
 */
export async function readSession(key: CryptoKey, cookieHeader: string | null, url: URL, nowSeconds: number): Promise<Session | undefined> {
  const value = readCookie(cookieHeader, sessionCookieName(url));
  const [version, payload, signature, extra] = value?.split(".") ?? [];
  if (version !== VERSION || payload === undefined || signature === undefined || extra !== undefined) return undefined;
  const bytes = fromBase64Url(signature);
  if (bytes === undefined) return undefined;
  // crypto.subtle.verify compares in constant time.
  if (!(await crypto.subtle.verify("HMAC", key, bytes, encoder.encode(`${VERSION}.${payload}`)))) return undefined;
  const decoded = fromBase64Url(payload);
  if (decoded === undefined) return undefined;
  let session: unknown;
  try {
    session = JSON.parse(new TextDecoder().decode(decoded));
  } catch {
    return undefined;
  }
  if (!isSession(session)) return undefined;
  return session.iat <= nowSeconds + SKEW_SECONDS && nowSeconds < session.iat + SESSION_SECONDS ? session : undefined;
}

/** The Set-Cookie value for a session (or, with no value, one that clears it). */
export function sessionCookie(url: URL, value: string | undefined): string {
  const secure = url.protocol === "https:";
  const attributes = ["Path=/", "HttpOnly", "SameSite=Strict", ...(secure ? ["Secure"] : []), value === undefined ? "Max-Age=0" : `Max-Age=${SESSION_SECONDS}`];
  return `${sessionCookieName(url)}=${value ?? ""}; ${attributes.join("; ")}`;
}

function isSession(value: unknown): value is Session {
  if (typeof value !== "object" || value === null) return false;
  const session = value as Record<string, unknown>;
  return (
    typeof session.sid === "string" &&
    typeof session.name === "string" &&
    (session.role === "viewer" || session.role === "operator") &&
    (session.tokenHash === null || (typeof session.tokenHash === "string" && /^[0-9a-f]{64}$/.test(session.tokenHash))) &&
    typeof session.iat === "number" &&
    Number.isInteger(session.iat) &&
    typeof session.csrf === "string" &&
    session.csrf.length >= 16
  );
}

function randomId(bytes: number): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}
