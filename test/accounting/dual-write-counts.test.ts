import { describe, expect, it } from "vitest";
import { copyMiss, countDualWrite, dualWritePoint, emptyDualWriteCounts, mergeDualWriteCounts, type DualWriteOutcome } from "../../accounting/dual-write-counts.ts";
import { point } from "../../accounting/series.ts";
import { emptyCounts } from "../../accounting/traffic-counts.ts";
import { fromAttributes, toAttributes } from "../../store/traffic-attributes.ts";

const copied = (legacyStatus: number, candidate: number | "timeout" | "error" | "refused"): DualWriteOutcome => ({
  kind: "copied",
  legacyStatus,
  candidate: typeof candidate === "number" ? { kind: "response", status: candidate } : { kind: candidate },
});

/** One of each: agreed 201, 200 to legacy's 201, 422, 500, a timeout, an unreachable backend, a copy refused unsigned; two not copied. */
function mixed() {
  const counts = emptyDualWriteCounts();
  for (const outcome of [copied(201, 201), copied(201, 200), copied(201, 422), copied(201, 500), copied(200, "timeout"), copied(200, "error"), copied(200, "refused")]) countDualWrite(counts, outcome);
  countDualWrite(counts, { kind: "not_copied", reason: "too_large" });
  countDualWrite(counts, { kind: "not_copied", reason: "legacy_refused" });
  countDualWrite(counts, { kind: "not_copied", reason: "legacy_refused" });
  return counts;
}

describe("dual-write counts", () => {
  it("partition the copies two ways: by the new backend's answer, and against legacy's (a failure is not also a disagreement)", () => {
    const counts = mixed();
    expect(counts).toEqual({
      sent: 7,
      succeeded: 2,
      rejected: 1,
      failed: 4,
      agreed: 1,
      disagreed: 2,
      notCopied: new Map([
        ["too_large", 1],
        ["legacy_refused", 2],
      ]),
    });
    expect(counts.succeeded + counts.rejected + counts.failed).toBe(counts.sent);
    expect(counts.agreed + counts.disagreed + counts.failed).toBe(counts.sent);
  });

  it("merge by adding every counter", () => {
    const into = mixed();
    mergeDualWriteCounts(into, mixed());
    expect(into).toEqual({ sent: 14, succeeded: 4, rejected: 2, failed: 8, agreed: 2, disagreed: 4, notCopied: new Map([["too_large", 2], ["legacy_refused", 4]]) });
  });

  it("show with their rates, only on a point where something was counted", () => {
    expect(dualWritePoint(mixed())).toEqual({
      sent: 7,
      succeeded: 2,
      rejected: 1,
      failed: 4,
      agreed: 1,
      disagreed: 2,
      notCopied: { too_large: 1, legacy_refused: 2 },
      successRate: 0.285714,
      agreementRate: 0.142857,
    });
    expect(dualWritePoint(emptyDualWriteCounts())).toMatchObject({ successRate: null, agreementRate: null });
    const cell = emptyCounts();
    expect(point("2026-12-07T16:00:00.000Z", cell)).not.toHaveProperty("dualWrite");
    countDualWrite(cell.dualWrite, { kind: "not_copied", reason: "legacy_redirected" });
    expect(point("2026-12-07T16:00:00.000Z", cell).dualWrite).toMatchObject({ sent: 0, notCopied: { legacy_redirected: 1 }, successRate: null });
  });

  it("are stored as a cell's attributes and read back; attributes of no known reason are ignored", () => {
    const cell = emptyCounts();
    for (const [key, value] of Object.entries(mixed())) Object.assign(cell.dualWrite, { [key]: value });
    const attributes = toAttributes(cell);
    expect(attributes).toMatchObject({ w: 7, w2: 2, wr: 1, wf: 4, wa: 1, wd: 2, wn_too_large: 1, wn_legacy_refused: 2 });
    expect(attributes).not.toHaveProperty("r");
    expect(fromAttributes({ ...attributes, wn_made_up: 5 })).toEqual(cell);
  });
});

describe("how a copy went wrong (what its log line and example are kept for)", () => {
  it.each([
    [201, 201, undefined],
    [201, 200, "disagreed"],
    [201, 422, "disagreed"],
    [201, 499, "disagreed"],
    [201, 500, "failed"],
    [500, 500, "failed"],
    [201, "timeout", "failed"],
    [201, "error", "failed"],
    [201, "refused", "failed"],
  ] as const)("legacy %s, the new backend %s: %s", (legacyStatus, candidate, miss) => {
    const outcome = copied(legacyStatus, candidate);
    expect(outcome.kind === "copied" && copyMiss(outcome.legacyStatus, outcome.candidate)).toBe(miss);
    // The same partition as the counters': failed and disagreed copies are those counted so.
    const counts = emptyDualWriteCounts();
    countDualWrite(counts, outcome);
    expect({ failed: counts.failed, disagreed: counts.disagreed }).toEqual({ failed: miss === "failed" ? 1 : 0, disagreed: miss === "disagreed" ? 1 : 0 });
  });
});
