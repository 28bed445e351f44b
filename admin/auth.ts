import type { Context, MiddlewareHandler } from "hono";
import { logEvent } from "../lib/log.ts";
import { problem } from "./http.ts";
import type { Identifier, Identity } from "./identify.ts";
import type { Principal } from "./tokens.ts";

export type AdminEnv = { Variables: { principal: Principal } };

const READ_METHODS = new Set(["GET", "HEAD"]);

/**
 * The key under which the dashboard hands the signed-in principal to the API it calls
 * in-process. A symbol: no Worker binding and nothing a client sends can carry it.
 */
const INTERNAL_PRINCIPAL = Symbol("cutover principal");

/** The env of an in-process API call made for `principal`: the same handlers, checks and audit as any call. */
export function internalEnv(principal: Principal): Record<symbol, Principal> {
  return { [INTERNAL_PRINCIPAL]: principal };
}

/**
 * `Authorization: Bearer <token>`: 401 without a known token, 403 when a viewer tries to
 * write, 429 while this isolate refuses to look up more unknown tokens (admin/identify.ts).
 * Operators may do everything. A store failure while checking a token gets a generic 503
 * with a request id: whoever sent the token may be anyone, and the details (which name the
 * table and the Worker's AWS identity) go to the log only.
 */
export function requireToken(identifier: Identifier): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    // The dashboard calls the API in-process for a signed-in user (see `internalEnv`).
    const internal = (c.env as Record<symbol, Principal | undefined> | undefined)?.[INTERNAL_PRINCIPAL];
    let principal = internal;
    if (principal === undefined) {
      const token = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
      let identity: Identity | undefined;
      if (token !== undefined) {
        try {
          identity = await identifier.identify(token);
        } catch (error) {
          const requestId = requestIdOf(c);
          logEvent("error", "token_check_failed", { requestId, error });
          return problem(c, 503, "unavailable", `cutover could not check this token just now; try again shortly (request id ${requestId}).`, { requestId });
        }
      }
      if (identity !== undefined && "limited" in identity) {
        c.header("retry-after", String(identity.retryAfterSeconds));
        return problem(c, 429, "too_many_unknown_tokens", "Too many unknown tokens were tried here in the last minute: try again shortly.");
      }
      principal = identity !== undefined && "principal" in identity ? identity.principal : undefined;
      if (principal === undefined) {
        c.header("www-authenticate", 'Bearer realm="cutover"');
        return problem(
          c,
          401,
          "unauthorized",
          token === undefined
            ? "Send an admin token: Authorization: Bearer <token> (the CLI reads CUTOVER_TOKEN or --token)."
            : "This token is not known: it may be mistyped, expired or revoked. Tokens come from `cutover token create` (an operator makes them, stored in DynamoDB) or, to bootstrap, the CUTOVER_ADMIN_TOKENS Worker secret (`cutover token hash`).",
        );
      }
    }
    if (principal.role !== "operator" && !READ_METHODS.has(c.req.method)) {
      return problem(c, 403, "forbidden", `'${principal.name}' is a ${principal.role}; this change needs an operator token.`);
    }
    c.set("principal", principal);
    await next();
  };
}

/** The id a request's log lines carry: Cloudflare's ray id, else a fresh one. */
export function requestIdOf(c: Context): string {
  return c.req.header("cf-ray") ?? crypto.randomUUID();
}

/** 403 unless the caller is an operator (for reads that only operators may make). */
export const requireOperator: MiddlewareHandler<AdminEnv> = async (c, next) => {
  const principal = c.get("principal");
  if (principal.role !== "operator") return problem(c, 403, "forbidden", `'${principal.name}' is a ${principal.role}; this needs an operator token.`);
  await next();
};
