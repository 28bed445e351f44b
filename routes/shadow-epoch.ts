import { canonicalJson } from "../lib/canonical-json.ts";
import { fnv1a } from "../lib/fnv.ts";
import type { Route, RouteTable } from "./schema.ts";

/**
 * The shadow statistics a route's comparisons add up in: one epoch per shadow target, its
 * backend definition and the route's `shadow.epoch` counter. Changing the candidate (its URL,
 * prefixes, timeouts, auth) or bumping the counter (`cutover shadow reset`, a rollout's shadow
 * step) starts the statistics over; changing what is ignored or redacted does not. Pure: the
 * Worker computes it per version, the admin API for reports, and they always agree.
 */
export function shadowEpoch(table: Pick<RouteTable, "backends">, route: Pick<Route, "shadow">): string | undefined {
  const shadow = route.shadow;
  if (shadow === undefined) return undefined;
  const identity = canonicalJson({ to: shadow.to, backend: table.backends[shadow.to] ?? null, epoch: shadow.epoch ?? 0 });
  return (fnv1a(identity) >>> 0).toString(16).padStart(8, "0");
}

/** The key a route's shadow statistics are stored under, for one epoch. */
export function shadowStatsId(routeId: string, epoch: string): string {
  return `${routeId}#${epoch}`;
}
