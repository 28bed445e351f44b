import { describe, expect, it } from "vitest";
import { migrationProgress, type HourPoint } from "../../migration/progress.ts";

/** A route's data migration hour by hour, and when the read-through fallback may go. */
const now = Date.parse("2026-12-07T12:30:00Z");
const hour = (hoursAgo: number, requests: number, fellBack: number, dualWrite?: HourPoint["dualWrite"]): HourPoint => ({
  at: new Date(now - hoursAgo * 3_600_000 - 30 * 60_000).toISOString().slice(0, 13) + ":00:00.000Z",
  requests,
  fallbacks: fellBack > 0 ? { "404": fellBack } : {},
  ...(dualWrite ? { dualWrite } : {}),
});
const options = { legacy: "legacy", maxFallbackRate: 0.01, days: 1, now };

describe("migrationProgress", () => {
  it("counts the new backend's reads, its 404s that fell back and its dual-write copies per hour, legacy's own traffic aside", () => {
    const progress = migrationProgress(
      { accounts: [hour(2, 100, 40, { sent: 10, failed: 1, disagreed: 2 }), hour(1, 200, 10)], legacy: [hour(2, 900, 0)] },
      options,
    );
    expect(progress.hours).toEqual([
      { at: "2026-12-07T10:00:00.000Z", reads: 100, fellBack: 40, fallbackRate: 0.4, copies: 10, copiesFailed: 1, copiesDisagreed: 2 },
      { at: "2026-12-07T11:00:00.000Z", reads: 200, fellBack: 10, fallbackRate: 0.05, copies: 0, copiesFailed: 0, copiesDisagreed: 0 },
    ]);
  });

  it("is ready to remove the fallback once every hour of the last days held the rate under its bound", () => {
    const steady = Array.from({ length: 30 }, (_, i) => hour(29 - i, 100, i < 5 ? 50 : 1));
    const progress = migrationProgress({ accounts: steady }, options);
    expect(progress).toMatchObject({ readyToRemoveFallback: true, reason: "every hour of the last 1 days fell back at most 1 %: the backfill is complete" });
  });

  it("is not while an hour of the window fell back more, nor before there were days of reads, nor without reads", () => {
    const spike = Array.from({ length: 30 }, (_, i) => hour(29 - i, 100, i === 27 ? 3 : 0));
    expect(migrationProgress({ accounts: spike }, options)).toMatchObject({ readyToRemoveFallback: false, reason: expect.stringMatching(/^1 hour of the last 1 days fell back more than 1 % \(the latest 2026-12-07T10:00:00.000Z: 3 %\)$/) });
    expect(migrationProgress({ accounts: [hour(3, 100, 0)] }, options)).toMatchObject({ readyToRemoveFallback: false, reason: expect.stringMatching(/^reads on the new backend only since/) });
    expect(migrationProgress({ legacy: [hour(30, 100, 0)] }, options)).toMatchObject({ readyToRemoveFallback: false, reason: "no reads on the new backend yet" });
  });
});
