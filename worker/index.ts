import type { Hono } from "hono";
import { createAdminApp, isAdminHost } from "../admin/app.ts";
import { parseAccessConfig } from "../admin/access-jwt.ts";
import { sendWebhook, type WebhookSettings } from "../admin/notify.ts";
import { tickAll, type ControllerDeps } from "../control/rollouts.ts";
import type { AdminEnv } from "../admin/auth.ts";
import { createConfigCache, propagationBound, type ConfigCache } from "../config/config-cache.ts";
import { logEvent } from "../lib/log.ts";
import { compileBackend } from "../routes/compile.ts";
import { MIN_OVERRIDE_SECRET_BYTES } from "../routes/override-token.ts";
import { legacyOnlyHeaders } from "../routes/plan.ts";
import { createDynamoApi } from "../store/dynamo-api.ts";
import { createDynamoStore } from "../store/dynamo-store.ts";
import { createCacheApiEdgeCache } from "./cache-api-edge-cache.ts";
import type { RouteTableSource, RouteTableStore } from "../store/route-store.ts";
import { createShadowStore, type ShadowStore } from "../store/shadow-store.ts";
import { createStaticSource } from "../store/static-source.ts";
import { createMetricsStore, type MetricsStore } from "../store/metrics-store.ts";
import { createRolloutStore, type RolloutStore } from "../store/rollout-store.ts";
import { createTokenStore, type TokenStore } from "../store/token-store.ts";
import { createLegacySurfaceStore, type LegacySurfaceStore } from "../store/legacy-surface-store.ts";
import { createDualWriteExampleStore, type DualWriteExampleStore } from "../store/dual-write-example-store.ts";
import { createDualWriteExampleRecorder } from "./dual-write-example-recorder.ts";
import { createSettingsStore, type SettingsStore } from "../store/settings-store.ts";
import { warmTick } from "../control/decommission.ts";
import { errorPage } from "./error-page.ts";
import { proxy } from "./proxy.ts";
import type { ProxyOptions } from "./request-context.ts";
import { createShadowRecorder, DEFAULT_SHADOW_BUDGET_BYTES, type ShadowRecorder } from "./shadow-recorder.ts";
import { createTrafficRecorder, type TrafficRecorder } from "./traffic-recorder.ts";
import { createEdgeIdentity } from "./edge-identity.ts";

const CONTROL_PREFIX = "/_cutover/";

/** Per-isolate state, rebuilt when the Worker's configuration changes. */
interface IsolateState {
  readonly env: Env;
  readonly config: ConfigCache;
  readonly admin: Hono<AdminEnv>;
  /** CUTOVER_ADMIN_HOSTS: where the dashboard lives, and nothing else is served. */
  readonly adminHosts: ReadonlySet<string>;
  readonly options: ProxyOptions;
  /** The rollout controller's stores and settings, given a waitUntil for its webhooks; undefined with a static table. */
  readonly controller: ((waitUntil: (promise: Promise<unknown>) => void) => ControllerDeps) | undefined;
  /** During a switch-off's grace period, calls legacy now and then (control/decommission.ts). */
  readonly keepWarm: (() => Promise<unknown>) | undefined;
  /** CUTOVER_BYPASS on (and a legacy URL to go to): every request straight to legacy, nothing else. */
  readonly bypass: ProxyOptions | undefined;
}

let state: IsolateState | undefined;

