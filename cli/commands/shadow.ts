import type { Command } from "commander";
import type { ShadowReport } from "../../compare/shadow-report.ts";
import { clientFor, print } from "../context.ts";
import { alignColumns } from "../table-output.ts";
import { UsageError } from "../usage-error.ts";

interface Listing {
  routes: { route: string; shadowTo: string; compared: number; matchRate: number | null; candidateErrors: number; topDifference: string | null; verdict: { ready: boolean; summary: string } }[];
}

export function registerShadow(program: Command): void {
  const shadow = program.command("shadow").description("read shadow comparisons");
  shadow
    .command("report")
    .description("match rates of shadowed routes, or one route's differences, with a verdict")
    .argument("[route]", "one route's full report")
    .option("--min-comparisons <n>", "comparisons needed before a verdict", "1000")
    .option("--threshold <percent>", "match rate needed to be ready", "99")
    .action(async (route: string | undefined, options: { minComparisons: string; threshold: string }, command: Command) => {
      const { client, json } = clientFor(command);
      if (!/^\d+$/.test(options.minComparisons)) throw new UsageError("--min-comparisons must be a whole number");
      if (!/^\d+(\.\d+)?$/.test(options.threshold) || Number(options.threshold) > 100) throw new UsageError("--threshold must be a percentage");
      const query = `minComparisons=${options.minComparisons}&threshold=${options.threshold}`;
      if (route === undefined) {
        const listing = await client.get<Listing>(`/shadow?${query}`);
        return print(json, listing, () =>
          listing.routes.length === 0
            ? "No route has a shadow."
            : alignColumns(
                [
                  ["ROUTE", "SHADOW", "COMPARED", "MATCH", "ERRORS", "TOP DIFFERENCE", "VERDICT"],
                  ...listing.routes.map((r) => [
                    r.route,
                    r.shadowTo,
                    String(r.compared),
                    r.matchRate === null ? "-" : `${r.matchRate} %`,
                    String(r.candidateErrors),
                    r.topDifference ?? "-",
                    r.verdict.ready ? "ready" : "not yet",
                  ]),
                ],
                "",
              ),
        );
      }
      const report = await client.get<ShadowReport>(`/shadow?route=${encodeURIComponent(route)}&${query}`);
      print(json, report, () => formatReport(report));
    });
}

function formatReport(report: ShadowReport): string {
  const ms = (value: number | null) => (value === null ? "-" : `≤ ${value} ms`);
  const lines = [
    `Route ${report.route}: ${report.verdict.summary}`,
    "",
    `  compared ${report.compared}, matched ${report.matched}, mismatched ${report.mismatched}, candidate errors ${report.candidateErrors}, too large ${report.tooLarge}, skipped under load ${report.shed}`,
    `  latency p50/p95/p99   control ${ms(report.latency.control.p50)} / ${ms(report.latency.control.p95)} / ${ms(report.latency.control.p99)}` +
      `   candidate ${ms(report.latency.candidate.p50)} / ${ms(report.latency.candidate.p95)} / ${ms(report.latency.candidate.p99)}`,
    "",
  ];
  if (report.differences.length > 0) {
    lines.push(
      "Differences (most frequent first):",
      alignColumns([
        ["FIELD", "COUNT", "EXAMPLE"],
        ...report.differences.map((d) => [d.field, String(d.count), d.example ? `${d.example.kind}: ${show(d.example.control)} → ${show(d.example.candidate)}` : "-"]),
      ]),
      "",
    );
  }
  if (report.noise.length > 0) {
    lines.push(`Noise (differs between two legacy responses too, not counted): ${report.noise.map((n) => n.field).join(", ")}`, "");
  }
  return lines.join("\n").trimEnd();
}

function show(value: unknown): string {
  return value === undefined ? "(none)" : typeof value === "string" ? value : JSON.stringify(value);
}
