import { describe, expect, it } from "vitest";
import { dynamoClient, dynamoWorker } from "../support/admin-harness.ts";
import { get, table } from "../support/worker-harness.ts";

type Json = Record<string, unknown>;
const json = async (response: Response) => (await response.json()) as Json;

/** TTL 100 ms and a store timeout of 200 ms: the propagation bound is 1.3 s. */
const VARS = { CUTOVER_CONFIG_TTL_MS: "100", CUTOVER_STORE_TIMEOUT_MS: "200" };
const PAST_THE_BOUND_MS = 1_500;

async function servingIsolate() {
  const w = await dynamoWorker(VARS);
  const put = await w.api("PUT", "/routes", { body: { table: table(), reason: "first table" }, headers: { "if-match": '"0"' } });
  expect(put.status).toBe(200);
  const version = (await json(put)).version as number;
  expect((await w.call(get("/x"))).headers.get("x-cutover-version")).toBe(String(version));
  return { ...w, version };
}

/**
 * /_cutover/health reflects the store, not the isolate's idleness: an isolate that served no
 * request for longer than the propagation bound has not refreshed its table in the background,
 * so health reads the store first (within its timeout), and says degraded only when that fails.
 */
describe("health of an idle isolate", () => {
  it("is ok when the isolate was merely idle past the propagation bound", async () => {
    const w = await servingIsolate();
    await new Promise((resolve) => setTimeout(resolve, PAST_THE_BOUND_MS)); // no requests, so no background refresh
    const health = await w.call(get("/_cutover/health"));
    expect(health.status).toBe(200);
    expect(await json(health)).toMatchObject({ status: "ok", version: w.version, source: "dynamodb" });
  });

  it("is degraded when the store fails the read that health makes", async () => {
    const w = await servingIsolate();
    const { DeleteTableCommand } = await import("@aws-sdk/client-dynamodb");
    await dynamoClient.send(new DeleteTableCommand({ TableName: w.tableName }));
    await new Promise((resolve) => setTimeout(resolve, PAST_THE_BOUND_MS));
    const health = await w.call(get("/_cutover/health"));
    expect(health.status).toBe(200); // still serving the last known good table
    expect(await json(health)).toMatchObject({ status: "degraded", version: w.version, lastError: "DynamoDB ResourceNotFoundException" });
  });
});