function stateFor(env: Env): IsolateState {
  if (state?.env === env) return state;
  const { source, serving, edgeCacheSeconds, store, shadowStore, shadowRecorder, tokenStore, metricsStore, trafficRecorder, rolloutStore, legacySurfaces, dualWriteExamples, settings, kind } = stores(env);
  const ttlMs = positive(env.CUTOVER_CONFIG_TTL_MS, 2000);
  const readTimeoutMs = positive(env.CUTOVER_STORE_TIMEOUT_MS, 1000);
  // The colo's cache adds up to twice its lifetime (an entry served while one isolate refreshes it).
  const propagationMs = nonNegative(env.CUTOVER_PROPAGATION_MS, propagationBound(ttlMs, readTimeoutMs) + 2 * edgeCacheSeconds * 1000);
  const config = createConfigCache({
    // Through the data centre's cache (one DynamoDB read per colo and second); the admin API reads the store itself.
    source: serving,
    ttlMs,
    readTimeoutMs,
    now: Date.now,
    onError: (error) => logEvent("error", "config_load_failed", { source: kind, error }),
    onRestore: (from, to) => logEvent("warn", "active_version_went_backwards", { from, to, message: "the store's active version is older than the one served: following it (a restore?)" }),
  });
  const secret = overrideSecret(env.CUTOVER_OVERRIDE_SECRET);
  const overrideMaxSeconds = positive(env.CUTOVER_OVERRIDE_MAX_SECONDS, 86_400);
  const acceptV1Overrides = env.CUTOVER_OVERRIDE_ACCEPT_V1 === "on";
  const webhooks: WebhookSettings = { secret: longEnough(env.CUTOVER_WEBHOOK_SECRET ?? "") ? env.CUTOVER_WEBHOOK_SECRET : undefined, allowPrivate: env.CUTOVER_WEBHOOK_ALLOW_PRIVATE === "on" };
  const controller =
    store && metricsStore && shadowStore && rolloutStore
      ? (waitUntil: (promise: Promise<unknown>) => void): ControllerDeps => ({
          store,
          rollouts: rolloutStore,
          metrics: metricsStore,
          shadow: shadowStore,
          now: Date.now,
          // A step's window opens once counts from before it are flushed: one flush interval and a margin.
          settleMs: nonNegative(env.CUTOVER_METRICS_FLUSH_MS, 20_000) + 1000,
          propagationMs,
          notify: (url, message) => waitUntil(sendWebhook(url, message, webhooks)),
          accept: (published) => config.accept(published),
        })
      : undefined;
  const adminHosts = parseAdminHosts(env.CUTOVER_ADMIN_HOSTS);
  const access = parseAccessConfig(env.CUTOVER_ACCESS_TEAM_DOMAIN, env.CUTOVER_ACCESS_AUD, env.CUTOVER_ACCESS_ROLES);
  if (access instanceof Error) logEvent("error", "access_misconfigured", { message: access.message });
  const admin = createAdminApp({
    controller,
    dashboard: {
      // A secret of its own, never derived from another (CUTOVER_ADMIN_TOKENS holds only hashes, and is read as such): without it, no sign-in.
      secret: longEnough(env.CUTOVER_SESSION_SECRET ?? "") ? env.CUTOVER_SESSION_SECRET : undefined,
      access: access instanceof Error ? undefined : access,
    },
    store,
    source,
    shadowStore,
    tokenStore,
    legacySurfaces,
    dualWriteExamples,
    settings,
    metricsStore,
    isolateHealth: () => ({ accounting: trafficRecorder?.health() ?? null, shadow: shadowRecorder?.health() ?? null }),
    cache: config,
    tokensSecret: env.CUTOVER_ADMIN_TOKENS,
    overrideSecret: secret,
    overrideMaxSeconds,
    sourceKind: kind,
    propagationMs,
    adminHosts,
    webhooks,
    problems: settingsProblems(env),
    notes: settingsNotes(env, adminHosts),
    now: Date.now,
  });
  const options: ProxyOptions = {
    responseHeaders: env.CUTOVER_RESPONSE_HEADERS === "on",
    overrideSecret: secret,
    overridePolicy: () => ({ maxSeconds: overrideMaxSeconds, acceptV1: acceptV1Overrides, revoked: config.revokedOverrides() }),
    legacy: legacyBackend(env.CUTOVER_LEGACY_URL),
    now: Date.now,
    random: Math.random,
    shadowRecorder,
    trafficRecorder,
    dualWriteExamples: dualWriteExamples && createDualWriteExampleRecorder({ store: dualWriteExamples, now: Date.now, onError: (error) => logEvent("warn", "dual_write_example_failed", { error }) }),
    analytics: env.CUTOVER_ANALYTICS,
    awsCredentials:
      env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
        ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN || undefined }
        : undefined,
    identity: createEdgeIdentity({
      railsSecretKeyBase: env.CUTOVER_RAILS_SECRET_KEY_BASE || undefined,
      // A short HMAC key can be guessed, and a guessed key forges any user: none is used then.
      identitySecret: longEnough(env.CUTOVER_IDENTITY_SECRET ?? "") ? env.CUTOVER_IDENTITY_SECRET : undefined,
    }),
  };
  const keepWarm = store && settings ? () => warmTick({ store, settings, now: Date.now, propagationMs, fetch: (input, init) => fetch(input, init) }) : undefined;
  // Nothing that reads or writes the store, nothing copied: legacy's answer, as if cutover were not there.
  const bypass = env.CUTOVER_BYPASS === "on" && options.legacy ? { ...options, trafficRecorder: undefined, shadowRecorder: undefined, dualWriteExamples: undefined, analytics: undefined } : undefined;
  if (bypass) logEvent("warn", "bypass_on", { message: "CUTOVER_BYPASS is on: every request goes to CUTOVER_LEGACY_URL; the route table is not read" });
  state = { env, config, admin, adminHosts, options, controller, keepWarm, bypass };
  return state;
}

