import { expect, it } from "vitest";
import { RouteMetricsAnswer } from "../../admin/contract/index.ts";
import { dualWriteLines } from "../../cli/commands/traffic.ts";

const point = (extra: Record<string, unknown> = {}) => ({
  at: "2026-12-07T15:00:00.000Z",
  requests: 0,
  served: 0,
  status: { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 },
  proxyErrors: {},
  fallbacks: {},
  arms: {},
  errorRate: null,
  latencyMs: { p50: null, p95: null, p99: null, mean: null },
  ...extra,
});

it("cutover metrics shows a line per backend that got dual-write copies, read through the contract", () => {
  const answer = RouteMetricsAnswer.parse({
    route: "accounts-write",
    since: "2026-12-07T15:00:00.000Z",
    step: "1m",
    series: {},
    totals: {
      legacy: point({ requests: 130, served: 130 }),
      accounts: point({
        dualWrite: { sent: 120, succeeded: 118, rejected: 1, failed: 1, agreed: 117, disagreed: 2, notCopied: { legacy_refused: 9, too_large: 1 }, successRate: 0.983333, agreementRate: 0.975 },
      }),
    },
  });
  expect(answer.totals.accounts?.dualWrite?.sent).toBe(120);
  expect(dualWriteLines(answer.totals)).toEqual([
    "  accounts: 120 sent — 118 succeeded, 1 rejected, 1 failed; 117 agreed with legacy's status, 2 disagreed (97.5 %); not copied: legacy_refused×9 too_large×1",
  ]);
  expect(dualWriteLines({ legacy: point() })).toEqual([]);
});
