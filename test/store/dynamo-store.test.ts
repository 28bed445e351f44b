import { PutItemCommand, QueryCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { describe, expect, inject, it } from "vitest";
import { createDynamoApi } from "../../store/dynamo-api.ts";
import { createDynamoClient } from "../../cli/dynamo-client.ts";
import { createDynamoStore } from "../../store/dynamo-store.ts";
import { ensureTable } from "../../cli/ensure-table.ts";
import { InvalidRouteTableError } from "../../store/invalid-route-table-error.ts";
import { dynamoFixtures } from "./dynamo-fixture.ts";
import { generateTable } from "../../fixtures/big-table.ts";
import { TABLE_SCHEMA_VERSION } from "../../routes/schema.ts";
import { lazyRoutesOf } from "../../routes/table-lines.ts";
import type { ValidatedRouteTable } from "../../routes/validate.ts";
import type { RouteTableStore } from "../../store/route-store.ts";
import { encodeUnchecked, writeUncheckedVersion } from "../support/write-unchecked-version.ts";
import { createShadowStore } from "../../store/shadow-store.ts";
import { emptyStats } from "../../compare/shadow-stats.ts";
import { describeShadowStoreContract } from "./shadow-store-contract.ts";
import { describeSourceContract, describeStoreContract, sampleTable, valid } from "./route-store-contract.ts";

const fixtures = dynamoFixtures(inject("dynamoEndpoint"));
describeSourceContract("DynamoDB store, from Node", fixtures.source);
describeStoreContract("DynamoDB store, from Node", fixtures.store);
describeShadowStoreContract("DynamoDB shadow store, from Node", fixtures.shadow);

describe("DynamoDB store: damaged items are refused, never served", () => {
  const client = createDynamoClient(fixtures.connection, 3);

  async function publishedStore() {
    const tableName = `cutover-test-${crypto.randomUUID()}`;
    await ensureTable(client, tableName);
    const store = createDynamoStore({ client: createDynamoApi(fixtures.connection), tableName });
    const result = await store.publish({ table: valid(sampleTable), expectedVersion: 0, author: "a", reason: "r", action: "apply" });
    if (!result.ok) throw new Error("publish failed");
    return { tableName, version: result.value.version };
  }

  async function refusal(tableName: string): Promise<InvalidRouteTableError> {
    const error = await createDynamoStore({ client: createDynamoApi(fixtures.connection), tableName }).getActive().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(InvalidRouteTableError);
    return error as InvalidRouteTableError;
  }

  it("refuses table bytes that do not match their SHA-256", async () => {
    const { tableName, version } = await publishedStore();
    await client.send(
      new PutItemCommand({ TableName: tableName, Item: marshall({ pk: "routes", sk: `t#${String(version).padStart(9, "0")}#0000`, data: new Uint8Array([1, 2, 3]) }) }),
    );
    expect((await refusal(tableName)).message).toContain("do not match their SHA-256");
  });

  it("refuses an active item with missing or mistyped fields", async () => {
    const { tableName } = await publishedStore();
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: marshall({ pk: "routes", sk: "active" }),
        UpdateExpression: "SET version = :v REMOVE sha256",
        ExpressionAttributeValues: marshall({ ":v": "seven" }),
      }),
    );
    const error = await refusal(tableName);
    expect(error.issues.map((issue) => issue.path)).toEqual(expect.arrayContaining(["$.version", "$.sha256"]));
  });
});