/**
 * DynamoDB when CUTOVER_DYNAMODB_TABLE is set (versions, audit, shadow reports), else the
 * static CUTOVER_ROUTES variable (read-only, and no shadowing: there is nowhere to report to).
 */
function stores(env: Env): {
  source: RouteTableSource;
  /** What the config cache reads: the source, through the colo's edge cache when there is one. */
  serving: RouteTableSource;
  edgeCacheSeconds: number;
  store: RouteTableStore | undefined;
  shadowStore: ShadowStore | undefined;
  shadowRecorder: ShadowRecorder | undefined;
  tokenStore: TokenStore | undefined;
  metricsStore: MetricsStore | undefined;
  trafficRecorder: TrafficRecorder | undefined;
  rolloutStore: RolloutStore | undefined;
  legacySurfaces: LegacySurfaceStore | undefined;
  dualWriteExamples: DualWriteExampleStore | undefined;
  settings: SettingsStore | undefined;
  kind: string;
} {
  if (env.CUTOVER_DYNAMODB_TABLE) {
    const client = createDynamoApi({
      region: env.CUTOVER_AWS_REGION || "us-east-1",
      endpoint: env.CUTOVER_DYNAMODB_ENDPOINT || undefined,
      // The table's own credentials when set (a dev stack's local DynamoDB); else the Worker's.
      accessKeyId: env.CUTOVER_DYNAMODB_ACCESS_KEY_ID || env.AWS_ACCESS_KEY_ID || "",
      secretAccessKey: env.CUTOVER_DYNAMODB_SECRET_ACCESS_KEY || env.AWS_SECRET_ACCESS_KEY || "",
      sessionToken: env.CUTOVER_DYNAMODB_ACCESS_KEY_ID ? undefined : env.AWS_SESSION_TOKEN || undefined,
    });
    const tableName = env.CUTOVER_DYNAMODB_TABLE;
    const store = createDynamoStore({ client, tableName });
    const shadowStore = createShadowStore({ client, tableName });
    const shadowRecorder = createShadowRecorder({
      store: shadowStore,
      maxAgeMs: nonNegative(env.CUTOVER_SHADOW_FLUSH_MS, 60_000),
      maxRecords: positive(env.CUTOVER_FLUSH_MAX_COUNTS, 10_000),
      maxBytes: positive(env.CUTOVER_SHADOW_BUDGET_BYTES, DEFAULT_SHADOW_BUDGET_BYTES),
      now: Date.now,
      onError: (error) => logEvent("warn", "shadow_flush_failed", { error }),
    });
    const metricsStore = createMetricsStore({ client, tableName, retentionDays: positive(env.CUTOVER_METRICS_RETENTION_DAYS, 14) });
    const trafficRecorder =
      env.CUTOVER_METRICS === "off"
        ? undefined
        : createTrafficRecorder({
            store: metricsStore,
            flushMs: nonNegative(env.CUTOVER_METRICS_FLUSH_MS, 20_000),
            maxRecords: positive(env.CUTOVER_FLUSH_MAX_COUNTS, 10_000),
            inventory: env.CUTOVER_INVENTORY !== "off",
            now: Date.now,
            onError: (error) => logEvent("warn", "metrics_flush_failed", { error }),
          });
    const rolloutStore = createRolloutStore({ client, tableName });
    // The Workers Cache API, shared by the isolates of a data centre (off: every isolate reads DynamoDB).
    const edgeCacheSeconds = env.CUTOVER_EDGE_CACHE === "off" ? 0 : positive(env.CUTOVER_EDGE_CACHE_SECONDS, 1);
    const serving =
      edgeCacheSeconds > 0 && typeof caches !== "undefined" ? createDynamoStore({ client, tableName, edgeCache: { cache: createCacheApiEdgeCache(caches.default), activeSeconds: edgeCacheSeconds } }) : store;
    return { source: store, serving, edgeCacheSeconds: serving === store ? 0 : edgeCacheSeconds, store, shadowStore, shadowRecorder, tokenStore: createTokenStore({ client, tableName }), metricsStore, trafficRecorder, rolloutStore, legacySurfaces: createLegacySurfaceStore({ client, tableName }), dualWriteExamples: createDualWriteExampleStore({ client, tableName }), settings: createSettingsStore({ client, tableName }), kind: "dynamodb" };
  }
  const routes: unknown = env.CUTOVER_ROUTES;
  return {
    source: createStaticSource(routes),
    serving: createStaticSource(routes),
    edgeCacheSeconds: 0,
    store: undefined,
    shadowStore: undefined,
    shadowRecorder: undefined,
    tokenStore: undefined,
    metricsStore: undefined,
    trafficRecorder: undefined,
    rolloutStore: undefined,
    legacySurfaces: undefined,
    dualWriteExamples: undefined,
    settings: undefined,
    kind: "static",
  };
}

