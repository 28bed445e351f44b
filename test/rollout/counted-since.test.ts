import { describe, expect, it } from "vitest";
import { countedSince } from "../../rollout/counted-since.ts";

const OPENED = Date.parse("2026-12-01T00:00:00Z");
const HOUR = 3_600_000;

describe("countedSince: the part of a step its counts come from", () => {
  it("judges a read-through on its last minDuration, once the step is older than that", () => {
    const step = { type: "readThrough", maxFallbackRate: 0.001, minRequests: 100, minDurationMs: 24 * HOUR } as const;
    expect(countedSince(step, OPENED, OPENED + 30 * HOUR)).toBe(OPENED + 6 * HOUR);
    // Younger than its minDuration: all of it (the duration gate waits anyway).
    expect(countedSince(step, OPENED, OPENED + 2 * HOUR)).toBe(OPENED);
    expect(countedSince(step, OPENED, OPENED + 24 * HOUR)).toBe(OPENED);
  });

  it("takes a read-through with no minDuration, and every other step, whole", () => {
    expect(countedSince({ type: "readThrough", maxFallbackRate: 0.001, minRequests: 100, minDurationMs: 0 }, OPENED, OPENED + 30 * HOUR)).toBe(OPENED);
    expect(countedSince({ type: "dualWrite", minWrites: 100, minDurationMs: HOUR }, OPENED, OPENED + 30 * HOUR)).toBe(OPENED);
    expect(countedSince(undefined, OPENED, OPENED + 30 * HOUR)).toBe(OPENED);
  });
});
