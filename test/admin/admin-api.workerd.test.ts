import { describe, expect, inject, it } from "vitest";
import { OPERATOR, VIEWER, dynamoWorker } from "../support/admin-harness.ts";
import { writeUncheckedVersion } from "../support/write-unchecked-version.ts";
import { generateTable } from "../../fixtures/big-table.ts";
import { get, ports, table } from "../support/worker-harness.ts";

const routes = table({
  routes: [{ id: "accounts-read", match: { path: "/api/accounts/:id" }, to: { legacy: 100, new: 0 }, sticky: "cookie:sid" }],
});

type Json = Record<string, unknown>;
const json = async (response: Response) => (await response.json()) as Json;

async function seeded() {
  const w = await dynamoWorker();
  const put = await w.api("PUT", "/routes", { body: { table: routes, reason: "first table" }, headers: { "if-match": '"0"' } });
  expect(put.status).toBe(200);
  return { ...w, version: (await json(put)).version as number };
}

describe("admin API: authentication and roles", () => {
  const endpoints: [string, string, unknown?][] = [
    ["GET", "/routes"],
    ["PUT", "/routes", { table: routes, reason: "r" }],
    ["POST", "/routes/accounts-read/weights", { weights: { legacy: 90, new: 10 }, reason: "r" }],
    ["POST", "/rollback", { reason: "r" }],
    ["GET", "/versions"],
    ["GET", "/versions/1"],
    ["GET", "/audit"],
  ];

  it.each(endpoints)("%s %s: 401 without a token or with a bad one", async (method, path, body) => {
    const w = await dynamoWorker();
    for (const token of [null, "not-a-known-token"]) {
      const response = await w.api(method, path, { token, body, headers: { "if-match": "0" } });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toContain("Bearer");
      expect(await json(response)).toMatchObject({ error: "unauthorized" });
    }
  });

  it.each(endpoints)("%s %s: a viewer may read, not write; an operator may do both", async (method, path, body) => {
    const w = await seeded();
    // A second version, so that there is something to roll back to.
    const second = await w.api("POST", "/routes/accounts-read/weights", { body: { weights: { legacy: 99, new: 1 }, reason: "1 %" } });
    w.version = (await json(second)).version as number;
    const asViewer = await w.api(method, path, { token: VIEWER, body, headers: { "if-match": String(w.version) } });
    if (method === "GET") expect(asViewer.status).toBe(200);
    else {
      expect(asViewer.status).toBe(403);
      expect(await json(asViewer)).toMatchObject({ error: "forbidden" });
    }
    const asOperator = await w.api(method, path, { token: OPERATOR, body, headers: { "if-match": String(w.version) } });
    expect(asOperator.status, await asOperator.clone().text()).toBe(200);
  });

  it("serves /_cutover/health without a token", async () => {
    const w = await seeded();
    const response = await w.call(get("/_cutover/health"));
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ status: "ok", version: w.version, source: "dynamodb" });
  });
});

