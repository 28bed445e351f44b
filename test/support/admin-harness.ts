import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { inject } from "vitest";
import { hashToken } from "../../lib/admin-token.ts";
import { createDynamoApi } from "../../store/dynamo-api.ts";
import { createDynamoClient } from "../../cli/dynamo-client.ts";
import { createDynamoStore } from "../../store/dynamo-store.ts";
import { ensureTable } from "../../cli/ensure-table.ts";
import worker from "../../worker/index.ts";

export const OPERATOR = "operator-token-0123456789";
export const VIEWER = "viewer-token-0123456789";

export const connection = { endpoint: inject("dynamoEndpoint"), region: "us-east-1", accessKeyId: "local", secretAccessKey: "local" };
export const dynamoClient = createDynamoClient(connection, 3);

/** A fresh DynamoDB table and a Worker env (one "isolate") configured to use it. */
export async function dynamoWorker(vars: Partial<Env> = {}) {
  const tableName = `cutover-test-${crypto.randomUUID()}`;
  await ensureTable(dynamoClient, tableName);
  const tokens = {
    [await hashToken(OPERATOR)]: { name: "olivia", role: "operator" },
    [await hashToken(VIEWER)]: { name: "victor", role: "viewer" },
  };
  const workerEnv: Env = {
    ...env,
    CUTOVER_DYNAMODB_TABLE: tableName,
    CUTOVER_DYNAMODB_ENDPOINT: connection.endpoint,
    CUTOVER_AWS_REGION: connection.region,
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    CUTOVER_ADMIN_TOKENS: JSON.stringify(tokens),
    CUTOVER_ROUTES: "",
    CUTOVER_RESPONSE_HEADERS: "on",
    // A flip takes effect at once in these single-isolate tests; the delay has tests of its own.
    CUTOVER_PROPAGATION_MS: "0",
    // Counts are written as each request ends: a test's waitUntil work ends with it.
    CUTOVER_METRICS_FLUSH_MS: "0",
    // Each test's "isolates" share this runtime's Cache API; the colo cache has tests of its own.
    CUTOVER_EDGE_CACHE: "off",
    ...vars,
  };
  const call = async (request: Request) => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, workerEnv, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  };
  /** An admin API request, as JSON, with a token. */
  const api = (method: string, path: string, options: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? OPERATOR : options.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    return call(
      new Request(`https://shop.example.com/_cutover/api${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body),
      }),
    );
  };
  const client = createDynamoApi(connection);
  // `client` and `tableName`: for writing items the Worker's store would not (test/support/write-unchecked-version.ts).
  return { tableName, client, env: workerEnv, call, api, store: createDynamoStore({ client, tableName }) };
}
