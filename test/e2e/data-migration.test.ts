import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Route, RouteTable } from "../../routes/schema.ts";
import { startCluster, type Cluster } from "../support/isolates.ts";
import { runCli } from "../support/cli.ts";
import { startUpstream, type Upstream } from "../support/upstream.ts";

type Json = Record<string, unknown>;
interface Rollout {
  status: string;
  /** From 1, as the API counts steps. */
  step: number;
  pausedReason: string | null;
  events: { kind: string; step: number; message: string }[];
}

/**
 * A data migration's stages as one rollout, end to end: the bundled Worker on plain workerd,
 * real upstreams, controller ticks driven by the test. Dual writes copied to the new backend
 * until enough agree; read-through while the "backfill" runs (the new backend's 404s fall back
 * to legacy, and the step waits until few do); ramp-down; migrated.
 */
describe("a data migration, stage by stage", () => {
  let legacy: Upstream;
  let fresh: Upstream;
  let cluster: Cluster;

  beforeAll(async () => {
    legacy = await startUpstream("legacy");
    fresh = await startUpstream("new");
    cluster = await startCluster({
      isolates: 1,
      table: {
        backends: { legacy: { url: `http://127.0.0.1:${legacy.port}` }, lambda: { url: `http://127.0.0.1:${fresh.port}` } },
        default: "legacy",
        routes: [
          { id: "writes", match: { path: "/dw/*", methods: ["POST"] }, to: "legacy" },
          { id: "updates", match: { path: "/dw/*", methods: ["PUT"] }, to: "legacy" },
          { id: "reads", match: { path: "/status/*" }, to: "legacy" },
        ],
      },
      vars: { CUTOVER_METRICS_FLUSH_MS: "100", CUTOVER_PROPAGATION_MS: "0", CUTOVER_CONFIG_TTL_MS: "200" },
    });
  });
  afterAll(async () => {
    await cluster?.stop();
    await Promise.all([legacy?.close(), fresh?.close()]);
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const response = await cluster.api(0, method, path, body);
    return { status: response.status, body: (await response.json()) as Json };
  };
  const rollout = async (route: string) => (await api("GET", `/rollouts/${route}`)).body as unknown as Rollout;
  const routeNow = async (id: string) => ((await api("GET", "/routes")).body.table as RouteTable).routes.find((r) => r.id === id) as Route;
  const send = async (path: string, count: number, method = "GET") => {
    for (let i = 0; i < count; i += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, count - i) }, async () => {
          const response = await fetch(`${cluster.urls[0]}${path}`, { method, headers: { "content-type": "application/json" }, ...(method === "POST" ? { body: '{"name":"Ada"}' } : {}) });
          await response.arrayBuffer();
        }),
      );
    }
  };
  const cli = (args: string[]) => runCli(cluster.urls[0], args);
  /** Past the settling time with counts flushed, then a tick. */
  const settleAndTick = async () => {
    await new Promise((resolve) => setTimeout(resolve, 1300));
    await api("POST", "/rollouts/tick", {});
  };
  /** Sends `traffic` and ticks until the rollout leaves `step` (or `rounds` run out). */
  async function untilPast(route: string, step: number, rounds: number, traffic: () => Promise<void>): Promise<Rollout> {
    for (let round = 0; round < rounds; round++) {
      const state = await rollout(route);
      if (state.status !== "running" || state.step !== step) return state;
      await traffic();
      await settleAndTick();
    }
    return rollout(route);
  }

  it("copies writes to the new backend until enough of them agree with legacy, then reads through it", async () => {
    const plan = {
      route: "writes",
      candidate: "lambda",
      steps: [
        { type: "dualWrite", minWrites: 20, minDuration: "0s" },
        { type: "readThrough", minRequests: 20, maxFallbackRate: 0.05, minDuration: "0s" },
        { type: "rampDown", minDuration: "0s" },
      ],
      // With no copy going wrong, the upper bound falls under 10 % after some 35 copies (under the default 1 %, some 380).
      gates: { maxWriteFailureRate: 0.1 },
      onFailure: "stepBack",
    };
    expect((await api("POST", "/rollouts", { plan, reason: "move the writes" })).status).toBe(201);
    expect(await routeNow("writes")).toEqual({ id: "writes", match: { path: "/dw/*", methods: ["POST"] }, to: "legacy", dualWrite: { to: "lambda" } });

    // Dual writes: legacy answers 201, the copy to the new backend agrees.
    const afterDualWrite = await untilPast("writes", 1, 10, () => send("/dw/201/201", 25, "POST"));
    expect(afterDualWrite).toMatchObject({ status: "running", step: 2 });
    expect(await routeNow("writes")).toEqual({ id: "writes", match: { path: "/dw/*", methods: ["POST"] }, to: "lambda", fallback: { to: "legacy", on: ["404"], unsafeMethods: true } });
    const copies = (await api("GET", "/metrics?route=writes&since=1h")).body as { totals: { lambda: { dualWrite: { sent: number; agreed: number } } } };
    expect(copies.totals.lambda.dualWrite.sent).toBeGreaterThanOrEqual(20);
    expect(copies.totals.lambda.dualWrite.agreed).toBe(copies.totals.lambda.dualWrite.sent);
  });

  it("reads through while records are still missing on the new backend, and moves on once few fall back", async () => {
    const plan = {
      route: "reads",
      candidate: "lambda",
      steps: [
        { type: "readThrough", minRequests: 20, maxFallbackRate: 0.05, minDuration: "0s" },
        { type: "rampDown", minDuration: "0s" },
      ],
      onFailure: "stepBack",
    };
    expect((await api("POST", "/rollouts", { plan, reason: "move the reads" })).status).toBe(201);
    // The backfill has copied nothing yet: every read is a 404 on the new backend, answered by legacy.
    const waiting = await untilPast("reads", 1, 3, () => send("/status/404", 30));
    expect(waiting).toMatchObject({ status: "running", step: 1 });
    // The backfill done: reads are found on the new backend; the window's rate falls under 5 %.
    const rampedDown = await untilPast("reads", 1, 10, () => send("/status/200", 300));
    expect(rampedDown).toMatchObject({ status: "running", step: 2 });
    expect(await routeNow("reads")).toEqual({ id: "reads", match: { path: "/status/*" }, to: "lambda" });
    // The data migration's progress by the hour: every 404 that fell back is there; a day of reads under the bound is not.
    const progress = JSON.parse((await cli(["migration", "progress", "reads", "--since", "1h", "--days", "1", "--max-fallback-rate", "0.05", "--json"])).stdout) as { hours: { reads: number; fellBack: number }[]; readyToRemoveFallback: boolean; reason: string };
    expect(progress.hours.reduce((sum, hour) => sum + hour.fellBack, 0)).toBe(90);
    expect(progress.hours.reduce((sum, hour) => sum + hour.reads, 0)).toBeGreaterThanOrEqual(390);
    expect(progress).toMatchObject({ readyToRemoveFallback: false, reason: expect.stringMatching(/^reads on the new backend only since .*: wait for 1 days of them$/) });
    const done = await untilPast("reads", 2, 5, () => send("/status/200", 10));
    expect(done.status).toBe("succeeded");
    expect(await routeNow("reads")).toEqual({ id: "reads", match: { path: "/status/*" }, to: "lambda" });
  });

  it("fails the dual-write stage when the new backend answers writes otherwise than legacy: the first stage steps back to the route as it was", async () => {
    const plan = {
      route: "updates",
      candidate: "lambda",
      steps: [{ type: "dualWrite", minWrites: 20, minDuration: "0s" }, { type: "readThrough", minDuration: "0s" }],
      gates: { maxWriteFailureRate: 0.1 },
      onFailure: "stepBack",
    };
    expect((await api("POST", "/rollouts", { plan, reason: "move the updates" })).status).toBe(201);
    // Legacy answers 201 Created, the new backend 200: every copy disagrees.
    const failed = await untilPast("updates", 1, 10, () => send("/dw/201/200", 25, "PUT"));
    expect(failed.status).toBe("rolled_back");
    expect(failed.events.at(-1)?.message).toMatch(/write-agreement \(0 failed and \d+ disagreed of \d+ copied/);
    expect(await routeNow("updates")).toEqual({ id: "updates", match: { path: "/dw/*", methods: ["PUT"] }, to: "legacy" });
  });
});
