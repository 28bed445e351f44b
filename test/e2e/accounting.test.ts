import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { histogramPercentile, latencyBucket } from "../../accounting/latency-buckets.ts";
import { PROJECT_ROOT } from "../../cli/wrangler-dev.ts";
import type { RouteTable } from "../../routes/schema.ts";
import { validateRouteTable } from "../../routes/validate.ts";
import { CLUSTER_OPERATOR, startCluster, type Cluster } from "../support/isolates.ts";
import { refusedPort, startUpstream, type RecordedRequest, type Upstream } from "../support/upstream.ts";
import { eventually } from "../support/eventually.ts";

type Json = Record<string, unknown>;
interface Point {
  requests: number;
  served: number;
  status: Record<string, number>;
  proxyErrors: Record<string, number>;
  fallbacks: Record<string, number>;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
}

/**
 * Traffic accounting end to end: two isolates (two Worker processes) flushing to one
 * DynamoDB; what the metrics API says is compared with what the upstreams received.
 */
describe("traffic accounting across isolates", () => {
  let legacy: Upstream;
  let fresh: Upstream;
  let cluster: Cluster;
  const testId = crypto.randomUUID();

  const tableWith = (moved: readonly string[]): RouteTable => {
    const result = validateRouteTable({
      backends: {
        legacy: { url: `http://127.0.0.1:${legacy.port}` },
        new: { url: `http://127.0.0.1:${fresh.port}` },
        down: { url: `http://127.0.0.1:${refused}` },
        impatient: { url: `http://127.0.0.1:${legacy.port}`, timeoutMs: 100 },
      },
      default: "legacy",
      routes: [
        { id: "split", match: { path: "/split/*" }, to: { legacy: 50, new: 50 }, sticky: "none" },
        { id: "errors", match: { path: "/status/*" }, to: "new" },
        { id: "down", match: { path: "/down/*" }, to: "down" },
        { id: "slow", match: { path: "/slow/*", methods: ["GET"] }, to: "impatient" },
        { id: "timed", match: { path: "/slow/*", methods: ["POST"] }, to: "legacy" },
        { id: "rescued", match: { path: "/rescued/*" }, to: "down", fallback: "legacy" },
        { id: "orders", match: { path: "/orders/*" }, to: moved.includes("orders") ? "new" : "legacy" },
        { id: "invoices", match: { path: "/invoices/*" }, to: moved.includes("invoices") ? "new" : "legacy" },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    return result.value;
  };
  let refused = 0;

  beforeAll(async () => {
    legacy = await startUpstream("legacy");
    fresh = await startUpstream("new");
    refused = await refusedPort();
    cluster = await startCluster({ isolates: 2, table: tableWith([]), vars: { CUTOVER_METRICS_FLUSH_MS: "100", CUTOVER_PROPAGATION_MS: "0" } });
  });
  afterAll(async () => {
    await cluster?.stop();
    await Promise.all([legacy?.close(), fresh?.close()]);
  });

  /** Sends `count` requests to `path`, alternating between the two isolates. */
  async function send(path: string, count: number): Promise<void> {
    for (let i = 0; i < count; i += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, count - i) }, async (_, j) => {
          const response = await fetch(`${cluster.urls[(i + j) % 2]}${path}`, { headers: { "x-test-id": testId } });
          await response.arrayBuffer();
        }),
      );
    }
  }
  const upstreamLog = async (upstream: Upstream): Promise<RecordedRequest[]> => (await fetch(`http://127.0.0.1:${upstream.port}/__log?test=${testId}`)).json() as Promise<RecordedRequest[]>;
  const metrics = async (route: string) => (await (await cluster.api(0, "GET", `/metrics?route=${route}&since=1h`)).json()) as { totals: Record<string, Point> };


  it("counts every request to the request, per route and backend, whichever isolate served it", async () => {
    await send("/split/item", 2000);
    const split = await eventually(() => metrics("split"), (m) => (m.totals.legacy?.requests ?? 0) + (m.totals.new?.requests ?? 0) >= 2000);
    const [legacyLog, freshLog] = await Promise.all([upstreamLog(legacy), upstreamLog(fresh)]);
    expect(split.totals.legacy?.requests).toBe(legacyLog.filter((r) => r.url.startsWith("/split/")).length);
    expect(split.totals.new?.requests).toBe(freshLog.filter((r) => r.url.startsWith("/split/")).length);
    expect((split.totals.legacy?.requests ?? 0) + (split.totals.new?.requests ?? 0)).toBe(2000);
    expect(split.totals.legacy?.status["2xx"]).toBe(split.totals.legacy?.requests);
  });

  it("counts the origin's 5xx apart from cutover's own 502 and 504, and fallbacks by trigger", async () => {
    await Promise.all([send("/status/503", 30), send("/down/x", 20), send("/slow/600", 10), send("/rescued/x", 15)]);
    const errors = await eventually(() => metrics("errors"), (m) => (m.totals.new?.requests ?? 0) >= 30);
    expect(errors.totals.new).toMatchObject({ requests: 30, status: { "5xx": 30 }, proxyErrors: {} });
    const down = await eventually(() => metrics("down"), (m) => (m.totals.down?.requests ?? 0) >= 20);
    expect(down.totals.down).toMatchObject({ requests: 20, status: { "5xx": 0 }, proxyErrors: { "502": 20 } });
    const slow = await eventually(() => metrics("slow"), (m) => (m.totals.impatient?.requests ?? 0) >= 10);
    expect(slow.totals.impatient).toMatchObject({ requests: 10, proxyErrors: { "504": 10 } });
    const rescued = await eventually(() => metrics("rescued"), (m) => (m.totals.legacy?.requests ?? 0) >= 15);
    expect(rescued.totals.down).toMatchObject({ requests: 15, served: 0, fallbacks: { error: 15 } });
    expect(rescued.totals.legacy).toMatchObject({ requests: 15, served: 15 });
    // The latency histogram: the impatient backend gave up at its 100 ms timeout, which cannot
    // fire earlier, so its p50 is in the timeout's bucket or a later one; and it is above the
    // p50 of a backend that answered at once.
    const timeoutBucket = histogramPercentile(new Map([[latencyBucket(100), 1]]), 50) as number;
    expect(slow.totals.impatient?.latencyMs.p50).toBeGreaterThanOrEqual(timeoutBucket);
    expect(slow.totals.impatient?.latencyMs.p50).toBeGreaterThan(errors.totals.new?.latencyMs.p50 as number);
  });

  it("reads p50, p95 and p99 back within the histogram's 5 % of what the Worker measured", async () => {
    // 40 requests the origin answers after 20 ms, 40 after 60 ms, 20 after 200 ms.
    const delays = [...Array<number>(40).fill(20), ...Array<number>(40).fill(60), ...Array<number>(20).fill(200)];
    const seen: number[] = [];
    for (let i = 0; i < delays.length; i += 20) {
      await Promise.all(
        delays.slice(i, i + 20).map(async (delay, j) => {
          const started = performance.now();
          const response = await fetch(`${cluster.urls[j % 2]}/slow/${delay}`, { method: "POST", body: "x" });
          seen.push(performance.now() - started); // to the response head, as the Worker times it
          await response.arrayBuffer();
        }),
      );
    }
    const timed = await eventually(() => metrics("timed"), (m) => (m.totals.legacy?.requests ?? 0) >= 100);
    const rank = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.ceil((p / 100) * values.length) - 1] as number;
    // What the Worker measured lies between the origin's delay and what this client measured.
    for (const [p, name] of [[50, "p50"], [95, "p95"], [99, "p99"]] as const) {
      const read = timed.totals.legacy?.latencyMs[name] as number;
      expect(read, name).toBeGreaterThanOrEqual(rank(delays, p) / 1.05);
      expect(read, name).toBeLessThanOrEqual(rank(seen, p) * 1.05);
    }
  });

  it("maps unrouted traffic into path templates, and says which are covered", async () => {
    await send("/legacy/users/123/orders/9f8e7d6c5b4a", 12);
    await send("/legacy/users/456/orders/0a1b2c3d4e5f", 8);
    await send("/orders/1", 3); // routed: not in the map
    const inventory = await eventually(
      async () => (await (await cluster.api(1, "GET", "/inventory")).json()) as { templates: { template: string; count: number; methods: string[]; coveredBy: string | null }[] },
      (i) => (i.templates.find((t) => t.template === "/legacy/users/:id/orders/:id")?.count ?? 0) >= 20,
    );
    expect(inventory.templates.find((t) => t.template === "/legacy/users/:id/orders/:id")).toMatchObject({ count: 20, methods: ["GET"], coveredBy: null });
    expect(inventory.templates.some((t) => t.template.startsWith("/orders"))).toBe(false);
  });

  it("reports the share of traffic on new backends as routes move, one at a time", async () => {
    const share = async () => ((await (await cluster.api(0, "GET", "/progress?days=1")).json()) as { routes: { route: string; share: number | null; requests: number }[] }).routes;
    await send("/invoices/1", 20);
    let routes = await eventually(share, (r) => (r.find((x) => x.route === "invoices")?.requests ?? 0) >= 20);
    expect(routes.find((x) => x.route === "invoices")).toMatchObject({ share: 0, requests: 20 });
    expect((await cluster.api(0, "PUT", "/routes", { table: tableWith(["invoices"]), reason: "invoices to new" }, { "if-match": "1" })).status).toBe(200);
    // Each isolate reads the change on a request after its table's TTL: nudge both until they serve version 2.
    const versions = async () => {
      await send("/split/nudge", 2);
      return Promise.all([0, 1].map(async (i) => ((await (await fetch(`${cluster.urls[i]}/_cutover/health`)).json()) as { version: number }).version));
    };
    expect(await eventually(versions, (v) => v.every((x) => x === 2))).toEqual([2, 2]);
    await send("/invoices/1", 20);
    routes = await eventually(share, (r) => (r.find((x) => x.route === "invoices")?.requests ?? 0) >= 40);
    expect(routes.find((x) => x.route === "invoices")).toMatchObject({ share: 0.5, requests: 40 });
  });

  function cli(args: string[]): Promise<{ code: number; stdout: string }> {
    return new Promise((resolve) =>
      execFile(process.execPath, ["cli/cutover.ts", ...args], { cwd: PROJECT_ROOT, env: { ...process.env, CUTOVER_URL: cluster.urls[0], CUTOVER_TOKEN: CLUSTER_OPERATOR, NO_COLOR: "1" } }, (error, stdout) =>
        resolve({ code: error ? Number(error.code) : 0, stdout }),
      ),
    );
  }

  it("shows it all with the CLI: status, metrics, inventory --suggest, progress", async () => {
    const status = await cli(["status", "--since", "1h"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/split\s+legacy 50 · new 50\s+legacy\s+\d+\s+\d+(\.\d+)? %/);
    expect(status.stdout).toContain("migrated:");
    const route = await cli(["metrics", "errors", "--since", "1h", "--json"]);
    expect(JSON.parse(route.stdout)).toMatchObject({ route: "errors", totals: { new: { requests: 30 } } });
    const human = await cli(["metrics", "down", "--since", "1h"]);
    expect(human.stdout).toMatch(/down\s+\d+\s+0\s+0\s+0\s+502×\d+/);
    const suggest = await cli(["inventory", "--suggest"]);
    expect(JSON.parse(suggest.stdout)).toContainEqual({ id: "legacy-users-orders", match: { path: "/legacy/users/:id/orders/:id2", methods: ["GET"] }, to: "legacy" });
    const progress = await cli(["progress", "--days", "1"]);
    expect(progress.stdout).toMatch(/Migrated \(served by a backend other than legacy\): [\d.]+ % in the last 24 h/);
    const json = JSON.parse((await cli(["progress", "--json"])).stdout) as Json;
    expect(json).toHaveProperty("daily");
  });
});
