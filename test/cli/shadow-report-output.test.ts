import { describe, expect, it } from "vitest";
import { ShadowReportAnswer } from "../../admin/contract/index.ts";
import { formatReport } from "../../cli/commands/shadow.ts";
import { compareResponses, compileRules, type Observation } from "../../compare/compare-responses.ts";
import { redactDifferences } from "../../compare/redact.ts";
import { buildShadowReport, DEFAULT_REPORT_OPTIONS } from "../../compare/shadow-report.ts";
import { emptyStats, recordComparison } from "../../compare/shadow-stats.ts";
import { DEFAULT_REDACTION } from "../../compare/secret-names.ts";
import { LAMBDA_JSON_HEADERS, RAILS_JSON_HEADERS } from "../../fixtures/rails-answer.ts";

const body = new TextEncoder().encode('{"id":1}');
const answer = (headers: Observation["headers"]): Observation => ({ status: 200, headers, body, durationMs: 4 });

/** The report of 12 Rails-vs-Lambda comparisons, as the CLI parses it from the admin API. */
function railsReport() {
  const stats = emptyStats();
  for (let i = 0; i < 12; i++) {
    const comparison = compareResponses(answer(RAILS_JSON_HEADERS), answer(LAMBDA_JSON_HEADERS), compileRules([]));
    recordComparison(stats, comparison, 4, 6, DEFAULT_REDACTION, () => ({ at: "2026-12-07T14:00:00Z", method: "GET", path: "/api/accounts/1", controlStatus: 200, candidateStatus: 200, controlMs: 4, candidateMs: 6, differences: redactDifferences(comparison.differences) }));
  }
  const stored = {
    ...stats,
    firstAt: null,
    lastAt: null,
    fields: Object.fromEntries(stats.fields),
    headerKinds: Object.fromEntries(stats.headerKinds),
    noise: {},
    signatures: Object.fromEntries(stats.signatures),
    controlLatency: Object.fromEntries(stats.controlLatency),
    candidateLatency: Object.fromEntries(stats.candidateLatency),
  };
  const options = { ...DEFAULT_REPORT_OPTIONS, minComparisons: 12 };
  return ShadowReportAnswer.parse({ ...buildShadowReport("accounts", stored, options), shadowTo: "lambda", epoch: "e1", window: "epoch", options });
}

describe("cutover shadow report ROUTE", () => {
  it("gives the verdict on status and body, then the headers by name with security ones flagged", () => {
    const text = formatReport(railsReport());
    expect(text).toContain("Route accounts: ready to cut over: 100 % of 12 matched in status and body (threshold 99 %); security headers missing or changed on the candidate:");
    expect(text).toContain("matched in status and body 12, mismatched 0");
    expect(text).not.toContain("Differences in status and body");
    expect(text).toMatch(/Headers \(judged apart from the match rate/);
    expect(text).toMatch(/^ {2}x-frame-options\s+FLAGGED\s+12 of 12\s+12\s+0\s+0\s+missing: "SAMEORIGIN" \(string\) → \(none\)\s+\(GET \/api\/accounts\/1\)$/m);
    expect(text).toMatch(/^ {2}vary\s+-\s+12 of 12\s+12\s+0\s+0\s+missing: "Accept"/m);
    // Flagged security headers come first.
    const rows = text.split("\n").filter((line) => /^ {2}[a-z-]+\s+(FLAGGED|yes|-)\s+\d+ of/.test(line));
    expect(rows.slice(0, 4).every((line) => line.includes("FLAGGED"))).toBe(true);
    expect(rows).toHaveLength(8);
  });
});
