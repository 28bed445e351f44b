import { marshall } from "@aws-sdk/util-dynamodb";
import { describe, expect, inject, it } from "vitest";
import { createDynamoClient } from "../../cli/dynamo-client.ts";
import { ensureTable } from "../../cli/ensure-table.ts";
import { createDynamoApi } from "../../store/dynamo-api.ts";
import { createRolloutStore } from "../../store/rollout-store.ts";

const connection = { endpoint: inject("dynamoEndpoint"), region: "us-east-1", accessKeyId: "local", secretAccessKey: "local" };

describe("rollout states stored by an earlier cutover", () => {
  it("read with minRequests as minUsers, the gates added since at their defaults, and the old window's baseline left aside", async () => {
    const tableName = `cutover-test-${crypto.randomUUID()}`;
    await ensureTable(createDynamoClient(connection, 3), tableName);
    const client = createDynamoApi(connection);
    const old = {
      route: "orders",
      plan: {
        route: "orders",
        candidate: "lambda",
        steps: [{ type: "weight", weight: 10, minRequests: 250, minDurationMs: 600_000 }, { type: "weight", weight: 100, minRequests: 100, minDurationMs: 600_000 }],
        gates: { confidence: 0.95, errorRateTolerance: 0.01, latencyRatio: { p95: 1.5, p99: 2 }, latencySlackMs: 20, latencyMinSamples: { p95: 100, p99: 500 }, maxMismatchRate: 0.02 },
        onFailure: "rollback",
      },
      status: "running",
      step: 0,
      stepStartedAt: "2026-11-25T12:00:00.000Z",
      window: { openedAt: "2026-11-25T12:00:21.000Z", minute: "2026-11-25T12:00", baseline: { control: { r: 5 }, candidate: {} } },
      original: { id: "orders", match: { path: "/orders/*" }, to: "legacy" },
      control: "legacy",
      shadowEpoch: 1,
      revision: 4,
      startedAt: "2026-11-25T12:00:00.000Z",
      startedBy: "olivia",
      updatedAt: "2026-11-25T12:00:21.000Z",
      events: [],
    };
    await client.putItem({ TableName: tableName, Item: marshall({ pk: "rollouts", sk: "orders", state: JSON.stringify(old), revision: 4, status: "running", updatedAt: old.updatedAt }) });
    const store = createRolloutStore({ client, tableName });
    const state = await store.get("orders");
    expect(state?.plan.steps).toEqual([
      { type: "weight", weight: 10, minUsers: 250, minDurationMs: 600_000 },
      { type: "weight", weight: 100, minUsers: 100, minDurationMs: 600_000 },
    ]);
    expect(state?.plan.gates.clientErrorRateTolerance).toBe(0.05);
    expect(state?.stepVersions).toBeUndefined();
    expect((await store.list()).map((s) => s.plan.steps[0])).toEqual([{ type: "weight", weight: 10, minUsers: 250, minDurationMs: 600_000 }]);
    // Written back by this cutover, it keeps its upgraded plan.
    expect(await store.put({ ...(state as NonNullable<typeof state>), stepVersions: [7], revision: 5 }, 4)).toBe(true);
    expect((await store.get("orders"))?.stepVersions).toEqual([7]);
  });
});
