import type { ConfigCache } from "../config/config-cache.ts";
import type { AccessConfig } from "./access-jwt.ts";
import type { WebhookSettings } from "./notify.ts";
import type { ControllerDeps } from "../control/rollouts.ts";
import type { RouteTableSource, RouteTableStore } from "../store/route-store.ts";
import type { MetricsStore } from "../store/metrics-store.ts";
import type { ShadowStore } from "../store/shadow-store.ts";
import type { TokenStore } from "../store/token-store.ts";
import type { LegacySurfaceStore } from "../store/legacy-surface-store.ts";
import type { DualWriteExampleStore } from "../store/dual-write-example-store.ts";
import type { SettingsStore } from "../store/settings-store.ts";

/** What the admin API works with; injected, so that tests and the Worker build it the same way. */
export interface AdminDeps {
  /** The versioned store, or undefined when the table is static (CUTOVER_ROUTES): read-only. */
  readonly store: RouteTableStore | undefined;
  readonly source: RouteTableSource;
  readonly cache: ConfigCache;
  /** Shadow comparison counters; undefined with a static table. */
  readonly shadowStore: ShadowStore | undefined;
  /** The `CUTOVER_ADMIN_TOKENS` secret: the bootstrap tokens. */
  readonly tokensSecret: string | undefined;
  /** Traffic counters; undefined with a static table. */
  readonly metricsStore: MetricsStore | undefined;
  /** What this isolate's accounting and shadow recorders hold and lost (for health). */
  readonly isolateHealth: () => Record<string, unknown>;
  /** Tokens operators create through the API; undefined with a static table. */
  readonly tokenStore: TokenStore | undefined;
  /** Imports of the legacy app's route list (cutover legacy import); undefined with a static table. */
  readonly legacySurfaces?: LegacySurfaceStore | undefined;
  /** Examples of dual-write copies that failed or disagreed with legacy; undefined with a static table. */
  readonly dualWriteExamples?: DualWriteExampleStore | undefined;
  /** Prices and legacy's switch-off (store/settings-store.ts); undefined with a static table. */
  readonly settings?: SettingsStore | undefined;
  /** The key tester overrides are signed with (32 bytes or more), or undefined: overrides off. */
  readonly overrideSecret: string | undefined;
  /** The longest an override minted through the API may last (seconds). */
  readonly overrideMaxSeconds: number;
  readonly now: () => number;
  /** Where the table comes from, for health: "dynamodb" or "static". */
  readonly sourceKind: string;
  /**
   * The propagation bound (ms): how long until every isolate has read a change. A change
   * takes effect that long after it is written, everywhere at once.
   */
  readonly propagationMs: number;
  /** The rollout controller's dependencies, given the request's waitUntil; undefined with a static table. */
  readonly controller?: ((waitUntil: (promise: Promise<unknown>) => void) => ControllerDeps) | undefined;
  /**
   * The host names the dashboard, its sign-in and its session cookie live on
   * (CUTOVER_ADMIN_HOSTS, lower case). On every other host only health and the bearer-token
   * API answer under /_cutover/. Empty: the dashboard is off.
   */
  readonly adminHosts: ReadonlySet<string>;
  /** How rollout webhooks are signed and where they may go. */
  readonly webhooks: WebhookSettings;
  /** The dashboard's session key (CUTOVER_SESSION_SECRET, 32 bytes or more; never derived) and the optional Cloudflare Access check. */
  readonly dashboard?: { readonly secret: string | undefined; readonly access: AccessConfig | undefined };
  /** Settings the deployment is missing or got wrong (for health and `cutover doctor`, which exits 1). */
  readonly problems: readonly string[];
  /** What is off by choice and how to turn it on (shown by health and `cutover doctor`, not a failure). */
  readonly notes?: readonly string[];
}
