import { fromBase64Url, toBase64Url } from "../lib/base64.ts";
import type { Principal } from "./tokens.ts";

/**
 * The dashboard's session: an admin token is exchanged once for a signed cookie (HMAC-SHA256),
 * `HttpOnly`, `SameSite=Strict`, `Secure` outside localhost, scoped to /_cutover/, valid for
 * SESSION_SECONDS. It holds the token's hash (never the token), so that every request
 * re-checks the token (a revoked token ends its sessions), and the session's CSRF token.
 */
export interface Session {
  readonly name: string;
  readonly role: Principal["role"];
  /** SHA-256 (hex) of the admin token signed in with; null for a Cloudflare Access identity. */
  readonly tokenHash: string | null;
  /** Expiry, epoch seconds. */
  readonly expires: number;
  readonly csrf: string;
}

export const SESSION_COOKIE = "cutover_session";
export const SESSION_SECONDS = 8 * 3600;

/** The HMAC key sessions are signed with. */
export async function sessionKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

export async function signSession(key: CryptoKey, session: Session): Promise<string> {
  const payload = toBase64Url(new TextEncoder().encode(JSON.stringify(session)));
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`v1.${payload}`)));
  return `v1.${payload}.${toBase64Url(signature)}`;
}

/** The session a cookie value holds, when its signature is good and it has not expired. */
export async function readSession(key: CryptoKey, value: string | undefined, nowSeconds: number): Promise<Session | undefined> {
  const [version, payload, signature] = value?.split(".") ?? [];
  if (version !== "v1" || payload === undefined || signature === undefined) return undefined;
  const bytes = fromBase64Url(signature);
  if (bytes === undefined) return undefined;
  // crypto.subtle.verify compares in constant time.
  if (!(await crypto.subtle.verify("HMAC", key, bytes, new TextEncoder().encode(`v1.${payload}`)))) return undefined;
  const decoded = fromBase64Url(payload);
  if (decoded === undefined) return undefined;
  try {
    const session = JSON.parse(new TextDecoder().decode(decoded)) as Session;
    return typeof session.expires === "number" && session.expires > nowSeconds ? session : undefined;
  } catch {
    return undefined;
  }
}

/** The Set-Cookie value for a session (or, with no value, one that clears it). */
export function sessionCookie(url: URL, value: string | undefined): string {
  const local = url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]";
  const attributes = ["Path=/_cutover/", "HttpOnly", "SameSite=Strict", ...(local ? [] : ["Secure"]), value === undefined ? "Max-Age=0" : `Max-Age=${SESSION_SECONDS}`];
  return `${SESSION_COOKIE}=${value ?? ""}; ${attributes.join("; ")}`;
}

/** A fresh CSRF token. */
export function newCsrfToken(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(18)));
}
