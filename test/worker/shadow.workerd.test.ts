import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../worker/index.ts";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { dynamoClient, dynamoWorker } from "../support/admin-harness.ts";
import { get, origin, ports, received, table, testId } from "../support/worker-harness.ts";

type Json = Record<string, unknown>;

const SCENARIOS = ["same", "sized", "zipped", "changed", "missing", "noisy", "reordered", "status", "hold", "reset", "big", "secret", "write", "leaky"];

/** One route per scenario: served by legacy, shadowed to the candidate ("new"). */
function shadowTable(shadow: Record<string, unknown> = {}) {
  return table({
    routes: SCENARIOS.map((scenario) => ({
      id: scenario,
      match: { path: `/shadow/${scenario}/*` },
      to: "legacy",
      shadow: { to: "new", noisePercent: 0, ...(scenario === "secret" ? { redact: ["$.card"] } : {}), ...(scenario === "write" ? { unsafeMethods: true } : {}), ...shadow },
    })),
  });
}

async function shadowedWorker(shadow: Record<string, unknown> = {}, env: Record<string, string> = {}) {
  const w = await dynamoWorker({ CUTOVER_SHADOW_FLUSH_MS: "0", ...env });
  const put = await w.api("PUT", "/routes", { body: { table: shadowTable(shadow), reason: "shadow test" }, headers: { "if-match": "0" } });
  expect(put.status).toBe(200);
  const report = async (route: string) => (await (await w.api("GET", `/shadow?route=${route}&minComparisons=3&threshold=99`)).json()) as Json;
  return { ...w, report };
}

async function sendTimes(w: { call: (r: Request) => Promise<Response> }, path: string, times: number, headers: Record<string, string> = {}) {
  const bodies: string[] = [];
  for (let i = 0; i < times; i++) {
    const response = await w.call(get(path, headers));
    bodies.push(await response.text());
  }
  return bodies;
}

