import { describe, expect, it } from "vitest";
import { createConfigCache } from "../../config/config-cache.ts";
import { NoRouteTableError } from "../../store/no-route-table-error.ts";
import type { ActiveTable, RouteTableSource } from "../../store/route-store.ts";
import { sampleTable, valid } from "../store/route-store-contract.ts";

const table = valid(sampleTable);
const split = valid({ ...sampleTable, routes: [{ ...sampleTable.routes[0], to: { legacy: 50, accounts: 50 } }] });

/** A source whose reads the test answers by hand, to order them against writes. */
function manualSource() {
  const pending: ((active: ActiveTable) => void)[] = [];
  const source: RouteTableSource = { getActive: () => new Promise((resolve) => pending.push(resolve)) };
  return { source, answer: (active: ActiveTable | number) => pending.shift()?.(typeof active === "number" ? { version: active, table } : active) };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("config cache", () => {
  it("does not go back to an older version when a slow read lands after a newer write", async () => {
    let now = 0;
    const { source, answer } = manualSource();
    const cache = createConfigCache({ source, ttlMs: 100, readTimeoutMs: 10_000, now: () => now });
    const cold = cache.snapshot(() => {});
    answer(5);
    expect((await cold)?.version).toBe(5);
    now = 200;
    const background: Promise<unknown>[] = [];
    cache.snapshot((promise) => background.push(promise)); // stale: a read of version 5 starts
    cache.accept({ version: 6, table }); // this isolate writes version 6
    answer(5); // the old read lands
    await tick();
    answer(6); // the confirmation read sees the write
    await Promise.all(background);
    expect((await cache.snapshot(() => {}))?.version).toBe(6);
  });

  it("follows a store whose active version went backwards (a restore), once a second read confirms it", async () => {
    let now = 0;
    const restores: [number, number][] = [];
    const { source, answer } = manualSource();
    const cache = createConfigCache({ source, ttlMs: 100, readTimeoutMs: 10_000, now: () => now, onRestore: (from, to) => restores.push([from, to]) });
    const cold = cache.snapshot(() => {});
    answer(9);
    await cold;
    now = 200;
    const background: Promise<unknown>[] = [];
    cache.current((promise) => background.push(promise));
    answer(4);
    await tick();
    answer(4);
    await Promise.all(background);
    expect(cache.current(() => {})?.version).toBe(4);
    expect(restores).toEqual([[9, 4]]);
  });

  it("serves the version a change replaces until its effectiveAt, then switches; cold isolates too", async () => {
    let now = 1_000;
    const effectiveAt = new Date(5_000).toISOString();
    const next: ActiveTable = { version: 2, table: split, info: { version: 2, parent: 1, createdAt: "", author: "a", reason: "r", action: "weights", routeCount: 1, effectiveAt }, ancestors: [{ version: 1, table }] };
    const { source, answer } = manualSource();
    const warm = createConfigCache({ source, ttlMs: 100, readTimeoutMs: 10_000, now: () => now });
    warm.accept({ version: 1, table });
    warm.accept(next);
    expect(warm.current(() => {})?.version).toBe(1);
    expect(warm.health()).toMatchObject({ status: "ok", version: 1, pending: { version: 2, effectiveAt } });

    const cold = createConfigCache({ source, ttlMs: 100, readTimeoutMs: 10_000, now: () => now });
    const first = cold.snapshot(() => {});
    answer(next);
    expect((await first)?.version).toBe(1);

    now = 5_000;
    expect(warm.current(() => {})?.version).toBe(2);
    expect(cold.current(() => {})?.version).toBe(2);
  });

  it("says 'starting' while the store holds no table, and degraded once the table is older than the propagation bound", async () => {
    let now = 0;
    const empty = createConfigCache({ source: { getActive: () => Promise.reject(new NoRouteTableError("test store")) }, ttlMs: 100, readTimeoutMs: 50, now: () => now });
    expect(await empty.snapshot(() => {})).toBeUndefined();
    expect(empty.health().status).toBe("starting");

    const stale = createConfigCache({ source: { getActive: () => new Promise(() => {}) }, ttlMs: 100, readTimeoutMs: 50, now: () => now });
    stale.accept({ version: 3, table });
    expect(stale.health().status).toBe("ok");
    now = 100 + 50 + 1000 + 1;
    expect(stale.health().status).toBe("degraded");
  });

  it("reads the store again for health when an idle isolate's table is older than the bound, and is degraded only when that read fails", async () => {
    let now = 0;
    let failing = false;
    let reads = 0;
    const source: RouteTableSource = {
      getActive: async () => {
        reads++;
        if (failing) throw new Error("store down");
        return { version: 3, table };
      },
    };
    const cache = createConfigCache({ source, ttlMs: 100, readTimeoutMs: 50, now: () => now });
    await cache.confirm(); // cold: one read
    expect(cache.health()).toMatchObject({ status: "ok", version: 3, ageMs: 0 });
    now = 1_000; // within the bound: health answers without reading
    await cache.confirm();
    expect(reads).toBe(1);
    now = 10_000; // idle, no request refreshed it
    expect(cache.health().status).toBe("degraded");
    await cache.confirm();
    expect(reads).toBe(2);
    expect(cache.health()).toMatchObject({ status: "ok", ageMs: 0 });
    failing = true;
    now = 20_000;
    await cache.confirm();
    expect(cache.health()).toMatchObject({ status: "degraded", version: 3, lastError: "store down" });
    // A public endpoint: after a failure, at most one read a second.
    now += 10;
    await cache.confirm();
    expect(reads).toBe(3);
  });

  it("says degraded when the read health makes is slower than the store timeout", async () => {
    let now = 0;
    let answering = true;
    const source: RouteTableSource = { getActive: () => (answering ? Promise.resolve({ version: 3, table }) : new Promise(() => {})) };
    const cache = createConfigCache({ source, ttlMs: 100, readTimeoutMs: 50, now: () => now });
    await cache.confirm();
    answering = false;
    now = 10_000;
    await cache.confirm(); // returns after the timeout, not when the store answers
    expect(cache.health()).toMatchObject({ status: "degraded", version: 3, lastError: "route table store did not answer within 50 ms" });
  });
});

/** Version `version` of a chain: weights `version` % new, taking effect at `at` (ms; undefined: at once, a rollback). */
function chained(version: number, at?: number) {
  const weighted = valid({ ...sampleTable, routes: [{ ...sampleTable.routes[0], to: { legacy: 100 - version, accounts: version } }] });
  return { version, table: weighted, ...(at === undefined ? {} : { effectiveAt: new Date(at).toISOString() }) };
}

/** The active version `version` as the store reads it, with the chain of versions before it. */
function activeWith(head: ReturnType<typeof chained>, ancestors: ReturnType<typeof chained>[] = []): ActiveTable {
  return {
    version: head.version,
    table: head.table,
    info: { version: head.version, parent: ancestors[0]?.version ?? head.version - 1, createdAt: "", author: "a", reason: "r", action: head.effectiveAt ? "weights" : "rollback", routeCount: 1, ...(head.effectiveAt ? { effectiveAt: head.effectiveAt } : {}) },
    ...(ancestors.length > 0 ? { ancestors } : {}),
  };
}

describe("config cache: a chain of versions faster than the propagation bound", () => {
  /** The version served at each moment, in order, by a cache on the injected clock. */
  const servedAt = (cache: ReturnType<typeof createConfigCache>, clock: { now: number }, moments: number[]) =>
    moments.map((moment) => {
      clock.now = moment;
      return cache.current(() => {})?.version;
    });

  it("serves each version of the chain at its own moment, a cold isolate too, and never goes back", async () => {
    const clock = { now: 1_000 };
    const { source, answer } = manualSource();
    const cache = createConfigCache({ source, ttlMs: 100_000, readTimeoutMs: 10_000, now: () => clock.now });
    const cold = cache.snapshot(() => {});
    // Version 5 is active; 2, 3 and 4 wait for their moments; 1 is in effect.
    answer(activeWith(chained(5, 5_000), [chained(4, 4_000), chained(3, 3_000), chained(2, 2_000), chained(1)]));
    expect((await cold)?.version).toBe(1);
    expect(cache.health()).toMatchObject({ status: "ok", version: 1, pending: { version: 5, effectiveAt: new Date(5_000).toISOString(), waiting: 4 } });
    expect(servedAt(cache, clock, [1_999, 2_000, 2_500, 3_000, 3_999, 4_000, 5_000, 9_000])).toEqual([1, 2, 2, 3, 3, 4, 5, 5]);
    expect(cache.health().pending).toBeUndefined();
  });

  it("skips to the newest version in effect when the isolate was idle through several moments", async () => {
    const clock = { now: 1_000 };
    const cache = createConfigCache({ source: manualSource().source, ttlMs: 100_000, readTimeoutMs: 10_000, now: () => clock.now });
    cache.accept(activeWith(chained(4, 4_000), [chained(3, 3_000), chained(2, 2_000), chained(1)]));
    expect(servedAt(cache, clock, [1_000, 3_500, 5_000])).toEqual([1, 3, 4]);
  });

  it("does not let a newer version read while others wait delay them", async () => {
    const clock = { now: 1_000 };
    const { source, answer } = manualSource();
    const cache = createConfigCache({ source, ttlMs: 100, readTimeoutMs: 10_000, now: () => clock.now });
    cache.accept(activeWith(chained(2, 3_000), [chained(1)]));
    expect(cache.current(() => {})?.version).toBe(1);
    // A second later the store has versions 3 and 4 (one change a second): the poll reads them.
    clock.now = 2_000;
    const background: Promise<unknown>[] = [];
    cache.current((promise) => background.push(promise));
    answer(activeWith(chained(4, 5_000), [chained(3, 4_000), chained(2, 3_000), chained(1)]));
    await Promise.all(background);
    expect(servedAt(cache, clock, [2_999, 3_000, 4_000, 5_000])).toEqual([1, 2, 3, 4]);
  });

  it("keeps the versions waiting before a write made through this isolate (accept)", async () => {
    const clock = { now: 1_000 };
    const cache = createConfigCache({ source: manualSource().source, ttlMs: 100_000, readTimeoutMs: 10_000, now: () => clock.now });
    cache.accept(activeWith(chained(3, 3_000), [chained(2, 2_000), chained(1)]));
    // A publish answers with its own version only: it joins the chain, it does not replace it.
    cache.accept(activeWith(chained(4, 4_000)));
    expect(cache.health().pending).toMatchObject({ version: 4, waiting: 3 });
    expect(servedAt(cache, clock, [1_000, 2_000, 3_000, 4_000])).toEqual([1, 2, 3, 4]);
  });

  it("does not serve early a change written through an isolate that never read the store: it reads the chain first", async () => {
    const clock = { now: 1_000 };
    const { source, answer } = manualSource();
    const cache = createConfigCache({ source, ttlMs: 100, readTimeoutMs: 10_000, now: () => clock.now });
    cache.accept(activeWith(chained(3, 4_000))); // an admin request was this isolate's first
    expect(cache.current(() => {})).toBeUndefined();
    const first = cache.snapshot(() => {});
    answer(activeWith(chained(3, 4_000), [chained(2, 3_000), chained(1)]));
    expect((await first)?.version).toBe(1);
    expect(servedAt(cache, clock, [3_000, 4_000])).toEqual([2, 3]);
  });

  it("ends the chain at a rollback: it serves at once, and the versions written before it never serve", async () => {
    const clock = { now: 1_000 };
    const { source, answer } = manualSource();
    const cache = createConfigCache({ source, ttlMs: 100, readTimeoutMs: 10_000, now: () => clock.now });
    cache.accept(activeWith(chained(3, 4_000), [chained(2, 3_000), chained(1)]));
    cache.accept(activeWith(chained(4))); // a rollback through this isolate
    expect(cache.current(() => {})?.version).toBe(4);
    expect(cache.health().pending).toBeUndefined();
    // The next change after the rollback: the store's chain ends at the rollback, in effect.
    clock.now = 2_000;
    const background: Promise<unknown>[] = [];
    cache.current((promise) => background.push(promise));
    answer(activeWith(chained(5, 7_000), [chained(4)]));
    await Promise.all(background);
    expect(servedAt(cache, clock, [3_000, 4_000, 6_999, 7_000])).toEqual([4, 4, 4, 5]);
  });

  it("serves a rollback read behind a newer change at once, and drops what waited before it", async () => {
    const clock = { now: 1_000 };
    const { source, answer } = manualSource();
    const cache = createConfigCache({ source, ttlMs: 100, readTimeoutMs: 10_000, now: () => clock.now });
    cache.accept(activeWith(chained(3, 4_000), [chained(2, 3_000), chained(1)]));
    clock.now = 2_000;
    const background: Promise<unknown>[] = [];
    cache.current((promise) => background.push(promise));
    // Another isolate rolled back (version 4) and then made a change (5): this poll sees 5.
    answer(activeWith(chained(5, 8_000), [chained(4)]));
    await Promise.all(background);
    expect(servedAt(cache, clock, [2_000, 3_000, 4_000, 8_000])).toEqual([4, 4, 4, 5]);
  });
});
