import type { ErrorHandler } from "hono";
import { Hono } from "hono/tiny";
import { bodyLimit } from "hono/body-limit";
import { logEvent } from "../lib/log.ts";
import { raceTimeout, TIMED_OUT } from "../lib/timeout.ts";
import openapi from "../openapi.json" with { type: "json" };
import type { HealthAnswer } from "./contract/index.ts";
import type { AdminDeps } from "./deps.ts";
import { requestIdOf, requireToken, type AdminEnv } from "./auth.ts";
import { createIdentifier } from "./identify.ts";
import { problem } from "./http.ts";
import { registerDashboard } from "./dashboard/dashboard.ts";
import { registerCost } from "./cost-handlers.ts";
import { registerDecommission } from "./decommission-handlers.ts";
import { registerHistory } from "./history-handlers.ts";
import { registerLegacy } from "./legacy-handlers.ts";
import { registerMetrics } from "./metrics-handlers.ts";
import { registerMigration } from "./migration-handlers.ts";
import { registerPrometheus } from "./prometheus-handlers.ts";
import { registerRoutes } from "./route-handlers.ts";
import { registerRollouts } from "./rollout-handlers.ts";
import { registerShadow } from "./shadow-handlers.ts";
import { registerTokens } from "./token-handlers.ts";
import { parseTokens, type TokenRegistry } from "./tokens.ts";
import { DynamoRequestError } from "../store/dynamo-request-error.ts";
import { InvalidRouteTableError } from "../store/invalid-route-table-error.ts";
import { NoRouteTableError } from "../store/no-route-table-error.ts";

/** Longest an admin call waits for the store before it answers 503. */
const ADMIN_DEADLINE_MS = 3_000;
/** Larger than a 10 000-route table (about 2 MB of JSON). */
const MAX_TABLE_BODY = 8 * 1024 * 1024;
const MAX_SMALL_BODY = 64 * 1024;

