import type { Command } from "commander";
import { ShadowListingAnswer, ShadowReportAnswer, ShadowResetAnswer, type ShadowResetBody } from "../../admin/contract/index.ts";
import { clientFor, print } from "../context.ts";
import { EXIT_NOT_READY, ExitCodeError } from "../exit-code-error.ts";
import { alignColumns } from "../table-output.ts";
import { UsageError } from "../usage-error.ts";

export function registerShadow(program: Command): void {
  const shadow = program.command("shadow").description("read shadow comparisons");
  shadow
    .command("report")
    .description("match rates of shadowed routes, or one route's differences, with a verdict")
    .argument("[route]", "one route's full report")
    .option("--min-comparisons <n>", "comparisons needed before a verdict", "1000")
    .option("--threshold <percent>", "match rate needed to be ready", "99")
    .option("--since <duration>", "only the last hours (whole hours: 1h, 6h, 2d); default: the current epoch")
    .option("--check", `exit ${EXIT_NOT_READY} unless every report's verdict is ready and no security header is dropped or changed (for CI)`)
    .action(async (route: string | undefined, options: { minComparisons: string; threshold: string; since?: string; check?: boolean }, command: Command) => {
      const { client, json } = clientFor(command);
      if (!/^\d+$/.test(options.minComparisons)) throw new UsageError("--min-comparisons must be a whole number");
      if (!/^\d+(\.\d+)?$/.test(options.threshold) || Number(options.threshold) > 100) throw new UsageError("--threshold must be a percentage");
      if (options.since !== undefined && !/^\d+[mhd]$/.test(options.since)) throw new UsageError("--since is a duration such as 6h or 2d");
      const query = `minComparisons=${options.minComparisons}&threshold=${options.threshold}${options.since ? `&since=${options.since}` : ""}`;
      const check = (ready: boolean, what: string) => {
        if (options.check && !ready) throw new ExitCodeError(EXIT_NOT_READY, new Error(`Not ready: ${what}`));
      };
      /** Status and body, and apart from them the security headers: --check holds a route to both. */
      const passes = (verdict: ShadowReportAnswer["verdict"]) => verdict.ready && verdict.securityHeaders.length === 0;
      if (route === undefined) {
        const listing = await client.get(`/shadow?${query}`, ShadowListingAnswer);
        print(json, listing, () =>
          listing.routes.length === 0
            ? "No route has a shadow."
            : alignColumns(
                [
                  ["ROUTE", "SHADOW", "COMPARED", "MATCH", "ERRORS", "TOP DIFFERENCE", "HEADERS", "VERDICT"],
                  ...listing.routes.map((r) => [
                    r.route,
                    r.shadowTo,
                    String(r.compared),
                    r.matchRate === null ? "-" : `${r.matchRate} %`,
                    String(r.candidateErrors),
                    r.topDifference ?? "-",
                    headersColumn(r.headersDiffering, r.verdict.securityHeaders),
                    r.verdict.ready ? "ready" : "not yet",
                  ]),
                ],
                "",
              ),
        );
        return check(
          listing.routes.length > 0 && listing.routes.every((r) => passes(r.verdict)),
          listing.routes.filter((r) => !passes(r.verdict)).map((r) => `${r.route}: ${r.verdict.summary}`).join("; ") || "no route has a shadow",
        );
      }
      const report = await client.get(`/shadow?route=${encodeURIComponent(route)}&${query}`, ShadowReportAnswer);
      print(json, report, () => formatReport(report));
      check(passes(report.verdict), report.verdict.summary);
    });

  shadow
    .command("reset")
    .description("start the route's shadow statistics over (a new epoch), e.g. after fixing the candidate")
    .argument("<route>")
    .requiredOption("--reason <text>", "why (audited)")
    .action(async (route: string, options: { reason: string }, command: Command) => {
      const { client, json } = clientFor(command);
      const result = await client.post(`/shadow/${encodeURIComponent(route)}/reset`, { reason: options.reason } satisfies ShadowResetBody, ShadowResetAnswer);
      print(json, result, () => `Shadow statistics of ${route} start over in epoch ${result.epoch} (version ${result.version}${result.effectiveAt ? `, from ${result.effectiveAt}` : ""}).`);
    });
}

/** The human report of one route (the `--json` answer is the admin API's own). */
export function formatReport(report: ShadowReportAnswer): string {
  const ms = (value: number | null) => (value === null ? "-" : `≤ ${value} ms`);
  const lines = [
    `Route ${report.route}: ${report.verdict.summary}`,
    `  shadow ${report.shadowTo}, epoch ${report.epoch}${report.firstAt ? ` (since ${report.firstAt})` : ""}`,
    "",
    `  compared ${report.compared}, matched in status and body ${report.matched}, mismatched ${report.mismatched}, candidate errors ${report.candidateErrors}, too large ${report.tooLarge}, skipped under load ${report.shed}`,
    `  latency p50/p95/p99   control ${ms(report.latency.control.p50)} / ${ms(report.latency.control.p95)} / ${ms(report.latency.control.p99)}` +
      `   candidate ${ms(report.latency.candidate.p50)} / ${ms(report.latency.candidate.p95)} / ${ms(report.latency.candidate.p99)}`,
    "",
  ];
  if (report.differences.length > 0) {
    lines.push(
      "Differences in status and body (most frequent first):",
      alignColumns([
        ["FIELD", "COUNT", "EXAMPLE"],
        ...report.differences.map((d) => [d.field, String(d.count), d.example ? `${d.example.kind}: ${show(d.example.control)} → ${show(d.example.candidate)}  (${d.example.method} ${d.example.path})` : "-"]),
      ]),
      "",
    );
  }
  if (report.headers.length > 0) {
    lines.push("Headers (judged apart from the match rate; security headers the candidate drops or changes first):");
    if (report.verdict.securityHeaders.length > 0) {
      lines.push(`  ! security headers missing or changed on the candidate: ${report.verdict.securityHeaders.join(", ")} (add them to the candidate, or name them in shadow.ignore as header:NAME to accept)`);
    }
    lines.push(
      alignColumns([
        ["HEADER", "SECURITY", "DIFFERED", "MISSING", "EXTRA", "CHANGED", "EXAMPLE"],
        ...report.headers.map((d) => [
          d.name,
          d.security ? (report.verdict.securityHeaders.includes(d.name) ? "FLAGGED" : "yes") : "-",
          `${d.count} of ${report.compared}`,
          String(d.missing),
          String(d.extra),
          String(d.changed),
          d.example ? `${d.example.kind}: ${show(d.example.control)} → ${show(d.example.candidate)}  (${d.example.method} ${d.example.path})` : "-",
        ]),
      ]),
      "",
    );
  }
  if (report.noise.length > 0) {
    lines.push(`Noise (differs between two legacy responses too, not counted): ${report.noise.map((n) => n.field).join(", ")}`, "");
  }
  return lines.join("\n").trimEnd();
}

/** How many header names differed, and the security ones flagged: `9 (4 security)`. */
function headersColumn(differing: number, security: readonly string[]): string {
  if (differing === 0) return "-";
  return security.length === 0 ? String(differing) : `${differing} (${security.length} security)`;
}

/** A value as JSON with its JSON type: `4200 (number)` and `"4200" (string)` must not look alike. */
function show(value: unknown): string {
  if (value === undefined) return "(none)";
  const type = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  return `${JSON.stringify(value)} (${type})`;
}