describe("shadow traffic", () => {
  it("does not count as a difference a 404 the route's read-through fallback would have answered from legacy", async () => {
    const w = await dynamoWorker({ CUTOVER_SHADOW_FLUSH_MS: "0" });
    const routes = [
      { id: "read-through", match: { path: "/shadow/notyet/*" }, to: "legacy", fallback: { to: "legacy", on: ["404"] }, shadow: { to: "new", noisePercent: 0, ignore: ["header:x-served-by"] } },
      { id: "strict", match: { path: "/shadow/notyet/strict/*" }, to: "legacy", shadow: { to: "new", noisePercent: 0, ignore: ["header:x-served-by"] } },
    ];
    expect((await w.api("PUT", "/routes", { body: { table: table({ routes }), reason: "read-through shadow" }, headers: { "if-match": "0" } })).status).toBe(200);
    await sendTimes(w, "/shadow/notyet/1", 3);
    await sendTimes(w, "/shadow/notyet/copied", 2);
    const report = async (route: string) => (await (await w.api("GET", `/shadow?route=${route}&minComparisons=1&threshold=99`)).json()) as Json;
    expect(await report("read-through")).toMatchObject({ compared: 2, matched: 2, mismatched: 0 });
    // Without the fallback the user on the candidate would get the 404: a difference.
    await sendTimes(w, "/shadow/notyet/strict/1", 3);
    expect(await report("strict")).toMatchObject({ compared: 3, mismatched: 3 });
  });

  it("gives the client exactly the legacy response, and sends a marked copy to the candidate", async () => {
    const w = await shadowedWorker();
    const id = testId();
    const response = await w.call(get("/shadow/changed/1", { "x-test-id": id, "x-request-id": "client-chosen-id" }));
    expect(response.headers.get("x-served-by")).toBe("legacy");
    expect(await response.json()).toEqual({ id: 1, balance: 10 });
    const [copy] = await received(ports.new, id);
    expect(copy?.url).toBe("/shadow/changed/1");
    expect(copy?.headers["x-cutover-shadow"]).toBe("1");
    // An idempotency key of cutover's own, never one a client chose.
    expect(copy?.headers["idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
    expect((await received(ports.legacy, id))[0]?.headers["x-request-id"]).toBe("client-chosen-id");
  });

  it("reports identical responses as matches", async () => {
    const w = await shadowedWorker({ ignore: ["header:x-served-by"] });
    await sendTimes(w, "/shadow/same/1", 3);
    const report = await w.report("same");
    expect(report).toMatchObject({ compared: 3, matched: 3, mismatched: 0, matchRate: 100, differences: [], verdict: { ready: true } });
    expect(report.latency).toMatchObject({ control: { p50: expect.any(Number), p99: expect.any(Number) }, candidate: { p50: expect.any(Number) } });
  });

  it.each([
    ["changed", { field: "body:$.balance", count: 3, example: expect.objectContaining({ field: "body:$.balance", kind: "value", control: 10, candidate: 12 }) }],
    ["missing", { field: "body:$.plan", count: 3, example: expect.objectContaining({ field: "body:$.plan", kind: "missing", control: "pro" }) }],
    ["reordered", { field: "body:$.tags", count: 3, example: expect.objectContaining({ field: "body:$.tags", kind: "order", control: ["a", "b", "c"], candidate: ["c", "b", "a"] }) }],
    ["status", { field: "status", count: 3, example: expect.objectContaining({ field: "status", kind: "status", control: 200, candidate: 500 }) }],
  ])("reports exactly the difference of '%s' with its count and an example", async (scenario, difference) => {
    const w = await shadowedWorker();
    await sendTimes(w, `/shadow/${scenario}/1`, 3);
    const report = await w.report(scenario);
    expect(report).toMatchObject({ compared: 3, matched: 0, mismatched: 3, matchRate: 0 });
    expect(report.differences).toEqual([difference]);
    // The backends' own x-served-by header differs too: that is real, and reported by name, apart from the verdict.
    expect(report.headers).toEqual([expect.objectContaining({ name: "x-served-by", security: false, count: 3, changed: 3 })]);
    expect((report.verdict as Json).ready).toBe(false);
  });

  it("learns noise from two legacy responses and does not count it as a mismatch", async () => {
    const w = await shadowedWorker({ noisePercent: 100, ignore: ["header:x-served-by"] });
    const id = testId();
    await sendTimes(w, "/shadow/noisy/1", 4, { "x-test-id": id });
    expect(await received(ports.legacy, id)).toHaveLength(8); // the client's request and the noise probe
    const report = await w.report("noisy");
    expect(report).toMatchObject({ compared: 4, matched: 4, matchRate: 100, noiseSamples: 4, noise: [{ field: "body:$.generatedAt", count: 4 }], differences: [] });

    const unlearned = await shadowedWorker({ noisePercent: 0, ignore: ["header:x-served-by"] });
    await sendTimes(unlearned, "/shadow/noisy/1", 3);
    expect(await unlearned.report("noisy")).toMatchObject({ matched: 0, differences: [{ field: "body:$.generatedAt", count: 3 }] });
  });

  it("honours ignore rules", async () => {
    const w = await shadowedWorker({ ignore: ["body:$.balance", "header:x-served-by"] });
    await sendTimes(w, "/shadow/changed/1", 3);
    expect(await w.report("changed")).toMatchObject({ matched: 3, differences: [] });
  });

  it("answers the client while a slow candidate is still working", async () => {
    const w = await shadowedWorker();
    const hold = testId();
    const ctx = createExecutionContext();
    const response = await worker.fetch(get(`/shadow/hold/${hold}`) as Request<unknown, IncomingRequestCfProperties>, w.env, ctx);
    expect(await response.json()).toEqual({ id: 1 });
    // The client has its whole response; the candidate has not answered yet.
    expect((await w.report("hold")).compared).toBe(0);
    await fetch(`${origin(ports.new)}/__release?id=${hold}`, { method: "POST" });
    await waitOnExecutionContext(ctx);
    expect((await w.report("hold")).compared).toBe(1);
  });

  it("counts a candidate that resets the connection as a candidate error, not a client failure", async () => {
    const w = await shadowedWorker();
    const bodies = await sendTimes(w, "/shadow/reset/1", 2);
    expect(bodies).toEqual(['{"id":1}', '{"id":1}']);
    expect(await w.report("reset")).toMatchObject({ compared: 0, candidateErrors: 2, matchRate: 0 });
  });

  it("compares only status and headers of bodies over the cap, and streams them whole to the client", async () => {
    const w = await shadowedWorker({ ignore: ["header:x-served-by"] });
    const response = await w.call(get("/shadow/big/1"));
    const body = await response.text();
    expect(body.length).toBe(5 * 1024 * 1003 + 11);
    expect(body.endsWith('x"]}')).toBe(true);
    expect(await w.report("big")).toMatchObject({ compared: 1, tooLarge: 1, matched: 1 });
  });

  it("captures bodies of a declared length whole, and sheds the copy when they do not fit the isolate's byte budget", async () => {
    const w = await shadowedWorker({ ignore: ["header:x-served-by"] });
    const response = await w.call(get("/shadow/sized/1"));
    expect(((await response.json()) as Json).balance).toBe(10);
    expect(await w.report("sized")).toMatchObject({ compared: 1, mismatched: 1, shed: 0, differences: [{ field: "body:$.balance", count: 1 }] });

    // A budget smaller than one body (about 240 bytes): nothing is captured, the client is served as ever.
    const tight = await shadowedWorker({ ignore: ["header:x-served-by"] }, { CUTOVER_SHADOW_BUDGET_BYTES: "100" });
    const served = await tight.call(get("/shadow/sized/2"));
    expect(((await served.json()) as Json).note).toBe("x".repeat(200));
    expect(await tight.report("sized")).toMatchObject({ compared: 0, shed: 1 });
  });

  it("does not trust a compressed body's declared length: a gzipped body over the cap is compared by status and headers only", async () => {
    const w = await shadowedWorker({ ignore: ["header:x-served-by"] });
    const response = await w.call(get("/shadow/zipped/1"));
    expect((await response.text()).length).toBeGreaterThan(5 * 1024 * 1000);
    expect(await w.report("zipped")).toMatchObject({ compared: 1, tooLarge: 1 });
  });

  it("never stores secret headers or redacted body fields", async () => {
    const w = await shadowedWorker();
    await sendTimes(w, "/shadow/secret/1", 1, { authorization: "Bearer client-secret", cookie: "session=client-cookie" });
    const report = await w.report("secret");
    const text = JSON.stringify(report);
    for (const secret of ["control-secret", "candidate-secret", "4111111111111111", "4242424242424242", "client-secret", "client-cookie"]) {
      expect(text).not.toContain(secret);
    }
    expect(report.headers).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: "set-cookie", count: 1, example: expect.objectContaining({ field: "header:set-cookie", kind: "value", control: "[redacted]", candidate: "[redacted]" }) })]),
    );
    expect(report.differences).toEqual(
      expect.arrayContaining([
        { field: "body:$.card", count: 1, example: expect.objectContaining({ field: "body:$.card", kind: "value", control: "[redacted]", candidate: "[redacted]" }) },
        { field: "body:$.name", count: 1, example: expect.objectContaining({ field: "body:$.name", kind: "value", control: "Ada", candidate: "Ada L." }) },
      ]),
    );
  });

  it("stores no secret with no redact rules configured: the raw DynamoDB items hold none of them", async () => {
    const w = await shadowedWorker();
    const token = "Zx8Qm2LpW7rT4vYk9sNbQ1";
    await sendTimes(w, `/shadow/leaky/${token}?access_token=query-secret-1&page=2`, 2, { authorization: "Bearer bearer-secret-1", cookie: "session=cookie-secret-1" });
    const report = await w.report("leaky");
    expect(report.compared).toBe(2);
    const items = await dynamoClient.send(new ScanCommand({ TableName: w.tableName }));
    const stored = JSON.stringify(items.Items);
    expect(stored).toContain("sample#"); // samples were written: the scan sees what a reader would
    for (const secret of ["pw-control-1", "pw-candidate-1", "key-control-1", "key-candidate-1", "tok-control-key", "tok-candidate-key", "4000056655665556", "5555555555554444", "hdr-control-1", "hdr-candidate-1", "bearer-secret-1", "cookie-secret-1", "query-secret-1", token]) {
      expect(stored, secret).not.toContain(secret);
    }
    expect(stored).toContain("body:$.user.password");
    expect(stored).toContain("page=2");
  });

  it("does not shadow a POST unless the route allows it, and then marks it for dry-run", async () => {
    const w = await shadowedWorker();
    const post = (path: string, id: string) => w.call(new Request(`https://shop.example.com${path}`, { method: "POST", body: '{"order":1}', headers: { "x-test-id": id, "content-type": "application/json" } }));
    const plain = testId();
    await post("/shadow/changed/1", plain);
    expect(await received(ports.new, plain)).toEqual([]);
    const allowed = testId();
    await post("/shadow/write/1", allowed);
    const [copy] = await received(ports.new, allowed);
    expect(copy).toMatchObject({ method: "POST", bodyBytes: 11, headers: { "x-cutover-shadow": "1" } });
    expect((await received(ports.legacy, allowed))[0]?.bodySha256).toBe(copy?.bodySha256);
  });

  it("never forwards the tester override to the shadow backend", async () => {
    const w = await dynamoWorker({ CUTOVER_SHADOW_FLUSH_MS: "0", CUTOVER_OVERRIDE_SECRET: "s".repeat(32) });
    await w.api("PUT", "/routes", { body: { table: shadowTable(), reason: "r" }, headers: { "if-match": "0" } });
    const { signOverride } = await import("../../routes/override-token.ts");
    const token = await signOverride("s".repeat(32), { backend: "spare", expiresAt: Date.now() / 1000 + 60 });
    const id = testId();
    await w.call(get("/shadow/same/1", { "x-test-id": id, "x-cutover-override": token, cookie: `cutover_override=${token}` }));
    const [copy] = await received(ports.new, id);
    expect(copy?.headers["x-cutover-override"]).toBeUndefined();
    expect(copy?.headers.cookie).toBeUndefined();
  });

  it("adds up counters flushed from many requests exactly", async () => {
    const w = await shadowedWorker({ ignore: ["header:x-served-by"] });
    // Concurrent batches (below the isolate's limit of copies in flight), each flushing on its own.
    for (let batch = 0; batch < 3; batch++) {
      await Promise.all([
        ...Array.from({ length: 20 }, () => w.call(get("/shadow/changed/1")).then((r) => r.arrayBuffer())),
        ...Array.from({ length: 10 }, () => w.call(get("/shadow/same/1")).then((r) => r.arrayBuffer())),
      ]);
    }
    expect(await w.report("changed")).toMatchObject({ compared: 60, mismatched: 60, shed: 0, differences: [{ field: "body:$.balance", count: 60 }] });
    expect(await w.report("same")).toMatchObject({ compared: 30, matched: 30, shed: 0 });
  });

  it("flushes within the interval even when traffic stops", async () => {
    const w = await dynamoWorker({ CUTOVER_SHADOW_FLUSH_MS: "2000" });
    await w.api("PUT", "/routes", { body: { table: shadowTable(), reason: "r" }, headers: { "if-match": "0" } });
    await w.call(get("/shadow/same/1")); // waits for its waitUntil, which holds the delayed flush
    const report = (await (await w.api("GET", "/shadow?route=same&minComparisons=1")).json()) as Json;
    expect(report.compared).toBe(1);
  });

  it("sheds shadow copies beyond what the isolate has in flight, and reports how many", async () => {
    const w = await shadowedWorker({ ignore: ["header:x-served-by"] });
    const holds = Array.from({ length: 34 }, () => testId());
    const ctxs = holds.map(() => createExecutionContext());
    // 34 requests whose candidate copies hang: the first 32 take every slot.
    const responses = await Promise.all(
      holds.map((hold, i) => worker.fetch(get(`/shadow/hold/${hold}`) as Request<unknown, IncomingRequestCfProperties>, w.env, ctxs[i] as ExecutionContext)),
    );
    for (const response of responses) expect(await response.json()).toEqual({ id: 1 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await Promise.all(holds.map((hold) => fetch(`${origin(ports.new)}/__release?id=${hold}`, { method: "POST" })));
    await Promise.all(ctxs.map((ctx) => waitOnExecutionContext(ctx)));
    expect(await w.report("hold")).toMatchObject({ compared: 32, shed: 2 });
  });

  it("copies no request body over the cap: a chunked upload is not copied, the download streams whole, the copy is counted as shed", async () => {
    const w = await dynamoWorker({ CUTOVER_SHADOW_FLUSH_MS: "0" });
    const routesTable = table({ routes: [{ id: "upload", match: { path: "/bytes/*" }, to: "legacy", shadow: { to: "new", unsafeMethods: true, maxBodyBytes: 1024, noisePercent: 0 } }] });
    expect((await w.api("PUT", "/routes", { body: { table: routesTable, reason: "t" }, headers: { "if-match": "0" } })).status).toBe(200);
    const id = testId();
    const chunk = new Uint8Array(4096).fill(7);
    const upload = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const response = await w.call(get("/bytes/3000000", { "x-test-id": id }, { method: "POST", body: upload, duplex: "half" } as RequestInit));
    expect((await response.arrayBuffer()).byteLength).toBe(3_000_000);
    expect(await received(ports.new, id)).toEqual([]);
    expect((await received(ports.legacy, id))[0]?.bodyBytes).toBe(4 * 4096);
    expect(await (await w.api("GET", "/shadow?route=upload&minComparisons=1")).json()).toMatchObject({ compared: 0, shed: 1 });
  });

  it("gives the client a clear 502 for a status the runtime cannot pass on, and compares nothing", async () => {
    const w = await dynamoWorker({ CUTOVER_SHADOW_FLUSH_MS: "0" });
    const routesTable = table({ routes: [{ id: "odd", match: { path: "/raw-status/*" }, to: "legacy", shadow: { to: "new", noisePercent: 0 } }] });
    expect((await w.api("PUT", "/routes", { body: { table: routesTable, reason: "t" }, headers: { "if-match": "0" } })).status).toBe(200);
    const response = await w.call(get("/raw-status/999"));
    expect(response.status).toBe(502);
    expect(await (await w.api("GET", "/shadow?route=odd&minComparisons=1")).json()).toMatchObject({ compared: 0, candidateErrors: 0 });
  });

  it("lists every shadowed route with its match rate", async () => {
    const w = await shadowedWorker({ ignore: ["header:x-served-by"] });
    await sendTimes(w, "/shadow/same/1", 2);
    const listing = (await (await w.api("GET", "/shadow?minComparisons=2")).json()) as { routes: Json[] };
    expect(listing.routes.map((r) => r.route)).toEqual(SCENARIOS);
    expect(listing.routes.find((r) => r.route === "same")).toMatchObject({ shadowTo: "new", compared: 2, matchRate: 100, verdict: { ready: true } });
  });
});
