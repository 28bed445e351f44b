import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../cli/wrangler-dev.ts";
import { launchBrowser } from "../support/browser.ts";
import { eventually } from "../support/eventually.ts";
import { CLUSTER_OPERATOR, startCluster, type Cluster } from "../support/isolates.ts";
import { startUpstream, type Upstream } from "../support/upstream.ts";

type Json = Record<string, unknown>;
/** The page's screenshot lands here, beside the other dashboard pages'. */
const SHOTS = path.join(PROJECT_ROOT, "bench", "out", "screenshots");
const endpoint = (method: string, pattern: string) => ({ method, pattern, source: pattern, action: `${pattern.split("/")[1]}#${method.toLowerCase()}`, kind: "action" });

/**
 * The migration page in a real Chromium, against the bundled Worker on plain workerd over the
 * embedded DynamoDB and real upstreams: a small legacy surface imported, one route moved from
 * legacy to a split to the new backend (a read-through rollout), reads that fell back, and
 * what an operator sees — the burndown, each endpoint's stage, the rollout, the data
 * migration's fallbacks — and a muted notice for a panel whose API call failed.
 */
describe("the migration page, in a browser", () => {
  let legacy: Upstream;
  let fresh: Upstream;
  let cluster: Cluster;
  let browser: Browser;
  let admin = "";

  beforeAll(async () => {
    legacy = await startUpstream("legacy");
    fresh = await startUpstream("new");
    cluster = await startCluster({
      isolates: 1,
      table: {
        backends: { legacy: { url: `http://127.0.0.1:${legacy.port}` }, lambda: { url: `http://127.0.0.1:${fresh.port}` } },
        default: "legacy",
        routes: [
          { id: "reads", match: { path: "/status/:code", methods: ["GET"] }, to: "legacy" },
          { id: "orders", match: { path: "/orders/:id", methods: ["GET"] }, to: "legacy" },
          // Writes copied to the new backend, which answers them with a 500: examples to show.
          { id: "writes", match: { path: "/dw/*", methods: ["POST"] }, to: "legacy", dualWrite: { to: "lambda" } },
        ],
      },
      vars: {
        CUTOVER_METRICS_FLUSH_MS: "100",
        CUTOVER_PROPAGATION_MS: "0",
        CUTOVER_CONFIG_TTL_MS: "200",
        CUTOVER_SESSION_SECRET: "s".repeat(40),
        // The dashboard's own origin: localhost, where the proxy is 127.0.0.1.
        CUTOVER_ADMIN_HOSTS: "localhost",
      },
    });
    admin = (cluster.urls[0] ?? "").replace("127.0.0.1", "localhost");
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
    await Promise.all([legacy?.close(), fresh?.close()]);
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const response = await cluster.api(0, method, path, body);
    return { status: response.status, body: (await response.json()) as Json };
  };
  const send = async (path: string, count: number) => {
    await Promise.all(Array.from({ length: count }, async () => (await fetch(`${cluster.urls[0]}${path}`)).arrayBuffer()));
  };
  async function signIn(): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
    await page.goto(`${admin}/_cutover/`);
    await page.fill("input[name=token]", CLUSTER_OPERATOR);
    await page.click("button:has-text('Sign in')");
    await page.waitForURL(`${admin}/_cutover/`);
    return page;
  }

  it("shows the burndown, each endpoint's stage, the rollout and the read-through's fallbacks; a panel whose call failed says so", async () => {
    const surface = [endpoint("GET", "/status/:code"), endpoint("GET", "/orders/:id"), endpoint("POST", "/orders"), endpoint("GET", "/pricing")];
    expect((await api("POST", "/legacy", { endpoints: surface, format: "openapi", reason: "the app's endpoints" })).status).toBe(200);
    // Version 1 is the seed (everything on legacy); 2 splits the reads; 3 is the rollout's read-through.
    expect((await api("POST", "/routes/reads/weights", { weights: { legacy: 50, lambda: 50 }, reason: "half the reads" })).status).toBe(200);
    const plan = {
      route: "reads",
      candidate: "lambda",
      // Far more evidence than the test sends: the rollout stays at its read-through step.
      steps: [{ type: "readThrough", minRequests: 100_000, maxFallbackRate: 0.05, minDuration: "1h" }, { type: "rampDown" }],
      onFailure: "stepBack",
    };
    expect((await api("POST", "/rollouts", { plan, reason: "move the reads" })).status).toBe(201);
    expect((await api("GET", "/routes")).body).toMatchObject({ version: 3 });

    // The backfill is not done: 20 reads find nothing on the new backend and fall back to legacy.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await send("/status/404", 20);
    await send("/status/200", 30);
    await send("/pricing", 1);
    const metrics = await eventually(
      async () => (await api("GET", "/metrics?route=reads&since=1h")).body as { totals: Record<string, { requests: number; fallbacks: Record<string, number> }> },
      (counted) => counted.totals.lambda?.fallbacks["404"] === 20 && counted.totals.lambda.requests === 50,
    );
    expect(metrics.totals.lambda).toMatchObject({ requests: 50, fallbacks: { "404": 20 } });
    const map = await eventually(
      async () => (await api("GET", "/legacy/map?since=1d")).body as { summary: { seen: number }; endpoints: { method: string; pattern: string; stage?: string; stageLabel?: string }[] },
      (counted) => counted.summary.seen === 1,
    );
    expect(map.summary.seen).toBe(1);

    const page = await signIn();
    await page.goto(`${admin}/_cutover/migration`);
    expect(await page.locator("h1").textContent()).toBe("Migration");
    expect(await page.locator("header nav a[aria-current=page]").textContent()).toBe("Migration");

    // The burndown: one step per table version, its numbers on hover.
    const chart = page.locator("section[data-panel=burndown] svg[aria-label='Endpoints by stage']");
    expect(await chart.locator("g[data-point]").evaluateAll((groups) => groups.map((g) => g.getAttribute("data-point")))).toEqual(["1", "2", "3"]);
    const hover = (version: number) => chart.locator(`g[data-point='${version}'] title`).textContent();
    expect(await hover(1)).toMatch(/^v1 from .*: legacy 4 \(2 unrouted\)$/);
    expect(await hover(2)).toMatch(/^v2 from .*: legacy 3 \(2 unrouted\) · split 1$/);
    // The rollout's read-through: every read on the new backend (its 404s answered by legacy), a stage of its own where route-stage.ts tells them apart.
    expect(await hover(3)).toMatch(/^v3 from .*: legacy 3 \(2 unrouted\) · (read-through|new) 1$/);

    // Each endpoint at its stage.
    const row = (key: string) => page.locator(`section[data-panel=endpoints] tr[data-endpoint='${key}']`);
    // As the migration map says: the reads' endpoint at the route's stage now.
    const mapped = map.endpoints.find((e) => e.pattern === "/status/:code");
    expect(mapped?.stageLabel).toMatch(/^(read-through|new) \(lambda\)$/);
    expect(await row("GET /status/:code").locator("td[data-stage]").getAttribute("data-stage")).toBe(mapped?.stage);
    expect(await row("GET /status/:code").locator("td[data-stage]").textContent()).toBe(mapped?.stageLabel);
    expect(await row("GET /orders/:id").locator("td[data-stage]").textContent()).toBe("legacy");
    expect(await row("GET /pricing").locator("td[data-stage]").textContent()).toBe("legacy, unrouted (1 request)");
    expect(await row("POST /orders").locator("td").nth(2).textContent()).toBe("unseen");
    expect(await page.locator("[data-metric=covered]").textContent()).toBe("2");

    // The rollout at its read-through step, judged now.
    const rollout = page.locator("section[data-panel=rollouts] tr[data-rollout=reads]");
    expect(await rollout.locator("[data-metric=rollout-step]").textContent()).toBe("1/2 readThrough");
    expect(await rollout.textContent()).toContain("running");

    // The data migration: every read that fell back, not yet ready to remove the fallback.
    const progress = page.locator("section[data-panel=progress] [data-progress=reads]");
    expect(await progress.locator("h3").textContent()).toContain("rollout at its readThrough step");
    expect(await progress.locator("[data-metric=reads]").textContent()).toBe("50");
    expect(await progress.locator("[data-metric=fell-back]").textContent()).toBe("20");
    expect(await progress.locator("[data-metric=fallback-verdict]").textContent()).toMatch(/^Not ready to remove the fallback: reads on the new backend only since /);
    const hours = await progress.locator("svg rect[data-bar] title").allTextContents();
    expect(hours.length).toBeGreaterThan(0);
    expect(hours.join("\n")).toMatch(/\d+ of \d+ reads fell back/);

    // Cost (no prices stored) and decommission: the panel, or the muted notice with the API's problem when its call failed.
    for (const [panel, path] of [
      ["cost", "/cost?since=14d"],
      ["decommission", "/decommission"],
    ] as const) {
      const answer = await api("GET", path);
      const section = page.locator(`section[data-panel=${panel}]`);
      expect(await section.locator("h2").count()).toBe(1);
      if (answer.status === 200) continue;
      const notice = await section.locator("p.muted[data-unavailable]").textContent();
      expect(notice).toMatch(/^not available: \S/);
      // An endpoint the Worker has gives its problem's sentence (cost without prices: no_prices); one it lacks, a bare 404.
      if (answer.body.error !== "not_found") expect(notice).toBe(`not available: ${String(answer.body.message)}`);
    }
    expect((await api("GET", "/cost?since=14d")).status).not.toBe(200);
    await page.context().close();
  });

  it("shows the cost from the stored prices, what holds legacy up, and the dual-write copies that failed", async () => {
    const prices = {
      legacy: { dyno: { type: "standard-2x", count: 3, monthlyPrice: 50, concurrency: 4 }, addOns: [{ name: "Heroku Postgres standard-0", monthlyPrice: 50 }] },
      backends: { lambda: { lambda: { memoryMb: 512, pricePerGbSecond: 0.0000166667, pricePerMillionRequests: 0.2 } } },
    };
    expect((await api("PUT", "/settings/prices", { prices, reason: "our plan" })).status).toBe(200);
    for (let i = 0; i < 3; i++) await (await fetch(`${cluster.urls[0]}/dw/201/500?token=s3cr3t`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"name":"Ada"}' })).arrayBuffer();
    await eventually(
      async () => (await api("GET", "/migration/examples?route=writes")).body as { examples: unknown[] },
      (answer) => answer.examples.length > 0,
    );

    const page = await signIn();
    await page.goto(`${admin}/_cutover/migration`);
    // Cost: the legacy bill as measured and its formula on hover.
    const cost = page.locator("section[data-panel=cost]");
    expect(await cost.locator("[data-unavailable]").count()).toBe(0);
    // Three dynos now; the measured peak needs one: 1 × 50 + 50 of add-ons.
    const bill = (await api("GET", "/cost?since=14d")).body as { projections: { now: { bill: { value: number; formula: string; inputs: Record<string, number> } } } };
    expect(bill.projections.now.bill.value).toBe(100);
    expect(await cost.locator("[data-metric=bill-now]").textContent()).toBe("USD 100/month");
    const hover = await cost.locator("[data-metric=bill-now]").getAttribute("title");
    expect(hover?.split("\n")).toEqual([bill.projections.now.bill.formula, ...Object.entries(bill.projections.now.bill.inputs).map(([name, value]) => `${name} = ${value}`)]);
    expect(hover).toContain("pricePerDyno = 50");
    expect(await cost.locator("tr[data-cost-route=reads]").count()).toBe(1);
    // Decommission: the routes still on legacy among what holds it up.
    const decommission = page.locator("section[data-panel=decommission]");
    expect(await decommission.locator("[data-metric=decommission-ready]").textContent()).toMatch(/^\d+ things still hold legacy up\.$/);
    expect(await decommission.textContent()).toContain("at legacy: legacy still serves it");
    // The write route's copies: the example, with both statuses and legacy's id, the secret in its query redacted.
    const writes = page.locator("section[data-panel=progress] [data-progress=writes]");
    expect(await writes.locator("h3").textContent()).toContain("dual writes to lambda");
    const example = writes.locator("tr[data-example=failed]").first();
    const cells = await example.locator("td").allTextContents();
    expect(cells.slice(1, 5)).toEqual(["POST /dw/201/500?token=[redacted]", "201", "failed: 500", "acc_42"]);
    expect(await writes.textContent()).not.toContain("s3cr3t");
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, "migration.png"), fullPage: true });
    // `npm run screenshots` puts it in the README.
    if (process.env.UPDATE_SCREENSHOTS) {
      mkdirSync(path.join(PROJECT_ROOT, "docs", "screenshots"), { recursive: true });
      copyFileSync(path.join(SHOTS, "migration.png"), path.join(PROJECT_ROOT, "docs", "screenshots", "migration.png"));
    }
    await page.context().close();
  });
});
