import { routeIds } from "../routes/table-lines.ts";
import type { Hono } from "hono";
import { overrideTokenId, signOverride } from "../routes/override-token.ts";
import { NoRouteTableError } from "../store/no-route-table-error.ts";
import { requireOperator, type AdminEnv } from "./auth.ts";
import type { AdminDeps } from "./deps.ts";
import { problem, readBody } from "./http.ts";
import { unknownRoute } from "./route-handlers.ts";
import { CreateTokenBody, MintOverrideBody, RevokeTokenBody } from "./schemas.ts";
import { hashToken, newTokenValue } from "./tokens.ts";

/** The longest a stored admin token may live. */
const MAX_TOKEN_DAYS = 366;

/**
 * GET/POST /tokens, DELETE /tokens/:id (stored admin tokens, operators only), POST
 * /overrides (tester overrides, so testers never hold the secret) and DELETE /overrides/:id
 * (revokes one). All audited.
 */
export function registerTokens(api: Hono<AdminEnv>, deps: AdminDeps): void {
  const noStore = (c: Parameters<typeof problem>[0]) =>
    problem(c, 409, "no_store", "Stored tokens need the DynamoDB store (CUTOVER_DYNAMODB_TABLE); until then, use the CUTOVER_ADMIN_TOKENS secret (`cutover token hash`).");

  api.get("/tokens", requireOperator, async (c) => {
    if (!deps.tokenStore) return noStore(c);
    return c.json({ tokens: await deps.tokenStore.list() });
  });

  api.post("/tokens", async (c) => {
    if (!deps.tokenStore || !deps.store) return noStore(c);
    const body = await readBody(c, CreateTokenBody);
    if (!body.ok) return body.response;
    if (body.value.expiresInDays > MAX_TOKEN_DAYS) return problem(c, 400, "invalid_request", `A token lives at most ${MAX_TOKEN_DAYS} days; make a new one when it expires.`);
    const token = newTokenValue();
    const creator = c.get("principal").name;
    const stored = await deps.tokenStore.create({
      hash: await hashToken(token),
      name: body.value.name,
      role: body.value.role,
      createdBy: creator,
      expiresAt: new Date(deps.now() + body.value.expiresInDays * 86_400_000),
    });
    await deps.store.recordAudit({ actor: creator, action: "token-create", reason: body.value.reason, details: { id: stored.id, name: stored.name, role: stored.role, expiresAt: stored.expiresAt } });
    return c.json({ token, ...stored }, 201);
  });

  api.delete("/tokens/:id", async (c) => {
    if (!deps.tokenStore || !deps.store) return noStore(c);
    const body = await readBody(c, RevokeTokenBody);
    if (!body.ok) return body.response;
    const id = c.req.param("id");
    const revoked = await deps.tokenStore.revoke(id, new Date(deps.now()));
    if (!revoked) return problem(c, 404, "unknown_token", `No stored token with id '${id}' (the first 12 hex digits shown by \`cutover token list\`).`);
    await deps.store.recordAudit({ actor: c.get("principal").name, action: "token-revoke", reason: body.value.reason, details: { id: revoked.id, name: revoked.name } });
    return c.json(revoked);
  });

  api.post("/overrides", async (c) => {
    if (!deps.overrideSecret) {
      return problem(c, 409, "overrides_off", "Tester overrides are off: set the Worker secret CUTOVER_OVERRIDE_SECRET to 32 random bytes or more (openssl rand -hex 32).");
    }
    const body = await readBody(c, MintOverrideBody);
    if (!body.ok) return body.response;
    const { backend, route, reason } = body.value;
    const seconds = Math.min(body.value.ttlSeconds, deps.overrideMaxSeconds);
    try {
      const active = await deps.source.getActive();
      if (!(backend in active.table.backends)) {
        return problem(c, 404, "unknown_backend", `No backend '${backend}' in version ${active.version}. Backends: ${Object.keys(active.table.backends).join(", ")}.`);
      }
      if (route !== undefined && !routeIds(active.table).includes(route)) return unknownRoute(c, route, active);
    } catch (error) {
      if (!(error instanceof NoRouteTableError)) throw error;
    }
    const expiresAt = Math.floor(deps.now() / 1000) + seconds;
    const token = await signOverride(deps.overrideSecret, { backend, ...(route === undefined ? {} : { route }), expiresAt });
    const id = await overrideTokenId(token);
    await deps.store?.recordAudit({ actor: c.get("principal").name, action: "override", reason, details: { id, backend, route: route ?? "*", expiresAt: new Date(expiresAt * 1000).toISOString() } });
    return c.json({ token, id, backend, route: route ?? null, expiresAt: new Date(expiresAt * 1000).toISOString(), ...(seconds < body.value.ttlSeconds ? { note: `shortened to the server's maximum of ${deps.overrideMaxSeconds} s` } : {}) }, 201);
  });

  // Revoking needs only the id (from minting, or the audit log): a token revoked now was
  // valid for at most the longest lifetime from now, so the deny-list keeps it that long.
  api.delete("/overrides/:id", async (c) => {
    if (!deps.store) return problem(c, 409, "no_store", "Revoking a tester override needs the DynamoDB store (CUTOVER_DYNAMODB_TABLE); with a static table, rotate CUTOVER_OVERRIDE_SECRET instead.");
    const body = await readBody(c, RevokeTokenBody);
    if (!body.ok) return body.response;
    const id = c.req.param("id");
    if (!/^[0-9a-f]{16}$/.test(id)) return problem(c, 400, "invalid_request", `'${id}' is not an override id: 16 hex digits, shown when the override was minted and in the audit log.`);
    const until = Math.floor(deps.now() / 1000) + deps.overrideMaxSeconds + 60;
    try {
      await deps.store.revokeOverride(id, until);
    } catch (error) {
      if (error instanceof NoRouteTableError) return problem(c, 409, "no_table", "No route table is stored yet: no override can force anything.");
      throw error;
    }
    await deps.store.recordAudit({ actor: c.get("principal").name, action: "override-revoke", reason: body.value.reason, details: { id } });
    return c.json({ id, revokedUntil: new Date(until * 1000).toISOString(), propagationMs: deps.propagationMs });
  });
}
