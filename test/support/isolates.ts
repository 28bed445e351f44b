import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { hashToken } from "../../lib/admin-token.ts";
import { ok } from "../../lib/result.ts";
import { createDynamoClient } from "../../cli/dynamo-client.ts";
import { ensureTable } from "../../cli/ensure-table.ts";
import { startLocalDynamo, type LocalDynamo } from "../../cli/local-dynamo.ts";
import { bundleCutover, startPlainWorkerd, type PlainWorkerd } from "../../fixtures/plain-workerd.ts";
import type { RouteTable } from "../../routes/schema.ts";
import { formatIssues, isValidatedTable, validateRouteTable } from "../../routes/validate.ts";
import { createDynamoApi } from "../../store/dynamo-api.ts";
import { createDynamoStore } from "../../store/dynamo-store.ts";
import type { RouteTableStore } from "../../store/route-store.ts";
import type { ColoCache } from "../../fixtures/colo-cache.ts";
import { startDynamoProxy, type DynamoProxy } from "../../fixtures/dynamo-proxy.ts";
import { refusedPort } from "./upstream.ts";

export const CLUSTER_OPERATOR = "cluster-operator-token-0123456789";

export interface Cluster {
  /** One URL per Worker process: each is an isolate of its own. */
  readonly urls: readonly string[];
  readonly dynamo: LocalDynamo;
  readonly tableName: string;
  /** The same store, from Node (to seed and to read what the isolates wrote). */
  readonly store: RouteTableStore;
  /** An admin API call through isolate `index`, as the operator. */
  api(index: number, method: string, apiPath: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  /** With `dynamoProxy`: the isolates' DynamoDB calls by operation. */
  readonly dynamoCalls: Map<string, number> | undefined;
  /** With `dynamoProxy`: the proxy itself (writes by kind of item, faults). */
  readonly dynamoProxy: DynamoProxy | undefined;
  stop(): Promise<void>;
}

let bundleDir: string | undefined;

/**
 * Several Worker processes (plain workerd, the deployed bundle) over one embedded DynamoDB:
 * what production's many isolates look like, for behaviour across isolates.
 */
export async function startCluster(options: {
  isolates: number;
  /** Validated here unless it was already (a store publishes only a validated table). */
  table: RouteTable;
  vars?: Record<string, string>;
  /** A data centre's cache shared by the isolates (their `caches.default`); none: the Cache API keeps nothing. */
  coloCache?: ColoCache;
  /** Counts the isolates' DynamoDB calls (and adds latency) through a proxy. */
  dynamoProxy?: { latencyMs?: number };
}): Promise<Cluster> {
  if (bundleDir === undefined) {
    bundleDir = mkdtempSync(path.join(os.tmpdir(), "cutover-cluster-"));
    bundleCutover(path.join(bundleDir, "cutover"));
  }
  const dynamo = await startLocalDynamo();
  const connection = { endpoint: dynamo.endpoint, region: "us-east-1", accessKeyId: "local", secretAccessKey: "local" };
  const tableName = "cutover";
  await ensureTable(createDynamoClient(connection, 3), tableName);
  const store = createDynamoStore({ client: createDynamoApi(connection), tableName });
  const table = isValidatedTable(options.table) ? ok(options.table) : validateRouteTable(options.table);
  if (!table.ok) throw new Error(`test table invalid:\n${formatIssues(table.error)}`);
  const seeded = await store.publish({ table: table.value, expectedVersion: 0, author: "test", reason: "seed", action: "apply" });
  if (!seeded.ok) throw new Error("seeding failed");
  const tokens = JSON.stringify({ [await hashToken(CLUSTER_OPERATOR)]: { name: "olivia", role: "operator" } });
  const proxy = options.dynamoProxy ? await startDynamoProxy(dynamo.endpoint, options.dynamoProxy) : undefined;
  const processes: PlainWorkerd[] = [];
  const urls: string[] = [];
  try {
    for (let i = 0; i < options.isolates; i++) {
      const port = await refusedPort();
      const worker = await startPlainWorkerd({
        dir: bundleDir,
        config: `isolate-${port}.capnp`,
        workers: [
          {
            name: "cutover",
            port,
            module: "cutover/index.js",
            ...(options.coloCache ? { cacheService: options.coloCache.address } : {}),
            bindings: {
              CUTOVER_DYNAMODB_TABLE: tableName,
              CUTOVER_DYNAMODB_ENDPOINT: proxy?.endpoint ?? dynamo.endpoint,
              AWS_ACCESS_KEY_ID: "local",
              AWS_SECRET_ACCESS_KEY: "local",
              CUTOVER_ADMIN_TOKENS: tokens,
              CUTOVER_RESPONSE_HEADERS: "on",
              ...options.vars,
            },
          },
        ],
      });
      processes.push(worker);
      urls.push(`http://127.0.0.1:${port}`);
    }
  } catch (error) {
    await Promise.all(processes.map((p) => p.stop()));
    await proxy?.close();
    await dynamo.close();
    throw error;
  }
  return {
    urls,
    dynamo,
    tableName,
    store,
    api: (index, method, apiPath, body, headers = {}) =>
      fetch(`${urls[index]}/_cutover/api${apiPath}`, {
        method,
        headers: { authorization: `Bearer ${CLUSTER_OPERATOR}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    dynamoCalls: proxy?.calls,
    dynamoProxy: proxy,
    async stop() {
      await Promise.all(processes.map((p) => p.stop()));
      await proxy?.close();
      await dynamo.close();
    },
  };
}
