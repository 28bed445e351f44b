import { describe, expect, inject, it } from "vitest";
import { createDynamoClient } from "../../cli/dynamo-client.ts";
import { ensureTable } from "../../cli/ensure-table.ts";
import { createDynamoApi } from "../../store/dynamo-api.ts";
import { armEvidence, countEvidence, emptyEvidence, type EvidenceOutcome } from "../../accounting/evidence-counts.ts";
import { sketchBuckets } from "../../accounting/user-sketch.ts";
import { userBucket } from "../../accounting/users.ts";
import { createMetricsStore, MAX_NEW_TEMPLATES_PER_MINUTE, type InventoryCounts } from "../../store/metrics-store.ts";
import { faultyDynamo } from "../support/faulty-dynamo.ts";

const connection = { endpoint: inject("dynamoEndpoint"), region: "us-east-1", accessKeyId: "local", secretAccessKey: "local" };

async function metricsStore(options: { maxNewTemplatesPerMinute?: number; maxTemplates?: number } = {}) {
  const tableName = `cutover-test-${crypto.randomUUID()}`;
  await ensureTable(createDynamoClient(connection, 3), tableName);
  let now = Date.parse("2026-11-25T17:20:30Z");
  const store = createMetricsStore({ client: createDynamoApi(connection), tableName, ...options, now: () => new Date(now) });
  const counts = async () => new Map((await store.inventory()).map((item) => [item.template, item.count]));
  return { store, counts, advance: (ms: number) => (now += ms) };
}

/** Inventory entries in the order given (the recorder's order: busiest first). */
const entries = (...templates: [template: string, count: number][]): Map<string, InventoryCounts> =>
  new Map(templates.map(([template, count]) => [template, { count, methods: new Set(["GET"]), status: [count, 0, 0, 0], firstSeen: "2026-11-25T17:20Z", lastSeen: "2026-11-25T17:20Z" }]));

describe("migration map: new templates per isolate and minute", () => {
  it("with the cap at N, a flush stores the N busiest new templates and turns the rest away, while stored templates still count; the next minute admits again", async () => {
    const t = await metricsStore({ maxNewTemplatesPerMinute: 3 });
    expect(await t.store.addInventory(entries(["/old/a", 5], ["/old/b", 5]))).toMatchObject({ unadmitted: 0, lost: 0 });
    t.advance(60_000);

    // Busiest first: the first three may create at once (two do); what is left of the
    // allowance goes to the busiest of the new ones after them.
    const flush = entries(["/new/1", 100], ["/old/a", 90], ["/new/2", 80], ["/new/3", 70], ["/old/b", 60], ["/new/4", 50], ["/new/5", 40]);
    expect(await t.store.addInventory(flush)).toEqual({ retry: undefined, lost: 0, unadmitted: 2 });
    expect(Object.fromEntries(await t.counts())).toEqual({ "/old/a": 95, "/old/b": 65, "/new/1": 100, "/new/2": 80, "/new/3": 70 });

    // The same minute: the allowance is spent, a stored template still counts.
    expect(await t.store.addInventory(entries(["/new/4", 10], ["/old/a", 1]))).toMatchObject({ unadmitted: 1 });
    expect((await t.counts()).get("/old/a")).toBe(96);
    expect((await t.counts()).has("/new/4")).toBe(false);

    t.advance(60_000);
    expect(await t.store.addInventory(entries(["/new/4", 10], ["/new/5", 10], ["/new/6", 10], ["/new/7", 10]))).toMatchObject({ unadmitted: 1 });
    expect([...(await t.counts()).keys()].sort()).toEqual(["/new/1", "/new/2", "/new/3", "/new/4", "/new/5", "/new/6", "/old/a", "/old/b"]);
    expect(await t.store.storedTemplates()).toBe(8);
  });

  it(`admits ${MAX_NEW_TEMPLATES_PER_MINUTE} new templates per minute by default`, async () => {
    const t = await metricsStore();
    const flush = entries(...Array.from({ length: MAX_NEW_TEMPLATES_PER_MINUTE + 5 }, (_, i): [string, number] => [`/area${i}`, 100 - i]));
    expect(await t.store.addInventory(flush)).toMatchObject({ unadmitted: 5 });
    expect((await t.counts()).size).toBe(MAX_NEW_TEMPLATES_PER_MINUTE);
    expect((await t.counts()).has(`/area${MAX_NEW_TEMPLATES_PER_MINUTE}`)).toBe(false);
  });

  it("admits no more new templates than the bound on stored ones leaves room for", async () => {
    const t = await metricsStore({ maxTemplates: 4, maxNewTemplatesPerMinute: 10 });
    expect(await t.store.addInventory(entries(["/a", 6], ["/b", 5], ["/c", 4], ["/d", 3], ["/e", 2], ["/f", 1]))).toMatchObject({ unadmitted: 2 });
    expect([...(await t.counts()).keys()].sort()).toEqual(["/a", "/b", "/c", "/d"]);
  });
});