describe("admin API: changing routes", () => {
  it("stores a table and serves it, with its version on every proxied response", async () => {
    const w = await seeded();
    const response = await w.api("GET", "/routes");
    expect(response.headers.get("etag")).toBe(`"${w.version}"`);
    expect(await json(response)).toMatchObject({ version: w.version, info: { author: "olivia", reason: "first table" }, table: routes });
    const proxied = await w.call(get("/api/accounts/1"));
    expect(proxied.headers.get("x-cutover-version")).toBe(String(w.version));
    expect(proxied.headers.get("x-served-by")).toBe("legacy");
  });

  it("refuses a write based on a stale version with 412, and one without If-Match with 428", async () => {
    const w = await seeded();
    const second = table({ routes: [{ id: "accounts-read", match: { path: "/api/accounts/:id" }, to: { legacy: 90, new: 10 }, sticky: "cookie:sid" }] });
    const next = await w.api("PUT", "/routes", { body: { table: second, reason: "second" }, headers: { "if-match": String(w.version) } });
    expect(next.status).toBe(200);
    const stale = await w.api("PUT", "/routes", { body: { table: table(), reason: "lost update" }, headers: { "if-match": String(w.version) } });
    expect(stale.status).toBe(412);
    // Says who changed what since the version the writer based its change on.
    expect(await json(stale)).toMatchObject({
      error: "stale_version",
      activeVersion: (await json(next)).version,
      message: expect.stringContaining("by olivia (apply): second"),
      changesSince: [{ actor: "olivia", reason: "second" }],
    });
    expect((await json(await w.api("GET", "/routes"))).table).toEqual(second);
    const unconditional = await w.api("PUT", "/routes", { body: { table: routes, reason: "x" } });
    expect(unconditional.status).toBe(428);
  });

  it("refuses an invalid table with 400, naming the field and the reason", async () => {
    const w = await seeded();
    const broken = { ...routes, routes: [{ id: "r", match: { path: "/a" }, to: { legacy: 60, new: 30 } }] };
    const response = await w.api("PUT", "/routes", { body: { table: broken, reason: "oops" }, headers: { "if-match": String(w.version) } });
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({
      error: "invalid_table",
      issues: [{ path: "$.table.routes[0].to", message: "weights sum to 90, they must sum to 100" }],
    });
  });

  it("requires a reason for every write", async () => {
    const w = await seeded();
    const response = await w.api("POST", "/routes/accounts-read/weights", { body: { weights: { legacy: 90, new: 10 } } });
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ error: "invalid_request", issues: [{ path: "$.reason" }] });
  });

  it("accepts a 10 000-route table (about 1 MB of JSON) and routes by it", async () => {
    const w = await dynamoWorker();
    const big = generateTable(10_000, { legacy: `http://127.0.0.1:${ports.legacy}`, fresh: `http://127.0.0.1:${ports.new}` });
    const put = await w.api("PUT", "/routes", { body: { table: big, reason: "big" }, headers: { "if-match": "0" } });
    expect(put.status).toBe(200);
    const routed = await w.call(get("/api/svc999/reports/42/items/7"));
    expect(routed.headers.get("x-cutover-route")).toBe("route-9997");
    expect(routed.headers.get("x-served-by")).toBe("legacy");
  });

  it("refuses oversized bodies with 413", async () => {
    const w = await seeded();
    const response = await w.api("POST", "/rollback", { body: { reason: "x".repeat(70_000) } });
    expect(response.status).toBe(413);
  });

  it("flips one route's weights, and the flip takes effect at once in this isolate", async () => {
    const w = await seeded();
    const response = await w.api("POST", "/routes/accounts-read/weights", { body: { weights: { legacy: 0, new: 100 }, reason: "all in" } });
    expect(response.status).toBe(200);
    const { version } = await json(response);
    const proxied = await w.call(get("/api/accounts/7", { cookie: "sid=anyone" }));
    expect(proxied.headers.get("x-served-by")).toBe("new");
    expect(proxied.headers.get("x-cutover-version")).toBe(String(version));
    const audit = (await json(await w.api("GET", "/audit"))).entries as Json[];
    expect(audit[0]).toMatchObject({
      actor: "olivia",
      action: "weights",
      reason: "all in",
      before: w.version,
      after: version,
      details: { route: "accounts-read", before: { legacy: 100, new: 0 }, after: { legacy: 0, new: 100 } },
    });
  });

  it("answers 404 for an unknown route and 400 for weights that do not add up", async () => {
    const w = await seeded();
    expect((await w.api("POST", "/routes/nope/weights", { body: { weights: { legacy: 100 }, reason: "x" } })).status).toBe(404);
    const bad = await w.api("POST", "/routes/accounts-read/weights", { body: { weights: { legacy: 50, new: 10 }, reason: "x" } });
    expect(bad.status).toBe(400);
    expect(await json(bad)).toMatchObject({ error: "invalid_weights", issues: [{ message: "weights sum to 60, they must sum to 100" }] });
  });

  it("rolls back to the exact earlier table, by default the previous version", async () => {
    const w = await seeded();
    const flipped = await json(await w.api("POST", "/routes/accounts-read/weights", { body: { weights: { legacy: 50, new: 50 }, reason: "half" } }));
    const back = await w.api("POST", "/rollback", { body: { reason: "errors on new" } });
    expect(back.status).toBe(200);
    const rolled = await json(back);
    expect(rolled).toMatchObject({ restoredFrom: w.version, info: { action: "rollback", parent: flipped.version, reason: "errors on new" } });
    expect((await json(await w.api("GET", "/routes"))).table).toEqual(routes);
    expect((await w.call(get("/api/accounts/7", { cookie: "sid=anyone" }))).headers.get("x-served-by")).toBe("legacy");

    const forward = await w.api("POST", "/rollback", { body: { toVersion: flipped.version, reason: "fixed" } });
    expect(await json(forward)).toMatchObject({ restoredFrom: flipped.version });
    expect((await json(await w.api("GET", `/versions/${flipped.version}`))).table).toEqual((await json(await w.api("GET", "/routes"))).table);
  });

  it("rolls back even when the active table cannot be read", async () => {
    const w = await seeded();
    await writeUncheckedVersion(w, { ...routes, default: "nowhere" }, { reason: "broken" });
    const stuck = await w.api("GET", "/routes");
    expect(stuck.status).toBe(409);
    expect(await json(stuck)).toMatchObject({ error: "invalid_stored_table" });
    const back = await w.api("POST", "/rollback", { body: { reason: "the stored table is broken" } });
    expect(back.status).toBe(200);
    expect(await json(back)).toMatchObject({ restoredFrom: w.version });
    expect((await json(await w.api("GET", "/routes"))).table).toEqual(routes);
  });

  it("skips a damaged version when rolling back by default: the target is the newest earlier version that can be read", async () => {
    const w = await seeded();
    const broken = await writeUncheckedVersion(w, { ...routes, default: "nowhere" }, { reason: "broken" });
    // Someone stored a good table over the damaged one; its parent is the damaged version.
    const fixed = await w.api("PUT", "/routes", { body: { table: table({ routes: [] }), reason: "over it" }, headers: { "if-match": String(broken) } });
    expect(fixed.status).toBe(200);
    const back = await w.api("POST", "/rollback", { body: { reason: "back to the last good one" } });
    expect(back.status, await back.clone().text()).toBe(200);
    expect(await json(back)).toMatchObject({ restoredFrom: w.version });
    expect((await json(await w.api("GET", "/routes"))).table).toEqual(routes);
  });

  it("lists versions newest first, marking the active one", async () => {
    const w = await seeded();
    await w.api("POST", "/routes/accounts-read/weights", { body: { weights: { legacy: 90, new: 10 }, reason: "10 %" } });
    const listing = await json(await w.api("GET", "/versions"));
    const versions = listing.versions as Json[];
    expect(versions.map((v) => v.action)).toEqual(["weights", "apply"]);
    expect(versions.map((v) => v.active)).toEqual([true, false]);
    expect(listing.activeVersion).toBe(versions[0]?.version);
  });
});

