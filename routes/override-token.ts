import { readCookie } from "../lib/cookies.ts";
import { fromBase64Url, toBase64Url } from "../lib/base64.ts";
import { toHex } from "../lib/hex.ts";

/**
 * Tester override: a request may force a backend only with a token signed by the Worker
 * secret `CUTOVER_OVERRIDE_SECRET`, so untrusted clients cannot steer routing.
 *
 * Token: `v2.<backend>.<base64url route id, or *>.<expires unix seconds>.<base64url
 * HMAC-SHA256 of the first four parts>`, sent as the `x-cutover-override` header or the
 * `cutover_override` cookie. Neither reaches a backend. Its id (for revoking it) is the first
 * 16 hex digits of its SHA-256: naming it gives nothing of the signature away.
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

/** What a verified token lets its holder do: force `backend`, on one route or (undefined) on any. */
export interface Override {
  readonly backend: string;
  readonly route: string | undefined;
}

/** What the Worker accepts of a token besides its signature (CUTOVER_OVERRIDE_MAX_SECONDS, …). */
export interface OverridePolicy {
  /** The longest a token may still have to live: one signed offline for longer is refused, not shortened. */
  readonly maxSeconds: number;
  /** Tokens of the first form (`v1.…`, any route, no lifetime minted by the API): refused unless a deployment still needs them. */
  readonly acceptV1: boolean;
  /** Ids of revoked tokens (the deny-list read with the route table). */
  readonly revoked: ReadonlySet<string>;
}

/** Clock difference between the minting isolate and this one, tolerated on a token's lifetime. */
const SKEW_SECONDS = 60;

/** Secrets shorter than this are refused: an HMAC key must not be guessable. */
export const MIN_OVERRIDE_SECRET_BYTES = 32;

/**
 * Mints a token: `v2.<backend>.<base64url route id, or *>.<expires unix seconds>.<signature>`.
 * The admin API mints them (`POST /overrides`), so testers never hold the secret.
 */
export async function signOverride(secret: string, grant: { readonly backend: string; readonly route?: string; readonly expiresAt: number }): Promise<string> {
  const route = grant.route === undefined ? "*" : toBase64Url(encoder.encode(grant.route));
  const payload = `v2.${grant.backend}.${route}.${Math.floor(grant.expiresAt)}`;
  const signature = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(payload));
  return `${payload}.${toBase64Url(new Uint8Array(signature))}`;
}

/**
 * What a token forces, or undefined when the token is malformed, expired, revoked, lives
 * longer from now than the policy allows, or is not signed with `secret`. The signature
 * check is constant-time (crypto.subtle.verify). Tokens of the first form
 * (`v1.<backend>.<expires>.<signature>`, any route) only with `policy.acceptV1`.
 */
export async function verifyOverride(token: string, secret: string, nowSeconds: number, policy: OverridePolicy): Promise<Override | undefined> {
  const parts = token.split(".");
  const v2 = parts.length === 5 && parts[0] === "v2";
  if (!v2 && !(policy.acceptV1 && parts.length === 4 && parts[0] === "v1")) return undefined;
  const backend = parts[1] ?? "";
  const routePart = v2 ? (parts[2] ?? "") : "*";
  const expires = parts[v2 ? 3 : 2] ?? "";
  if (!/^\d{1,12}$/.test(expires) || Number(expires) <= nowSeconds || Number(expires) > nowSeconds + policy.maxSeconds + SKEW_SECONDS) return undefined;
  const bytes = fromBase64Url(parts.at(-1) ?? "");
  if (bytes === undefined || bytes.length !== 32) return undefined;
  const payload = parts.slice(0, -1).join(".");
  if (!(await crypto.subtle.verify("HMAC", await hmacKey(secret), bytes, encoder.encode(payload)))) return undefined;
  if (policy.revoked.size > 0 && policy.revoked.has(await overrideTokenId(token))) return undefined;
  if (routePart === "*") return { backend, route: undefined };
  const route = fromBase64Url(routePart);
  return route === undefined ? undefined : { backend, route: new TextDecoder().decode(route) };
}

/** A token's id: the first 16 hex digits of its SHA-256 (shown when it is minted, and in the audit log). */
export async function overrideTokenId(token: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(token)))).slice(0, 16);
}

/** The override token a request carries in its header or cookie, if any (not yet verified). */
export function overrideToken(headers: { get(name: string): string | null }): string | undefined {
  return headers.get(OVERRIDE_HEADER) ?? readCookie(headers.get("cookie"), OVERRIDE_COOKIE);
}
