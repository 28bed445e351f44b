import type { Context } from "hono";
import type * as z from "zod/mini";
import { migrationProgress, type MigrationProgress } from "../../migration/progress.ts";
import type { Route } from "../../routes/schema.ts";
import type { AdminEnv } from "../auth.ts";
import {
  CostAnswer,
  DecommissionAnswer,
  DualWriteExamplesAnswer,
  LegacyBurndownAnswer,
  LegacyMapAnswer,
  RolloutDetail,
  RolloutsAnswer,
  RouteMetricsAnswer,
  RoutesAnswer,
  type DualWriteExample,
  type RolloutSummary,
} from "../contract/index.ts";
import type { Principal } from "../tokens.ts";
import type { inProcessApi } from "./in-process-api.ts";

/** A panel's data, or why the page shows "not available" in its place. */
export type Panel<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** A rollout of the migration: the latest of its route, with its step judged now when it is under way. */
export interface MigrationRollout {
  readonly summary: RolloutSummary;
  readonly detail: Panel<RolloutDetail> | undefined;
}

/** A route's data migration: what makes it one, and its progress by the hour. */
export interface RouteProgress {
  readonly route: string;
  /** `rollout step readThrough`, `dualWrite to accounts`, `falls back to legacy on 404`. */
  readonly why: string;
  readonly progress: Panel<MigrationProgress>;
  /** For a route that copies writes: the newest copies that failed or disagreed with legacy's. */
  readonly examples?: Panel<readonly DualWriteExample[]>;
}

export interface MigrationData {
  readonly burndown: Panel<LegacyBurndownAnswer>;
  readonly map: Panel<LegacyMapAnswer>;
  readonly rollouts: Panel<readonly MigrationRollout[]>;
  readonly progress: Panel<readonly RouteProgress[]>;
  readonly decommission: Panel<DecommissionAnswer>;
  readonly cost: Panel<CostAnswer>;
  /** The bound and the days the "ready to remove the fallback" verdict is judged with (as `cutover migration progress` defaults). */
  readonly fallbackBound: { readonly maxFallbackRate: number; readonly days: number };
}

type Call = ReturnType<typeof inProcessApi>["call"];
type Caller = Pick<Context<AdminEnv>, "executionCtx">;

/** At most this many rollouts are judged, and routes' progress read, per page: each is an API call. */
const MAX_DETAILS = 20;
/** Dual-write examples shown per route (the newest). */
const EXAMPLES_SHOWN = 3;
const FALLBACK_BOUND = { maxFallbackRate: 0.001, days: 3 } as const;
const UNDER_WAY = new Set(["running", "paused"]);
const PROGRESS_STEPS = new Set(["readThrough", "dualWrite"]);

/**
 * Everything the migration page shows, each part read through the admin API for the signed-in
 * user; a part whose call failed (an endpoint not deployed, a refusal, a misfit answer) is a
 * message in its place, never a failed page.
 */