describe("DynamoDB store: what a version change costs a reader", () => {
  const client = createDynamoClient(fixtures.connection, 3);
  const versionItem = async (tableName: string, version: number) =>
    (await client.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: "pk = :pk AND sk = :sk", ExpressionAttributeValues: marshall({ ":pk": "routes", ":sk": `v#${String(version).padStart(9, "0")}` }) }))).Items?.[0];
  const reader = (tableName: string) => createDynamoStore({ client: createDynamoApi(fixtures.connection), tableName });

  async function freshTable() {
    const tableName = `cutover-test-${crypto.randomUUID()}`;
    await ensureTable(client, tableName);
    return tableName;
  }

  async function storeWith(table: ValidatedRouteTable) {
    const tableName = await freshTable();
    const result = await reader(tableName).publish({ table, expectedVersion: 0, author: "a", reason: "r", action: "apply" });
    if (!result.ok) throw new Error("publish failed");
    return { tableName, version: result.value.version };
  }

  /** A version written without cutover's publish (a hand edit, an older release), stamped or not. */
  async function writtenWith(table: unknown, stamped: boolean) {
    const tableName = await freshTable();
    const version = await writeUncheckedVersion({ client: createDynamoApi(fixtures.connection), tableName }, table, { stamped });
    return { tableName, version };
  }

  /** Rewrites the version's bytes and checksum, keeping the rest of its items (its schema stamp). */
  async function overwriteTable(tableName: string, version: number, table: unknown, layout: "lines" | "whole" = "lines") {
    const encoded = await encodeUnchecked(table, layout);
    await client.send(new PutItemCommand({ TableName: tableName, Item: marshall({ pk: "routes", sk: `t#${String(version).padStart(9, "0")}#0000`, data: encoded.bytes }) }));
    for (const sk of ["active", `v#${String(version).padStart(9, "0")}`]) {
      await client.send(new UpdateItemCommand({ TableName: tableName, Key: marshall({ pk: "routes", sk }), UpdateExpression: "SET sha256 = :s", ExpressionAttributeValues: marshall({ ":s": encoded.sha256 }) }));
    }
  }

  /** Structurally sound (the shapes the compiler walks, every backend named exists), but against a rule only full validation checks. */
  const weightsSumTo90 = { ...sampleTable, routes: [{ ...sampleTable.routes[0], to: { legacy: 80, accounts: 10 } }] };

  it("stamps every version it publishes with the rules' version; a version written without it carries none", async () => {
    const checked = await storeWith(valid(sampleTable));
    expect((await versionItem(checked.tableName, checked.version))?.schema).toEqual({ N: String(TABLE_SCHEMA_VERSION) });
    const unchecked = await writtenWith(sampleTable, false);
    expect((await versionItem(unchecked.tableName, unchecked.version))?.schema).toBeUndefined();
    // The stamp is the store's own: the versions listing shows the same fields as before.
    expect(Object.keys((await reader(checked.tableName).getActive()).info ?? {})).not.toContain("schema");
  });

  it("publishes only a validated table (checked by tsc: a stamp on anything else would be a lie)", () => {
    const request = { expectedVersion: 1, author: "a", reason: "r", action: "apply" } as const;
    const attempts = (store: RouteTableStore) => [
      // @ts-expect-error a table that was not validated
      store.publish({ ...request, table: weightsSumTo90 }),
      // @ts-expect-error a change made to a validated table is a new table, not validated
      store.publish({ ...request, table: { ...valid(sampleTable), routes: [] } }),
      store.publish({ ...request, table: valid(sampleTable) }),
    ];
    expect(attempts).toBeTypeOf("function");
  });

  it("reads a stamped version with the structural check only, and validates one without the stamp in full", async () => {
    // The same table, written with and without the stamp: the stamp alone decides how it is read.
    const stamped = await reader((await writtenWith(weightsSumTo90, true)).tableName).getActive();
    expect(stamped.table.routes[0]?.to).toEqual({ legacy: 80, accounts: 10 });
    expect(lazyRoutesOf(stamped.table)).toBeDefined();
    const error = await reader((await writtenWith(weightsSumTo90, false)).tableName).getActive().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(InvalidRouteTableError);
    expect((error as InvalidRouteTableError).issues).toContainEqual({ path: "$.routes[0].to", message: "weights sum to 90, they must sum to 100" });
  });

  it("reads a stamped table one route per line, each route parsed on first use, and one an earlier release stored whole", async () => {
    const { tableName, version } = await storeWith(valid(sampleTable));
    const lines = await reader(tableName).getActive();
    expect(lines.table).toEqual(valid(sampleTable));
    expect(lazyRoutesOf(lines.table)).toBeDefined();
    // Gzip-compressed JSON on one line, as releases before the line layout wrote it.
    await overwriteTable(tableName, version, sampleTable, "whole");
    const whole = await reader(tableName).getActive();
    expect(whole.table).toEqual(valid(sampleTable));
    expect(lazyRoutesOf(whole.table)).toBeUndefined();
  });

  it("serves a stamped table whose one route cannot be parsed, refuses that route when it is read, and lets it be replaced", async () => {
    const { tableName, version } = await storeWith(valid(sampleTable));
    const [first, ...others] = sampleTable.routes;
    // A hand-edited item with a recomputed checksum: the first route names a backend that does not exist.
    await overwriteTable(tableName, version, { ...sampleTable, routes: [{ ...first, to: "ghost" }, ...others] });
    const store = reader(tableName);
    const active = await store.getActive();
    let error: unknown;
    try {
      JSON.stringify(active.table);
    } catch (failure) {
      error = failure;
    }
    expect(error).toBeInstanceOf(InvalidRouteTableError);
    expect((error as InvalidRouteTableError).issues).toContainEqual({ path: "$.routes[0].to", message: "unknown backend 'ghost'" });
    // Publishing over it (a rollback, a fix) is never blocked by the table it replaces.
    const replaced = await store.publish({ table: valid(sampleTable), expectedVersion: version, author: "a", reason: "fix", action: "apply" });
    expect(replaced.ok && replaced.value.version).toBeGreaterThan(version);
  });

  it("still refuses a stamped table whose structure could not be served, even with a matching checksum", async () => {
    const { tableName, version } = await storeWith(valid(sampleTable));
    await overwriteTable(tableName, version, { ...sampleTable, default: "heroku" });
    const error = await reader(tableName).getActive().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(InvalidRouteTableError);
    expect((error as InvalidRouteTableError).issues).toContainEqual({ path: "$.default", message: "unknown backend 'heroku'" });
  });
});

