import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createBatcher, type SendOutcome } from "../../worker/batcher.ts";

type Counts = { n: number };

/** A store that records what it is sent; with `hold`, writes complete only when the test says so. */
function store(hold = false) {
  const sent: { key: string; n: number; at: number }[] = [];
  const held: (() => void)[] = [];
  const refuse = new Set<string>();
  /** Keys refused on every send. */
  const throttled = new Set<string>();
  let attempts = 0;
  const send = (key: string, batch: Counts) =>
    new Promise<SendOutcome<Counts>>((resolve) => {
      attempts++;
      const done = () => {
        if (refuse.delete(key) || throttled.has(key)) return resolve({ retry: batch, lost: 0 });
        sent.push({ key, n: batch.n, at: Date.now() });
        resolve({ retry: undefined, lost: 0 });
      };
      if (hold) held.push(done);
      else done();
    });
  return { sent, held, refuse, throttled, send, attempts: () => attempts };
}

function batcher(send: (key: string, batch: Counts) => Promise<SendOutcome<Counts>>, options: { maxAgeMs: number; maxRecords?: number; watchMs?: number; handoverMs?: number }) {
  return createBatcher<Counts>({ empty: () => ({ n: 0 }), merge: (into, from) => (into.n += from.n), send, now: Date.now, onError: () => {}, ...options });
}

/** One record of `key`, as a request makes it, handing any flush to `waits` (its waitUntil). */
function record(b: ReturnType<typeof batcher>, key: string, waits: Promise<void>[]) {
  (b.get(key) as Counts).n += 1;
  const flush = b.flushIfDue();
  if (flush) waits.push(flush);
}

