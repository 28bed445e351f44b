import type * as z from "zod/mini";
import { parseDuration } from "../accounting/series.ts";
import { costReport, type CostReport } from "../cost/cost-report.ts";
import { candidateBackends, hourTraffic, measuredWindow, routeTraffic } from "../cost/from-metrics.ts";
import type { Prices } from "../cost/prices.ts";
import { MetricsOverviewAnswer, RouteMetricsAnswer, type RoutesAnswer } from "./contract/index.ts";

/** What the cost report reads of the admin API: the CLI reads it over HTTP, GET /cost and the dashboard in-process. */
export interface CostReader {
  get<S extends z.ZodMiniType>(path: string, answer: S): Promise<z.infer<S>>;
  getRoutes(): Promise<RoutesAnswer | undefined>;
}

/**
 * The cost report (cost/cost-report.ts) from what the admin API measured: every route's
 * totals per backend, each busy route's hourly series, and the table (for where routes are
 * moving). One function for `cutover cost`, GET /cost and the dashboard's migration page.
 */
export async function measuredCost(reader: CostReader, prices: Prices, since: string, alsoMoving: readonly string[]): Promise<CostReport> {
  const window = parseDuration(since) ?? 0;
  const [overview, routes] = await Promise.all([reader.get(`/metrics?since=${encodeURIComponent(since)}`, MetricsOverviewAnswer), reader.getRoutes()]);
  const defaultBackend = overview.defaultBackend ?? routes?.table.default ?? "legacy";
  const legacyBackend = prices.legacy.backend ?? defaultBackend;
  const busy = overview.routes.filter((route) => Object.keys(route.backends).length > 0);
  const series = await Promise.all(busy.map((route) => reader.get(`/metrics?route=${encodeURIComponent(route.route)}&since=${encodeURIComponent(since)}&step=60m`, RouteMetricsAnswer)));
  const hours = series.flatMap((answer) => hourTraffic(answer.route, answer.series));
  const { from, until } = measuredWindow(overview.since, new Date(Date.parse(overview.since) + window).toISOString(), hours);
  const tableRoutes = new Map((routes?.table.routes ?? []).map((route) => [route.id, route]));
  return costReport({
    prices,
    defaultBackend,
    from,
    until,
    routes: overview.routes.map((route) => {
      const inTable = tableRoutes.get(route.route);
      return routeTraffic(route.route, route.backends, inTable === undefined ? [] : candidateBackends(inTable, legacyBackend));
    }),
    hours,
    alsoMoving,
  });
}
