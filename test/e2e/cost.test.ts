import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CostReport } from "../../cost/cost-report.ts";
import type { Prices } from "../../cost/prices.ts";
import { SECONDS_PER_MONTH } from "../../cost/estimate.ts";
import { startCluster, type Cluster } from "../support/isolates.ts";
import { eventually } from "../support/eventually.ts";
import { runCli } from "../support/cli.ts";
import { startUpstream, type Upstream } from "../support/upstream.ts";

interface Totals {
  routes: { route: string; backends: Record<string, { requests: number; served: number; latencyMs: { mean?: number | null } }> }[];
}

const PRICES: Prices = {
  legacy: { dyno: { type: "standard-2x", count: 3, monthlyPrice: 50, concurrency: 4 }, addOns: [{ name: "Heroku Postgres standard-0", monthlyPrice: 50 }] },
  backends: { accounts: { lambda: { memoryMb: 512, pricePerGbSecond: 0.0000166667, pricePerMillionRequests: 0.2 }, apiGateway: { pricePerMillionRequests: 1 } } },
};

/**
 * `cutover cost` end to end: real traffic through the deployed bundle on plain workerd to two
 * real upstreams, counted in DynamoDB, read back through the admin API by the CLI, and every
 * figure checked against the metrics it came from.
 */
