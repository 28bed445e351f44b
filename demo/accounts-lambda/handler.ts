import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { dynamoAccountsStore, type Account, type AccountsStore } from "./store.ts";

/**
 * The new accounts service, written as a real AWS Lambda handler for a function URL or an
 * API Gateway HTTP API (payload format 2.0). Deploy it as is (ACCOUNTS_TABLE names its
 * DynamoDB table); locally it runs behind `lambda-adapter.ts` on the local stack's DynamoDB.
 *
 * It keeps its own records. During a data migration it also takes cutover's dual writes: a
 * create the legacy app served arrives with the id legacy gave it (X-Cutover-Legacy-Id) and is
 * stored under that id, once (a retried copy, or the backfill's, finds it there); a create it
 * serves itself gets a new UUID. A record it does not have yet is a 404, which a route with
 * `fallback: { on: ["404"] }` answers from legacy (read-through) until the backfill
 * (`demo/backfill.ts`) has copied it.
 */
export function createHandler(store: AccountsStore) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const method = event.requestContext.http.method;
    const path = event.rawPath;
    if (path === "/api/accounts" && method === "POST") return create(store, event);
    if (method !== "GET" && method !== "HEAD") return json(405, { error: "method_not_allowed" }, { allow: "GET, HEAD" });
    if (path === "/api/accounts") return json(200, { accounts: await store.list(), servedBy: "accounts-lambda" });
    const match = /^\/api\/accounts\/([^/]+)$/.exec(path);
    if (match) {
      const account = await store.get(decodeURIComponent(match[1] ?? ""));
      if (!account) return json(404, { error: "not_found", servedBy: "accounts-lambda" });
      return json(200, { account, servedBy: "accounts-lambda" });
    }
    return json(404, { error: "not_found", servedBy: "accounts-lambda" });
  };
}

async function create(store: AccountsStore, event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  let input: { name?: unknown };
  try {
    input = JSON.parse((event.isBase64Encoded ? Buffer.from(event.body ?? "", "base64").toString("utf8") : event.body) || "{}");
  } catch {
    return json(400, { error: "invalid_json", servedBy: "accounts-lambda" });
  }
  if (typeof input.name !== "string" || input.name === "") return json(422, { error: "name is required", servedBy: "accounts-lambda" });
  // A dual write: legacy's id (from its JSON, or the last segment of its Location), so that both stores know the record by one id.
  const legacyId = event.headers["x-cutover-legacy-id"] || lastSegment(event.headers["x-cutover-legacy-location"]);
  const account: Account = { id: legacyId || randomUUID(), name: input.name, plan: "free", balanceCents: 0 };
  const stored = await store.create(account);
  return json(201, { account: stored.account, servedBy: "accounts-lambda" }, { location: `/api/accounts/${encodeURIComponent(stored.account.id)}` });
}

function lastSegment(location: string | undefined): string | undefined {
  const segment = location?.split("?")[0]?.split("/").filter(Boolean).at(-1);
  return segment === undefined ? undefined : decodeURIComponent(segment);
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}

let deployed: ReturnType<typeof createHandler> | undefined;

/** The entry point AWS Lambda calls: the store is the table ACCOUNTS_TABLE names, with the function's role. */
export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  deployed ??= createHandler(dynamoAccountsStore(new DynamoDBClient({}), process.env.ACCOUNTS_TABLE ?? "accounts"));
  return deployed(event);
}
