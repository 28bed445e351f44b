import { estimate, SECONDS_PER_MONTH, unknown, type Estimate } from "./estimate.ts";
import { legacyShareOverTime, type SharePoint } from "./legacy-share.ts";
import { projectLegacyBill, type LegacyProjection } from "./legacy-projection.ts";
import type { Prices } from "./prices.ts";
import { legacyBill, routeCosts, type RouteCost } from "./route-costs.ts";
import { CUTOVER_BACKEND, type HourTraffic, type RouteTraffic } from "./traffic.ts";

export const ESTIMATE_NOTICE = "Estimates from measured traffic and the prices given, never a bill: check them against your own bills (docs/cost.md).";

export interface CostReportInput {
  readonly prices: Prices;
  /** The table's default backend, unless the prices name the legacy one. */
  readonly defaultBackend: string;
  /** The measured window, ISO: from (the later of --since and the first hour with traffic) to now. */
  readonly from: string;
  readonly until: string;
  readonly routes: readonly RouteTraffic[];
  readonly hours: readonly HourTraffic[];
  /** Routes counted as moving off legacy besides those with a new backend. */
  readonly alsoMoving?: readonly string[];
}

export interface CostReport {
  readonly notice: string;
  readonly currency: string;
  readonly legacyBackend: string;
  readonly from: string;
  readonly until: string;
  readonly windowSeconds: number;
  /** Month ÷ window: what a window's requests are multiplied by. */
  readonly monthFactor: number;
  readonly legacyBill: Estimate;
  readonly routes: readonly RouteCost[];
  /** The traffic measured on new backends, for a month, all routes. */
  readonly newBackendsTotal: Estimate;
  readonly legacyShare: { readonly step: "hour" | "day"; readonly points: readonly SharePoint[] };
  /** The legacy bill as measured (nothing moved), once the routes in migration move, and once everything has. */
  readonly projections: { readonly now: LegacyProjection; readonly afterMigrating: LegacyProjection; readonly allMoved: LegacyProjection };
}

/** Every figure of `cutover cost` and GET /cost, from measured traffic and prices. */
export function costReport(input: CostReportInput): CostReport {
  const legacyBackend = input.prices.legacy.backend ?? input.defaultBackend;
  const windowSeconds = Math.max(1, (Date.parse(input.until) - Date.parse(input.from)) / 1000);
  const routes = routeCosts({ prices: input.prices, legacyBackend, windowSeconds, routes: input.routes });
  // A route in migration: one the table sends to a new backend, or one with traffic on one.
  const inMigration = input.routes
    .filter((route) => (route.candidates ?? []).some((backend) => backend !== legacyBackend) || Object.entries(route.backends).some(([backend, traffic]) => backend !== legacyBackend && backend !== CUTOVER_BACKEND && traffic.requests > 0))
    .map((route) => route.route);
  const everyRoute = new Set([...input.routes.map((route) => route.route), ...input.hours.map((cell) => cell.route)]);
  return {
    notice: ESTIMATE_NOTICE,
    currency: input.prices.currency ?? "USD",
    legacyBackend,
    from: input.from,
    until: input.until,
    windowSeconds,
    monthFactor: SECONDS_PER_MONTH / windowSeconds,
    legacyBill: legacyBill(input.prices),
    routes,
    newBackendsTotal: sumOf(routes.flatMap((route) => Object.entries(route.onNew).map(([backend, figure]) => [`${route.route} on ${backend}`, figure] as const))),
    legacyShare: { step: windowSeconds > 2 * 86_400 ? "day" : "hour", points: legacyShareOverTime(input.hours, legacyBackend, windowSeconds > 2 * 86_400 ? "day" : "hour") },
    projections: {
      now: projectLegacyBill(input.prices, legacyBackend, input.hours, new Set()),
      afterMigrating: projectLegacyBill(input.prices, legacyBackend, input.hours, new Set([...inMigration, ...(input.alsoMoving ?? [])])),
      allMoved: projectLegacyBill(input.prices, legacyBackend, input.hours, everyRoute),
    },
  };
}

/** The sum of named figures; unknown when any of them is, naming which. */
function sumOf(figures: readonly (readonly [string, Estimate])[]): Estimate {
  const formula = "the sum of each route's figure";
  const missing = figures.filter(([, figure]) => figure.value === null).map(([name]) => name);
  if (missing.length > 0) return unknown(`not known for ${missing.join(", ")}`, formula);
  return estimate(
    figures.reduce((sum, [, figure]) => sum + (figure.value ?? 0), 0),
    formula,
    Object.fromEntries(figures.map(([name, figure]) => [name, figure.value ?? 0])),
  );
}
