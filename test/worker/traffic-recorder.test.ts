import { describe, expect, inject, it } from "vitest";
import { armEvidence, emptyEvidence } from "../../accounting/evidence-counts.ts";
import { createDynamoClient } from "../../cli/dynamo-client.ts";
import { ensureTable } from "../../cli/ensure-table.ts";
import { createDynamoApi } from "../../store/dynamo-api.ts";
import { createMetricsStore } from "../../store/metrics-store.ts";
import { createTrafficRecorder } from "../../worker/traffic-recorder.ts";
import { faultyDynamo } from "../support/faulty-dynamo.ts";

const connection = { endpoint: inject("dynamoEndpoint"), region: "us-east-1", accessKeyId: "local", secretAccessKey: "local" };

async function recorderOverFaultyStore(options: { maxTemplates?: number } = {}) {
  const tableName = `cutover-test-${crypto.randomUUID()}`;
  await ensureTable(createDynamoClient(connection, 3), tableName);
  const faults = faultyDynamo(createDynamoApi(connection));
  let now = Date.parse("2026-11-25T17:20:30Z");
  const store = createMetricsStore({ client: faults.client, tableName, maxTemplates: options.maxTemplates, now: () => new Date(now) });
  const reader = createMetricsStore({ client: createDynamoApi(connection), tableName, now: () => new Date(now) });
  const errors: unknown[] = [];
  const recorder = createTrafficRecorder({ store, flushMs: 0, now: () => now, onError: (error) => errors.push(error) });
  const request = (backend: string, status: number) => recorder.record({ route: "r", arm: "split", attempts: [{ backend, result: { kind: "response", status }, ms: 10 }] });
  const splitRequest = (backend: string, status: number, client: string) =>
    recorder.record({ route: "r", arm: "split", version: 3, user: client, attempts: [{ backend, result: { kind: "response", status }, ms: 10 }] });
  const requests = async () => (await reader.minutes("r", "2026-11-25T17:00", "2026-11-25T18:00")).reduce((sum, cell) => sum + cell.counts.requests, 0);
  const unrouted = (path: string) => recorder.record({ route: "(default)", arm: "default", attempts: [{ backend: "legacy", result: { kind: "response", status: 200 }, ms: 10 }], unrouted: { path, method: "GET" } });
  return { recorder, reader, faults, request, splitRequest, unrouted, requests, errors, advance: (ms: number) => (now += ms) };
}

describe("traffic accounting under store faults", () => {
  it("keeps counts DynamoDB refused and writes them later: exact totals", async () => {
    const t = await recorderOverFaultyStore();
    t.faults.fail("updateItem", "refused", () => true, 4);
    for (let i = 0; i < 10; i++) t.request("legacy", 200);
    await t.recorder.flushIfDue(); // refused: kept
    await t.recorder.flushIfDue(); // refused again: kept
    expect(t.recorder.health()).toMatchObject({ minutes: { pendingKeys: 1 }, hours: { pendingKeys: 1 } });
    for (let i = 0; i < 5; i++) t.request("legacy", 200);
    await t.recorder.flushIfDue();
    expect(await t.requests()).toBe(15);
    expect(t.recorder.health()).toMatchObject({ minutes: { pendingKeys: 0, lostWrites: 0 }, hours: { pendingKeys: 0, lostWrites: 0 } });
  });

  it("keeps rollout evidence DynamoDB refused and writes it later: the same users, once each", async () => {
    const t = await recorderOverFaultyStore();
    const evidenceItem = (input: unknown) => String((input as { Key?: { pk?: { S?: string } } }).Key?.pk?.S).startsWith("evidence#");
    t.faults.fail("updateItem", "refused", evidenceItem, 2);
    for (let i = 0; i < 60; i++) t.splitRequest("new", i % 6 === 0 ? 503 : 200, `198.18.0.${i % 30}`);
    await t.recorder.flushIfDue(); // refused: kept
    expect(t.recorder.health().evidence.pendingKeys).toBe(1);
    for (let i = 0; i < 40; i++) t.splitRequest("new", 200, `198.18.1.${i % 20}`);
    await t.recorder.flushIfDue(); // refused again
    await t.recorder.flushIfDue();
    const [cell] = await t.reader.evidence("r", [3]);
    expect(armEvidence(cell?.counts ?? emptyEvidence())).toMatchObject({ requests: 100, failures: 10, users: 50, failedUsers: 5 });
    expect(t.recorder.health().evidence).toMatchObject({ pendingKeys: 0, lostWrites: 0 });
  });

  it("drops a write whose outcome is unknown and counts it as lost: never twice", async () => {
    const t = await recorderOverFaultyStore();
    const minuteItem = (input: unknown) => String((input as { Key?: { sk?: { S?: string } } }).Key?.sk?.S).startsWith("m#");
    t.faults.fail("updateItem", "lost", minuteItem, 1);
    for (let i = 0; i < 7; i++) t.request("legacy", 200);
    await t.recorder.flushIfDue();
    expect(await t.requests()).toBe(7); // it did apply, once
    expect(t.recorder.health().minutes.lostWrites).toBe(1);
  });

  it("stores a bounded number of path templates, and still counts the ones stored when the bound is reached", async () => {
    const t = await recorderOverFaultyStore({ maxTemplates: 30 });
    for (let flush = 0; flush < 20; flush++) {
      for (let i = 0; i < 500; i++) t.unrouted(`/area${flush * 500 + i}/items/${i}`);
      for (let i = 0; i < 40; i++) t.unrouted("/busy/1"); // the busiest template, in every flush
      t.advance(60_000); // past the re-read of the stored count
      await t.recorder.flushIfDue();
    }
    const stored = await t.reader.inventory();
    // At most one flush's writes past the bound: this isolate read the count before that flush.
    expect(stored.length).toBeGreaterThanOrEqual(30);
    expect(stored.length).toBeLessThanOrEqual(30 + 50);
    expect(stored[0]).toMatchObject({ template: "/busy/:id", count: 800 });
    expect(t.recorder.health().inventory.unadmittedTemplates).toBeGreaterThan(0);
    expect(await t.reader.storedTemplates()).toBe(stored.length);
  });

  it("bounds what waits in memory while the store is down, and counts what it had to drop", async () => {
    const t = await recorderOverFaultyStore();
    t.faults.fail("updateItem", "refused", () => true, 1_000_000);
    for (let minute = 0; minute < 6000; minute++) {
      t.request("legacy", 200);
      t.advance(60_000);
      if (minute % 1000 === 0) await t.recorder.flushIfDue();
    }
    const health = t.recorder.health().minutes;
    expect(health.pendingKeys).toBeLessThanOrEqual(5000);
    expect(health.droppedKeys).toBeGreaterThan(0);
  });
});
