import { createHmac, timingSafeEqual } from "node:crypto";

/** The user cutover vouches for (the token's claims), or null: checks HS256, issuer, audience, expiry. */
export function verifyIdentity(token, { secret, audience, now = Date.now() / 1000 }) {
  const [header, payload, signature, extra] = String(token ?? "").split(".");
  if (!header || !payload || !signature || extra !== undefined) return null;
  const expected = createHmac("sha256", secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  if (JSON.parse(Buffer.from(header, "base64url")).alg !== "HS256") return null;
  const claims = JSON.parse(Buffer.from(payload, "base64url"));
  if (claims.iss !== "cutover" || claims.aud !== audience || !(claims.exp > now)) return null;
  return claims;
}
