import type { Route } from "../routes/schema.ts";
import { routeStage } from "./route-stage.ts";

/**
 * What still holds the legacy app up (`cutover decommission check`): the last step of the
 * story, where the old database was switched off once nothing read or wrote it. Legacy may go
 * when every endpoint it has is migrated or retired, it served nothing over the window (the
 * default route included), no fallback to it fired, no route still sends or falls back to it,
 * and no rollout is under way. Pure: the caller reads the table, the metrics, the rollouts and
 * the migration map.
 */
export interface DecommissionInput {
  /** The table's default backend: the legacy app. */
  readonly legacy: string;
  readonly routes: readonly Route[];
  /** Per route (`(default)` for unrouted traffic), requests served and fallbacks taken away, per backend, over the window. */
  readonly traffic: readonly { readonly route: string; readonly backends: Readonly<Record<string, { readonly served: number; readonly fallbacks: Readonly<Record<string, number>> }>> }[];
  readonly rollouts: readonly { readonly route: string; readonly status: string; readonly stepLabel: string }[];
  /** The migration map's endpoints; undefined when no legacy surface is imported. */
  readonly endpoints: readonly { readonly method: string; readonly pattern: string; readonly state: "covered" | "seen" | "unseen"; readonly route?: string | undefined; readonly stage?: string | undefined }[] | undefined;
  readonly windowDays: number;
}

export type HoldKind = "no-surface" | "endpoint" | "route" | "fallback" | "legacy-traffic" | "rollout";

/** One thing that holds legacy up, and what to do about it. */
export interface Hold {
  readonly kind: HoldKind;
  /** A route id, `GET /users/:id`, or `(default)`. */
  readonly subject: string;
  readonly detail: string;
}

export interface DecommissionVerdict {
  readonly ready: boolean;
  readonly holds: readonly Hold[];
  /** Endpoints with no traffic over the window: they go with legacy (retired), nothing to migrate. */
  readonly retired: readonly string[];
}

const DEFAULT_ROUTE = "(default)";
const ACTIVE_ROLLOUTS = new Set(["running", "paused"]);

export function decommissionCheck(input: DecommissionInput): DecommissionVerdict {
  const holds: Hold[] = [];
  const retired: string[] = [];
  const { legacy } = input;

  if (input.endpoints === undefined) {
    holds.push({ kind: "no-surface", subject: "legacy surface", detail: "no route list of the legacy app is imported: `cutover legacy import` what `bin/rails routes` prints, so that no endpoint is forgotten" });
  } else {
    for (const endpoint of input.endpoints) {
      const key = `${endpoint.method} ${endpoint.pattern}`;
      if (endpoint.state === "unseen") retired.push(key);
      else if (endpoint.state === "seen") holds.push({ kind: "endpoint", subject: key, detail: "unrouted: its traffic goes to legacy (route it, or retire it on purpose)" });
      else if (endpoint.stage !== "new") holds.push({ kind: "endpoint", subject: key, detail: `covered by route ${endpoint.route ?? "?"} at stage ${endpoint.stage ?? "?"}, not yet migrated` });
    }
  }

  for (const route of input.routes) {
    const stage = routeStage(route, legacy);
    // A read-through route's use of legacy is its fallback, held just below.
    if (stage.stage !== "new" && stage.stage !== "read-through") holds.push({ kind: "route", subject: route.id, detail: `at ${stage.label}: legacy still serves it` });
    const fallback = typeof route.fallback === "string" ? route.fallback : route.fallback?.to;
    if (fallback === legacy) holds.push({ kind: "route", subject: route.id, detail: `falls back to ${legacy}: remove the fallback once it no longer fires` });
    if (route.shadow?.to === legacy) holds.push({ kind: "route", subject: route.id, detail: `shadows to ${legacy}` });
  }

  for (const { route, backends } of input.traffic) {
    const served = backends[legacy]?.served ?? 0;
    if (served > 0) holds.push({ kind: "legacy-traffic", subject: route, detail: `${legacy} served ${served} request${served === 1 ? "" : "s"} in the last ${input.windowDays} days${route === DEFAULT_ROUTE ? " (no route matched them)" : ""}` });
    const fired = Object.entries(backends)
      .filter(([backend]) => backend !== legacy)
      .reduce((sum, [, point]) => sum + Object.values(point.fallbacks).reduce((a, b) => a + b, 0), 0);
    if (fired > 0 && routeFallsBackTo(input.routes, route, legacy)) holds.push({ kind: "fallback", subject: route, detail: `the fallback to ${legacy} fired ${fired} time${fired === 1 ? "" : "s"} in the last ${input.windowDays} days` });
  }

  for (const rollout of input.rollouts) {
    if (ACTIVE_ROLLOUTS.has(rollout.status)) holds.push({ kind: "rollout", subject: rollout.route, detail: `a rollout is ${rollout.status} (${rollout.stepLabel})` });
  }

  return { ready: holds.length === 0, holds, retired };
}

/** Whether the route's fallback went to legacy (fires counted on a route without one went elsewhere, or to a route since removed: counted too). */
function routeFallsBackTo(routes: readonly Route[], routeId: string, legacy: string): boolean {
  const route = routes.find((r) => r.id === routeId);
  if (route === undefined) return true;
  const fallback = typeof route.fallback === "string" ? route.fallback : route.fallback?.to;
  return fallback === undefined || fallback === legacy;
}
