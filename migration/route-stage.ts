import type { Route } from "../routes/schema.ts";

/** Where a route is in its migration, as far as the table says. */
export interface RouteStage {
  /** `legacy`: every request on the default backend; `shadow`: so, with copies to another; `split`: some on new backends; `new`: none on the default. */
  readonly stage: "legacy" | "shadow" | "split" | "new";
  /** Percent of its requests on backends other than the default (0–100). */
  readonly percent: number;
  /** `legacy`, `shadow → accounts`, `split 10 % → accounts`, `new (accounts)`. */
  readonly label: string;
}

/** A route's stage from its `to` and `shadow` (a rollout's step shows there too: it writes them). */
export function routeStage(route: Pick<Route, "to" | "shadow">, defaultBackend: string): RouteStage {
  const weights: Record<string, number> = typeof route.to === "string" ? { [route.to]: 100 } : { ...route.to };
  const others = Object.entries(weights).filter(([backend, weight]) => backend !== defaultBackend && weight > 0);
  const percent = Math.round(others.reduce((sum, [, weight]) => sum + weight, 0) * 100) / 100;
  const names = others.map(([backend]) => backend).join(", ");
  if (percent >= 100) return { stage: "new", percent: 100, label: `new (${names})` };
  if (percent > 0) return { stage: "split", percent, label: `split ${percent} % → ${names}` };
  if (route.shadow !== undefined) return { stage: "shadow", percent: 0, label: `shadow → ${route.shadow.to}` };
  return { stage: "legacy", percent: 0, label: "legacy" };
}
