import { describe, expect, it } from "vitest";
import { createShadowRecorder } from "../../worker/shadow-recorder.ts";

describe("shadow load shedding", () => {
  it("allows a bounded number of shadow copies in flight and counts the ones it skips", () => {
    const recorder = createShadowRecorder({ store: undefined, flushMs: 0, maxInflight: 2, now: Date.now, onError: () => {} });
    expect([recorder.tryStart("r"), recorder.tryStart("r"), recorder.tryStart("r")]).toEqual([true, true, false]);
    expect(recorder.stats("r").shed).toBe(1);
    recorder.finish();
    expect(recorder.tryStart("r")).toBe(true);
    expect(recorder.stats("r").shed).toBe(1);
  });
});