describe("cutover cost", () => {
  let legacy: Upstream;
  let fresh: Upstream;
  let cluster: Cluster;
  let pricesFile: string;

  beforeAll(async () => {
    legacy = await startUpstream("legacy");
    fresh = await startUpstream("new");
    cluster = await startCluster({
      isolates: 1,
      table: {
        backends: {
          legacy: { url: `http://127.0.0.1:${legacy.port}` },
          // The new backends answer /api/…/N after N ms, as /slow/N.
          accounts: { url: `http://127.0.0.1:${fresh.port}`, stripPrefix: "/api/accounts", addPrefix: "/slow" },
          orders: { url: `http://127.0.0.1:${fresh.port}`, stripPrefix: "/api/orders", addPrefix: "/slow" },
        },
        default: "legacy",
        routes: [
          { id: "accounts-read", match: { path: "/api/accounts/:ms", methods: ["GET"] }, to: { legacy: 50, accounts: 50 }, sticky: "none" },
          { id: "orders", match: { path: "/api/orders/:ms" }, to: "orders" },
          { id: "reports", match: { path: "/api/reports/*" }, to: "legacy", shadow: { to: "accounts", percent: 0 } },
        ],
      },
      vars: { CUTOVER_METRICS_FLUSH_MS: "100", CUTOVER_PROPAGATION_MS: "0" },
    });
    pricesFile = path.join(await mkdtemp(path.join(os.tmpdir(), "cutover-cost-")), "prices.json");
    await writeFile(pricesFile, JSON.stringify(PRICES));
    const send = (target: string, count: number) => Promise.all(Array.from({ length: count }, async () => (await fetch(`${cluster.urls[0]}${target}`)).arrayBuffer()));
    await send("/api/accounts/20", 40);
    await send("/api/orders/10", 10);
    await send("/slow/60", 20);
    const served = (totals: Totals, route: string) => Object.values(totals.routes.find((entry) => entry.route === route)?.backends ?? {}).reduce((sum, point) => sum + point.served, 0);
    const counted = (totals: Totals) => [served(totals, "accounts-read"), served(totals, "orders"), served(totals, "(default)")];
    expect(counted(await eventually(overview, (totals) => counted(totals).join() === "40,10,20", 150))).toEqual([40, 10, 20]);
  });
  afterAll(async () => {
    await cluster?.stop();
    await Promise.all([legacy?.close(), fresh?.close()]);
  });

  const overview = async () => (await (await cluster.api(0, "GET", "/metrics?since=1h")).json()) as Totals;
  const cli = (args: string[]) => runCli(cluster.urls[0], args);

  it("estimates each route from the measured requests and mean latencies, with formulas and inputs", async () => {
    const run = await cli(["cost", "--since", "1h", "--prices", pricesFile, "--json"]);
    expect(run.stderr).toBe("");
    const report = JSON.parse(run.stdout) as CostReport;
    const totals = await overview();
    const measured = (route: string, backend: string) => totals.routes.find((entry) => entry.route === route)?.backends[backend];
    const of = (route: string) => report.routes.find((entry) => entry.route === route);
    expect(report.notice).toMatch(/never a bill/);
    expect(report.legacyBill.value).toBe(200);

    // Legacy's busy time: each route's requests × mean latency, the bill split by it.
    const busy = (route: string) => {
      const point = measured(route, "legacy");
      return point === undefined ? 0 : (point.requests * (point.latencyMs.mean ?? 0)) / 1000;
    };
    const allBusy = busy("accounts-read") + busy("(default)");
    expect(busy("(default)")).toBeGreaterThan(20 * 0.06 * 0.95);
    // Within 0.5 %: the CLI reads each route's own metrics, whose means are rounded apart from the overview's.
    const near = (value: number | null | undefined, expected: number) => expect(Math.abs((value ?? Number.NaN) - expected) / expected).toBeLessThan(0.005);
    near(of("(default)")?.legacy.value, (200 * busy("(default)")) / allBusy);
    near(of("accounts-read")?.legacy.value, (200 * busy("accounts-read")) / allBusy);
    expect(of("accounts-read")?.legacy.inputs).toMatchObject({ requests: measured("accounts-read", "legacy")?.requests, meanMs: measured("accounts-read", "legacy")?.latencyMs.mean });

    // The new backend: the window's requests, × month ÷ window, × what one costs.
    const accounts = measured("accounts-read", "accounts");
    const mean = accounts?.latencyMs.mean ?? 0;
    expect(mean).toBeGreaterThanOrEqual(19);
    const perRequest = 0.5 * (mean / 1000) * 0.0000166667 + 0.2 / 1e6 + 1 / 1e6;
    const monthFactor = SECONDS_PER_MONTH / report.windowSeconds;
    expect(of("accounts-read")?.onNew.accounts).toMatchObject({ kind: "estimate", inputs: { requests: accounts?.requests, meanMs: mean } });
    expect(of("accounts-read")?.onNew.accounts?.value).toBeCloseTo((accounts?.requests ?? 0) * monthFactor * perRequest, 3);
    expect(of("accounts-read")?.allOnNew.accounts?.inputs.requests).toBe(40);
    // A backend without prices is unknown, and says why; a shadow target is where a route is moving.
    expect(of("orders")?.onNew.orders).toMatchObject({ kind: "unknown", value: null, reason: expect.stringContaining("no prices for backend 'orders'") });
    expect(of("reports")?.allOnNew).toHaveProperty("accounts");

    // Legacy's share, and the bill: tiny traffic needs one dyno of the three, now and later; none once everything moved.
    const legacyServed = report.legacyShare.points.reduce((sum, point) => sum + point.legacyServed, 0);
    expect(legacyServed).toBe((measured("accounts-read", "legacy")?.served ?? 0) + 20);
    expect(report.projections.now.dynosNeeded.value).toBe(1);
    expect(report.projections.now.saving.value).toBe(100);
    expect(report.projections.afterMigrating.moved).toEqual(["accounts-read", "orders", "reports"]);
    expect(report.projections.afterMigrating.remaining).toEqual(["(default)"]);
    expect(report.projections.allMoved).toMatchObject({ dynosNeeded: { value: 0 }, bill: { value: 50 } });
  });

  it("prints the estimates for people, with the reasons for what is unknown and, asked, the formulas", async () => {
    const run = await cli(["cost", "--since", "1h", "--prices", pricesFile, "--formulas"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("never a bill");
    expect(run.stdout).toMatch(/Legacy bill now: \$200\.00 a month \(3 × standard-2x at \$50\.00/);
    expect(run.stdout).toMatch(/^accounts-read\s+40\s+/m);
    // One reason, one note: both of orders' figures point to it.
    expect(run.stdout).toMatch(/orders unknown \(1\)\s+orders unknown \(1\)/);
    expect(run.stdout).toMatch(/as measured\s+1 dyno → \$100\.00\s+peak 0\.\d+ requests at once/);
    expect(run.stdout).toMatch(/now: dynos needed = 1\n/);
    expect(run.stdout).toMatch(/no prices for backend 'orders'/);
    expect(run.stdout).toMatch(/once everything has moved\s+0 dynos → \$50\.00/);
    expect(run.stdout).toContain("legacy bill × route's legacy busy time ÷ all legacy busy time");
  });

  it("refuses a prices document with its problems, and a run without prices", async () => {
    await writeFile(pricesFile.replace(".json", "-bad.json"), JSON.stringify({ legacy: { dyno: { type: "x", count: 1, monthlyPrice: 5 } }, backends: {} }));
    const bad = await cli(["cost", "--prices", pricesFile.replace(".json", "-bad.json")]);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining("$.legacy.dyno.concurrency") });
    expect(await cli(["cost"])).toMatchObject({ code: 2, stderr: expect.stringContaining("No prices are stored yet") });
    expect(await cli(["cost", "prices", "set", pricesFile.replace(".json", "-bad.json"), "--reason", "typo"])).toMatchObject({ code: 2, stderr: expect.stringContaining("$.legacy.dyno.concurrency") });
  });

  it("estimates with the prices stored beside the table (GET /cost), as with a prices file", async () => {
    const set = await cli(["cost", "prices", "set", pricesFile, "--reason", "list prices of our plan", "--json"]);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ revision: 1, updatedBy: "olivia", reason: "list prices of our plan", prices: { legacy: { dyno: { count: 3 } } } });
    expect((await cli(["cost", "prices", "get"])).stdout).toMatch(/Revision 1, set .* by olivia: list prices of our plan/);

    const stored = JSON.parse((await cli(["cost", "--since", "1h", "--json"])).stdout) as CostReport & { prices: { revision: number } };
    const fromFile = JSON.parse((await cli(["cost", "--since", "1h", "--prices", pricesFile, "--json"])).stdout) as CostReport;
    expect(stored.prices.revision).toBe(1);
    expect(stored.legacyBill).toEqual(fromFile.legacyBill);
    expect(stored.routes.map((route) => [route.route, route.served, route.legacyServed])).toEqual(fromFile.routes.map((route) => [route.route, route.served, route.legacyServed]));
    expect(stored.projections.afterMigrating.moved).toEqual(fromFile.projections.afterMigrating.moved);
    // A viewer reads it too; the audit log says who set the prices.
    const audit = (await (await cluster.api(0, "GET", "/audit?limit=5")).json()) as { entries: { action: string; actor: string }[] };
    expect(audit.entries).toContainEqual(expect.objectContaining({ action: "prices-set", actor: "olivia" }));
  });
});
