import { describe, expect, it } from "vitest";
import { createIntervalGate } from "../../lib/interval-gate.ts";

describe("an interval gate", () => {
  it("lets a key pass once per interval, and again once the interval is over", () => {
    const gate = createIntervalGate({ intervalMs: 10_000 });
    expect(gate.tryPass("writes", 1_000)).toBe(true);
    expect(gate.tryPass("writes", 1_001)).toBe(false);
    expect(gate.tryPass("writes", 10_999)).toBe(false);
    expect(gate.tryPass("writes", 11_000)).toBe(true);
    // The interval counts from the last pass, not from the last refusal.
    expect(gate.tryPass("writes", 20_999)).toBe(false);
    expect(gate.tryPass("writes", 21_000)).toBe(true);
  });

  it("keeps every key apart", () => {
    const gate = createIntervalGate({ intervalMs: 10_000 });
    expect(gate.tryPass("writes", 0)).toBe(true);
    expect(gate.tryPass("updates", 1)).toBe(true);
    expect(gate.tryPass("writes", 2)).toBe(false);
    expect(gate.tryPass("updates", 3)).toBe(false);
  });

  it("is not shut for good by a clock that went backwards", () => {
    const gate = createIntervalGate({ intervalMs: 10_000 });
    expect(gate.tryPass("writes", 50_000)).toBe(true);
    expect(gate.tryPass("writes", 40_000)).toBe(true);
    expect(gate.tryPass("writes", 45_000)).toBe(false);
  });

  it("remembers at most maxKeys keys: the one that passed longest ago is forgotten first", () => {
    const gate = createIntervalGate({ intervalMs: 10_000, maxKeys: 2 });
    expect(gate.tryPass("a", 0)).toBe(true);
    expect(gate.tryPass("b", 1)).toBe(true);
    expect(gate.tryPass("c", 2)).toBe(true);
    // "a" was forgotten to make room for "c"; "b" and "c" are still held back.
    expect(gate.tryPass("b", 3)).toBe(false);
    expect(gate.tryPass("c", 4)).toBe(false);
    expect(gate.tryPass("a", 5)).toBe(true);
    // Passing again made "a" the newest: "b" is now the oldest and was forgotten.
    expect(gate.tryPass("c", 6)).toBe(false);
    expect(gate.tryPass("b", 7)).toBe(true);
  });
});
