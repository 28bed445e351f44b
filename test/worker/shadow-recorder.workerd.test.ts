import { describe, expect, it } from "vitest";
import { createShadowRecorder } from "../../worker/shadow-recorder.ts";

describe("shadow load shedding", () => {
  it("allows a bounded number of shadow copies in flight and counts the ones it skips", () => {
    const recorder = createShadowRecorder({ store: undefined, maxAgeMs: 0, maxInflight: 2, now: Date.now, onError: () => {} });
    const [first, second, third] = [recorder.tryStart("r"), recorder.tryStart("r"), recorder.tryStart("r")];
    expect([first !== undefined, second !== undefined, third]).toEqual([true, true, undefined]);
    expect(recorder.stats("r").shed).toBe(1);
    first?.release();
    first?.release(); // twice is once
    expect(recorder.inflight().copies).toBe(1);
    expect(recorder.tryStart("r")).toBeDefined();
    expect(recorder.stats("r").shed).toBe(1);
  });

  it("bounds the bytes all copies hold, and frees a copy's bytes when it ends", () => {
    const recorder = createShadowRecorder({ store: undefined, maxAgeMs: 0, maxBytes: 100, now: Date.now, onError: () => {} });
    const a = recorder.tryStart("r");
    const b = recorder.tryStart("r");
    expect(a?.take(60)).toBe(true);
    expect(b?.take(50)).toBe(false);
    expect(b?.take(40)).toBe(true);
    expect(recorder.inflight()).toEqual({ copies: 2, bytes: 100 });
    expect(recorder.tryStart("r")).toBeUndefined(); // the budget is spent: shed before anything is teed
    a?.release();
    expect(recorder.inflight()).toEqual({ copies: 1, bytes: 40 });
    expect(recorder.stats("r").shed).toBe(1);
  });
});