describe("the config cache in the Worker", () => {
  it("reaches an isolate within its TTL after another isolate's write", async () => {
    const w = await dynamoWorker({ CUTOVER_CONFIG_TTL_MS: "150" });
    const first = await w.store.publish({ table: JSON.parse(JSON.stringify(routes)), expectedVersion: 0, author: "elsewhere", reason: "r", action: "apply" });
    if (!first.ok) throw new Error("publish failed");
    expect((await w.call(get("/x"))).headers.get("x-cutover-version")).toBe(String(first.value.version));
    const second = await w.store.publish({ table: JSON.parse(JSON.stringify(table())), expectedVersion: first.value.version, author: "elsewhere", reason: "r", action: "apply" });
    if (!second.ok) throw new Error("publish failed");
    await new Promise((resolve) => setTimeout(resolve, 200));
    await w.call(get("/x")); // stale: answers at once, refreshes in the background
    expect((await w.call(get("/x"))).headers.get("x-cutover-version")).toBe(String(second.value.version));
  });

  it("keeps the last known good table when the store fails, and says so on /_cutover/health", async () => {
    const w = await dynamoWorker({ CUTOVER_CONFIG_TTL_MS: "50" });
    const put = await w.api("PUT", "/routes", { body: { table: routes, reason: "r" }, headers: { "if-match": "0" } });
    const { version } = await json(put);
    // The store goes away (a deleted table, revoked credentials, an outage).
    const { DeleteTableCommand } = await import("@aws-sdk/client-dynamodb");
    const { dynamoClient } = await import("../support/admin-harness.ts");
    await dynamoClient.send(new DeleteTableCommand({ TableName: w.tableName }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await w.call(get("/api/accounts/1"));
    const served = await w.call(get("/api/accounts/1"));
    expect(served.status).toBe(200);
    expect(served.headers.get("x-cutover-version")).toBe(String(version));
    const health = await json(await w.call(get("/_cutover/health")));
    expect(health).toMatchObject({ status: "degraded", version, source: "dynamodb" });
    // Only the error code goes out unauthenticated: DynamoDB messages can name the IAM user.
    expect(health.lastError).toBe("DynamoDB ResourceNotFoundException");
  });

  it("never serves a stored table that fails validation: the legacy URL serves, health reports it", async () => {
    const w = await dynamoWorker({ CUTOVER_LEGACY_URL: `http://127.0.0.1:${ports.legacy}` });
    const invalid = { ...routes, default: "nowhere" };
    await writeUncheckedVersion(w, invalid);
    const served = await w.call(get("/api/accounts/1"));
    expect(served.headers.get("x-served-by")).toBe("legacy");
    expect(served.headers.get("x-cutover-version")).toBe("none");
    const health = await w.call(get("/_cutover/health"));
    expect(health.status).toBe(503);
    expect(await json(health)).toMatchObject({ status: "unavailable", lastError: expect.stringContaining("unknown backend 'nowhere'") });
  });

  it("does not hold requests on a store that does not answer: a cold isolate serves the legacy URL after the store timeout", async () => {
    const w = await dynamoWorker({
      CUTOVER_DYNAMODB_ENDPOINT: `http://127.0.0.1:${ports.legacy}/slow/5000`,
      CUTOVER_STORE_TIMEOUT_MS: "300",
      CUTOVER_LEGACY_URL: `http://127.0.0.1:${ports.legacy}`,
    });
    const served = await w.call(get("/hello"));
    expect(served.status).toBe(200);
    expect(served.headers.get("x-served-by")).toBe("legacy");
    expect(await json(await w.call(get("/_cutover/health")))).toMatchObject({ status: "unavailable", lastError: expect.stringContaining("did not answer within 300 ms") });
  });
});

describe("admin API over a store that hangs", () => {
  it("answers a clear 503 instead of waiting, saying what to do", async () => {
    const w = await dynamoWorker({ CUTOVER_DYNAMODB_ENDPOINT: `http://127.0.0.1:${inject("hangingPort")}` });
    const response = await w.api("POST", "/routes/accounts-read/weights", { body: { weights: { legacy: 90, new: 10 }, reason: "r" } });
    expect(response.status).toBe(503);
    expect(await json(response)).toMatchObject({ error: "store_timeout", message: expect.stringContaining("may or may not have been applied") });
  });
});

describe("the OpenAPI document", () => {
  it("is served without a token, and every path it lists is an endpoint of the Worker", async () => {
    const w = await seeded();
    const response = await w.call(get("/_cutover/api/openapi.json"));
    expect(response.status).toBe(200);
    const document = (await response.json()) as { paths: Record<string, Record<string, unknown>> };
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const method of Object.keys(operations)) {
        const concrete = path.replace("{id}", "accounts-read").replace("{n}", String(w.version)).replace("/_cutover/api", "");
        const answer = path.startsWith("/_cutover/api")
          ? await w.api(method.toUpperCase(), concrete, { body: method === "get" ? undefined : {}, headers: { "if-match": "0" } })
          : await w.call(get(path));
        // Every answer but the Prometheus text one is JSON; a missing endpoint would be the JSON not_found.
        const text = await answer.text();
        const body = (answer.headers.get("content-type") ?? "").includes("json") ? (JSON.parse(text) as Json) : { text };
        expect(body, `${method} ${path}`).not.toMatchObject({ error: "not_found" });
      }
    }
  });
});
