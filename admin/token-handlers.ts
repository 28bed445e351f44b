import { routeIds } from "../routes/table-lines.ts";
import type { Hono } from "hono";
import { createToken, mintOverride, revokeOverride, revokeToken } from "../control/tokens.ts";
import { NoRouteTableError } from "../store/no-route-table-error.ts";
import { requireOperator, type AdminEnv } from "./auth.ts";
import { CreateTokenBody, MintOverrideBody, RevokeTokenBody, type CreatedToken, type OverrideAnswer, type OverrideRevokedAnswer, type StoredToken, type TokensAnswer } from "./contract/index.ts";
import type { AdminDeps } from "./deps.ts";
import { problem, readBody } from "./http.ts";
import { unknownRoute } from "./route-handlers.ts";

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
    const answer: TokensAnswer = { tokens: await deps.tokenStore.list() };
    return c.json(answer);
  });

  api.post("/tokens", async (c) => {
    if (!deps.tokenStore || !deps.store) return noStore(c);
    const body = await readBody(c, CreateTokenBody);
    if (!body.ok) return body.response;
    const created = await createToken({ tokens: deps.tokenStore, store: deps.store, now: deps.now }, { ...body.value, actor: c.get("principal").name });
    if (!created.ok) return problem(c, 400, "invalid_request", created.error.message);
    const answer: CreatedToken = created.value;
    return c.json(answer, 201);
  });

  api.delete("/tokens/:id", async (c) => {
    if (!deps.tokenStore || !deps.store) return noStore(c);
    const body = await readBody(c, RevokeTokenBody);
    if (!body.ok) return body.response;
    const id = c.req.param("id");
    const revoked = await revokeToken({ tokens: deps.tokenStore, store: deps.store, now: deps.now }, { id, actor: c.get("principal").name, reason: body.value.reason });
    if (!revoked) return problem(c, 404, "unknown_token", `No stored token with id '${id}' (the first 12 hex digits shown by \`cutover token list\`).`);
    const answer: StoredToken = revoked;
    return c.json(answer);
  });

  api.post("/overrides", async (c) => {
    if (!deps.overrideSecret) {
      return problem(c, 409, "overrides_off", "Tester overrides are off: set the Worker secret CUTOVER_OVERRIDE_SECRET to 32 random bytes or more (openssl rand -hex 32).");
    }
    const body = await readBody(c, MintOverrideBody);
    if (!body.ok) return body.response;
    const { backend, route, reason } = body.value;
    try {
      const active = await deps.source.getActive();
      if (!(backend in active.table.backends)) {
        return problem(c, 404, "unknown_backend", `No backend '${backend}' in version ${active.version}. Backends: ${Object.keys(active.table.backends).join(", ")}.`);
      }
      if (route !== undefined && !routeIds(active.table).includes(route)) return unknownRoute(c, route, active);
    } catch (error) {
      if (!(error instanceof NoRouteTableError)) throw error;
    }
    const minted = await mintOverride(deps, { secret: deps.overrideSecret, backend, route, ttlSeconds: body.value.ttlSeconds, maxSeconds: deps.overrideMaxSeconds, actor: c.get("principal").name, reason });
    const expiresAt = new Date(minted.expiresAt * 1000).toISOString();
    const answer: OverrideAnswer = { token: minted.token, id: minted.id, backend, route: route ?? null, expiresAt, ...(minted.shortened ? { note: `shortened to the server's maximum of ${deps.overrideMaxSeconds} s` } : {}) };
    return c.json(answer, 201);
  });

  // Revoking needs only the id (from minting, or the audit log): a token revoked now was
  // valid for at most the longest lifetime from now, so the deny-list keeps it that long.
  api.delete("/overrides/:id", async (c) => {
    if (!deps.store) return problem(c, 409, "no_store", "Revoking a tester override needs the DynamoDB store (CUTOVER_DYNAMODB_TABLE); with a static table, rotate CUTOVER_OVERRIDE_SECRET instead.");
    const body = await readBody(c, RevokeTokenBody);
    if (!body.ok) return body.response;
    const id = c.req.param("id");
    if (!/^[0-9a-f]{16}$/.test(id)) return problem(c, 400, "invalid_request", `'${id}' is not an override id: 16 hex digits, shown when the override was minted and in the audit log.`);
    const revoked = await revokeOverride({ store: deps.store, now: deps.now }, { id, maxSeconds: deps.overrideMaxSeconds, actor: c.get("principal").name, reason: body.value.reason });
    if (!revoked.ok) return problem(c, 409, "no_table", "No route table is stored yet: no override can force anything.");
    const answer: OverrideRevokedAnswer = { id, revokedUntil: new Date(revoked.value.until * 1000).toISOString(), propagationMs: deps.propagationMs };
    return c.json(answer);
  });
}
