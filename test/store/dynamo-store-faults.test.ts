import { describe, expect, inject, it } from "vitest";
import { createDynamoClient } from "../../cli/dynamo-client.ts";
import { ensureTable } from "../../cli/ensure-table.ts";
import { createDynamoApi } from "../../store/dynamo-api.ts";
import { createDynamoStore } from "../../store/dynamo-store.ts";
import { faultyDynamo, writesKey } from "../support/faulty-dynamo.ts";
import { sampleTable, valid } from "./route-store-contract.ts";

const connection = { endpoint: inject("dynamoEndpoint"), region: "us-east-1", accessKeyId: "local", secretAccessKey: "local" };
const v1 = valid(sampleTable);
const v2 = valid({ ...sampleTable, routes: [{ ...sampleTable.routes[0], to: { legacy: 50, accounts: 50 } }] });
const v3 = valid({ ...sampleTable, routes: [] });

/** A store over a fresh table whose DynamoDB calls the test can make fail. */
async function faultyStore() {
  const tableName = `cutover-test-${crypto.randomUUID()}`;
  await ensureTable(createDynamoClient(connection, 3), tableName);
  const faults = faultyDynamo(createDynamoApi(connection));
  const store = createDynamoStore({ client: faults.client, tableName, retryDelayMs: 1 });
  const plain = createDynamoStore({ client: createDynamoApi(connection), tableName });
  const publish = (table: typeof v1, expectedVersion: number, reason = "test") => store.publish({ table, expectedVersion, author: "alice", reason, action: "apply" });
  return { store, plain, faults, publish };
}

const setsActivatedAt = (input: unknown) => String((input as { UpdateExpression?: string }).UpdateExpression).includes("activatedAt");
const isActivePut = writesKey("active");
const writesAudit = (input: unknown) => (input as { Item?: { pk?: { S?: string } } }).Item?.pk?.S === "audit";

describe("DynamoDB store under store faults: nothing lost, audit complete, rollback works", () => {
  it("retries the activation-time write; when it fails every time, the live version is still history and its parent can be rolled back to", async () => {
    const { plain, faults, publish } = await faultyStore();
    const first = await publish(v1, 0);
    if (!first.ok) throw new Error("publish failed");
    faults.fail("updateItem", "refused", setsActivatedAt, 3);
    const second = await publish(v2, first.value.version);
    if (!second.ok) throw new Error("publish failed");
    expect(second.value.warnings).toEqual([expect.stringContaining("activation time could not be recorded")]);
    const listing = await plain.listVersions({ limit: 10 });
    expect(listing.versions.map((info) => info.version)).toEqual([second.value.version, first.value.version]);
    expect((await plain.getVersion(first.value.version))?.table).toEqual(v1);

    faults.fail("updateItem", "lost", setsActivatedAt, 1);
    const third = await publish(v3, second.value.version);
    expect(third.ok && third.value.warnings).toBeUndefined(); // a lost answer is retried: the write was idempotent
  });

  it("finishes the bookkeeping when an activation took effect but its answer was lost: no 503, an audit entry, and a retry is not a 412", async () => {
    const { plain, faults, publish } = await faultyStore();
    const first = await publish(v1, 0, "seed");
    if (!first.ok) throw new Error("publish failed");
    faults.fail("putItem", "lost", isActivePut, 1);
    const second = await publish(v2, first.value.version, "half answered");
    if (!second.ok) throw new Error(`expected success, got ${JSON.stringify(second.error)}`);
    expect(second.value.warnings).toBeUndefined();
    expect((await plain.getActive()).version).toBe(second.value.version);
    expect((await plain.listAudit({ limit: 10 })).map((entry) => entry.reason)).toEqual(["half answered", "seed"]);
    // The caller who never saw the answer tries again with the same base: same table, same version.
    expect(await publish(v2, first.value.version, "half answered")).toMatchObject({ ok: true, value: { version: second.value.version, unchanged: true } });
  });

  it("tries an activation again when the put never arrived, and activates exactly once", async () => {
    const { plain, faults, publish } = await faultyStore();
    const first = await publish(v1, 0);
    if (!first.ok) throw new Error("publish failed");
    faults.fail("putItem", "dropped", isActivePut, 1);
    const second = await publish(v2, first.value.version);
    expect(second.ok).toBe(true);
    expect((await plain.getActive()).table).toEqual(v2);
    expect(await plain.listAudit({ limit: 10 })).toHaveLength(2);
  });

  it("says so in the result when the audit entry could not be recorded, though the version is live", async () => {
    const { plain, faults, publish } = await faultyStore();
    faults.fail("putItem", "refused", writesAudit, 3);
    const first = await publish(v1, 0);
    if (!first.ok) throw new Error("publish failed");
    expect(first.value.warnings).toEqual([expect.stringContaining("audit entry could not be recorded")]);
    expect((await plain.getActive()).version).toBe(first.value.version);
  });

  it("explains the version numbers that never served", async () => {
    const { plain, faults, publish } = await faultyStore();
    const first = await publish(v1, 0);
    if (!first.ok) throw new Error("publish failed");
    // A writer whose version item never got written: its number is handed out and lost.
    faults.fail("putItem", "refused", writesKey(`v#${String(first.value.version + 1).padStart(9, "0")}`), 3);
    expect(await publish(v2, first.value.version).catch((error: unknown) => error)).toBeInstanceOf(Error);
    const next = await publish(v3, first.value.version);
    if (!next.ok) throw new Error("publish failed");
    const listing = await plain.listVersions({ limit: 10 });
    expect(listing.skipped).toEqual([{ version: first.value.version + 1, reason: expect.stringContaining("did not complete") }]);
  });
});
