import type { HourTraffic, RouteTraffic } from "./traffic.ts";

/** What cost needs of a metrics point (accounting/series.ts `SeriesPoint`, the admin API's answers). */
export interface MeasuredPoint {
  readonly at: string;
  readonly requests: number;
  readonly served: number;
  /** `mean` is absent from Workers before issue 25: the estimates that need it are unknown. */
  readonly latencyMs: { readonly mean?: number | null };
}

/** What cost needs of a route in the table: where it sends requests now or soon. */
export interface RouteTargets {
  readonly id: string;
  readonly to: string | Readonly<Record<string, number>>;
  readonly shadow?: { readonly to: string };
  readonly dualWrite?: { readonly to: string };
}

/** One route's window totals per backend (GET /metrics, every route) as cost's input. */
export function routeTraffic(route: string, totals: Readonly<Record<string, MeasuredPoint>>, candidates: readonly string[] = []): RouteTraffic {
  return {
    route,
    backends: Object.fromEntries(Object.entries(totals).map(([backend, point]) => [backend, { requests: point.requests, served: point.served, meanMs: point.latencyMs.mean ?? null }])),
    candidates,
  };
}

/** One route's hourly series per backend (GET /metrics?route=…&step=60m) as cost's input. */
export function hourTraffic(route: string, series: Readonly<Record<string, readonly MeasuredPoint[]>>): HourTraffic[] {
  return Object.entries(series).flatMap(([backend, points]) =>
    points.map((point) => ({ at: point.at, route, backend, requests: point.requests, served: point.served, meanMs: point.latencyMs.mean ?? null })),
  );
}

/** The backends other than legacy a route sends to, shadows to or dual-writes to: where it is moving. */
export function candidateBackends(route: RouteTargets, legacyBackend: string): string[] {
  const named = [...(typeof route.to === "string" ? [route.to] : Object.keys(route.to)), route.shadow?.to, route.dualWrite?.to];
  return [...new Set(named.filter((backend): backend is string => backend !== undefined && backend !== legacyBackend))];
}

/**
 * The window the traffic was measured over: from the later of the asked start and the first
 * hour with traffic (a deployment younger than `--since` is not diluted by time it did not
 * exist), to `until`.
 */
export function measuredWindow(since: string, until: string, hours: readonly HourTraffic[]): { from: string; until: string } {
  const first = hours.filter((cell) => cell.requests > 0).reduce<string | undefined>((min, cell) => (min === undefined || cell.at < min ? cell.at : min), undefined);
  const from = first !== undefined && Date.parse(first) > Date.parse(since) ? new Date(Date.parse(first)).toISOString() : since;
  return { from, until };
}
