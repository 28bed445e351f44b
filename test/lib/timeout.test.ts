import { describe, expect, it, vi } from "vitest";
import { raceTimeout, TIMED_OUT } from "../../lib/timeout.ts";

describe("raceTimeout", () => {
  it("gives the promise's value when it settles first", async () => {
    expect(await raceTimeout(Promise.resolve(7), 1000)).toBe(7);
    await expect(raceTimeout(Promise.reject(new Error("refused")), 1000)).rejects.toThrow("refused");
  });

  it("gives TIMED_OUT when the time runs out first, and at once for no time", async () => {
    expect(await raceTimeout(new Promise(() => {}), 10)).toBe(TIMED_OUT);
    expect(await raceTimeout(new Promise(() => {}), 0)).toBe(TIMED_OUT);
  });

  it("waits for ever when there is no limit, or one past what a timer can hold", async () => {
    expect(await raceTimeout(new Promise((resolve) => setTimeout(() => resolve("late"), 20)), Number.POSITIVE_INFINITY)).toBe("late");
    expect(await raceTimeout(new Promise((resolve) => setTimeout(() => resolve("late"), 20)), 2 ** 31)).toBe("late");
  });

  it("leaves no timer behind once the race is decided, so nothing keeps the settled value alive", async () => {
    vi.useFakeTimers();
    try {
      const body = new Uint8Array(1024);
      expect(await raceTimeout(Promise.resolve(body), 25_000)).toBe(body);
      await expect(raceTimeout(Promise.reject(new Error("reset")), 25_000)).rejects.toThrow("reset");
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
