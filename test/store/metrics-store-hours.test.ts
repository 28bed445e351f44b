import { expect, inject, it } from "vitest";
import { createDynamoClient } from "../../cli/dynamo-client.ts";
import { ensureTable } from "../../cli/ensure-table.ts";
import { countAttempt, emptyCounts } from "../../accounting/traffic-counts.ts";
import { createDynamoApi, type DynamoApi } from "../../store/dynamo-api.ts";
import { createMetricsStore } from "../../store/metrics-store.ts";

const connection = { endpoint: inject("dynamoEndpoint"), region: "us-east-1", accessKeyId: "local", secretAccessKey: "local" };

it("reads a day's hour cells strongly consistent when asked (a Prometheus scrape must never see a counter go back), eventually consistent otherwise", async () => {
  const tableName = `cutover-test-${crypto.randomUUID()}`;
  await ensureTable(createDynamoClient(connection, 3), tableName);
  const api = createDynamoApi(connection);
  const queries: Parameters<DynamoApi["query"]>[0][] = [];
  const client: DynamoApi = { ...api, query: (input) => (queries.push(input), api.query(input)) };
  const store = createMetricsStore({ client, tableName, now: () => new Date("2026-11-25T17:20:30Z") });
  const counts = emptyCounts();
  countAttempt(counts, { kind: "response", status: 200 }, 12, "single", undefined);
  await store.add({ resolution: "h", route: "orders.v2", period: "2026-11-25T17", backend: "new-api" }, counts);

  const consistent = await store.hours("2026-11-25", undefined, { consistent: true });
  const eventual = await store.hours("2026-11-25");
  expect(consistent).toEqual(eventual);
  expect(consistent).toMatchObject([{ route: "orders.v2", backend: "new-api", period: "2026-11-25T17", counts: { requests: 1 } }]);
  expect(queries.map((query) => query.ConsistentRead === true)).toEqual([true, false]);
});