describe("rollout evidence cells", () => {
  /** One isolate's cell: `users` clients, one request each, every `failEvery`-th failing, every `fourEvery`-th a 4xx. */
  const cellOf = (users: number, offset = 0) => {
    const cell = emptyEvidence();
    for (let i = 0; i < users; i++) {
      const n = i + offset;
      const outcome: EvidenceOutcome = n % 10 === 0 ? "failure" : n % 10 === 5 ? "client-error" : "ok";
      countEvidence(cell, outcome, 30 + (n % 4), userBucket(`198.18.${Math.floor(n / 250)}.${(n % 250) + 1}`));
    }
    return cell;
  };

  it("adds cells from several isolates as unions of users, and reads the sketches back bit for bit", async () => {
    const tableName = `cutover-test-${crypto.randomUUID()}`;
    await ensureTable(createDynamoClient(connection, 3), tableName);
    const store = createMetricsStore({ client: createDynamoApi(connection), tableName, now: () => new Date("2026-11-25T17:20:30Z") });
    // Two isolates, 300 users each, 100 of them seen by both.
    const a = cellOf(300);
    const b = cellOf(300, 200);
    expect(await store.addEvidence({ route: "orders", version: 42, backend: "lambda" }, a)).toEqual({ retry: undefined, lost: 0 });
    expect(await store.addEvidence({ route: "orders", version: 42, backend: "lambda" }, b)).toEqual({ retry: undefined, lost: 0 });
    await store.addEvidence({ route: "orders", version: 41, backend: "lambda" }, cellOf(50));
    await store.addEvidence({ route: "orders", version: 42, backend: "legacy" }, cellOf(20));
    const cells = await store.evidence("orders", [42]);
    expect(cells.map((cell) => [cell.version, cell.backend]).sort()).toEqual([[42, "lambda"], [42, "legacy"]]);
    const lambda = cells.find((cell) => cell.backend === "lambda")?.counts;
    const union = cellOf(500);
    expect(sketchBuckets(lambda?.users as Uint8Array)).toEqual(sketchBuckets(union.users));
    expect(sketchBuckets(lambda?.failedUsers as Uint8Array)).toEqual(sketchBuckets(union.failedUsers));
    expect(sketchBuckets(lambda?.clientErrorUsers as Uint8Array)).toEqual(sketchBuckets(union.clientErrorUsers));
    // Estimated from the sketches: within linear counting's error of the 500 users (50 of them failed, 50 got a 4xx).
    const estimated = armEvidence(lambda ?? emptyEvidence());
    expect(estimated.requests).toBe(600);
    expect(Math.abs(estimated.users - 500)).toBeLessThanOrEqual(15);
    expect(Math.abs(estimated.failedUsers - 50)).toBeLessThanOrEqual(2);
    expect(Math.abs(estimated.clientErrorUsers - 50)).toBeLessThanOrEqual(2);
    // Several versions in one query, and only those asked for.
    expect((await store.evidence("orders", [41, 42])).length).toBe(3);
    expect(await store.evidence("orders", [40])).toEqual([]);
  });

  it("is exact in users when a write is applied twice (a retry after an answer that never came): set union", async () => {
    const tableName = `cutover-test-${crypto.randomUUID()}`;
    await ensureTable(createDynamoClient(connection, 3), tableName);
    const faults = faultyDynamo(createDynamoApi(connection));
    const store = createMetricsStore({ client: faults.client, tableName, now: () => new Date("2026-11-25T17:20:30Z") });
    const cell = cellOf(300);
    faults.fail("updateItem", "lost");
    // The write applied, but its answer was lost: a writer that retries it sends the same sketches again.
    expect(await store.addEvidence({ route: "orders", version: 42, backend: "lambda" }, cell)).toEqual({ retry: undefined, lost: 1 });
    await store.addEvidence({ route: "orders", version: 42, backend: "lambda" }, cell);
    const [stored] = await store.evidence("orders", [42]);
    const twice = armEvidence(stored?.counts ?? emptyEvidence());
    const once = armEvidence(cell);
    // The users (what the gates judge) are exactly as after one write; only the request counters doubled.
    expect({ users: twice.users, failedUsers: twice.failedUsers, clientErrorUsers: twice.clientErrorUsers }).toEqual({ users: once.users, failedUsers: once.failedUsers, clientErrorUsers: once.clientErrorUsers });
    expect(twice.requests).toBe(2 * once.requests);
    // A refused write (it did not apply) comes back to be sent again.
    faults.fail("updateItem", "refused");
    expect((await store.addEvidence({ route: "orders", version: 43, backend: "lambda" }, cell)).retry).toBe(cell);
  });
});
