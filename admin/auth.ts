import type { MiddlewareHandler } from "hono";
import { problem } from "./http.ts";
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
 * write. Operators may do everything. `identify` knows the bootstrap tokens (the
 * CUTOVER_ADMIN_TOKENS secret) and the tokens stored in DynamoDB.
 */
export function requireToken(identify: (token: string) => Promise<Principal | undefined>): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    // The dashboard calls the API in-process for a signed-in user (see `internalEnv`).
    const internal = (c.env as Record<symbol, Principal | undefined> | undefined)?.[INTERNAL_PRINCIPAL];
    const header = c.req.header("authorization") ?? "";
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const principal = internal ?? (token === undefined ? undefined : await identify(token));
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
    if (principal.role !== "operator" && !READ_METHODS.has(c.req.method)) {
      return problem(c, 403, "forbidden", `'${principal.name}' is a ${principal.role}; this change needs an operator token.`);
    }
    c.set("principal", principal);
    await next();
  };
}

/** 403 unless the caller is an operator (for reads that only operators may make). */
export const requireOperator: MiddlewareHandler<AdminEnv> = async (c, next) => {
  const principal = c.get("principal");
  if (principal.role !== "operator") return problem(c, 403, "forbidden", `'${principal.name}' is a ${principal.role}; this needs an operator token.`);
  await next();
};
