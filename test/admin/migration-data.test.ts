import { Hono, type ExecutionContext } from "hono";
import { describe, expect, it } from "vitest";
import type { AdminEnv } from "../../admin/auth.ts";
import { inProcessApi } from "../../admin/dashboard/in-process-api.ts";
import { loadMigration } from "../../admin/dashboard/migration-data.ts";

const executionCtx: ExecutionContext = { waitUntil: () => undefined, passThroughOnException: () => undefined, props: {} };
const c = { executionCtx };
const operator = { name: "ops", role: "operator" } as const;
const NOW = Date.parse("2026-11-25T12:00:00Z");

const table = {
  backends: { legacy: { url: "https://legacy.example" }, lambda: { url: "https://lambda.example" } },
  default: "legacy",
  routes: [
    { id: "writes", match: { path: "/writes/*" }, to: "legacy", dualWrite: { to: "lambda" } },
    { id: "reads", match: { path: "/reads/*" }, to: "lambda", fallback: { to: "legacy", on: ["404"] } },
    { id: "errors-only", match: { path: "/errors/*" }, to: "lambda", fallback: "legacy" },
    { id: "moving", match: { path: "/moving/*" }, to: "lambda", fallback: { to: "legacy", on: ["404"], unsafeMethods: true } },
    { id: "plain", match: { path: "/plain/*" }, to: "legacy" },
  ],
};
const summary = (status: string, step: number) => ({
  route: "moving",
  candidate: "lambda",
  control: "legacy",
  status,
  step,
  steps: 2,
  stepLabel: step === 1 ? "readThrough" : "rampDown",
  stepStartedAt: "2026-11-25T10:00:00Z",
  pausedReason: null,
  lastVerdict: null,
  startedBy: "olivia",
  startedAt: "2026-11-25T09:00:00Z",
  updatedAt: "2026-11-25T10:00:00Z",
});
const point = (at: string, requests: number, fellBack: number) => ({
  at,
  requests,
  served: requests - fellBack,
  status: { "2xx": requests, "3xx": 0, "4xx": 0, "5xx": 0 },
  proxyErrors: {},
  fallbacks: fellBack > 0 ? { "404": fellBack } : {},
  arms: {},
  errorRate: 0,
  latencyMs: { p50: 10, p95: 20, p99: 30 },
});
const problem = (status: number, error: string, message: string) => new Response(JSON.stringify({ error, message }), { status, headers: { "content-type": "application/json" } });

/** An API that answers the routes, one rollout (listed twice: the newest first), its detail and metrics; the legacy surface, decommission and cost fail, each its own way. */
function api() {
  const app = new Hono<AdminEnv>();
  const paths: string[] = [];
  app.use("*", async (ctx, next) => {
    paths.push(ctx.req.path + (new URL(ctx.req.url).search || ""));
    await next();
  });
  app.get("/routes", (ctx) => ctx.json({ version: 9, info: null, table }));
  app.get("/rollouts", (ctx) => ctx.json({ rollouts: [summary("running", 1), summary("aborted", 1)] }));
  app.get("/rollouts/moving", (ctx) => ctx.json({ ...summary("running", 1), plan: { steps: [{ type: "readThrough" }, { type: "rampDown" }], onFailure: "stepBack" }, events: [], now: { decision: "wait" } }));
  app.get("/metrics", (ctx) => ctx.json({ route: ctx.req.query("route"), since: "2026-11-18T12:00:00Z", step: "60m", series: { legacy: [point("2026-11-25T10:00:00Z", 5, 0)], lambda: [point("2026-11-25T10:00:00Z", 40, 4), point("2026-11-25T11:00:00Z", 60, 0)] }, totals: {} }));
  app.get("/legacy/map", () => problem(404, "no_surface", "No legacy surface is imported yet."));
  app.get("/legacy/burndown", () => problem(404, "no_surface", "No legacy surface is imported yet."));
  app.get("/cost", () => problem(404, "no_prices", "No prices are stored."));
  // /decommission: not there at all (Hono's own plain-text 404).
  return { calls: inProcessApi(app), paths };
}

describe("the migration page's data", () => {
  it("reads each part through the API; a part whose call failed is its message, the others still there", async () => {
    const { calls, paths } = api();
    const data = await loadMigration(calls.call, c, operator, NOW);
    expect(data.burndown).toEqual({ ok: false, message: "No legacy surface is imported yet." });
    expect(data.map).toEqual({ ok: false, message: "No legacy surface is imported yet." });
    expect(data.cost).toEqual({ ok: false, message: "No prices are stored." });
    expect(data.decommission).toEqual({ ok: false, message: "404 Not Found" });
    // The newest rollout of the route only, judged now.
    expect(data.rollouts.ok && data.rollouts.value.map((r) => [r.summary.status, r.detail?.ok])).toEqual([["running", true]]);
    expect(paths.filter((path) => path.startsWith("/rollouts/"))).toEqual(["/rollouts/moving"]);
  });

  it("follows the routes in a data migration: a rollout at a readThrough or dualWrite step, dual writes, a fallback on 404s — not one on errors only", async () => {
    const { calls, paths } = api();
    const data = await loadMigration(calls.call, c, operator, NOW);
    expect(data.progress.ok && data.progress.value.map(({ route, why }) => [route, why])).toEqual([
      ["moving", "rollout at its readThrough step"],
      ["writes", "dual writes to lambda"],
      ["reads", "falls back to legacy on a 404"],
    ]);
    expect(paths.filter((path) => path.startsWith("/metrics")).sort()).toEqual(["/metrics?route=moving&since=7d&step=1h", "/metrics?route=reads&since=7d&step=1h", "/metrics?route=writes&since=7d&step=1h"]);
    const moving = data.progress.ok ? data.progress.value[0]?.progress : undefined;
    // Legacy's own requests are not reads of the new backend.
    expect(moving?.ok && moving.value.hours.map((hour) => [hour.reads, hour.fellBack])).toEqual([
      [40, 4],
      [60, 0],
    ]);
    expect(moving?.ok && moving.value.readyToRemoveFallback).toBe(false);
  });
});
