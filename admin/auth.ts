import type { MiddlewareHandler } from "hono";
import { problem } from "./http.ts";
import type { Principal, TokenRegistry } from "./tokens.ts";

export type AdminEnv = { Variables: { principal: Principal } };

const READ_METHODS = new Set(["GET", "HEAD"]);

/**
 * `Authorization: Bearer <token>`: 401 without a known token, 403 when a viewer tries to
 * write. Operators may do everything.
 */
export function requireToken(tokens: () => TokenRegistry): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const principal = token === undefined ? undefined : await tokens().identify(token);
    if (principal === undefined) {
      c.header("www-authenticate", 'Bearer realm="cutover"');
      return problem(c, 401, "unauthorized", token === undefined ? "Send an admin token: Authorization: Bearer <token>." : "This token is not known.");
    }
    if (principal.role !== "operator" && !READ_METHODS.has(c.req.method)) {
      return problem(c, 403, "forbidden", `'${principal.name}' is a ${principal.role}; changing routes needs an operator token.`);
    }
    c.set("principal", principal);
    await next();
  };
}
