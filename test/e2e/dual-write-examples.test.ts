import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DualWriteExample } from "../../admin/contract/index.ts";
import { createDynamoApi } from "../../store/dynamo-api.ts";
import { runCli } from "../support/cli.ts";
import { eventually } from "../support/eventually.ts";
import { startCluster, type Cluster } from "../support/isolates.ts";
import { startUpstream, type Upstream } from "../support/upstream.ts";

type Json = Record<string, unknown>;
const SECRET = "abc-query-secret-e2e";
const REQUEST_BODY = JSON.stringify({ name: "Ada", password: "hunter2-request-body" });

/**
 * Examples of dual-write copies that went wrong, end to end: the bundled Worker on plain
 * workerd (two isolates), real upstreams (`/dw/<legacy status>/<new status>`: legacy answers
 * 201 with `{ "id": "acc_42" }`, the new backend the second status), the embedded DynamoDB.
 * The new backend fails some copies (500) and answers others with another status (422).
 */
describe("examples of dual-write copies that failed or disagreed", () => {
  let legacy: Upstream;
  let fresh: Upstream;
  let cluster: Cluster;

  beforeAll(async () => {
    legacy = await startUpstream("legacy");
    fresh = await startUpstream("new");
    cluster = await startCluster({
      isolates: 2,
      table: {
        backends: { legacy: { url: `http://127.0.0.1:${legacy.port}` }, lambda: { url: `http://127.0.0.1:${fresh.port}` } },
        default: "legacy",
        routes: [{ id: "writes", match: { path: "/dw/*", methods: ["POST"] }, to: "legacy", dualWrite: { to: "lambda" } }],
      },
      vars: { CUTOVER_METRICS_FLUSH_MS: "100" },
    });
  });
  afterAll(async () => {
    await cluster?.stop();
    await Promise.all([legacy?.close(), fresh?.close()]);
  });

  const write = async (isolate: number, path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${cluster.urls[isolate]}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: REQUEST_BODY });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ id: "acc_42", backend: "legacy" });
  };
  const examples = async () => {
    const response = await cluster.api(0, "GET", "/migration/examples?route=writes");
    expect(response.status).toBe(200);
    return (await response.json()) as { route: string; examples: DualWriteExample[] };
  };

  it("keeps one example per route and isolate every 10 s, with both statuses, the id, the key and the new backend's answer; never a query secret or the request body", async () => {
    // Isolate 0: three copies the new backend fails (500), each with the client's own key.
    for (let i = 1; i <= 3; i++) await write(0, `/dw/201/500/accounts?token=${SECRET}&page=${i}`, { "idempotency-key": `client-key-${i}` });
    await eventually(examples, (answer) => answer.examples.length >= 1);
    // Isolate 1: copies that agree (kept as no example), then three the new backend answers 422 to.
    await write(1, "/dw/201/201/accounts");
    await write(1, "/dw/201/201/accounts");
    for (let i = 1; i <= 3; i++) await write(1, "/dw/201/422/accounts");

    const answer = await eventually(examples, (read) => read.examples.length >= 2);
    // Six copies went wrong; each isolate stored one example of this route, the rest are only counted.
    expect(answer.route).toBe("writes");
    expect(answer.examples).toHaveLength(2);
    const [disagreed, failed] = answer.examples;
    expect(disagreed).toMatchObject({
      route: "writes",
      version: 1,
      candidate: "lambda",
      outcome: "disagreed",
      method: "POST",
      path: "/dw/201/422/accounts",
      legacyStatus: 201,
      candidateStatus: 422,
      candidateError: null,
      legacyId: "acc_42",
      candidateBody: JSON.stringify({ id: "from-new", backend: "new" }),
    });
    // No key from the client: cutover's own, as the copy carried it.
    expect(disagreed?.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(failed).toMatchObject({ outcome: "failed", legacyStatus: 201, candidateStatus: 500, legacyId: "acc_42", candidateBody: JSON.stringify({ id: "from-new", backend: "new" }) });
    expect(failed?.path).toMatch(/^\/dw\/201\/500\/accounts\?token=\[redacted\]&page=[123]$/);
    expect(failed?.idempotencyKey).toBe(`client-key-${failed?.path.slice(-1)}`);
    expect(Date.parse(disagreed?.at ?? "")).toBeGreaterThan(Date.parse(failed?.at ?? ""));

    // What is stored: no query secret, no request body, anywhere in the route's items.
    const stored = await createDynamoApi({ endpoint: cluster.dynamo.endpoint, region: "us-east-1", accessKeyId: "local", secretAccessKey: "local" }).query({
      TableName: cluster.tableName,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": { S: "dualwrite#writes" } },
    });
    expect(stored.Items).toHaveLength(3); // two examples and the counter
    expect(JSON.stringify(stored.Items)).not.toContain(SECRET);
    expect(JSON.stringify(stored.Items)).not.toContain("hunter2");

    // Every copy is counted all the same.
    const counted = await eventually(
      async () => ((await (await cluster.api(0, "GET", "/metrics?route=writes&since=1h")).json()) as { totals: Record<string, { dualWrite?: Json }> }).totals.lambda?.dualWrite,
      (dualWrite) => dualWrite?.sent === 8,
    );
    expect(counted).toMatchObject({ sent: 8, failed: 3, disagreed: 3, agreed: 2 });

    // The CLI: under --json as `examples`, and below the hourly table for a person.
    const json = await runCli(cluster.urls[1], ["migration", "progress", "writes", "--since", "1h", "--json"]);
    expect(json.stderr).toBe("");
    const progress = JSON.parse(json.stdout) as { hours: { copiesFailed: number; copiesDisagreed: number }[]; examples: DualWriteExample[] };
    expect(progress.examples).toEqual(answer.examples);
    expect(progress.hours.reduce((sum, hour) => sum + hour.copiesFailed, 0)).toBe(3);
    const human = await runCli(cluster.urls[0], ["migration", "progress", "writes", "--since", "1h"]);
    expect(human.stdout).toContain("Newest dual-write copies that failed or disagreed (2 shown");
    expect(human.stdout).toContain("disagreed  POST /dw/201/422/accounts");
    expect(human.stdout).toMatch(/failed {5}POST \/dw\/201\/500\/accounts\?token=\[redacted\]&page=\d\n {4}legacy 201, lambda 500 · legacy id acc_42 · Idempotency-Key client-key-\d · version 1 · request /);
    expect(human.stdout).not.toContain(SECRET);
  });

  it("answers only for a route, and with a limit from 1 to 20", async () => {
    expect((await cluster.api(0, "GET", "/migration/examples")).status).toBe(400);
    expect((await cluster.api(0, "GET", "/migration/examples?route=writes&limit=21")).status).toBe(400);
    const one = (await (await cluster.api(0, "GET", "/migration/examples?route=writes&limit=1")).json()) as { examples: DualWriteExample[] };
    expect(one.examples).toHaveLength(1);
    expect(one.examples[0]?.outcome).toBe("disagreed");
  });
});