export async function loadMigration(call: Call, c: Caller, principal: Principal, now: number): Promise<MigrationData> {
  const panel = async <S extends z.ZodMiniType>(path: string, schema: S): Promise<Panel<z.infer<S>>> => {
    try {
      const answer = await call(c, principal, "GET", path, schema);
      return answer.ok ? answer : { ok: false, message: answer.problem.message };
    } catch (error) {
      return { ok: false, message: error instanceof Error ? error.message : String(error) };
    }
  };
  const [burndown, map, routes, listing, decommission, cost] = await Promise.all([
    panel("/legacy/burndown?since=30d", LegacyBurndownAnswer),
    panel("/legacy/map?since=14d", LegacyMapAnswer),
    panel("/routes", RoutesAnswer),
    panel("/rollouts", RolloutsAnswer),
    panel("/decommission", DecommissionAnswer),
    panel("/cost?since=14d", CostAnswer),
  ]);
  const rollouts: Panel<MigrationRollout[]> = listing.ok ? { ok: true, value: await judged(latestPerRoute(listing.value.rollouts), (route) => panel(`/rollouts/${encodeURIComponent(route)}`, RolloutDetail)) } : listing;
  const progressOf = async (route: string, legacy: string): Promise<Panel<MigrationProgress>> => {
    const metrics = await panel(`/metrics?route=${encodeURIComponent(route)}&since=7d&step=1h`, RouteMetricsAnswer);
    return metrics.ok ? { ok: true, value: migrationProgress(metrics.value.series, { legacy, ...FALLBACK_BOUND, now }) } : metrics;
  };
  const migrating = routes.ok ? migratingRoutes(routes.value.table.routes, rollouts.ok ? rollouts.value : []) : [];
  const examplesOf = async (route: string): Promise<Panel<readonly DualWriteExample[]>> => {
    const answer = await panel(`/migration/examples?route=${encodeURIComponent(route)}&limit=${EXAMPLES_SHOWN}`, DualWriteExamplesAnswer);
    return answer.ok ? { ok: true, value: answer.value.examples } : answer;
  };
  const progress: Panel<RouteProgress[]> = routes.ok
    ? {
        ok: true,
        value: await Promise.all(
          migrating.map(async ({ route, why, copies }) => {
            const [figures, examples] = await Promise.all([progressOf(route, routes.value.table.default), copies ? examplesOf(route) : undefined]);
            return { route, why, progress: figures, ...(examples ? { examples } : {}) };
          }),
        ),
      }
    : routes;
  return { burndown, map, rollouts, progress, decommission, cost, fallbackBound: FALLBACK_BOUND };
}

/** The newest rollout of each route (the listing is newest first). */
function latestPerRoute(rollouts: readonly RolloutSummary[]): RolloutSummary[] {
  const latest = new Map<string, RolloutSummary>();
  for (const rollout of rollouts) if (!latest.has(rollout.route)) latest.set(rollout.route, rollout);
  return [...latest.values()];
}

/** Rollouts under way judged now (the first MAX_DETAILS); the others as listed. */
async function judged(rollouts: readonly RolloutSummary[], detail: (route: string) => Promise<Panel<RolloutDetail>>): Promise<MigrationRollout[]> {
  const live = rollouts.filter((rollout) => UNDER_WAY.has(rollout.status)).slice(0, MAX_DETAILS);
  const details = await Promise.all(live.map((rollout) => detail(rollout.route)));
  return rollouts.map((summary) => ({ summary, detail: details[live.indexOf(summary)] }));
}

/** The current step's type of a rollout under way, if judged. */
export function currentStepType(rollout: MigrationRollout): string | undefined {
  const detail = rollout.detail?.ok ? rollout.detail.value : undefined;
  return detail?.plan.steps[detail.step - 1]?.type;
}

/** Routes in a data migration: a rollout at a readThrough or dualWrite step, a route with dualWrite or a fallback on 404s. */
export function migratingRoutes(routes: readonly Route[], rollouts: readonly MigrationRollout[]): { route: string; why: string; copies: boolean }[] {
  const found = new Map<string, { why: string; copies: boolean }>();
  const copying = new Set(routes.filter((route) => route.dualWrite !== undefined).map((route) => route.id));
  for (const rollout of rollouts) {
    const type = currentStepType(rollout);
    if (type !== undefined && PROGRESS_STEPS.has(type)) found.set(rollout.summary.route, { why: `rollout at its ${type} step`, copies: type === "dualWrite" || copying.has(rollout.summary.route) });
  }
  for (const route of routes) {
    if (found.has(route.id)) continue;
    if (route.dualWrite !== undefined) found.set(route.id, { why: `dual writes to ${route.dualWrite.to}`, copies: true });
    else if (typeof route.fallback === "object" && route.fallback.on?.includes("404")) found.set(route.id, { why: `falls back to ${route.fallback.to} on a 404`, copies: false });
  }
  return [...found].slice(0, MAX_DETAILS).map(([route, { why, copies }]) => ({ route, why, copies }));
}
