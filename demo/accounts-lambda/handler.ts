import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";

/**
 * The new accounts service, written as a real AWS Lambda handler for a function URL or an
 * API Gateway HTTP API (payload format 2.0). Deploy it as is; locally it runs behind
 * `lambda-adapter.ts`. It reads the same data the legacy app serves (in a real migration:
 * from the DynamoDB table the legacy app now writes to as well).
 */
const ACCOUNTS: Record<string, { id: string; name: string; plan: string; balanceCents: number }> = {
  "1": { id: "1", name: "Ada Lovelace", plan: "pro", balanceCents: 12_500 },
  "2": { id: "2", name: "Grace Hopper", plan: "team", balanceCents: 48_000 },
  "3": { id: "3", name: "Katherine Johnson", plan: "free", balanceCents: 0 },
};

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const method = event.requestContext.http.method;
  const path = event.rawPath;
  if (method !== "GET" && method !== "HEAD") return json(405, { error: "method_not_allowed" }, { allow: "GET, HEAD" });

  if (path === "/api/accounts") {
    return json(200, { accounts: Object.values(ACCOUNTS), servedBy: "accounts-lambda" });
  }
  const match = /^\/api\/accounts\/([^/]+)$/.exec(path);
  if (match) {
    const account = ACCOUNTS[decodeURIComponent(match[1] ?? "")];
    // A 404 here lets a route with `fallback: { on: ["404"] }` read through to legacy for
    // accounts created there and not migrated yet.
    if (!account) return json(404, { error: "not_found", servedBy: "accounts-lambda" });
    return json(200, { account, servedBy: "accounts-lambda" });
  }
  return json(404, { error: "not_found", servedBy: "accounts-lambda" });
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}
