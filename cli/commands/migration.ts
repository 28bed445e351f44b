import type { Command } from "commander";
import { DualWriteExamplesAnswer, RouteMetricsAnswer, type DualWriteExample } from "../../admin/contract/index.ts";
import { migrationProgress } from "../../migration/progress.ts";
import { clientFor, print } from "../context.ts";
import { alignColumns } from "../table-output.ts";
import { UsageError } from "../usage-error.ts";

/** `cutover migration progress ROUTE`: a route's data migration by the hour (migration/progress.ts). */
export function registerMigration(program: Command): void {
  const migration = program.command("migration").description("a route's data migration: read-through fallbacks and dual writes");
  migration
    .command("progress")
    .description("per hour: reads the new backend took and those that fell back to legacy on a 404, dual-write copies that failed or disagreed (with the newest examples); whether the fallback may go")
    .argument("<route>", "the route")
    .option("--since <duration>", "the window shown: 1d, 7d (at most the metrics' retention)", "7d")
    .option("--max-fallback-rate <fraction>", "the read-through bound: 0.001 is 0.1 %", "0.001")
    .option("--days <n>", "how many days every hour must hold under the bound", "3")
    .option("--examples <n>", "how many of the newest examples of copies that failed or disagreed to show (0-20)", "5")
    .action(async (route: string, options: { since: string; maxFallbackRate: string; days: string; examples: string }, command: Command) => {
      const { client, json } = clientFor(command);
      const maxFallbackRate = Number(options.maxFallbackRate);
      const days = Number(options.days);
      if (!(maxFallbackRate >= 0 && maxFallbackRate <= 1)) throw new UsageError("--max-fallback-rate is a fraction between 0 and 1, such as 0.001");
      if (!Number.isInteger(days) || days < 1) throw new UsageError("--days is a whole number of days, 1 or more");
      const exampleCount = Number(options.examples);
      if (!Number.isInteger(exampleCount) || exampleCount < 0 || exampleCount > 20) throw new UsageError("--examples is a whole number from 0 to 20");
      const [routes, metrics, examples] = await Promise.all([
        client.getRoutes(),
        client.get(`/metrics?route=${encodeURIComponent(route)}&since=${encodeURIComponent(options.since)}&step=1h`, RouteMetricsAnswer),
        exampleCount === 0 ? { examples: [] } : client.get(`/migration/examples?route=${encodeURIComponent(route)}&limit=${exampleCount}`, DualWriteExamplesAnswer),
      ]);
      if (routes === undefined) throw new UsageError("No route table is stored yet.");
      const progress = migrationProgress(metrics.series, { legacy: routes.table.default, maxFallbackRate, days, now: Date.now() });
      print(json, { route, legacy: routes.table.default, ...progress, examples: examples.examples }, () => {
        const rows = [["HOUR", "READS", "FELL BACK", "RATE", "COPIES", "FAILED", "DISAGREED"]];
        for (const hour of progress.hours) {
          rows.push([hour.at.slice(0, 13).replace("T", " "), String(hour.reads), String(hour.fellBack), hour.fallbackRate === null ? "-" : `${Math.round(hour.fallbackRate * 100_000) / 1000} %`, String(hour.copies), String(hour.copiesFailed), String(hour.copiesDisagreed)]);
        }
        const verdict = progress.readyToRemoveFallback ? `Ready to remove the fallback: ${progress.reason}.` : `Not ready to remove the fallback: ${progress.reason}.`;
        const wentWrong = progress.hours.some((hour) => hour.copiesFailed + hour.copiesDisagreed > 0);
        const shown = examples.examples.length > 0 ? `\n\n${formatExamples(examples.examples)}` : wentWrong && exampleCount > 0 ? "\n\nNo example of those copies is stored (examples are kept 14 days)." : "";
        return progress.hours.length === 0 ? `No traffic on ${route}'s new backends since ${options.since} ago.${shown}${shown === "" ? "\n" : "\n\n"}${verdict}` : `${alignColumns(rows, "")}${shown}\n\n${verdict}`;
      });
    });
}

/** The newest examples of copies that went wrong, one block each (their text made safe for a terminal). */
function formatExamples(examples: readonly DualWriteExample[]): string {
  const lines = [`Newest dual-write copies that failed or disagreed (${examples.length} shown; 20 at most are kept per route, for 14 days):`];
  for (const example of examples) {
    const candidate = example.candidateStatus === null ? String(example.candidateError ?? "no answer") : String(example.candidateStatus);
    const facts = [`legacy ${example.legacyStatus}, ${example.candidate} ${candidate}`];
    if (example.legacyId !== null) facts.push(`legacy id ${example.legacyId}`);
    if (example.idempotencyKey !== null) facts.push(`Idempotency-Key ${example.idempotencyKey}`);
    if (example.version !== null) facts.push(`version ${example.version}`);
    facts.push(`request ${example.requestId}`);
    lines.push(`${example.at.slice(0, 19).replace("T", " ")}  ${example.outcome.padEnd(9)}  ${example.method} ${example.path}`, `    ${facts.join(" · ")}`);
    if (example.candidateBody !== null) lines.push(`    ${example.candidate} answered: ${example.candidateBody}`);
  }
  return lines.map(terminalSafe).join("\n");
}

/** Control and direction characters (an escape sequence, a line break in a stored body) shown as `\u001b`, never sent to the terminal. */
function terminalSafe(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
