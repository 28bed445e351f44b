import type { Command } from "commander";
import { suggestRoute } from "../../accounting/suggest-routes.ts";
import { InventoryAnswer, MetricsOverviewAnswer, ProgressAnswer, RolloutsAnswer, RouteMetricsAnswer } from "../../admin/contract/index.ts";
import { clientFor, print } from "../context.ts";
import { alignColumns } from "../table-output.ts";
import { UsageError } from "../usage-error.ts";

const percent = (value: number | null | undefined) => (value === null || value === undefined ? "-" : `${Math.round(value * 1000) / 10} %`);
const ms = (value: number | null | undefined) => (value === null || value === undefined ? "-" : `${value} ms`);
const SPARK = "▁▂▃▄▅▆▇█";

export function registerTraffic(program: Command): void {
  program
    .command("status")
    .description("one screen: every route with its weights, traffic share, error rate and p99 per backend, and the share migrated")
    .option("--since <duration>", "the window: 15m, 1h, 1d", "15m")
    .action(async (options: { since: string }, command: Command) => {
      const { client, json } = clientFor(command);
      const [routes, listing, progress, rollouts] = await Promise.all([
        client.getRoutes(),
        client.get(`/metrics?since=${encodeURIComponent(options.since)}`, MetricsOverviewAnswer),
        client.get("/progress?days=1", ProgressAnswer),
        client.get("/rollouts", RolloutsAnswer),
      ]);
      const active = rollouts.rollouts.filter((r) => r.status === "running" || r.status === "paused");
      print(json, { version: routes?.version ?? null, metrics: listing, progress, rollouts: active }, () => {
        const rows = [["ROUTE", "WEIGHTS", "BACKEND", "SERVED", "SHARE", "ERRORS", "P99"]];
        for (const entry of listing.routes) {
          const route = routes?.table.routes.find((r) => r.id === entry.route);
          const weights = route === undefined ? `→ ${listing.defaultBackend ?? "?"}` : typeof route.to === "string" ? `→ ${route.to}` : Object.entries(route.to).map(([b, w]) => `${b} ${w}`).join(" · ");
          const backends = Object.entries(entry.backends);
          const total = backends.reduce((all, [, p]) => all + p.served, 0);
          if (backends.length === 0) rows.push([entry.route, weights, "-", "0", "-", "-", "-"]);
          backends.forEach(([backend, p], i) => rows.push([i === 0 ? entry.route : "", i === 0 ? weights : "", backend, String(p.served), percent(total === 0 ? null : p.served / total), percent(p.errorRate), ms(p.latencyMs.p99)]));
        }
        const rolloutLines = active.map((r) => `  ${r.route} → ${r.candidate}: ${r.status}, step ${r.step}/${r.steps} (${r.stepLabel}) — ${r.pausedReason ?? r.lastVerdict?.summary ?? "starting"}`);
        return [
          `Version ${routes?.version ?? "-"} · traffic since ${listing.since} · migrated: ${percent(progress.share.last24h)} of the last 24 h on new backends (legacy: ${progress.legacyBackend})`,
          "",
          alignColumns(rows, ""),
          ...(rolloutLines.length > 0 ? ["", "Rollouts:", ...rolloutLines] : []),
        ].join("\n");
      });
    });

  program
    .command("metrics")
    .description("one route's traffic per backend, a line per step (like kubectl get --watch with --watch)")
    .argument("<route>", "route id, or (default) for unrouted traffic")
    .option("--since <duration>", "the window: 15m, 1h, 1d", "1h")
    .option("--step <duration>", "one line per: 1m, 5m, 1h")
    .option("--watch", "refresh every few seconds until Ctrl-C")
    .action(async (route: string, options: { since: string; step?: string; watch?: boolean }, command: Command) => {
      const { client, json } = clientFor(command);
      const query = `/metrics?route=${encodeURIComponent(route)}&since=${encodeURIComponent(options.since)}${options.step ? `&step=${encodeURIComponent(options.step)}` : ""}`;
      const show = async () => {
        const metrics = await client.get(query, RouteMetricsAnswer);
        print(json, metrics, () => {
          const rows = [["AT", "BACKEND", "REQUESTS", "2XX", "4XX", "5XX", "PROXY", "FALLBACKS", "ERRORS", "P50", "P95", "P99"]];
          const points = Object.entries(metrics.series).flatMap(([backend, series]) => series.map((p) => ({ backend, p }))).sort((a, b) => (a.p.at < b.p.at ? -1 : a.p.at > b.p.at ? 1 : a.backend < b.backend ? -1 : 1));
          for (const { backend, p } of points) {
            const proxy = Object.entries(p.proxyErrors).map(([s, n]) => `${s}×${n}`).join(" ") || "-";
            const fallbacks = Object.entries(p.fallbacks).map(([t, n]) => `${t}×${n}`).join(" ") || "-";
            rows.push([p.at.slice(11, 16), backend, String(p.requests), String(p.status["2xx"]), String(p.status["4xx"]), String(p.status["5xx"]), proxy, fallbacks, percent(p.errorRate), ms(p.latencyMs.p50), ms(p.latencyMs.p95), ms(p.latencyMs.p99)]);
          }
          const copies = dualWriteLines(metrics.totals);
          if (points.length === 0) return `No traffic on ${route} since ${options.since} ago.`;
          return `Route ${route}, per ${metrics.step}:\n\n${alignColumns(rows, "")}${copies.length > 0 ? `\n\nDual writes since ${options.since} ago:\n${copies.join("\n")}` : ""}`;
        });
      };
      await show();
      if (!options.watch) return;
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 5000));
        if (!json) console.log("");
        await show();
      }
    });

  program
    .command("inventory")
    .description("the migration map: unrouted (legacy) traffic by path template, busiest first; --suggest prints route entries for the busiest uncovered ones")
    .option("--limit <n>", "how many", "30")
    .option("--suggest", "print route-table entries (on the default backend) for uncovered templates, ready for `routes plan`")
    .action(async (options: { limit: string; suggest?: boolean }, command: Command) => {
      const { client, json } = clientFor(command);
      if (!/^\d+$/.test(options.limit)) throw new UsageError("--limit must be a whole number");
      const [inventory, routes] = await Promise.all([client.get(`/inventory?limit=${options.limit}`, InventoryAnswer), client.getRoutes()]);
      if (options.suggest) {
        const uncovered = inventory.templates.filter((t) => t.coveredBy === null);
        const suggestions = uncovered.map((t) => suggestRoute(t.template, t.methods, routes?.table.default ?? "legacy"));
        return console.log(JSON.stringify(json ? { routes: suggestions } : suggestions, null, 2));
      }
      print(json, inventory, () =>
        inventory.templates.length === 0
          ? "No unrouted traffic seen yet."
          : alignColumns(
              [["TEMPLATE", "REQUESTS", "METHODS", "5XX", "LAST SEEN", "COVERED BY"], ...inventory.templates.map((t) => [t.template, String(t.count), t.methods.join(","), String(t.status["5xx"]), t.lastSeen, t.coveredBy ?? "-"])],
              "",
            ),
      );
    });

  program
    .command("progress")
    .description("the share of traffic on new backends, overall and per route, with a sparkline per day")
    .option("--days <n>", "how many days (1-14)", "7")
    .action(async (options: { days: string }, command: Command) => {
      const { client, json } = clientFor(command);
      const progress = await client.get(`/progress?days=${encodeURIComponent(options.days)}`, ProgressAnswer);
      print(json, progress, () => {
        const spark = progress.daily.map((d) => (d.share === null ? " " : SPARK[Math.min(SPARK.length - 1, Math.floor(d.share * SPARK.length))])).join("");
        return [
          `Migrated (served by a backend other than ${progress.legacyBackend}): ${percent(progress.share.last24h)} in the last 24 h, ${percent(Object.entries(progress.share).find(([k]) => k !== "last24h")?.[1])} over ${progress.daily.length} days`,
          `per day  ${spark}  ${progress.daily.map((d) => `${d.day.slice(5)} ${percent(d.share)}`).join(", ")}`,
          "",
          alignColumns([["ROUTE", "REQUESTS", "MIGRATED"], ...progress.routes.map((r) => [r.route, String(r.requests), percent(r.share)])], ""),
        ].join("\n");
      });
    });
}

/** One line per backend that got dual-write copies (docs/dual-write.md): what came of them, and what was not copied. */
export function dualWriteLines(totals: RouteMetricsAnswer["totals"]): string[] {
  return Object.entries(totals).flatMap(([backend, p]) => {
    const dual = p.dualWrite;
    if (dual === undefined) return [];
    const notCopied = Object.entries(dual.notCopied).map(([reason, n]) => `${reason}×${n}`).join(" ") || "none";
    return [
      `  ${backend}: ${dual.sent} sent — ${dual.succeeded} succeeded, ${dual.rejected} rejected, ${dual.failed} failed; ${dual.agreed} agreed with legacy's status, ${dual.disagreed} disagreed (${percent(dual.agreementRate)}); not copied: ${notCopied}`,
    ];
  });
}
