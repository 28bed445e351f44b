import { describe, expect, inject, it } from "vitest";
import { createDynamoClient } from "../../cli/dynamo-client.ts";
import { ensureTable } from "../../cli/ensure-table.ts";
import { validateRouteTable } from "../../routes/validate.ts";
import { createDynamoApi } from "../../store/dynamo-api.ts";
import { createDynamoStore } from "../../store/dynamo-store.ts";
import { memoryEdgeCache } from "../../store/edge-cache.ts";
import { MAX_CHAIN_VERSIONS, type ActiveTable } from "../../store/route-store.ts";
import { faultyDynamo } from "../support/faulty-dynamo.ts";

const connection = { endpoint: inject("dynamoEndpoint"), region: "us-east-1", accessKeyId: "local", secretAccessKey: "local" };
const BOUND = 6_000;

const tableAt = (weight: number) => {
  const result = validateRouteTable({ backends: { legacy: { url: "https://legacy.example.com" }, new: { url: "https://new.example.com" } }, default: "legacy", routes: [{ id: "r", match: { path: "/r" }, to: { legacy: 100 - weight, new: weight } }] });
  if (!result.ok) throw new Error("table");
  return result.value;
};

/** A store on a fresh table and a clock of its own, seeded with version 1 (0 %); readers count their DynamoDB calls. */
async function storeWithClock() {
  const tableName = `cutover-test-${crypto.randomUUID()}`;
  await ensureTable(createDynamoClient(connection, 3), tableName);
  const clock = { now: Date.parse("2026-12-07T12:00:00Z") };
  const writer = createDynamoStore({ client: createDynamoApi(connection), tableName, now: () => new Date(clock.now) });
  await writer.publish({ table: tableAt(0), expectedVersion: 0, author: "t", reason: "seed", action: "apply" });
  let version = 1;
  /** A weight raise (one propagation bound to wait) or a rollback (at once), `ms` after the last change. */
  const change = async (weight: number, options: { rollback?: boolean; ms?: number } = {}) => {
    clock.now += options.ms ?? 1000;
    const published = await writer.publish({ table: tableAt(weight), expectedVersion: version, author: "t", reason: `${weight} %`, action: options.rollback ? "rollback" : "weights", ...(options.rollback ? {} : { delayMs: BOUND }) });
    if (!published.ok) throw new Error("publish failed");
    version = published.value.version;
    return published.value;
  };
  const counted = faultyDynamo(createDynamoApi(connection));
  const reader = (edgeCache?: ReturnType<typeof memoryEdgeCache>) =>
    createDynamoStore({ client: counted.client, tableName, now: () => new Date(clock.now), ...(edgeCache ? { edgeCache: { cache: edgeCache, activeSeconds: 1 } } : {}) });
  const reads = () => ({ getItem: counted.calls.filter((call) => call.operation === "getItem").length, query: counted.calls.filter((call) => call.operation === "query").length });
  return { clock, change, reader, reads };
}

const chainOf = (active: ActiveTable) => (active.ancestors ?? []).map((ancestor) => [ancestor.version, ancestor.effectiveAt === undefined ? "in effect" : "waiting"]);

describe("the chain of versions still inside the propagation bound (DynamoDB store)", () => {
  it("reads the active version with every ancestor still waiting, down to the one in effect", async () => {
    const s = await storeWithClock();
    for (let weight = 1; weight <= 4; weight++) await s.change(weight); // versions 2…5, one a second
    const store = s.reader();
    const active = await store.getActive();
    expect(active.version).toBe(5);
    expect(chainOf(active)).toEqual([
      [4, "waiting"],
      [3, "waiting"],
      [2, "waiting"],
      [1, "in effect"],
    ]);
    expect(active.ancestors?.map((ancestor) => ancestor.table.routes[0]?.to)).toEqual([
      { legacy: 97, new: 3 },
      { legacy: 98, new: 2 },
      { legacy: 99, new: 1 },
      { legacy: 100, new: 0 },
    ]);
    // Four seconds on, versions 2 and 3 are in effect (written 1 and 2 s after the seed): the chain ends at 3.
    s.clock.now += 4000;
    expect((await store.getActive()).ancestors?.map((ancestor) => ancestor.version)).toEqual([4, 3]);
    // Once the active version is in effect itself, there is no chain.
    s.clock.now += BOUND;
    expect((await store.getActive()).ancestors).toBeUndefined();
  });

  it("ends the chain at a rollback: nothing written before it comes back", async () => {
    const s = await storeWithClock();
    await s.change(5); // 2, waiting
    await s.change(0, { rollback: true }); // 3, at once
    await s.change(1); // 4, waiting
    const active = await s.reader().getActive();
    expect(active.version).toBe(4);
    expect(chainOf(active)).toEqual([[3, "in effect"]]);
  });

  it(`holds at most ${MAX_CHAIN_VERSIONS} versions, newest first`, async () => {
    const s = await storeWithClock();
    for (let weight = 1; weight <= MAX_CHAIN_VERSIONS + 4; weight++) await s.change(weight, { ms: 10 });
    const active = await s.reader().getActive();
    expect(active.ancestors).toHaveLength(MAX_CHAIN_VERSIONS);
    expect(active.ancestors?.[0]?.version).toBe(active.version - 1);
    expect(active.ancestors?.every((ancestor) => ancestor.effectiveAt !== undefined)).toBe(true);
  });

  it("reads what a poll has not seen only: versions already read come from memory, and a colo's isolates share the rest", async () => {
    const s = await storeWithClock();
    for (let weight = 1; weight <= 3; weight++) await s.change(weight);
    const colo = memoryEdgeCache(() => s.clock.now);
    const first = s.reader(colo);
    expect((await first.getActive()).ancestors).toHaveLength(3);
    const cold = s.reads();
    expect(cold).toEqual({ getItem: 4, query: 4 }); // the pointer, three version items; four tables

    // Unchanged: the pointer, from the colo's cache within its second, and nothing else.
    await first.getActive();
    expect(s.reads()).toEqual(cold);

    // One change more: the poll reads the new pointer and the new table, not the chain again.
    await s.change(4);
    s.clock.now += 1100;
    expect((await first.getActive()).ancestors?.map((ancestor) => ancestor.version)).toEqual([4, 3, 2, 1]);
    const afterChange = s.reads();
    expect({ getItem: afterChange.getItem - cold.getItem, query: afterChange.query - cold.query }).toEqual({ getItem: 1, query: 1 });

    // Another isolate of the same colo: the pointer and every table from the colo's cache; of
    // the version items, only version 4's, which the colo had seen as the pointer only.
    const second = s.reader(colo);
    expect((await second.getActive()).ancestors?.map((ancestor) => ancestor.version)).toEqual([4, 3, 2, 1]);
    expect(s.reads()).toEqual({ getItem: afterChange.getItem + 1, query: afterChange.query });
    await s.reader(colo).getActive();
    expect(s.reads()).toEqual({ getItem: afterChange.getItem + 1, query: afterChange.query });
  });
});
