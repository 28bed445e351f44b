import { readFileSync } from "node:fs";
import path from "node:path";
import { marshall } from "@aws-sdk/util-dynamodb";
import { describe, expect, inject, it } from "vitest";
import { createDynamoClient } from "../../cli/dynamo-client.ts";
import { ensureTable } from "../../cli/ensure-table.ts";
import { PROJECT_ROOT } from "../../cli/wrangler-dev.ts";
import { importLegacySurface } from "../../control/legacy-surface.ts";
import { readLegacySurface } from "../../migration/read-legacy-surface.ts";
import { createDynamoApi } from "../../store/dynamo-api.ts";
import { createDynamoStore } from "../../store/dynamo-store.ts";
import { createLegacySurfaceStore } from "../../store/legacy-surface-store.ts";

const connection = { endpoint: inject("dynamoEndpoint"), region: "us-east-1", accessKeyId: "local", secretAccessKey: "local" };
const shop = readLegacySurface(readFileSync(path.join(PROJECT_ROOT, "fixtures", "legacy-surface", "rails-shop.txt"), "utf8")).endpoints;

async function fresh(partBytes?: number) {
  const tableName = `cutover-test-${crypto.randomUUID()}`;
  await ensureTable(createDynamoClient(connection, 3), tableName);
  const client = createDynamoApi(connection);
  return { client, tableName, surfaces: createLegacySurfaceStore({ client, tableName, ...(partBytes === undefined ? {} : { partBytes }) }), store: createDynamoStore({ client, tableName }) };
}

describe("the legacy surface in DynamoDB", () => {
  it("keeps every import, split in parts, the newest current, read back as written", async () => {
    const { surfaces } = await fresh(200);
    expect(await surfaces.latest()).toBeUndefined();
    const first = await surfaces.put({ endpoints: shop, format: "rails", sourceName: "routes.txt", author: "ann", reason: "first", expectedVersion: 0 });
    expect(first).toMatchObject({ ok: true, value: { version: 1, parent: 0, endpointCount: shop.length, format: "rails", sourceName: "routes.txt" } });
    const second = await surfaces.put({ endpoints: shop.slice(1), format: "rails-expanded", author: "bob", reason: "second", expectedVersion: 1 });
    expect(second).toMatchObject({ ok: true, value: { version: 2, parent: 1 } });
    expect((await surfaces.latest())?.endpoints).toEqual(shop.slice(1));
    expect((await surfaces.get(1))?.endpoints).toEqual(shop);
    expect(await surfaces.get(3)).toBeUndefined();
    expect((await surfaces.list(10)).map((info) => [info.version, info.author])).toEqual([[2, "bob"], [1, "ann"]]);
    expect(await surfaces.put({ endpoints: shop, format: "rails", author: "cy", reason: "late", expectedVersion: 1 })).toEqual({ ok: false, error: { reason: "stale_version", latestVersion: 2 } });
  });

  it("refuses to read an import whose parts were damaged", async () => {
    const { surfaces, client, tableName } = await fresh(200);
    await surfaces.put({ endpoints: shop, format: "rails", author: "ann", reason: "first", expectedVersion: 0 });
    await client.putItem({ TableName: tableName, Item: marshall({ pk: "legacy", sk: "e#000000001#0000", data: new Uint8Array([1, 2, 3]) }) });
    await expect(surfaces.latest()).rejects.toThrow(/missing or damaged/);
  });

  it("imports through control/, audited, and the same endpoints make no new import", async () => {
    const { surfaces, store } = await fresh();
    const deps = { surfaces, store };
    const first = await importLegacySurface(deps, { endpoints: shop, format: "rails", actor: "ann", reason: "the shop" });
    expect(first).toMatchObject({ ok: true, value: { unchanged: false, added: shop.length, info: { version: 1 } } });
    const same = await importLegacySurface(deps, { endpoints: shop, format: "rails", actor: "ann", reason: "again" });
    expect(same).toMatchObject({ ok: true, value: { unchanged: true, info: { version: 1 } } });
    const changed = await importLegacySurface(deps, { endpoints: shop.slice(0, -2).map((e, i) => (i === 0 ? { ...e, action: "other#x" } : e)), format: "rails", actor: "bob", reason: "less", expectedVersion: 1 });
    expect(changed).toMatchObject({ ok: true, value: { unchanged: false, added: 0, removed: 2, changed: 1, info: { version: 2, parent: 1 } } });
    expect(await importLegacySurface(deps, { endpoints: shop, format: "rails", actor: "cy", reason: "stale", expectedVersion: 1 })).toEqual({ ok: false, error: { reason: "stale_version", latestVersion: 2 } });
    const audit = (await store.listAudit({ limit: 10 })).filter((entry) => entry.action === "legacy-import");
    expect(audit.map((entry) => [entry.actor, entry.details?.surfaceBefore, entry.details?.surfaceAfter])).toEqual([["bob", 1, 2], ["ann", 0, 1]]);
  });
});
