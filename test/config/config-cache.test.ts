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
    const next: ActiveTable = { version: 2, table: split, info: { version: 2, parent: 1, createdAt: "", author: "a", reason: "r", action: "weights", routeCount: 1, effectiveAt }, previous: { version: 1, table } };
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
});