/**
 * Settings a deployment is missing or got wrong, each with what to do: shown by
 * `/_cutover/health` (names of settings only, never values) and `cutover doctor`.
 */
function settingsProblems(env: Env): string[] {
  const problems: string[] = [];
  if (!env.CUTOVER_DYNAMODB_TABLE && !env.CUTOVER_ROUTES) {
    problems.push("No route table: set CUTOVER_DYNAMODB_TABLE (create the table with `cutover init`) or CUTOVER_ROUTES (a static table).");
  }
  if (env.CUTOVER_DYNAMODB_TABLE && !((env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) || env.CUTOVER_DYNAMODB_ACCESS_KEY_ID)) {
    problems.push("CUTOVER_DYNAMODB_TABLE is set, but the secrets AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not (npx wrangler secret put AWS_ACCESS_KEY_ID).");
  }
  if (!env.CUTOVER_LEGACY_URL) {
    problems.push("CUTOVER_LEGACY_URL is empty: while no route table can be loaded, requests get a 503 instead of reaching the legacy app.");
    if (env.CUTOVER_BYPASS === "on") problems.push("CUTOVER_BYPASS is on, but without CUTOVER_LEGACY_URL there is nowhere to pass requests to: the route table still decides.");
  }
  if (!env.CUTOVER_ADMIN_TOKENS) {
    problems.push("CUTOVER_ADMIN_TOKENS is empty: nobody can use the admin API yet (make a bootstrap token with `cutover token hash`).");
  }
  if (env.CUTOVER_OVERRIDE_SECRET && !longEnough(env.CUTOVER_OVERRIDE_SECRET)) {
    problems.push(`CUTOVER_OVERRIDE_SECRET is shorter than ${MIN_OVERRIDE_SECRET_BYTES} bytes: tester overrides are off (openssl rand -hex 32).`);
  }
  if (env.CUTOVER_ADMIN_HOSTS && !longEnough(env.CUTOVER_SESSION_SECRET ?? "")) {
    problems.push(`CUTOVER_ADMIN_HOSTS is set, but CUTOVER_SESSION_SECRET is missing or shorter than ${MIN_OVERRIDE_SECRET_BYTES} bytes: nobody can sign in to the dashboard (openssl rand -hex 32 | npx wrangler secret put CUTOVER_SESSION_SECRET).`);
  }
  if (env.CUTOVER_IDENTITY_SECRET && !longEnough(env.CUTOVER_IDENTITY_SECRET)) {
    problems.push(`CUTOVER_IDENTITY_SECRET is shorter than ${MIN_OVERRIDE_SECRET_BYTES} bytes: no backend gets X-Cutover-Identity (openssl rand -hex 32, shared with the backends that verify it).`);
  }
  if (env.CUTOVER_WEBHOOK_SECRET && !longEnough(env.CUTOVER_WEBHOOK_SECRET)) {
    problems.push(`CUTOVER_WEBHOOK_SECRET is shorter than ${MIN_OVERRIDE_SECRET_BYTES} bytes: rollout webhooks are not sent (openssl rand -hex 32).`);
  }
  return problems;
}

/** What is off by choice, and how to turn it on: not a failure (`cutover doctor` shows it and exits 0 for it). */
function settingsNotes(env: Env, adminHosts: ReadonlySet<string>): string[] {
  const notes: string[] = [];
  if (adminHosts.size === 0) {
    notes.push(
      "The dashboard is off: give it a host name of its own, never the site's (CUTOVER_ADMIN_HOSTS = \"cutover-admin.example.com\", a route or custom domain of this Worker, behind Cloudflare Access), and set CUTOVER_SESSION_SECRET (docs/deploy.md).",
    );
  }
  if (env.CUTOVER_BYPASS === "on" && env.CUTOVER_LEGACY_URL) {
    notes.push("CUTOVER_BYPASS is on: every request goes straight to CUTOVER_LEGACY_URL — no route table, no splits, shadows, dual writes or accounting. `npx wrangler secret delete CUTOVER_BYPASS --env <name>` puts cutover back in the path.");
  }
  if (env.CUTOVER_WEBHOOK_ALLOW_PRIVATE === "on") {
    notes.push("CUTOVER_WEBHOOK_ALLOW_PRIVATE is on: rollout webhooks may post over http and to private and loopback addresses. Meant for a local stack; leave it off in a deployment.");
  }
  return notes;
}

