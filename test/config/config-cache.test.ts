import { describe, expect, it } from "vitest";
import { createConfigCache } from "../../config/config-cache.ts";
import type { ActiveTable, RouteTableSource } from "../../store/route-store.ts";
import { sampleTable, valid } from "../store/route-store-contract.ts";

/** A source whose reads the test answers by hand, to order them against writes. */
function manualSource() {
  const pending: ((active: ActiveTable) => void)[] = [];
  const source: RouteTableSource = { getActive: () => new Promise((resolve) => pending.push(resolve)) };
  return { source, answer: (version: number) => pending.shift()?.({ version, table: valid(sampleTable) }) };
}

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
    cache.accept({ version: 6, table: valid(sampleTable) }); // this isolate writes version 6
    answer(5); // the old read lands
    await Promise.all(background);
    expect((await cache.snapshot(() => {}))?.version).toBe(6);
  });
});
