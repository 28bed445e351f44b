import type { Hono } from "hono";
import { createAdminApp } from "../config/admin/app.ts";
import type { AdminEnv } from "../config/admin/auth.ts";
import { createConfigCache, type ConfigCache } from "../config/config-cache.ts";
import { createDynamoClient } from "../config/dynamo-client.ts";
import { createDynamoStore } from "../config/dynamo-store.ts";
import { createStaticSource } from "../config/static-source.ts";
import type { RouteTableSource, RouteTableStore } from "../config/store.ts";
import { normalizePath } from "../routes/normalize-path.ts";
import { logEvent } from "./log.ts";
import { proxy, type ProxyOptions } from "./proxy.ts";

const CONTROL_PREFIX = "/_cutover/";

/** Per-isolate state, rebuilt when the Worker's configuration changes. */
interface IsolateState {
  readonly env: Env;
  readonly config: ConfigCache;
  readonly admin: Hono<AdminEnv>;
  readonly options: ProxyOptions;
}

let state: IsolateState | undefined;

function stateFor(env: Env): IsolateState {
  if (state?.env === env) return state;
  const { source, store, kind } = routeTableSource(env);
  const config = createConfigCache({
    source,
    ttlMs: positive(env.CUTOVER_CONFIG_TTL_MS, 2000),
    readTimeoutMs: positive(env.CUTOVER_STORE_TIMEOUT_MS, 1000),
    now: Date.now,
    onError: (error) => logEvent("error", "config_load_failed", { source: kind, error }),
  });
  const admin = createAdminApp({ store, source, cache: config, tokensSecret: env.CUTOVER_ADMIN_TOKENS, sourceKind: kind });
  const options: ProxyOptions = {
    responseHeaders: env.CUTOVER_RESPONSE_HEADERS !== "off",
    overrideSecret: env.CUTOVER_OVERRIDE_SECRET || undefined,
    legacyUrl: env.CUTOVER_LEGACY_URL || undefined,
    now: Date.now,
    random: Math.random,
  };
  state = { env, config, admin, options };
  return state;
}

/** DynamoDB when CUTOVER_DYNAMODB_TABLE is set, else the static CUTOVER_ROUTES variable. */
function routeTableSource(env: Env): { source: RouteTableSource; store: RouteTableStore | undefined; kind: string } {
  if (env.CUTOVER_DYNAMODB_TABLE) {
    const client = createDynamoClient({
      region: env.CUTOVER_AWS_REGION || "us-east-1",
      endpoint: env.CUTOVER_DYNAMODB_ENDPOINT || undefined,
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? "",
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "",
    });
    const store = createDynamoStore({ client, tableName: env.CUTOVER_DYNAMODB_TABLE });
    return { source: store, store, kind: "dynamodb" };
  }
  const routes: unknown = env.CUTOVER_ROUTES;
  return { source: createStaticSource(routes), store: undefined, kind: "static" };
}

function positive(value: string | undefined, fallback: number): number {
  const number = Number(value);
  return Number.isFinite(number) && number > 0 ? number : fallback;
}

export default {
  async fetch(request, env, ctx) {
    const { config, admin, options } = stateFor(env);
    const url = new URL(request.url);
    const path = normalizePath(url.pathname);
    if (path.startsWith(CONTROL_PREFIX)) {
      if (path === "/_cutover/health") await config.snapshot((promise) => ctx.waitUntil(promise));
      return admin.fetch(request, env, ctx);
    }
    const snapshot = await config.snapshot((promise) => ctx.waitUntil(promise));
    return proxy(request, url, path, snapshot, options);
  },
} satisfies ExportedHandler<Env>;
