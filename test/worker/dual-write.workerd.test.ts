import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import { cohortBucket } from "../../routes/cohort.ts";
import { AWS_TEST_CREDENTIALS } from "../support/aws-test-credentials.ts";
import { dynamoWorker } from "../support/admin-harness.ts";
import { origin, ports, received, table, testId } from "../support/worker-harness.ts";

type Json = Record<string, unknown>;

const lambdaPort = inject("lambdaPort");

/**
 * Legacy serves the writes of /dw/<legacy status>/<new status>/… and "new" gets a copy; the
 * upstreams answer those statuses (test/support/upstream.ts, `dw`), legacy with a Location and
 * `{ "id": "acc_42" }`.
 */
function dualWriteTable() {
  return table({
    backends: { fn: { url: origin(lambdaPort), auth: { type: "aws-iam", region: "us-east-1", service: "lambda" } } },
    routes: [
      { id: "accounts-write", match: { path: "/dw/*" }, to: "legacy", dualWrite: { to: "new" } },
      { id: "accounts-small", match: { path: "/dw/:legacy/:new/small" }, to: "legacy", dualWrite: { to: "new", maxBodyBytes: 16 } },
      { id: "accounts-split", match: { path: "/dw/:legacy/:new/split" }, to: { new: 50, legacy: 50 }, sticky: "header:x-user", dualWrite: { to: "new" } },
      {
        id: "accounts-readthrough",
        match: { path: "/dw/:legacy/:new/readthrough" },
        to: { new: 50, legacy: 50 },
        sticky: "header:x-user",
        fallback: { to: "legacy", on: ["404"], unsafeMethods: true },
        dualWrite: { to: "new" },
      },
      { id: "accounts-signed", match: { path: "/dw/:legacy/:new/signed" }, to: "legacy", dualWrite: { to: "fn" } },
    ],
  });
}

async function dualWriteWorker() {
  // The Lambda stand-in checks SigV4 with the test key; the embedded DynamoDB takes any key.
  const w = await dynamoWorker({ AWS_ACCESS_KEY_ID: AWS_TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: AWS_TEST_CREDENTIALS.secretAccessKey });
  const put = await w.api("PUT", "/routes", { body: { table: dualWriteTable(), reason: "dual-write test" }, headers: { "if-match": "0" } });
  expect(put.status).toBe(200);
  const dualWrites = async (route: string, backend = "new") => {
    const answer = (await (await w.api("GET", `/metrics?route=${route}&since=1h`)).json()) as { totals: Record<string, Json> };
    return answer.totals[backend]?.dualWrite as Json | undefined;
  };
  return { ...w, dualWrites };
}

function write(path: string, body: string, headers: Record<string, string> = {}, method = "POST"): Request {
  return new Request(`https://shop.example.com${path}`, { method, body, headers: { "content-type": "application/json", ...headers } });
}

const RECORD = JSON.stringify({ account: { name: "Ada" } });