describe("DynamoDB shadow store: items of the earlier layout", () => {
  it("still reads the exact-match signature and the histograms from their own items, beside the stats item", async () => {
    const client = createDynamoClient(fixtures.connection, 3);
    const tableName = `cutover-test-${crypto.randomUUID()}`;
    await ensureTable(client, tableName);
    const store = createShadowStore({ client: createDynamoApi(fixtures.connection), tableName });
    const hour = `h#${new Date().toISOString().slice(0, 13)}#`;
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    // As the release before wrote them: 3 comparisons, all matching.
    for (const item of [
      { sk: `${hour}stats`, compared: 3, expiresAt },
      { sk: `${hour}sig#`, count: 3, fields: "", expiresAt },
      { sk: `${hour}lat#control`, b2: 3, expiresAt },
      { sk: `${hour}lat#candidate`, b4: 3, expiresAt },
    ]) {
      await client.send(new PutItemCommand({ TableName: tableName, Item: marshall({ pk: "shadow#r", ...item }) }));
    }
    const batch = emptyStats();
    batch.compared = 2;
    batch.signatures.set("", 2);
    batch.controlLatency.set(2, 2);
    batch.candidateLatency.set(4, 2);
    await store.flush("r", batch);
    expect(await store.read("r")).toMatchObject({ compared: 5, signatures: { "": 5 }, controlLatency: { 2: 5 }, candidateLatency: { 4: 5 } });
  });

  it("reads header fields and signatures written before header differences were judged apart", async () => {
    const client = createDynamoClient(fixtures.connection, 3);
    const tableName = `cutover-test-${crypto.randomUUID()}`;
    await ensureTable(client, tableName);
    const store = createShadowStore({ client: createDynamoApi(fixtures.connection), tableName });
    const hour = `h#${new Date().toISOString().slice(0, 13)}#`;
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    // 4 comparisons whose only difference was a header, as the release before stored them.
    for (const item of [
      { sk: `${hour}stats`, compared: 4, expiresAt },
      { sk: `${hour}field#header:x-frame-options`, count: 4, field: "header:x-frame-options", expiresAt },
      { sk: `${hour}sig#header:x-frame-options`, count: 4, fields: "header:x-frame-options", expiresAt },
    ]) {
      await client.send(new PutItemCommand({ TableName: tableName, Item: marshall({ pk: "shadow#r", ...item }) }));
    }
    const stored = await store.read("r");
    expect(stored).toMatchObject({ compared: 4, fields: { "header:x-frame-options": 4 }, headerKinds: {}, signatures: { "header:x-frame-options": 4 } });
    const { buildShadowReport } = await import("../../compare/shadow-report.ts");
    expect(buildShadowReport("r", stored, { minComparisons: 1, threshold: 99, noiseRate: 0.05 })).toMatchObject({
      matched: 4,
      matchRate: 100,
      headers: [{ name: "x-frame-options", security: true, count: 4 }],
      verdict: { ready: true, securityHeaders: ["x-frame-options"] },
    });
  });
});

describe("DynamoDB store: tables larger than one item", () => {
  it("splits a table over several items and reassembles it exactly", async () => {
    const client = createDynamoClient(fixtures.connection, 3);
    const tableName = `cutover-test-${crypto.randomUUID()}`;
    await ensureTable(client, tableName);
    const big = valid(generateTable(10_000));
    const store = createDynamoStore({ client: createDynamoApi(fixtures.connection), tableName, partBytes: 16_384 });
    const result = await store.publish({ table: big, expectedVersion: 0, author: "a", reason: "r", action: "apply" });
    if (!result.ok) throw new Error("publish failed");
    const parts = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :t)",
        ExpressionAttributeValues: marshall({ ":pk": "routes", ":t": "t#" }),
        Select: "COUNT",
      }),
    );
    expect(parts.Count).toBeGreaterThan(1);
    expect((await createDynamoStore({ client: createDynamoApi(fixtures.connection), tableName }).getActive()).table).toEqual(big);
  });
});
