import { hashToken } from "../lib/admin-token.ts";
import { toBase64Url } from "../lib/base64.ts";
import { err, ok, type Result } from "../lib/result.ts";
import { overrideTokenId, signOverride } from "../routes/override-token.ts";
import { NoRouteTableError } from "../store/no-route-table-error.ts";
import type { RouteTableStore } from "../store/route-store.ts";
import type { StoredToken, TokenStore } from "../store/token-store.ts";

/** The longest a stored admin token may live. */
export const MAX_TOKEN_DAYS = 366;

/** A new admin token's value: `cut_` and 24 random bytes in base64url (the form lib/admin-token.ts recognizes). */
export function newTokenValue(): string {
  return `cut_${toBase64Url(crypto.getRandomValues(new Uint8Array(24)))}`;
}

/** Where tokens and overrides are written and audited. */
export interface TokenDeps {
  readonly tokens: TokenStore;
  readonly store: RouteTableStore;
  readonly now: () => number;
}

/** Makes a stored admin token (the value is returned once and never stored: only its hash), audited. */
export async function createToken(
  deps: TokenDeps,
  request: { readonly name: string; readonly role: StoredToken["role"]; readonly expiresInDays: number; readonly actor: string; readonly reason: string },
): Promise<Result<StoredToken & { token: string }, { code: "too_long"; message: string }>> {
  if (request.expiresInDays > MAX_TOKEN_DAYS) return err({ code: "too_long", message: `A token lives at most ${MAX_TOKEN_DAYS} days; make a new one when it expires.` });
  const token = newTokenValue();
  const stored = await deps.tokens.create({
    hash: await hashToken(token),
    name: request.name,
    role: request.role,
    createdBy: request.actor,
    expiresAt: new Date(deps.now() + request.expiresInDays * 86_400_000),
  });
  await deps.store.recordAudit({ actor: request.actor, action: "token-create", reason: request.reason, details: { id: stored.id, name: stored.name, role: stored.role, expiresAt: stored.expiresAt } });
  return ok({ token, ...stored });
}

/** Revokes a stored admin token by its id (a hash prefix), audited; undefined when there is none. */
export async function revokeToken(deps: TokenDeps, request: { readonly id: string; readonly actor: string; readonly reason: string }): Promise<StoredToken | undefined> {
  const revoked = await deps.tokens.revoke(request.id, new Date(deps.now()));
  if (revoked) await deps.store.recordAudit({ actor: request.actor, action: "token-revoke", reason: request.reason, details: { id: revoked.id, name: revoked.name } });
  return revoked;
}

/** A signed tester override, its lifetime capped at `maxSeconds`, audited when there is a store. */
export async function mintOverride(
  deps: { readonly store: RouteTableStore | undefined; readonly now: () => number },
  request: { readonly secret: string; readonly backend: string; readonly route: string | undefined; readonly ttlSeconds: number; readonly maxSeconds: number; readonly actor: string; readonly reason: string },
): Promise<{ token: string; id: string; expiresAt: number; shortened: boolean }> {
  const seconds = Math.min(request.ttlSeconds, request.maxSeconds);
  const expiresAt = Math.floor(deps.now() / 1000) + seconds;
  const token = await signOverride(request.secret, { backend: request.backend, ...(request.route === undefined ? {} : { route: request.route }), expiresAt });
  const id = await overrideTokenId(token);
  await deps.store?.recordAudit({ actor: request.actor, action: "override", reason: request.reason, details: { id, backend: request.backend, route: request.route ?? "*", expiresAt: new Date(expiresAt * 1000).toISOString() } });
  return { token, id, expiresAt, shortened: seconds < request.ttlSeconds };
}

/**
 * Puts a tester override on the deny-list every isolate reads with the active table, audited.
 * A token revoked now was valid for at most `maxSeconds` from now, so the entry lasts that long.
 */
export async function revokeOverride(
  deps: { readonly store: RouteTableStore; readonly now: () => number },
  request: { readonly id: string; readonly maxSeconds: number; readonly actor: string; readonly reason: string },
): Promise<Result<{ until: number }, { code: "no_table" }>> {
  const until = Math.floor(deps.now() / 1000) + request.maxSeconds + 60;
  try {
    await deps.store.revokeOverride(request.id, until);
  } catch (error) {
    if (error instanceof NoRouteTableError) return err({ code: "no_table" });
    throw error;
  }
  await deps.store.recordAudit({ actor: request.actor, action: "override-revoke", reason: request.reason, details: { id: request.id } });
  return ok({ until });
}
