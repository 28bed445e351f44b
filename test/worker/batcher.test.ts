import { describe, expect, it } from "vitest";
import { createBatcher, type SendOutcome } from "../../worker/batcher.ts";

/** A store whose writes complete only when the test says so. */
function heldStore() {
  const sent: number[] = [];
  const held: (() => void)[] = [];
  const send = (_key: string, batch: { n: number }) =>
    new Promise<SendOutcome<{ n: number }>>((resolve) => {
      held.push(() => {
        sent.push(batch.n);
        resolve({ retry: undefined, lost: 0 });
      });
    });
  return { sent, held, send };
}

describe("batcher", () => {
  it("flushes counts recorded while a send is in flight, with no further request to trigger it", async () => {
    const store = heldStore();
    const batcher = createBatcher<{ n: number }>({ empty: () => ({ n: 0 }), merge: (into, from) => (into.n += from.n), send: store.send, flushMs: 20, now: Date.now, onError: () => {} });
    batcher.get("k")!.n += 1;
    const first = batcher.flushIfDue(); // waits out the interval, then sends
    await expect.poll(() => store.held.length).toBe(1);
    batcher.get("k")!.n += 2; // the last request: recorded while the first send is in flight
    const second = batcher.flushIfDue();
    store.held[0]!();
    await first;
    await expect.poll(() => store.held.length).toBe(2);
    store.held[1]!();
    await second;
    expect(store.sent).toEqual([1, 2]);
    expect(batcher.health().pendingKeys).toBe(0);
  });

  it("sends one batch per interval however many requests ask", async () => {
    const store = heldStore();
    const batcher = createBatcher<{ n: number }>({ empty: () => ({ n: 0 }), merge: (into, from) => (into.n += from.n), send: store.send, flushMs: 20, now: Date.now, onError: () => {} });
    const waits: (Promise<void> | undefined)[] = [];
    for (let i = 0; i < 50; i++) {
      batcher.get("k")!.n += 1;
      waits.push(batcher.flushIfDue());
    }
    await expect.poll(() => store.held.length).toBe(1);
    store.held[0]!();
    await Promise.all(waits);
    expect(store.sent).toEqual([50]);
  });
});
