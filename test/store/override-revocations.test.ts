import { describe, expect, inject, it } from "vitest";
import { createDynamoClient } from "../../cli/dynamo-client.ts";
import { ensureTable } from "../../cli/ensure-table.ts";
import { createDynamoApi, type DynamoApi } from "../../store/dynamo-api.ts";
import { createDynamoStore } from "../../store/dynamo-store.ts";
import { NoRouteTableError } from "../../store/no-route-table-error.ts";
import { valid } from "./route-store-contract.ts";

const connection = { endpoint: inject("dynamoEndpoint"), region: "us-east-1", accessKeyId: "local", secretAccessKey: "local" };
const table = (weight: number) => valid({ backends: { legacy: { url: "http://127.0.0.1:1" }, new: { url: "http://127.0.0.1:2" } }, default: "legacy", routes: [{ id: "r", match: { path: "/r" }, to: { legacy: 100 - weight, new: weight } }] });
const ID = "0123456789abcdef";

async function freshTable(): Promise<string> {
  const tableName = `cutover-test-${crypto.randomUUID()}`;
  await ensureTable(createDynamoClient(connection, 3), tableName);
  return tableName;
}

/**
 * The deny-list of tester overrides lives on the active pointer, which every isolate reads
 * each TTL: every activation must carry it, and a revocation and an activation at the same
 * moment must not overwrite each other.
 */
describe("revoked tester overrides in the DynamoDB store", () => {
  it("are read with the active table, carried by every later publish and rollback, and dropped once no such token can be valid", async () => {
    const tableName = await freshTable();
    let now = Date.parse("2026-12-07T12:00:00Z");
    const store = createDynamoStore({ client: createDynamoApi(connection), tableName, now: () => new Date(now) });
    await expect(store.revokeOverride(ID, now / 1000 + 60)).rejects.toBeInstanceOf(NoRouteTableError);
    expect((await store.publish({ table: table(0), expectedVersion: 0, author: "t", reason: "seed", action: "apply" })).ok).toBe(true);
    await store.revokeOverride(ID, now / 1000 + 3600);
    expect((await store.getActive()).revokedOverrides).toEqual([ID]);
    const published = await store.publish({ table: table(10), expectedVersion: 1, author: "t", reason: "10 %", action: "weights" });
    expect(published.ok && published.value.revokedOverrides).toEqual([ID]);
    expect((await store.publish({ table: table(0), expectedVersion: 2, author: "t", reason: "back", action: "rollback", restoredFrom: 1 })).ok).toBe(true);
    expect((await createDynamoStore({ client: createDynamoApi(connection), tableName, now: () => new Date(now) }).getActive()).revokedOverrides).toEqual([ID]);
    now += 3601_000;
    expect((await store.getActive({ fresh: true })).revokedOverrides).toBeUndefined();
  });

  it("keep a revocation made between a publish's read and its activation", async () => {
    const tableName = await freshTable();
    const api = createDynamoApi(connection);
    const other = createDynamoStore({ client: api, tableName });
    let raced = false;
    // The publishing writer's client: just before its activation, another writer revokes an override.
    const client: DynamoApi = {
      ...api,
      putItem: async (input) => {
        const item = input.Item as { sk?: { S?: string }; version?: { N?: string } } | undefined;
        if (!raced && item?.sk?.S === "active" && item.version?.N === "2") {
          raced = true;
          await other.revokeOverride(ID, Date.now() / 1000 + 3600);
        }
        return api.putItem(input);
      },
    };
    const store = createDynamoStore({ client, tableName });
    expect((await store.publish({ table: table(0), expectedVersion: 0, author: "t", reason: "seed", action: "apply" })).ok).toBe(true);
    const published = await store.publish({ table: table(50), expectedVersion: 1, author: "t", reason: "50 %", action: "weights" });
    expect(raced).toBe(true);
    expect(published.ok && published.value.version).toBe(2);
    expect((await other.getActive()).revokedOverrides).toEqual([ID]);
    expect((await other.getActive()).version).toBe(2);
  });
});
