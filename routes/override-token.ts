import { readCookie } from "../lib/cookies.ts";
import { fromBase64Url, toBase64Url } from "../lib/base64.ts";

/**
 * Tester override: a request may force a backend only with a token signed by the Worker
 * secret `CUTOVER_OVERRIDE_SECRET`, so untrusted clients cannot steer routing.
 *
 * Token: `v1.<backend>.<expires unix seconds>.<base64url HMAC-SHA256 of the first three parts>`,
 * sent as the `x-cutover-override` header or the `cutover_override` cookie. Neither reaches
 * a backend.
 */
const OVERRIDE_HEADER = "x-cutover-override";
export const OVERRIDE_COOKIE = "cutover_override";

const encoder = new TextEncoder();
let cachedKey: { secret: string; key: Promise<CryptoKey> } | undefined;

function hmacKey(secret: string): Promise<CryptoKey> {
  if (cachedKey?.secret !== secret) {
    const key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    cachedKey = { secret, key };
  }
  return cachedKey.key;
}

/** Mints a token (used by the CLI and tests). */
export async function signOverride(secret: string, backend: string, expiresAtSeconds: number): Promise<string> {
  const payload = `v1.${backend}.${Math.floor(expiresAtSeconds)}`;
  const signature = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(payload));
  return `${payload}.${toBase64Url(new Uint8Array(signature))}`;
}

/**
 * The backend a token forces, or undefined when the token is malformed, expired or not
 * signed with `secret`. The signature check is constant-time (crypto.subtle.verify).
 */
export async function verifyOverride(token: string, secret: string, nowSeconds: number): Promise<string | undefined> {
  const parts = token.split(".");
  if (parts.length !== 4 || parts[0] !== "v1") return undefined;
  const [, backend = "", expires = "", signature = ""] = parts;
  if (!/^\d{1,12}$/.test(expires) || Number(expires) <= nowSeconds) return undefined;
  const bytes = fromBase64Url(signature);
  if (bytes === undefined || bytes.length !== 32) return undefined;
  const valid = await crypto.subtle.verify("HMAC", await hmacKey(secret), bytes, encoder.encode(`v1.${backend}.${expires}`));
  return valid ? backend : undefined;
}

/** The override token a request carries in its header or cookie, if any (not yet verified). */
export function overrideToken(headers: { get(name: string): string | null }): string | undefined {
  return headers.get(OVERRIDE_HEADER) ?? readCookie(headers.get("cookie"), OVERRIDE_COOKIE);
}