/** The control plane under /_cutover (DESIGN.md "Control plane"). */
export function createAdminApp(deps: AdminDeps): Hono<AdminEnv> {
  let tokens: TokenRegistry | Error;
  try {
    const parsed = parseTokens(deps.tokensSecret);
    if (parsed.problems.length > 0) logEvent("error", "admin_tokens_skipped", { problems: parsed.problems });
    tokens = parsed;
  } catch (error) {
    tokens = error instanceof Error ? error : new Error(String(error));
  }

  const registry = () => (tokens instanceof Error ? undefined : tokens);
  const identifier = createIdentifier({ registry, store: deps.tokenStore, now: deps.now });

  const app = new Hono<AdminEnv>().basePath("/_cutover");

  // Every answer: no content sniffing. On the admin host: no Referer leaves it, and on https
  // the browser is told to use nothing else. Elsewhere only health and the bearer-token API
  // answer (they carry no ambient credential): anything under /_cutover/ on the site's own
  // hosts is readable by every script on the site.
  app.use("*", async (c, next) => {
    const url = new URL(c.req.url);
    const onAdminHost = isAdminHost(deps.adminHosts, url);
    if (!onAdminHost && !(c.req.path === "/_cutover/health" || c.req.path === "/_cutover/api" || c.req.path.startsWith("/_cutover/api/"))) {
      c.header("x-content-type-options", "nosniff");
      return problem(
        c,
        404,
        "not_found",
        deps.adminHosts.size === 0
          ? "The dashboard is off: set CUTOVER_ADMIN_HOSTS to a host name of its own (and CUTOVER_SESSION_SECRET); see `cutover doctor`."
          : "Nothing here: the dashboard is served on its admin host only (CUTOVER_ADMIN_HOSTS).",
      );
    }
    await next();
    c.header("x-content-type-options", "nosniff");
    if (onAdminHost) {
      c.header("referrer-policy", "no-referrer");
      if (url.protocol === "https:" && !isLocalHost(url.hostname)) c.header("strict-transport-security", "max-age=31536000");
    }
  });

  app.get("/health", async (c) => {
    // What the store says, not how long this isolate was idle: a table older than the
    // propagation bound (or none yet) is read again first, within the store timeout.
    await deps.cache.confirm();
    const health = deps.cache.health();
    const serving = health.status === "ok" || health.status === "degraded";
    const answer: HealthAnswer = { ...health, source: deps.sourceKind, propagationMs: deps.propagationMs, problems: deps.problems, notes: deps.notes ?? [], isolate: deps.isolateHealth() };
    return c.json(answer, serving ? 200 : 503, { "cache-control": "no-store" });
  });

  const api = new Hono<AdminEnv>();
  // The API's description is public: it holds no data, and scripts read it before they hold a token.
  api.get("/openapi.json", (c) => c.json(openapi));
  api.use("*", async (c, next) => {
    c.header("cache-control", "no-store");
    if (tokens instanceof Error) return problem(c, 503, "misconfigured", tokens.message);
    await next();
  });
  api.use("*", requireToken(identifier));
  api.use("*", async (c, next) => {
    // A hanging store must not hang the operator: a clear 503 within about 3 s.
    if ((await raceTimeout(next(), ADMIN_DEADLINE_MS)) === TIMED_OUT) {
      logEvent("error", "admin_timeout", { method: c.req.method, path: c.req.path });
      return problem(
        c,
        503,
        "store_timeout",
        `The route table store did not answer within ${ADMIN_DEADLINE_MS / 1000} s. A change may or may not have been applied: read the routes (or the audit log) again before retrying.`,
      );
    }
  });
  api.use("*", async (c, next) => {
    // A table, or an import of the legacy app's endpoints (a few thousand of them is a few hundred KB).
    const limit = (c.req.method === "PUT" && c.req.path.endsWith("/routes")) || (c.req.method === "POST" && c.req.path.endsWith("/legacy")) ? MAX_TABLE_BODY : MAX_SMALL_BODY;
    return bodyLimit({
      maxSize: limit,
      onError: (ctx) => problem(ctx, 413, "too_large", `The request body is larger than ${limit} bytes.`),
    })(c, next);
  });
  registerRoutes(api, deps);
  registerHistory(api, deps);
  registerShadow(api, deps);
  registerTokens(api, deps);
  registerMetrics(api, deps);
  registerPrometheus(api, deps);
  registerMigration(api, deps);
  registerRollouts(api, deps);
  registerLegacy(api, deps);
  registerDecommission(api, deps);
  registerCost(api, deps);
  app.route("/api", api);
  registerDashboard(app, api, deps, { identifier, secret: deps.dashboard?.secret, access: deps.dashboard?.access });

  app.notFound((c) => problem(c, 404, "not_found", `No control-plane endpoint ${c.req.method} ${c.req.path}.`));
  // The same answers for the API when the dashboard calls it in-process (api.request), not through `app`.
  const onError: ErrorHandler<AdminEnv> = (error, c) => {
    const requestId = requestIdOf(c);
    logEvent("error", "admin_error", { path: c.req.path, requestId, error });
    // Whoever has not shown a token learns nothing of the store (its errors name the table and the Worker's AWS identity).
    if (c.get("principal") === undefined) return problem(c, 503, "unavailable", `cutover could not answer just now; try again shortly (request id ${requestId}).`, { requestId });
    if (error instanceof NoRouteTableError) return problem(c, 404, "no_table", "No route table has been stored yet.");
    if (error instanceof InvalidRouteTableError) {
      return problem(c, 409, "invalid_stored_table", `${error.message}. Roll back to an earlier version, or store a valid table.`, { issues: error.issues });
    }
    if (error instanceof DynamoRequestError) {
      return problem(c, 503, "store_unavailable", `The route table store failed: ${error.message}`);
    }
    return problem(c, 500, "internal_error", "cutover failed to handle this request; the error is logged.");
  };
  app.onError(onError);
  api.onError(onError);
  return app;
}

/** Whether a request came to one of the admin hosts (CUTOVER_ADMIN_HOSTS), whatever its port (the URL parser lower-cases host names). */
export function isAdminHost(adminHosts: ReadonlySet<string>, url: URL): boolean {
  return adminHosts.size > 0 && adminHosts.has(url.hostname);
}

function isLocalHost(hostname: string): boolean {
  return hostname === "localhost" || hostname.endsWith(".localhost") || hostname === "127.0.0.1" || hostname === "[::1]";
}
