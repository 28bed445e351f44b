import { DeleteItemCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, inject, it } from "vitest";
import { createDynamoClient } from "../../cli/dynamo-client.ts";
import { ensureTable } from "../../cli/ensure-table.ts";
import { createDynamoApi } from "../../store/dynamo-api.ts";
import { createDualWriteExampleStore, MAX_EXAMPLES_PER_ROUTE, newestExamples, type DualWriteExample } from "../../store/dual-write-example-store.ts";
import { faultyDynamo, writesKey } from "../support/faulty-dynamo.ts";

const connection = { endpoint: inject("dynamoEndpoint"), region: "us-east-1", accessKeyId: "local", secretAccessKey: "local" };
const START = Date.parse("2026-11-25T17:20:00Z");

async function exampleStore() {
  const tableName = `cutover-test-${crypto.randomUUID()}`;
  await ensureTable(createDynamoClient(connection, 3), tableName);
  let now = START;
  const faulty = holding(faultyDynamo(createDynamoApi(connection)));
  const store = createDualWriteExampleStore({ client: faulty.client, tableName, now: () => new Date(now) });
  const items = async (route: string) => {
    const page = await createDynamoApi(connection).query({ TableName: tableName, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": { S: `dualwrite#${route}` } } });
    return page.Items ?? [];
  };
  return { store, faulty, items, tableName, advance: (ms: number) => (now += ms) };
}

/** A faulty client that can also hold one matching call back until `until` settles (`reached` once it is held). */
function holding(faulty: ReturnType<typeof faultyDynamo>) {
  let rule: { operation: "putItem"; match: (input: unknown) => boolean; until: Promise<void> } | undefined;
  let reachedHeld = () => {};
  const reached = new Promise<void>((resolve) => (reachedHeld = resolve));
  const putItem: typeof faulty.client.putItem = async (input) => {
    if (rule !== undefined && rule.match(input)) {
      const until = rule.until;
      rule = undefined;
      reachedHeld();
      await until;
    }
    return faulty.client.putItem(input);
  };
  return {
    ...faulty,
    client: { ...faulty.client, putItem },
    reached,
    hold(operation: "putItem", match: (input: unknown) => boolean, until: Promise<void>) {
      rule = { operation, match, until };
    },
  };
}

function example(n: number, overrides: Partial<DualWriteExample> = {}): DualWriteExample {
  return {
    at: new Date(START + n * 1000).toISOString(),
    route: "writes",
    version: 3,
    candidate: "lambda",
    outcome: n % 2 === 0 ? "failed" : "disagreed",
    method: "POST",
    path: `/accounts/${n}?token=[redacted]`,
    requestId: `req-${n}`,
    legacyStatus: 201,
    candidateStatus: n % 2 === 0 ? 500 : 200,
    candidateError: null,
    idempotencyKey: `key-${n}`,
    legacyId: `acc_${n}`,
    candidateBody: '{"error":"boom"}',
    ...overrides,
  };
}

describe("dual-write examples in the store", () => {
  it("keeps a route's 20 newest, newest first, in no more than 21 items", async () => {
    const t = await exampleStore();
    for (let n = 1; n <= 25; n++) await t.store.add(example(n));
    const read = await t.store.read("writes");
    expect(read.map((e) => e.requestId)).toEqual(Array.from({ length: MAX_EXAMPLES_PER_ROUTE }, (_, i) => `req-${25 - i}`));
    expect(read[0]).toEqual(example(25));
    expect(await t.items("writes")).toHaveLength(MAX_EXAMPLES_PER_ROUTE + 1);
    expect((await t.store.read("writes", 3)).map((e) => e.requestId)).toEqual(["req-25", "req-24", "req-23"]);
    // Each route has its own.
    expect(await t.store.read("updates")).toEqual([]);
  });

  it("loses no slot and keeps the bound when isolates store at once", async () => {
    const t = await exampleStore();
    await Promise.all(Array.from({ length: 30 }, (_, i) => t.store.add(example(i + 1))));
    const read = await t.store.read("writes");
    expect(read).toHaveLength(MAX_EXAMPLES_PER_ROUTE);
    expect(await t.items("writes")).toHaveLength(MAX_EXAMPLES_PER_ROUTE + 1);
  });

  it("never puts an older example over a newer one in the same slot (a slow writer), nor fails for it", async () => {
    const t = await exampleStore();
    // Example 1 takes number 1 (slot 0), and its put is held back while 20 more are stored:
    // number 21 lands in slot 0 first.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    t.faulty.hold("putItem", (input) => (input as { Item?: { seq?: { N?: string } } }).Item?.seq?.N === "1", held);
    const slow = t.store.add(example(1));
    await t.faulty.reached;
    for (let n = 2; n <= 21; n++) await t.store.add(example(n));
    release();
    await expect(slow).resolves.toBeUndefined();
    const slot0 = (await t.items("writes")).find((item) => item.sk?.S === "ex#00");
    expect(slot0?.seq?.N).toBe("21");
    expect((await t.store.read("writes")).map((e) => e.requestId)).toEqual(Array.from({ length: 20 }, (_, i) => `req-${21 - i}`));
  });

  it("lets a store failure through to the caller (the Worker's recorder logs it)", async () => {
    const t = await exampleStore();
    t.faulty.fail("updateItem", "refused", writesKey("next"));
    await expect(t.store.add(example(1))).rejects.toThrow(/refused/);
    await t.store.add(example(2));
    expect((await t.store.read("writes")).map((e) => e.requestId)).toEqual(["req-2"]);
  });

  it("skips expired examples (dynalite never deletes them) and damaged ones", () => {
    const item = (n: number, extra: Record<string, unknown> = {}) => ({ pk: "dualwrite#writes", sk: `ex#0${n}`, seq: n, at: example(n).at, example: JSON.stringify(example(n)), expiresAt: 2_000, ...extra });
    const read = newestExamples([item(1), item(2, { expiresAt: 1_000 }), item(3, { example: "{not json" }), item(4, { example: JSON.stringify({ route: "writes" }) }), item(5)], 1_500, 20);
    expect(read.map((e) => e.requestId)).toEqual(["req-5", "req-1"]);
    expect(newestExamples([item(1), item(5)], 1_500, 1).map((e) => e.requestId)).toEqual(["req-5"]);
  });

  it("stores examples again once the old ones have expired, even when the counter expired too and starts over", async () => {
    const t = await exampleStore();
    for (let n = 1; n <= 3; n++) await t.store.add(example(n));
    t.advance(15 * 24 * 3600 * 1000);
    expect(await t.store.read("writes")).toEqual([]);
    // What DynamoDB's TTL does to the counter (dynalite never does): number 1, slot 0, comes again.
    await createDynamoClient(connection).send(new DeleteItemCommand({ TableName: t.tableName, Key: { pk: { S: "dualwrite#writes" }, sk: { S: "next" } } }));
    await t.store.add(example(100));
    expect((await t.store.read("writes")).map((e) => e.requestId)).toEqual(["req-100"]);
  });
});
