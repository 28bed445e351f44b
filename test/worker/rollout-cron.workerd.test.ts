import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../worker/index.ts";
import { dynamoWorker } from "../support/admin-harness.ts";
import { table } from "../support/worker-harness.ts";

describe("the rollout controller's Cron Trigger", () => {
  it("ticks every running rollout from the scheduled handler", async () => {
    const w = await dynamoWorker({ CUTOVER_METRICS_FLUSH_MS: "0" });
    const routes = table({ routes: [{ id: "orders", match: { path: "/orders/*" }, to: "legacy" }] });
    expect((await w.api("PUT", "/routes", { body: { table: routes, reason: "seed" }, headers: { "if-match": "0" } })).status).toBe(200);
    const plan = { route: "orders", candidate: "new", steps: [{ type: "weight", weight: 10, minDuration: "0s" }, { type: "weight", weight: 100 }] };
    expect((await w.api("POST", "/rollouts", { body: { plan, reason: "cron test" } })).status).toBe(201);
    const state = async () => (await (await w.api("GET", "/rollouts/orders")).json()) as { status: string; events: { kind: string }[]; now: { decision: string } };
    expect((await state()).now.decision).toMatch(/^(settling|open-window)$/);
    // Past the settling time (flush interval 0 + 1 s margin), the Cron Trigger opens the step's evidence window.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), w.env, ctx);
    await waitOnExecutionContext(ctx);
    const after = await state();
    expect(after.status).toBe("running");
    expect(after.now.decision).toBe("wait");
    expect((await (await w.api("GET", "/routes")).json()) as { table: { routes: { to: unknown }[] } }).toMatchObject({ table: { routes: [{ to: { legacy: 90, new: 10 } }] } });
  });
});