describe("batcher", () => {
  beforeEach(() => void vi.useFakeTimers({ now: Date.parse("2026-11-25T12:00:00Z") }));
  afterEach(() => void vi.useRealTimers());

  it("sends a key once per maxAge however many records it gets, each key on its own age", async () => {
    const s = store();
    const b = batcher(s.send, { maxAgeMs: 1000 });
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) record(b, "a", waits);
    await vi.advanceTimersByTimeAsync(600);
    record(b, "b", waits);
    await vi.advanceTimersByTimeAsync(500); // a is due (1 000 ms), b is not yet
    expect(s.sent.map(({ key, n }) => [key, n])).toEqual([["a", 50]]);
    await vi.advanceTimersByTimeAsync(600);
    expect(s.sent.map(({ key, n }) => [key, n])).toEqual([
      ["a", 50],
      ["b", 1],
    ]);
    expect(waits).toHaveLength(1); // one watcher held by one request; the others hold nothing
  });

  it("sends a key at once when it holds maxRecords", async () => {
    const s = store();
    const b = batcher(s.send, { maxAgeMs: 60_000, maxRecords: 10 });
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 25; i++) record(b, "a", waits);
    await vi.advanceTimersByTimeAsync(0);
    expect(s.sent.map(({ n }) => n)).toEqual([10, 10]);
    expect(b.health()).toMatchObject({ pendingKeys: 1, pendingRecords: 5 });
  });

  it("sends counts recorded while a send is in flight, with no further request to trigger it", async () => {
    const s = store(true);
    const b = batcher(s.send, { maxAgeMs: 20 });
    const waits: Promise<void>[] = [];
    record(b, "k", waits);
    await vi.advanceTimersByTimeAsync(20);
    expect(s.held).toHaveLength(1);
    record(b, "k", waits); // the last request: recorded while the first send is in flight
    record(b, "k", waits);
    s.held[0]?.();
    await vi.advanceTimersByTimeAsync(20);
    expect(s.held).toHaveLength(2);
    s.held[1]?.();
    await Promise.all(waits);
    expect(s.sent.map(({ n }) => n)).toEqual([1, 2]);
    expect(b.health().pendingKeys).toBe(0);
  });

  it("lets a key wait longer than one request may hold background work while traffic continues, and sends it all when traffic stops", async () => {
    const s = store();
    // A watcher lives 1 s; a key may wait 5 s.
    const b = batcher(s.send, { maxAgeMs: 5000, watchMs: 1000, handoverMs: 400 });
    const waits: Promise<void>[] = [];
    for (let t = 0; t < 3000; t += 100) {
      record(b, "busy", waits);
      await vi.advanceTimersByTimeAsync(100);
    }
    // 3 s of traffic, three watchers' lives: nothing sent yet, and each watcher handed over.
    expect(s.sent).toEqual([]);
    expect(waits.length).toBeGreaterThan(3);
    const stoppedAt = Date.now();
    await vi.advanceTimersByTimeAsync(1000);
    // The last watcher's end: what was pending goes out, once, whole.
    expect(s.sent.map(({ key, n }) => [key, n])).toEqual([["busy", 30]]);
    expect((s.sent[0]?.at ?? 0) - stoppedAt).toBeLessThanOrEqual(1000);
    await Promise.all(waits);
  });

  it("keeps what the store refused for another maxAge, and sends it then", async () => {
    const s = store();
    const b = batcher(s.send, { maxAgeMs: 1000 });
    const waits: Promise<void>[] = [];
    s.refuse.add("a");
    for (let i = 0; i < 3; i++) record(b, "a", waits);
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.sent).toEqual([]);
    expect(b.health()).toMatchObject({ pendingKeys: 1, pendingRecords: 3 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.sent.map(({ n }) => n)).toEqual([3]);
    await Promise.all(waits);
  });

  it("sends a refused batch again even when the watcher that covered it has ended meanwhile", async () => {
    const s = store(true);
    const b = batcher(s.send, { maxAgeMs: 1000 });
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 3; i++) record(b, "a", waits); // watcher W1
    await vi.advanceTimersByTimeAsync(999);
    // A request at the due moment sends "a" itself, before W1 wakes; W1 then finds nothing and ends.
    vi.setSystemTime(Date.now() + 1);
    s.refuse.add("a");
    const request = b.flushIfDue();
    expect(request).toBeDefined();
    await vi.advanceTimersByTimeAsync(1);
    s.held.shift()?.(); // refused: back in memory, with no watcher running
    await vi.advanceTimersByTimeAsync(0);
    expect(b.health()).toMatchObject({ pendingKeys: 1, pendingRecords: 3 });
    await vi.advanceTimersByTimeAsync(1000); // the request watches it, and sends it once it is due again
    s.held.shift()?.();
    await request;
    expect(s.sent.map(({ n }) => n)).toEqual([3]);
    await Promise.all(waits);
  });

  it("does not send a full batch the store refused again before its age, however small maxRecords is", async () => {
    const s = store();
    const b = batcher(s.send, { maxAgeMs: 1000, maxRecords: 1 });
    const waits: Promise<void>[] = [];
    s.throttled.add("a");
    record(b, "a", waits);
    await vi.advanceTimersByTimeAsync(900);
    expect(s.attempts()).toBe(1);
    s.throttled.delete("a");
    await vi.advanceTimersByTimeAsync(200);
    expect(s.sent.map(({ n }) => n)).toEqual([1]);
    await Promise.all(waits);
  });

  it("ends a watcher within the time its caller has left, sending what is pending then", async () => {
    const s = store();
    const b = batcher(s.send, { maxAgeMs: 60_000 });
    (b.get("a") as Counts).n += 1;
    const watcher = b.flushIfDue(500); // a shadow copy that already used most of its 30 s
    await vi.advanceTimersByTimeAsync(500);
    expect(s.sent.map(({ n }) => n)).toEqual([1]);
    await watcher;
  });

  it("starts a new watcher when the last one was cut off by the platform", async () => {
    const s = store();
    const b = batcher(s.send, { maxAgeMs: 500, watchMs: 1000, handoverMs: 400 });
    // A watcher that never runs again (its request was cut off): the clock jumps past it.
    (b.get("a") as Counts).n += 1;
    void b.flushIfDue();
    vi.setSystemTime(Date.now() + 5000);
    const waits: Promise<void>[] = [];
    record(b, "a", waits);
    expect(waits).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.sent.reduce((sum, { n }) => sum + n, 0)).toBe(2);
  });
});
