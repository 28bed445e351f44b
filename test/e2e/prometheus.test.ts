import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROMETHEUS_FAMILY_NAMES } from "../../admin/prometheus-handlers.ts";
import type { RouteTable } from "../../routes/schema.ts";
import { validateRouteTable } from "../../routes/validate.ts";
import { eventually } from "../support/eventually.ts";
import { startCluster, type Cluster } from "../support/isolates.ts";
import { readExposition, type SeriesValue } from "../support/prometheus-scrape.ts";
import { refusedPort, startUpstream, type Upstream } from "../support/upstream.ts";

type Overview = { routes: { route: string; backends: Record<string, { requests: number; dualWrite?: { sent: number } }> }[] };

/**
 * The Prometheus endpoint end to end: two isolates (Worker processes) flushing to one DynamoDB,
 * real upstreams, scraped with a viewer token the way Prometheus would, and read with a port
 * of Prometheus' own parser.
 */
describe("GET /_cutover/api/metrics/prometheus", () => {
  let legacy: Upstream;
  let fresh: Upstream;
  let cluster: Cluster;
  let refused = 0;

  const tableWith = (options: { withOld: boolean }): RouteTable => {
    const result = validateRouteTable({
      backends: {
        "heroku-legacy": { url: `http://127.0.0.1:${legacy.port}` },
        "new-api": { url: `http://127.0.0.1:${fresh.port}` },
        down: { url: `http://127.0.0.1:${refused}` },
      },
      default: "heroku-legacy",
      routes: [
        // Route ids may hold '.', '_' and '-'; backend names '-' and '_': nothing else that a label value would escape.
        { id: "orders.v2-api", match: { path: "/status/*" }, to: { "heroku-legacy": 50, "new-api": 50 }, sticky: "none" },
        { id: "rescued", match: { path: "/rescued/*" }, to: "down", fallback: "heroku-legacy" },
        { id: "signup", match: { path: "/dw/*", methods: ["POST"] }, to: "heroku-legacy", dualWrite: { to: "new-api" } },
        ...(options.withOld ? [{ id: "old_route", match: { path: "/old/*" }, to: "heroku-legacy" }] : []),
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    return result.value;
  };

  beforeAll(async () => {
    legacy = await startUpstream("legacy");
    fresh = await startUpstream("new");
    refused = await refusedPort();
    cluster = await startCluster({ isolates: 2, table: tableWith({ withOld: true }), dynamoProxy: {}, vars: { CUTOVER_METRICS_FLUSH_MS: "0", CUTOVER_PROPAGATION_MS: "0" } });
  });
  afterAll(async () => {
    await cluster?.stop();
    await Promise.all([legacy?.close(), fresh?.close()]);
  });

  const send = async (path: string, count: number, method = "GET") => {
    for (let i = 0; i < count; i++) await (await fetch(`${cluster.urls[i % 2]}${path}`, { method, ...(method === "POST" ? { body: "{}" } : {}) })).arrayBuffer();
  };
  const scrape = (token?: string) => fetch(`${cluster.urls[1]}/_cutover/api/metrics/prometheus`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  const byPair = (series: readonly SeriesValue[]) => new Map(series.map((s) => [`${s.labels.route} ${s.labels.backend}`, s.value]));

  it("answers a viewer's scrape with every family, counters that agree with GET /metrics, and a cumulative histogram", async () => {
    const day = new Date().toISOString().slice(0, 10);
    // 30 requests split between two backends, 6 of them answered 404; 3 that fall back; 3 copied writes; 4 on a route then removed.
    await send("/status/200", 24);
    await send("/status/404", 6);
    await send("/rescued/x", 3);
    await send("/dw/201/201/accounts", 3, "POST");
    await send("/old/x", 4);
    const removal = await cluster.api(0, "PUT", "/routes", { table: tableWith({ withOld: false }), reason: "old_route retired" }, { "if-match": "1" });
    expect(removal.status).toBe(200);

    // What GET /metrics says of today: every route's hour cells since 00:00 UTC.
    const sinceMidnight = `${Math.floor((Date.now() - Date.parse(`${day}T00:00:00Z`)) / 60_000)}m`;
    const overview = await eventually(
      async () => (await (await cluster.api(0, "GET", `/metrics?since=${sinceMidnight}&step=1h`)).json()) as Overview,
      (o) =>
        o.routes.reduce((all, r) => all + Object.values(r.backends).reduce((sum, b) => sum + b.requests, 0), 0) >= 30 + 3 + 3 + 3 + 4 &&
        o.routes.find((r) => r.route === "signup")?.backends["new-api"]?.dualWrite?.sent === 3,
    );

    const created = await cluster.api(0, "POST", "/tokens", { name: "grafana", role: "viewer", expiresInDays: 1, reason: "scrape test" });
    expect(created.status).toBe(201);
    const viewer = ((await created.json()) as { token: string }).token;

    expect((await scrape()).status).toBe(401);
    expect((await scrape("cut_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).status).toBe(401);
    expect((await scrape(viewer)).status).toBe(200);
    // The next scrape: one Query, of today's day partition, however many routes (the table's
    // parts were read once for its version, and are remembered).
    cluster.dynamoCalls?.clear();
    const response = await scrape(viewer);
    expect(cluster.dynamoCalls?.get("Query")).toBe(1);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await response.text();
    if (new Date().toISOString().slice(0, 10) !== day) return; // crossed midnight UTC: the counters started over

    const { families, series } = readExposition(text);
    expect(families.map((f) => f.name)).toEqual([...PROMETHEUS_FAMILY_NAMES]);
    for (const family of families) {
      expect(family.help, family.name).not.toBe("");
      expect(family.type, family.name).toMatch(/^(COUNTER|GAUGE|HISTOGRAM)$/);
      expect(text).toContain(`# TYPE ${family.name} ${family.type.toLowerCase()}\n`);
    }

    // requests_total per route and backend is what GET /metrics totals say, route by route; the removed route is there too.
    const requests = byPair(series("cutover_requests_total"));
    const expected = new Map(overview.routes.flatMap((r) => Object.entries(r.backends).map(([backend, b]) => [`${r.route} ${backend}`, b.requests] as const)));
    expect(requests).toEqual(expected);
    expect((requests.get("orders.v2-api heroku-legacy") ?? 0) + (requests.get("orders.v2-api new-api") ?? 0)).toBe(30);
    expect(requests.get("orders.v2-api heroku-legacy")).toBeGreaterThan(0);
    expect(requests.get("orders.v2-api new-api")).toBeGreaterThan(0);
    expect(requests.get("old_route heroku-legacy")).toBe(4);
    expect(requests.get("signup new-api")).toBe(0); // copies are not client requests

    const labelled = (name: string, extra: string) => new Map(series(name).map((s) => [`${s.labels.route} ${s.labels.backend} ${s.labels[extra]}`, s.value]));
    const classes = labelled("cutover_responses_total", "class");
    expect((classes.get("orders.v2-api heroku-legacy 4xx") ?? 0) + (classes.get("orders.v2-api new-api 4xx") ?? 0)).toBe(6);
    expect((classes.get("orders.v2-api heroku-legacy 2xx") ?? 0) + (classes.get("orders.v2-api new-api 2xx") ?? 0)).toBe(24);
    expect(labelled("cutover_fallbacks_total", "trigger").get("rescued down error")).toBe(3);
    expect(labelled("cutover_proxy_errors_total", "status").get("rescued down 502")).toBe(3);
    expect(byPair(series("cutover_served_total")).get("rescued down")).toBe(0);
    expect(byPair(series("cutover_served_total")).get("rescued heroku-legacy")).toBe(3);
    expect(labelled("cutover_dual_write_copies_total", "outcome").get("signup new-api succeeded")).toBe(3);
    expect(labelled("cutover_dual_write_agreement_total", "result").get("signup new-api agreed")).toBe(3);
    expect(series("cutover_table_version")).toEqual([{ labels: {}, value: 2 }]);
    expect(series("cutover_info")).toEqual([{ labels: { default_backend: "heroku-legacy" }, value: 1 }]);

    // The histogram: per route and backend, buckets never decrease, +Inf is _count, and _count is the attempts counted.
    const counts = byPair(series("cutover_request_duration_seconds_count"));
    expect(counts).toEqual(requests);
    const buckets = new Map<string, SeriesValue[]>();
    for (const bucket of series("cutover_request_duration_seconds_bucket")) {
      const pair = `${bucket.labels.route} ${bucket.labels.backend}`;
      buckets.set(pair, [...(buckets.get(pair) ?? []), bucket]);
    }
    expect([...buckets.keys()].sort()).toEqual([...counts.keys()].sort());
    for (const [pair, list] of buckets) {
      const bounds = list.map((b) => (b.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(b.labels.le)));
      expect(bounds, pair).toEqual([...bounds].sort((a, b) => a - b));
      expect(list.at(-1)?.labels.le, pair).toBe("+Inf");
      expect(list.at(-1)?.value, pair).toBe(counts.get(pair));
      for (let i = 1; i < list.length; i++) expect(list[i]?.value, `${pair} le=${list[i]?.labels.le}`).toBeGreaterThanOrEqual(list[i - 1]?.value ?? 0);
    }
    expect(series("cutover_request_duration_seconds_sum")).toEqual([]);
  });

  it("does not take the place of GET /metrics, which still answers JSON", async () => {
    const response = await cluster.api(1, "GET", "/metrics?since=15m");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  });
});