/** `CUTOVER_ADMIN_HOSTS`: host names separated by commas or spaces, lower case, without port. */
function parseAdminHosts(value: string | undefined): ReadonlySet<string> {
  return new Set(
    (value ?? "")
      .split(/[\s,]+/)
      .map((host) => host.trim().toLowerCase())
      .filter((host) => host !== ""),
  );
}

/** The override secret, when it is long enough to be one: a short HMAC key can be guessed. */
function overrideSecret(secret: string | undefined): string | undefined {
  if (!secret) return undefined;
  if (longEnough(secret)) return secret;
  logEvent("error", "override_secret_too_short", { message: `CUTOVER_OVERRIDE_SECRET has fewer than ${MIN_OVERRIDE_SECRET_BYTES} bytes: tester overrides are off until it is replaced (openssl rand -hex 32)` });
  return undefined;
}

function longEnough(secret: string): boolean {
  return new TextEncoder().encode(secret).byteLength >= MIN_OVERRIDE_SECRET_BYTES;
}

/** The emergency bypass: the request to legacy with no table (worker/proxy.ts's legacy-only plan), a clear 502 on any failure. */
async function passThrough(request: Request, url: URL, options: ProxyOptions, ctx: ExecutionContext): Promise<Response> {
  try {
    return await proxy(request, url, undefined, options, (promise) => ctx.waitUntil(promise));
  } catch (error) {
    logEvent("error", "proxy_failed", { method: request.method, path: url.pathname, bypass: true, error });
    return errorPage({ status: 502, code: "internal_error", title: "502 Bad Gateway", detail: "cutover could not handle this request; the error is logged.", backend: "legacy", route: "", requestId: request.headers.get("cf-ray") ?? "" }, request.headers.get("accept"));
  }
}

function legacyBackend(url: string | undefined): ProxyOptions["legacy"] {
  if (!url) return undefined;
  const backend = compileBackend("legacy", { url });
  return { backend, headers: legacyOnlyHeaders(backend) };
}

function nonNegative(value: string | undefined, fallback: number): number {
  const number = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(number) && number >= 0 ? number : fallback;
}

function positive(value: string | undefined, fallback: number): number {
  const number = Number(value);
  return Number.isFinite(number) && number > 0 ? number : fallback;
}

export default {
  async fetch(request, env, ctx) {
    const { config, admin, adminHosts, options, bypass } = stateFor(env);
    const url = new URL(request.url);
    if (bypass && !url.pathname.startsWith(CONTROL_PREFIX) && !isAdminHost(adminHosts, url)) return passThrough(request, url, bypass, ctx);
    if (url.pathname.startsWith(CONTROL_PREFIX)) {
      if (url.pathname === "/_cutover/health") await config.snapshot((promise) => ctx.waitUntil(promise));
      return admin.fetch(request, env, ctx);
    }
    // The admin host serves cutover alone: a page of the site there would share the dashboard's origin.
    if (isAdminHost(adminHosts, url)) {
      return url.pathname === "/" ? Response.redirect(new URL("/_cutover/", url).toString(), 303) : new Response("Not found: this host serves the cutover dashboard under /_cutover/ only.\n", { status: 404, headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" } });
    }
    const waitUntil = (promise: Promise<unknown>) => ctx.waitUntil(promise);
    try {
      const table = config.current(waitUntil) ?? (await config.snapshot(waitUntil));
      return await proxy(request, url, table, options, waitUntil);
    } catch (error) {
      // Every step handles its own failures; this is the last line (DESIGN step 7): a clear
      // 502, never the platform's error 1101.
      logEvent("error", "proxy_failed", { method: request.method, path: url.pathname, error });
      return errorPage(
        { status: 502, code: "internal_error", title: "502 Bad Gateway", detail: "cutover could not handle this request; the error is logged.", backend: "", route: "", requestId: request.headers.get("cf-ray") ?? "" },
        request.headers.get("accept"),
      );
    }
  },

  /** The Cron Trigger (`[triggers] crons` in wrangler.toml): one rollout controller tick. */
  async scheduled(_controller, env, ctx) {
    const { controller, keepWarm } = stateFor(env);
    if (keepWarm) ctx.waitUntil(keepWarm());
    if (!controller) return;
    const results = await tickAll(controller((promise) => ctx.waitUntil(promise)));
    for (const result of results) if (result.decision !== "wait" && result.decision !== "settling") logEvent("info", "rollout_tick", { ...result });
  },
} satisfies ExportedHandler<Env>;
