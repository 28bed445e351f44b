import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDynamoClient } from "../../cli/dynamo-client.ts";
import { ensureTable } from "../../cli/ensure-table.ts";
import { startLocalDynamo, type LocalDynamo } from "../../cli/local-dynamo.ts";

/** A raw request to the local DynamoDB, with headers a browser (or a rebinding page) would send. */
function send(endpoint: string, headers: Record<string, string>, method = "POST"): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: url.hostname, port: url.port, method, path: "/", headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "DynamoDB_20120810.ListTables", ...headers } }, (response) => {
      response.resume();
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
    });
    request.on("error", reject);
    request.end(method === "POST" ? "{}" : undefined);
  });
}

describe("the local DynamoDB of cutover dev", () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(async () => {
    await dynamo?.close();
  });

  it("answers programs on this machine", async () => {
    const client = createDynamoClient({ endpoint: dynamo.endpoint, region: "us-east-1", accessKeyId: "local", secretAccessKey: "local" }, 1);
    await ensureTable(client, "cutover-local-test");
    // Unsigned, so dynalite itself answers (400): what matters is that it was let through.
    expect((await send(dynamo.endpoint, {})).status).toBe(400);
  });

  it("refuses a web page: any request with an Origin, preflights too, and never says Access-Control-Allow-Origin", async () => {
    for (const method of ["POST", "OPTIONS"]) {
      const response = await send(dynamo.endpoint, { origin: "https://evil.example", "access-control-request-method": "POST" }, method);
      expect(response.status, method).toBe(403);
      expect(response.headers["access-control-allow-origin"], method).toBeUndefined();
    }
  });

  it("refuses a request for another host name (a page whose own name was rebound to 127.0.0.1)", async () => {
    expect((await send(dynamo.endpoint, { host: "evil.example:8000" })).status).toBe(403);
    expect((await send(dynamo.endpoint, { host: `localhost:${new URL(dynamo.endpoint).port}` })).status).toBe(400);
  });
});
