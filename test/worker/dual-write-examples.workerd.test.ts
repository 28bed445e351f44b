import { describe, expect, it } from "vitest";
import type { DualWriteExample } from "../../admin/contract/index.ts";
import { dynamoWorker, VIEWER } from "../support/admin-harness.ts";
import { origin, ports, table } from "../support/worker-harness.ts";

/**
 * Examples of copies the new backend gave no answer to: the Worker's own entry in workerd, the
 * embedded DynamoDB, the test upstreams (test/support/upstream.ts: `/slow/<ms>` answers 200
 * JSON after that long, `/status/<code>` that status). Each route is its own: one example per
 * route and isolate every 10 s.
 */
async function exampleWorker() {
  const w = await dynamoWorker();
  const routes = table({
    backends: { sleepy: { url: origin(ports.new), timeoutMs: 100 }, gone: { url: origin(ports.refused) } },
    routes: [
      { id: "slow-writes", match: { path: "/slow/*" }, to: "legacy", dualWrite: { to: "sleepy" } },
      { id: "gone-writes", match: { path: "/status/*" }, to: "legacy", dualWrite: { to: "gone" } },
    ],
  });
  expect((await w.api("PUT", "/routes", { body: { table: routes, reason: "examples test" }, headers: { "if-match": "0" } })).status).toBe(200);
  const examples = async (route: string, token?: string) => {
    const response = await w.api("GET", `/migration/examples?route=${route}`, token === undefined ? {} : { token });
    expect(response.status).toBe(200);
    return ((await response.json()) as { examples: DualWriteExample[] }).examples;
  };
  return { ...w, examples };
}

const post = (path: string) => new Request(`https://shop.example.com${path}`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });

describe("examples of dual-write copies without an answer", () => {
  it("says why there was none (a timeout, a connection error), with no status and no body; the client's answer is legacy's", async () => {
    const w = await exampleWorker();
    const slow = await w.call(post("/slow/300?api_key=k-secret-0123456789"));
    expect(slow.status).toBe(200);
    await slow.arrayBuffer();
    const refused = await w.call(post("/status/201"));
    expect(refused.status).toBe(201);
    await refused.arrayBuffer();

    const [timedOut] = await w.examples("slow-writes");
    expect(timedOut).toMatchObject({ outcome: "failed", candidate: "sleepy", legacyStatus: 200, candidateStatus: null, candidateError: "timeout", candidateBody: null, legacyId: null, path: "/slow/300?api_key=[redacted]" });
    const [unreachable] = await w.examples("gone-writes");
    expect(unreachable).toMatchObject({ outcome: "failed", candidate: "gone", legacyStatus: 201, candidateStatus: null, candidateBody: null });
    expect(unreachable?.candidateError).toMatch(/^error: /);
  });

  it("keeps only the first example of a route within 10 s in an isolate; a viewer may read them", async () => {
    const w = await exampleWorker();
    for (let i = 0; i < 3; i++) await (await w.call(post(`/status/201?n=${i}`))).arrayBuffer();
    const examples = await w.examples("gone-writes", VIEWER);
    expect(examples.map((example) => example.path)).toEqual(["/status/201?n=0"]);
  });
});
