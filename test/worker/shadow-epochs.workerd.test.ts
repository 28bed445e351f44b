import { describe, expect, it } from "vitest";
import { dynamoWorker } from "../support/admin-harness.ts";
import { get, origin, ports, table } from "../support/worker-harness.ts";

type Json = Record<string, unknown>;

/** A route shadowed to the candidate, whose answers differ from legacy's ("changed"). */
async function shadowed(shadow: Record<string, unknown> = {}, backends: Record<string, unknown> = {}) {
  const w = await dynamoWorker({ CUTOVER_SHADOW_FLUSH_MS: "0", CUTOVER_PROPAGATION_MS: "0" });
  const routesOf = (extra: Record<string, unknown>, more: Record<string, unknown>) =>
    table({ backends: more, routes: [{ id: "changed", match: { path: "/shadow/changed/*" }, to: "legacy", shadow: { to: "new", noisePercent: 0, ignore: ["header:x-served-by"], ...extra } }] });
  let version = 0;
  const put = async (extra: Record<string, unknown>, more: Record<string, unknown> = backends) => {
    const response = await w.api("PUT", "/routes", { body: { table: routesOf({ ...shadow, ...extra }, more), reason: "epochs" }, headers: { "if-match": String(version) } });
    version = ((await response.json()) as { version: number }).version;
  };
  await put({});
  const send = async (times: number) => {
    for (let i = 0; i < times; i++) await (await w.call(get("/shadow/changed/1"))).arrayBuffer();
  };
  const report = async (query = "") => (await (await w.api("GET", `/shadow?route=changed&minComparisons=1${query}`)).json()) as Json;
  return { ...w, put, send, report, bump: () => version };
}

describe("shadow epochs", () => {
  it("starts the statistics over on `shadow reset`, keeping the old epoch's counts out of the report", async () => {
    const w = await shadowed();
    await w.send(4);
    const before = await w.report();
    expect(before).toMatchObject({ compared: 4, mismatched: 4 });
    const reset = await w.api("POST", "/shadow/changed/reset", { body: { reason: "fixed the candidate" } });
    expect(reset.status).toBe(200);
    const after = (await reset.json()) as { epoch: string; version: number };
    expect(after.epoch).not.toBe(before.epoch);
    expect(await w.report()).toMatchObject({ compared: 0, epoch: after.epoch });
    await w.send(2);
    expect(await w.report()).toMatchObject({ compared: 2, mismatched: 2 });
    // Audited as a change of its own.
    const audit = (await (await w.api("GET", "/audit?limit=1")).json()) as { entries: { action: string; reason: string }[] };
    expect(audit.entries[0]).toMatchObject({ action: "shadow-reset", reason: "fixed the candidate" });
  });

  it("starts over when the candidate's backend changes, not when what is ignored does", async () => {
    const w = await shadowed();
    await w.send(3);
    const first = (await w.report()).epoch;
    await w.put({ ignore: ["header:x-served-by", "body:$.balance"] });
    expect(await w.report()).toMatchObject({ epoch: first, compared: 3 });
    await w.put({}, { new: { url: origin(ports.new), timeoutMs: 5000 } });
    const third = await w.report();
    expect(third.epoch).not.toBe(first);
    expect(third.compared).toBe(0);
  });

  it("reports a time window of whole hours on request, and names the request behind an example", async () => {
    const w = await shadowed();
    await w.send(2);
    const report = await w.report("&since=1h");
    expect(report).toMatchObject({ compared: 2, window: { since: expect.any(String) } });
    expect((report.differences as { example: Json }[])[0]?.example).toMatchObject({ method: "GET", path: "/shadow/changed/1", control: 10, candidate: 12 });
    expect((await w.api("GET", "/shadow?route=changed&since=soon")).status).toBe(400);
  });

  it("refuses a reset of a route without a shadow, and of one that does not exist", async () => {
    const w = await shadowed();
    expect((await w.api("POST", "/shadow/nope/reset", { body: { reason: "x" } })).status).toBe(404);
  });
});
