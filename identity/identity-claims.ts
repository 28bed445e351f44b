import type { RailsSession } from "./rails-session.ts";
import { claimName, sessionValue } from "./session-fields.ts";

/** The token's issuer: backends check it, so a token from anything else is refused. */
export const IDENTITY_ISSUER = "cutover";
/** The request header that carries the token; a client's own never reaches a backend (lib/internal-headers.ts). */
export const IDENTITY_HEADER = "x-cutover-identity";
export const DEFAULT_IDENTITY_TTL_SECONDS = 60;

/** Claims no session field may take: the token's own (RFC 7519 §4.1). */
export const REGISTERED_CLAIMS: ReadonlySet<string> = new Set(["iss", "sub", "aud", "exp", "nbf", "iat", "jti"]);

export interface IdentityPolicy {
  readonly fields: readonly string[];
  readonly ttlSeconds?: number | undefined;
}

/**
 * The claims of one backend's identity token: `iss` "cutover", `aud` the backend's name (a
 * token meant for one backend is refused by another), `iat` and `exp` (`ttlSeconds` later),
 * `sub` the first field that has a value (as text), and each field that has one under its
 * claim name (`claimName`). Undefined when no field has a value (a visitor who has not signed
 * in): no token at all, rather than one that says nothing. `nowSeconds` in seconds.
 */
export function identityClaims(session: RailsSession, backend: string, policy: IdentityPolicy, nowSeconds: number): Record<string, unknown> | undefined {
  const fields: Record<string, unknown> = {};
  let subject: string | undefined;
  for (const field of policy.fields) {
    const value = sessionValue(session, field);
    const claim = claimName(field);
    if (value === undefined || REGISTERED_CLAIMS.has(claim) || Object.hasOwn(fields, claim)) continue;
    fields[claim] = value;
    if (subject === undefined && (typeof value === "string" || typeof value === "number")) subject = String(value);
  }
  if (Object.keys(fields).length === 0) return undefined;
  const iat = Math.floor(nowSeconds);
  return {
    iss: IDENTITY_ISSUER,
    aud: backend,
    iat,
    exp: iat + (policy.ttlSeconds ?? DEFAULT_IDENTITY_TTL_SECONDS),
    ...(subject === undefined ? {} : { sub: subject }),
    ...fields,
  };
}
