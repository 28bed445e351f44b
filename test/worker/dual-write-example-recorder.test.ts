import { describe, expect, it } from "vitest";
import type { DualWriteExample, DualWriteExampleStore } from "../../store/dual-write-example-store.ts";
import { createDualWriteExampleRecorder, EXAMPLE_INTERVAL_MS } from "../../worker/dual-write-example-recorder.ts";

const EXAMPLE = { route: "writes", requestId: "req-1" } as DualWriteExample;

function fakeStore(fail = false): DualWriteExampleStore & { added: DualWriteExample[] } {
  const added: DualWriteExample[] = [];
  return {
    added,
    add: async (example) => {
      if (fail) throw new Error("DynamoDB refused");
      added.push(example);
    },
    read: async () => added,
  };
}

describe("the isolate's dual-write example recorder", () => {
  it("takes one example per route every 10 s; the other copies are only counted", () => {
    let now = 0;
    const recorder = createDualWriteExampleRecorder({ store: fakeStore(), now: () => now, onError: () => {} });
    expect(recorder.tryTake("writes")).toBe(true);
    expect(recorder.tryTake("writes")).toBe(false);
    expect(recorder.tryTake("updates")).toBe(true);
    now += EXAMPLE_INTERVAL_MS - 1;
    expect(recorder.tryTake("writes")).toBe(false);
    now += 1;
    expect(recorder.tryTake("writes")).toBe(true);
    expect(EXAMPLE_INTERVAL_MS).toBe(10_000);
  });

  it("stores an example, and never throws when the store fails: the failure goes to onError", async () => {
    const stored = fakeStore();
    await createDualWriteExampleRecorder({ store: stored, now: () => 0, onError: () => {} }).keep(EXAMPLE);
    expect(stored.added).toEqual([EXAMPLE]);
    const errors: unknown[] = [];
    await expect(createDualWriteExampleRecorder({ store: fakeStore(true), now: () => 0, onError: (error) => errors.push(error) }).keep(EXAMPLE)).resolves.toBeUndefined();
    expect(errors).toEqual([new Error("DynamoDB refused")]);
  });
});
