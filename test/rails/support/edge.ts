import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { hashToken } from "../../../lib/admin-token.ts";
import { createDynamoClient } from "../../../cli/dynamo-client.ts";
import { ensureTable } from "../../../cli/ensure-table.ts";
import { startLocalDynamo } from "../../../cli/local-dynamo.ts";
import { PROJECT_ROOT } from "../../../cli/wrangler-dev.ts";
import { compatibilityDate, waitForPort } from "../../../fixtures/plain-workerd.ts";
import { workerdConfig } from "../../../fixtures/workerd-config.ts";
import type { RouteTable } from "../../../routes/schema.ts";
import { formatIssues, validateRouteTable } from "../../../routes/validate.ts";
import { createDynamoApi } from "../../../store/dynamo-api.ts";
import { createDynamoStore } from "../../../store/dynamo-store.ts";
import type { RouteTableStore } from "../../../store/route-store.ts";
import { CLUSTER_OPERATOR } from "../../support/isolates.ts";
import { refusedPort } from "../../support/upstream.ts";

/**
 * Stands for the TLS connection Cloudflare's edge terminates: with `https` in this request
 * header, workerd gives the Worker an `https://` URL (its `forwardedProtoHeader`), as a Worker
 * behind Cloudflare gets for a client that came over TLS. Only the harness sends it; a
 * client's own X-Forwarded-Proto is not it.
 */
export const EDGE_SCHEME_HEADER = "x-test-edge-scheme";

export interface Edge {
  readonly port: number;
  readonly store: RouteTableStore;
  /** An admin API call, as the operator. */
  api(method: string, apiPath: string, body?: unknown): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * cutover as deployed, in front of the Rails app: the `wrangler deploy` bundle (built once by
 * the global setup into `bundleRoot/cutover/index.js`) on plain workerd, reading its route
 * table from an embedded DynamoDB seeded with `table` — test/support/isolates.ts's `startCluster` with one isolate, except that the
 * bundle is shared by every test file and the socket knows the edge's scheme.
 */
export async function startEdge(options: { bundleRoot: string; table: RouteTable; vars?: Record<string, string> }): Promise<Edge> {
  const table = validateRouteTable(options.table);
  if (!table.ok) throw new Error(`test table invalid:\n${formatIssues(table.error)}`);
  const dynamo = await startLocalDynamo();
  const connection = { endpoint: dynamo.endpoint, region: "us-east-1", accessKeyId: "local", secretAccessKey: "local" };
  const tableName = "cutover";
  const stops: (() => Promise<void>)[] = [() => dynamo.close()];
  const stop = async () => {
    for (const close of stops.reverse()) await close();
  };
  try {
    await ensureTable(createDynamoClient(connection, 3), tableName);
    const store = createDynamoStore({ client: createDynamoApi(connection), tableName });
    const seeded = await store.publish({ table: table.value, expectedVersion: 0, author: "test", reason: "seed", action: "apply" });
    if (!seeded.ok) throw new Error("seeding the route table failed");
    const tokens = JSON.stringify({ [await hashToken(CLUSTER_OPERATOR)]: { name: "olivia", role: "operator" } });
    const port = await refusedPort();
    const config = workerdConfig(
      [
        {
          name: "cutover",
          port,
          module: "cutover/index.js",
          bindings: {
            CUTOVER_DYNAMODB_TABLE: tableName,
            CUTOVER_DYNAMODB_ENDPOINT: dynamo.endpoint,
            AWS_ACCESS_KEY_ID: "local",
            AWS_SECRET_ACCESS_KEY: "local",
            CUTOVER_ADMIN_TOKENS: tokens,
            CUTOVER_RESPONSE_HEADERS: "on",
            ...options.vars,
          },
        },
      ],
      compatibilityDate(),
    );
    const socket = `address = "127.0.0.1:${port}", http = ()`;
    if (!config.includes(socket)) throw new Error("fixtures/workerd-config.ts writes sockets differently now: update test/rails/support/edge.ts");
    const configFile = path.join(options.bundleRoot, `edge-${port}.capnp`);
    writeFileSync(configFile, config.replace(socket, `address = "127.0.0.1:${port}", http = (forwardedProtoHeader = "${EDGE_SCHEME_HEADER}")`));
    // The Worker's log lines (expected upstream errors among them) go to a file beside its config.
    const logFile = configFile.replace(/\.capnp$/, ".log");
    const log = openSync(logFile, "a");
    const child = spawn(path.join(PROJECT_ROOT, "node_modules", ".bin", "workerd"), ["serve", configFile], { stdio: ["ignore", log, log] });
    closeSync(log);
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    stops.push(async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, "SIGTERM");
      await exited;
    });
    await waitForPort(port).catch((error: unknown) => {
      throw new Error(`workerd did not listen on ${port}: ${readFileSync(logFile, "utf8").slice(-2000)}`, { cause: error });
    });
    return {
      port,
      store,
      api: (method, apiPath, body) =>
        fetch(`http://127.0.0.1:${port}/_cutover/api${apiPath}`, {
          method,
          headers: { authorization: `Bearer ${CLUSTER_OPERATOR}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
