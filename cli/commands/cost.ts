import type { Command } from "commander";
import { MetricsOverviewAnswer, RouteMetricsAnswer } from "../../admin/contract/index.ts";
import { parseDuration } from "../../accounting/series.ts";
import { costReport, type CostReport } from "../../cost/cost-report.ts";
import { candidateBackends, hourTraffic, measuredWindow, routeTraffic } from "../../cost/from-metrics.ts";
import { validatePrices, type Prices } from "../../cost/prices.ts";
import type { AdminClient } from "../admin-client.ts";
import { clientFor, print, readJsonFile } from "../context.ts";
import { formatCostReport } from "../cost-output.ts";
import { UsageError } from "../usage-error.ts";

/** `cutover cost`: each route's monthly cost on legacy and on its new backend, estimated from measured traffic (docs/cost.md). */
export function registerCost(program: Command): void {
  program
    .command("cost")
    .description("estimate each route's monthly cost on legacy and on its new backend, legacy's share over time, and what the legacy bill could become (estimates, with formulas: docs/cost.md)")
    .option("--since <duration>", "the measured window: 1d, 7d, 14d (at most)", "14d")
    .option("--prices <file>", "a prices document (docs/prices.example.json)")
    .option("--move <routes>", "also count these routes (comma-separated) as moving off legacy in the projection")
    .option("--formulas", "print every figure's formula and inputs")
    .action(async (options: { since: string; prices?: string; move?: string; formulas?: boolean }, command: Command) => {
      const { client, json } = clientFor(command);
      if (parseDuration(options.since) === undefined) throw new UsageError("--since is a duration such as 1d, 7d or 14d.");
      if (options.prices === undefined) throw new UsageError("Give the prices to estimate with: --prices FILE (docs/prices.example.json is a start).");
      const prices = checkedPrices(await readJsonFile(options.prices), options.prices);
      const report = await measuredCost(client, prices, options.since, options.move?.split(",").map((route) => route.trim()).filter(Boolean) ?? []);
      print(json, report, () => formatCostReport(report, options.formulas === true));
    });
}

function checkedPrices(input: unknown, file: string): Prices {
  const checked = validatePrices(input);
  if (!checked.ok) throw new UsageError(`${file} is not a prices document:\n${checked.error.map((issue) => `  ${issue.path}: ${issue.message}`).join("\n")}`);
  return checked.value;
}

/**
 * The report from what the admin API measured: every route's totals per backend, each busy
 * route's hourly series, and the table (for where routes are moving).
 */
export async function measuredCost(client: AdminClient, prices: Prices, since: string, alsoMoving: readonly string[]): Promise<CostReport> {
  const window = parseDuration(since) ?? 0;
  const [overview, routes] = await Promise.all([client.get(`/metrics?since=${encodeURIComponent(since)}`, MetricsOverviewAnswer), client.getRoutes()]);
  const defaultBackend = overview.defaultBackend ?? routes?.table.default ?? "legacy";
  const legacyBackend = prices.legacy.backend ?? defaultBackend;
  const busy = overview.routes.filter((route) => Object.keys(route.backends).length > 0);
  const series = await Promise.all(
    busy.map((route) => client.get(`/metrics?route=${encodeURIComponent(route.route)}&since=${encodeURIComponent(since)}&step=60m`, RouteMetricsAnswer)),
  );
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
