import { describe, expect, it } from "vitest";
import { differenceInterval, wilson, zFor } from "../../rollout/statistics.ts";

/** The bounds the gates stand on, against published values. */
describe("confidence bounds, against the textbooks", () => {
  it.each([
    [0.8, 1.281552],
    [0.9, 1.644854],
    [0.95, 1.959964],
    [0.99, 2.575829],
    [0.999, 3.290527],
  ])("z for %f is %f", (confidence, z) => {
    expect(zFor(confidence)).toBeCloseTo(z, 6);
  });

  it("Wilson's interval: 0 of 100 still leaves 3.7 %; n = 0 says nothing", () => {
    expect(wilson(0, 100, 0.95)).toEqual({ low: 0, high: expect.closeTo(0.03699, 5) });
    expect(wilson(100, 100, 0.95)).toEqual({ low: expect.closeTo(0.96301, 5), high: 1 });
    expect(wilson(0, 0, 0.95)).toEqual({ low: 0, high: 1 });
  });

  // Newcombe (1998), "Interval estimation for the difference between independent proportions", Table II, method 10.
  it.each([
    [56, 70, 48, 80, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.1705, 0.809],
    [6, 7, 2, 7, 0.0582, 0.8062],
    [5, 56, 0, 29, -0.0381, 0.1926],
    [0, 10, 0, 20, -0.1611, 0.2775],
    [0, 10, 0, 10, -0.2775, 0.2775],
    [10, 10, 0, 20, 0.6791, 1],
    [10, 10, 0, 10, 0.6075, 1],
  ])("the difference %i/%i − %i/%i is within [%f, %f] (Newcombe's hybrid score)", (a, n, b, m, low, high) => {
    const interval = differenceInterval(a, n, b, m, 0.95);
    expect(interval.estimate).toBeCloseTo(a / n - b / m, 10);
    expect(interval.low).toBeCloseTo(low, 4);
    expect(interval.high).toBeCloseTo(high, 4);
  });

  it("an arm with no one in it has no rate: the difference is the other's, bounded by it", () => {
    const empty = differenceInterval(5, 100, 0, 0, 0.95);
    expect(empty.estimate).toBeCloseTo(0.05, 10);
    expect(Number.isFinite(empty.low) && Number.isFinite(empty.high)).toBe(true);
    const other = differenceInterval(0, 0, 5, 100, 0.95);
    expect(other.estimate).toBeCloseTo(-0.05, 10);
    expect(Number.isFinite(other.low) && Number.isFinite(other.high)).toBe(true);
  });
});
