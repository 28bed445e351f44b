import type { Command } from "commander";
import { RouteMetricsAnswer } from "../../admin/contract/index.ts";
import { migrationProgress } from "../../migration/progress.ts";
import { clientFor, print } from "../context.ts";
import { alignColumns } from "../table-output.ts";
import { UsageError } from "../usage-error.ts";

/** `cutover migration progress ROUTE`: a route's data migration by the hour (migration/progress.ts). */
export function registerMigration(program: Command): void {
  const migration = program.command("migration").description("a route's data migration: read-through fallbacks and dual writes");
  migration
    .command("progress")
    .description("per hour: reads the new backend took and those that fell back to legacy on a 404, dual-write copies that failed or disagreed; whether the fallback may go")
    .argument("<route>", "the route")
    .option("--since <duration>", "the window shown: 1d, 7d (at most the metrics' retention)", "7d")
    .option("--max-fallback-rate <fraction>", "the read-through bound: 0.001 is 0.1 %", "0.001")
    .option("--days <n>", "how many days every hour must hold under the bound", "3")
    .action(async (route: string, options: { since: string; maxFallbackRate: string; days: string }, command: Command) => {
      const { client, json } = clientFor(command);
      const maxFallbackRate = Number(options.maxFallbackRate);
      const days = Number(options.days);
      if (!(maxFallbackRate >= 0 && maxFallbackRate <= 1)) throw new UsageError("--max-fallback-rate is a fraction between 0 and 1, such as 0.001");
      if (!Number.isInteger(days) || days < 1) throw new UsageError("--days is a whole number of days, 1 or more");
      const [routes, metrics] = await Promise.all([client.getRoutes(), client.get(`/metrics?route=${encodeURIComponent(route)}&since=${encodeURIComponent(options.since)}&step=1h`, RouteMetricsAnswer)]);
      if (routes === undefined) throw new UsageError("No route table is stored yet.");
      const progress = migrationProgress(metrics.series, { legacy: routes.table.default, maxFallbackRate, days, now: Date.now() });
      print(json, { route, legacy: routes.table.default, ...progress }, () => {
        const rows = [["HOUR", "READS", "FELL BACK", "RATE", "COPIES", "FAILED", "DISAGREED"]];
        for (const hour of progress.hours) {
          rows.push([hour.at.slice(0, 13).replace("T", " "), String(hour.reads), String(hour.fellBack), hour.fallbackRate === null ? "-" : `${Math.round(hour.fallbackRate * 100_000) / 1000} %`, String(hour.copies), String(hour.copiesFailed), String(hour.copiesDisagreed)]);
        }
        const verdict = progress.readyToRemoveFallback ? `Ready to remove the fallback: ${progress.reason}.` : `Not ready to remove the fallback: ${progress.reason}.`;
        return progress.hours.length === 0 ? `No traffic on ${route}'s new backends since ${options.since} ago.\n${verdict}` : `${alignColumns(rows, "")}\n\n${verdict}`;
      });
    });
}
