import { createConfigCache, type ConfigCache } from "../config/config-cache.ts";
import { createStaticSource } from "../config/static-source.ts";
import { normalizePath } from "../routes/normalize-path.ts";
import { logEvent } from "./log.ts";
import { proxy, type ProxyOptions } from "./proxy.ts";

const CONTROL_PREFIX = "/_cutover/";

/** Per-isolate state, rebuilt when the Worker's configuration changes. */
interface IsolateState {
  readonly env: Env;
  readonly config: ConfigCache;
  readonly options: ProxyOptions;
}

let state: IsolateState | undefined;

function stateFor(env: Env): IsolateState {
  if (state?.env === env) return state;
  const routes: unknown = env.CUTOVER_ROUTES;
  const config = createConfigCache({
    source: createStaticSource(routes),
    ttlMs: Number(env.CUTOVER_CONFIG_TTL_MS) || 2000,
    now: Date.now,
    onError: (error) => logEvent("error", "config_load_failed", { error }),
  });
  const options: ProxyOptions = {
    responseHeaders: env.CUTOVER_RESPONSE_HEADERS !== "off",
    overrideSecret: env.CUTOVER_OVERRIDE_SECRET || undefined,
    legacyUrl: env.CUTOVER_LEGACY_URL || undefined,
    now: Date.now,
    random: Math.random,
  };
  state = { env, config, options };
  return state;
}

export default {
  async fetch(request, env, ctx) {
    const { config, options } = stateFor(env);
    const url = new URL(request.url);
    const path = normalizePath(url.pathname);
    const snapshot = await config.snapshot((promise) => ctx.waitUntil(promise));
    if (path.startsWith(CONTROL_PREFIX)) return controlPlane(path, config);
    return proxy(request, url, path, snapshot, options);
  },
} satisfies ExportedHandler<Env>;

function controlPlane(path: string, config: ConfigCache): Response {
  if (path === "/_cutover/health") {
    const health = config.health();
    return Response.json(health, { status: health.status === "unavailable" ? 503 : 200, headers: { "cache-control": "no-store" } });
  }
  return Response.json({ error: "not_found", message: `No control-plane endpoint at ${path}` }, { status: 404 });
}
