import type { Route } from "../routes/schema.ts";

/** A route's stages, from not started to done: the order a burndown stacks them in. */
export const ROUTE_STAGES = ["legacy", "dual-write", "shadow", "split", "read-through", "new"] as const;

/** Where a route is in its migration, as far as the table says. */
export interface RouteStage {
  /**
   * `legacy`: every request on the default backend; `dual-write`: so, its writes copied to a
   * new backend; `shadow`: so, with copies of its reads to another; `split`: some on new
   * backends; `read-through`: all on a new backend, its 404s answered by the default (the
   * backfill is not done); `new`: none on the default.
   */
  readonly stage: (typeof ROUTE_STAGES)[number];
  /** Percent of its requests on backends other than the default (0–100). */
  readonly percent: number;
  /** `legacy`, `dual-write → accounts`, `shadow → accounts`, `split 10 % → accounts`, `read-through (accounts)`, `new (accounts)`; `, writes copied to accounts` while dual writes run beside a shadow or split. */
  readonly label: string;
}

/** A route's stage from its `to`, `shadow`, `dualWrite` and `fallback` (a rollout's step shows there too: it writes them). */
export function routeStage(route: Pick<Route, "to" | "shadow" | "dualWrite" | "fallback">, defaultBackend: string): RouteStage {
  const weights: Record<string, number> = typeof route.to === "string" ? { [route.to]: 100 } : { ...route.to };
  const others = Object.entries(weights).filter(([backend, weight]) => backend !== defaultBackend && weight > 0);
  const percent = Math.round(others.reduce((sum, [, weight]) => sum + weight, 0) * 100) / 100;
  const names = others.map(([backend]) => backend).join(", ");
  const copied = route.dualWrite === undefined ? "" : `, writes copied to ${route.dualWrite.to}`;
  if (percent >= 100) return readsThrough(route, defaultBackend) ? { stage: "read-through", percent: 100, label: `read-through (${names})` } : { stage: "new", percent: 100, label: `new (${names})` };
  if (percent > 0) return { stage: "split", percent, label: `split ${percent} % → ${names}${copied}` };
  if (route.shadow !== undefined) return { stage: "shadow", percent: 0, label: `shadow → ${route.shadow.to}${copied}` };
  if (route.dualWrite !== undefined) return { stage: "dual-write", percent: 0, label: `dual-write → ${route.dualWrite.to}` };
  return { stage: "legacy", percent: 0, label: "legacy" };
}

/** Whether a 404 falls back to the default backend: the records a backfill has not copied yet. */
function readsThrough(route: Pick<Route, "fallback">, defaultBackend: string): boolean {
  // A fallback named alone, or without `on`, takes errors and timeouts only (routes/compile.ts).
  const fallback = route.fallback;
  return typeof fallback === "object" && fallback.to === defaultBackend && fallback.on?.includes("404") === true;
}
