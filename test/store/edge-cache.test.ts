import { describe, expect, inject, it } from "vitest";
import { createDynamoClient } from "../../cli/dynamo-client.ts";
import { ensureTable } from "../../cli/ensure-table.ts";
import { validateRouteTable } from "../../routes/validate.ts";
import { createDynamoApi } from "../../store/dynamo-api.ts";
import { createDynamoStore } from "../../store/dynamo-store.ts";
import { memoryEdgeCache } from "../../store/edge-cache.ts";
import { faultyDynamo } from "../support/faulty-dynamo.ts";

const connection = { endpoint: inject("dynamoEndpoint"), region: "us-east-1", accessKeyId: "local", secretAccessKey: "local" };
const table = (to: string) => {
  const result = validateRouteTable({ backends: { legacy: { url: "https://legacy.example.com" }, lambda: { url: "https://lambda.example.com" } }, default: "legacy", routes: [{ id: "orders", match: { path: "/orders/*" }, to }] });
  if (!result.ok) throw new Error("table");
  return result.value;
};

/** Three isolates of one data centre (one cache) over one DynamoDB table, and a writer. */
async function colo() {
  const tableName = `cutover-test-${crypto.randomUUID()}`;
  await ensureTable(createDynamoClient(connection, 3), tableName);
  const counted = faultyDynamo(createDynamoApi(connection));
  let now = Date.parse("2026-11-25T12:00:00Z");
  const cache = memoryEdgeCache(() => now);
  const isolates = [0, 1, 2].map(() => createDynamoStore({ client: counted.client, tableName, now: () => new Date(now), edgeCache: { cache, activeSeconds: 1 } }));
  const writer = createDynamoStore({ client: createDynamoApi(connection), tableName, now: () => new Date(now) });
  await writer.publish({ table: table("legacy"), expectedVersion: 0, author: "t", reason: "seed", action: "apply" });
  const reads = (operation: "getItem" | "query") => counted.calls.filter((call) => call.operation === operation).length;
  const coldIsolate = () => createDynamoStore({ client: counted.client, tableName, now: () => new Date(now), edgeCache: { cache, activeSeconds: 1 } });
  return { isolates, writer, cache, reads, coldIsolate, advance: (ms: number) => (now += ms) };
}

describe("the data centre's cache in front of the active table", () => {
  it("reads the active pointer from DynamoDB about once per second per data centre, whatever the isolates", async () => {
    const c = await colo();
    for (let tick = 0; tick < 10; tick++) {
      for (const isolate of c.isolates) expect((await isolate.getActive()).version).toBe(1);
      c.advance(250); // every isolate polls four times a second
    }
    // 30 polls over 2.5 s: the pointer at most once per second, the table once.
    expect(c.reads("getItem")).toBeLessThanOrEqual(3);
    expect(c.reads("query")).toBe(1);
  });

  it("lets one isolate refresh the pointer when several find it stale at the same moment", async () => {
    const c = await colo();
    await Promise.all(c.isolates.map((isolate) => isolate.getActive()));
    const before = c.reads("getItem");
    for (let second = 0; second < 4; second++) {
      c.advance(1000);
      // Every isolate polls at once, as isolates started together do.
      const versions = await Promise.all(c.isolates.map(async (isolate) => (await isolate.getActive()).version));
      expect(versions).toEqual([1, 1, 1]);
    }
    expect(c.reads("getItem") - before).toBe(4);
  });

  it("serves a new version within the cache's lifetime, and a fresh read goes past the cache", async () => {
    const c = await colo();
    await c.isolates[0]?.getActive();
    await c.writer.publish({ table: table("lambda"), expectedVersion: 1, author: "t", reason: "flip", action: "weights" });
    // Within the second the pointer is cached for: still version 1, unless asked fresh.
    expect((await c.isolates[1]?.getActive())?.version).toBe(1);
    expect((await c.isolates[1]?.getActive({ fresh: true }))?.version).toBe(2);
    c.advance(1100);
    expect((await c.isolates[2]?.getActive())?.table.routes[0]?.to).toBe("lambda");
  });

  it("treats a damaged cache entry as a miss, and never serves a table whose checksum does not match", async () => {
    const c = await colo();
    expect((await c.isolates[0]?.getActive())?.version).toBe(1);
    expect(c.cache.keys()).toHaveLength(2); // the pointer and the table
    for (const key of c.cache.keys()) await c.cache.put(key, new TextEncoder().encode(key.includes("/table/") ? "not gzip" : "{not json"), 60);
    const queriesBefore = c.reads("query");
    // A cold isolate of the same data centre: the damaged entries are read from DynamoDB instead.
    const cold = await c.coldIsolate().getActive();
    expect(cold).toMatchObject({ version: 1, table: { routes: [{ to: "legacy" }] } });
    expect(c.reads("query")).toBe(queriesBefore + 1);
  });
});