describe("dual writes", () => {
  it("gives the client legacy's answer, then sends the write once to the new backend with legacy's status, Location and id beside it", async () => {
    const w = await dualWriteWorker();
    const id = testId();
    const response = await w.call(write("/dw/201/201/accounts", RECORD, { "x-test-id": id, "x-request-id": "client-chosen-id" }));
    expect(response.status).toBe(201);
    expect(response.headers.get("x-served-by")).toBe("legacy");
    expect(response.headers.get("location")).toBe("https://legacy.example.com/accounts/acc_42");
    expect(await response.json()).toEqual({ id: "acc_42", name: "Ada", backend: "legacy" });

    const atLegacy = await received(ports.legacy, id);
    expect(atLegacy).toHaveLength(1);
    expect(atLegacy[0]?.headers["x-cutover-dual-write"]).toBeUndefined();
    const copies = await received(ports.new, id);
    expect(copies).toHaveLength(1);
    const [copy] = copies;
    expect(copy).toMatchObject({ method: "POST", url: "/dw/201/201/accounts", bodySha256: atLegacy[0]?.bodySha256, bodyBytes: RECORD.length });
    expect(copy?.headers).toMatchObject({
      "x-cutover-dual-write": "1",
      "x-cutover-legacy-status": "201",
      "x-cutover-legacy-location": "https://legacy.example.com/accounts/acc_42",
      "x-cutover-legacy-id": "acc_42",
      "content-type": "application/json",
    });
    expect(copy?.headers["x-cutover-shadow"]).toBeUndefined();
    // cutover's own key, never one derived from the client's x-request-id.
    expect(copy?.headers["idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(await w.dualWrites("accounts-write")).toEqual({ sent: 1, succeeded: 1, rejected: 0, failed: 0, agreed: 1, disagreed: 0, notCopied: {}, successRate: 1, agreementRate: 1 });
  });

  it("passes the client's own Idempotency-Key on, and a client cannot make up legacy's answer", async () => {
    const w = await dualWriteWorker();
    const id = testId();
    await w.call(write("/dw/200/200/accounts/7", RECORD, { "x-test-id": id, "idempotency-key": "client-key-1", "x-cutover-legacy-id": "forged", "x-cutover-legacy-status": "500" }, "PUT"));
    const [copy] = await received(ports.new, id);
    expect(copy?.method).toBe("PUT");
    expect(copy?.headers).toMatchObject({ "idempotency-key": "client-key-1", "x-cutover-legacy-id": "acc_42", "x-cutover-legacy-status": "200" });
  });

  it("copies no read: a GET reaches legacy only", async () => {
    const w = await dualWriteWorker();
    const id = testId();
    const response = await w.call(new Request("https://shop.example.com/dw/200/200/accounts/7", { headers: { "x-test-id": id } }));
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    expect(await received(ports.legacy, id)).toHaveLength(1);
    expect(await received(ports.new, id)).toEqual([]);
    expect(await w.dualWrites("accounts-write")).toBeUndefined();
  });

  it("copies no write legacy refused (422) or redirected, and counts why", async () => {
    const w = await dualWriteWorker();
    const id = testId();
    const refused = await w.call(write("/dw/422/201/accounts", RECORD, { "x-test-id": id }));
    expect(refused.status).toBe(422);
    const redirected = await w.call(write("/dw/302/201/accounts", RECORD, { "x-test-id": id }));
    expect(redirected.status).toBe(302);
    expect(await received(ports.new, id)).toEqual([]);
    expect(await w.dualWrites("accounts-write")).toMatchObject({ sent: 0, notCopied: { legacy_refused: 1, legacy_redirected: 1 }, successRate: null });
  });

  it("copies no body larger than maxBodyBytes; legacy still gets it whole", async () => {
    const w = await dualWriteWorker();
    const id = testId();
    const response = await w.call(write("/dw/201/201/small", RECORD, { "x-test-id": id }));
    expect(response.status).toBe(201);
    expect((await received(ports.legacy, id))[0]?.bodyBytes).toBe(RECORD.length);
    expect(await received(ports.new, id)).toEqual([]);
    expect(await w.dualWrites("accounts-small")).toMatchObject({ sent: 0, notCopied: { too_large: 1 } });
  });

  it("counts the new backend's 500 as failed, and its 200 to legacy's 201 as a disagreement", async () => {
    const w = await dualWriteWorker();
    const id = testId();
    expect((await w.call(write("/dw/201/500/accounts", RECORD, { "x-test-id": id }))).status).toBe(201);
    expect((await w.call(write("/dw/201/200/accounts", RECORD, { "x-test-id": id }))).status).toBe(201);
    // A copy is never retried, whatever its answer.
    expect(await received(ports.new, id)).toHaveLength(2);
    expect(await w.dualWrites("accounts-write")).toEqual({
      sent: 2,
      succeeded: 1,
      rejected: 0,
      failed: 1,
      agreed: 0,
      disagreed: 1,
      notCopied: {},
      successRate: 0.5,
      agreementRate: 0,
    });
  });

  it("sends no copy of a write the new backend served itself (a split's choice)", async () => {
    const w = await dualWriteWorker();
    // A user the split sends to "new" (its range is buckets 0–4999), and one it sends to legacy.
    const users = Array.from({ length: 50 }, (_, i) => `user-${i}`);
    const onNew = users.find((user) => cohortBucket("accounts-split", user) < 5000) as string;
    const onLegacy = users.find((user) => cohortBucket("accounts-split", user) >= 5000) as string;
    const id = testId();
    const served = await w.call(write("/dw/201/201/split", RECORD, { "x-test-id": id, "x-user": onNew }));
    expect(served.headers.get("x-served-by")).toBe("new");
    const atNew = await received(ports.new, id);
    expect(atNew).toHaveLength(1);
    expect(atNew[0]?.headers["x-cutover-dual-write"]).toBeUndefined();
    expect(await received(ports.legacy, id)).toEqual([]);

    const other = testId();
    expect((await w.call(write("/dw/201/201/split", RECORD, { "x-test-id": other, "x-user": onLegacy }))).headers.get("x-served-by")).toBe("legacy");
    expect((await received(ports.new, other)).map((copy) => copy.headers["x-cutover-dual-write"])).toEqual(["1"]);
    expect(await w.dualWrites("accounts-split")).toMatchObject({ sent: 1, succeeded: 1 });
  });

  it("sends no copy of a write the new backend got first, even when legacy then served it (a fallback on its 404)", async () => {
    const w = await dualWriteWorker();
    const onNew = Array.from({ length: 50 }, (_, i) => `user-${i}`).find((user) => cohortBucket("accounts-readthrough", user) < 5000) as string;
    const id = testId();
    const served = await w.call(write("/dw/201/404/readthrough", RECORD, { "x-test-id": id, "x-user": onNew }));
    expect(served.status).toBe(201);
    expect(served.headers.get("x-cutover-fallback")).toBe("new;404");
    const atNew = await received(ports.new, id);
    expect(atNew).toHaveLength(1);
    expect(atNew[0]?.headers["x-cutover-dual-write"]).toBeUndefined();
    expect(await received(ports.legacy, id)).toHaveLength(1);
    expect(await w.dualWrites("accounts-readthrough")).toBeUndefined();
  });

  it("signs the copy for an aws-iam backend as it would sign any request to it", async () => {
    const w = await dualWriteWorker();
    const id = testId();
    expect((await w.call(write("/dw/201/201/signed", RECORD, { "x-test-id": id }))).status).toBe(201);
    const [copy] = await received(lambdaPort, id);
    expect(copy?.sigv4).toBe("ok");
    expect(copy?.headers["x-cutover-legacy-id"]).toBe("acc_42");
    expect(await w.dualWrites("accounts-signed", "fn")).toMatchObject({ sent: 1, succeeded: 1, agreed: 1 });
  });
});
