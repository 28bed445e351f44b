import type { Command } from "commander";
import { LegacyMapAnswer, MetricsOverviewAnswer, RolloutsAnswer, type LegacyMapAnswer as LegacyMap } from "../../admin/contract/index.ts";
import { decommissionCheck, type Hold, type HoldKind } from "../../migration/decommission.ts";
import { AdminRequestError } from "../admin-request-error.ts";
import { clientFor, print } from "../context.ts";
import { EXIT_NOT_READY, ExitCodeError } from "../exit-code-error.ts";
import { UsageError } from "../usage-error.ts";

const HEADINGS: Record<HoldKind, string> = {
  "no-surface": "The legacy app's route list",
  endpoint: "Endpoints not migrated",
  route: "Routes that still use legacy",
  "legacy-traffic": "Traffic legacy served",
  fallback: "Fallbacks to legacy that fired",
  rollout: "Rollouts under way",
};

/** `cutover decommission check`: what still holds the legacy app up (migration/decommission.ts). */
export function registerDecommission(program: Command): void {
  const decommission = program.command("decommission").description("the last step: what still holds the legacy app up");
  decommission
    .command("check")
    .description(`lists what still holds legacy up (endpoints, routes, traffic, fallbacks, rollouts); exits ${EXIT_NOT_READY} while anything does`)
    .option("--since <duration>", "the window legacy must have been idle for: 7d, 14d (at most the metrics' retention)", "14d")
    .action(async (options: { since: string }, command: Command) => {
      const { client, json } = clientFor(command);
      const days = /^(\d+)d$/.exec(options.since);
      if (days === null) throw new UsageError("--since is a number of days, such as 14d");
      const since = encodeURIComponent(options.since);
      const [routes, metrics, rollouts, map] = await Promise.all([
        client.getRoutes(),
        client.get(`/metrics?since=${since}`, MetricsOverviewAnswer),
        client.get("/rollouts", RolloutsAnswer),
        client.get(`/legacy/map?since=${since}`, LegacyMapAnswer).catch((error: unknown): LegacyMap | undefined => {
          if (error instanceof AdminRequestError && error.code === "no_surface") return undefined;
          throw error;
        }),
      ]);
      if (routes === undefined) throw new UsageError("No route table is stored yet: there is nothing to decommission.");
      const verdict = decommissionCheck({
        legacy: routes.table.default,
        routes: routes.table.routes,
        traffic: metrics.routes,
        rollouts: rollouts.rollouts,
        endpoints: map?.endpoints,
        windowDays: Number(days[1]),
      });
      print(json, { since: options.since, legacy: routes.table.default, tableVersion: routes.version, ...verdict }, () => human(verdict.holds, verdict.retired, routes.table.default, options.since));
      if (verdict.ready) return;
      // Under --json the verdict is the whole answer: no error document after it.
      if (json) process.exitCode = EXIT_NOT_READY;
      else throw new ExitCodeError(EXIT_NOT_READY, new Error(`${verdict.holds.length} thing${verdict.holds.length === 1 ? "" : "s"} still hold${verdict.holds.length === 1 ? "s" : ""} ${routes.table.default} up.`));
    });
}

function human(holds: readonly Hold[], retired: readonly string[], legacy: string, since: string): string {
  const lines: string[] = [];
  if (holds.length === 0) lines.push(`Nothing holds ${legacy} up: every endpoint is migrated or unused, and it served nothing in the last ${since}.`);
  else {
    lines.push(`${holds.length} thing${holds.length === 1 ? "" : "s"} still hold${holds.length === 1 ? "s" : ""} ${legacy} up:`);
    for (const kind of Object.keys(HEADINGS) as HoldKind[]) {
      const ofKind = holds.filter((hold) => hold.kind === kind);
      if (ofKind.length === 0) continue;
      lines.push("", `${HEADINGS[kind]}:`, ...ofKind.map((hold) => `  ${hold.subject}: ${hold.detail}`));
    }
  }
  if (retired.length > 0) lines.push("", `Unused in the last ${since}, retired with legacy (${retired.length}):`, ...retired.map((key) => `  ${key}`));
  return lines.join("\n");
}
