import { toBase64Url } from "../lib/base64.ts";

/**
 * JSON Web Tokens signed with HS256 (RFC 7519, RFC 7515 §A.1): what cutover hands a new
 * backend about the signed-in user (X-Cutover-Identity). Signing only: the backends verify
 * (docs/identity.md shows how, in a few lines of node:crypto).
 */
const HEADER = toBase64Url(new TextEncoder().encode(JSON.stringify({ alg: "HS256", typ: "JWT" })));

/** The HMAC-SHA256 key of a secret: import once per secret and keep it. */
export function hs256Key(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

/** `header.payload.signature`, each base64url without padding. */
export async function signJwt(claims: Readonly<Record<string, unknown>>, key: CryptoKey): Promise<string> {
  const encoder = new TextEncoder();
  const signingInput = `${HEADER}.${toBase64Url(encoder.encode(JSON.stringify(claims)))}`;
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(signingInput)));
  return `${signingInput}.${toBase64Url(signature)}`;
}
