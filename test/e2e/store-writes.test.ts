import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RouteTable } from "../../routes/schema.ts";
import { validateRouteTable } from "../../routes/validate.ts";
import { startCluster, type Cluster } from "../support/isolates.ts";
import { startUpstream, type Upstream } from "../support/upstream.ts";
import { eventually } from "../support/eventually.ts";

type Json = Record<string, unknown>;

/**
 * Writes that grow with traffic, not isolates: two Worker processes over one DynamoDB behind a
 * proxy that counts writes by kind of item and fails the ones a test chooses.
 */
describe("coalesced writes from several isolates", () => {
  let legacy: Upstream;
  let fresh: Upstream;
  let cluster: Cluster;

  beforeAll(async () => {
    legacy = await startUpstream("legacy");
    fresh = await startUpstream("new");
    const table = validateRouteTable({
      backends: {
        legacy: { url: `http://127.0.0.1:${legacy.port}`, addPrefix: "/shadow/same" },
        twin: { url: `http://127.0.0.1:${fresh.port}`, addPrefix: "/shadow/same" },
      },
      default: "legacy",
      routes: [
        // The candidate answers as the legacy app does (each names itself in a header).
        { id: "items", match: { path: "/items/*" }, to: "legacy", shadow: { to: "twin", ignore: ["header:x-served-by"], noisePercent: 0 } },
        { id: "orders", match: { path: "/orders/*" }, to: "legacy" },
      ],
    });
    if (!table.ok) throw new Error(JSON.stringify(table.error));
    cluster = await startCluster({
      isolates: 2,
      table: table.value as RouteTable,
      dynamoProxy: {},
      vars: { CUTOVER_SHADOW_FLUSH_MS: "2000", CUTOVER_METRICS_FLUSH_MS: "1000", CUTOVER_PROPAGATION_MS: "0" },
    });
  });
  afterAll(async () => {
    await cluster?.stop();
    await Promise.all([legacy?.close(), fresh?.close()]);
  });

  /** `count` requests to `path`, 20 at a time over both isolates, spread over about `ms`. */
  async function send(path: string, count: number, ms: number): Promise<void> {
    for (let i = 0; i < count; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, count - i) }, async (_, j) => {
          const response = await fetch(`${cluster.urls[(i + j) % 2]}${path}/${i + j}`);
          expect(response.status).toBe(200);
          await response.arrayBuffer();
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, (ms * 20) / count));
    }
  }
  const api = async (path: string): Promise<Json> => (await (await cluster.api(0, "GET", path)).json()) as Json;
  const health = async (index: number) => ((await (await fetch(`${cluster.urls[index]}/_cutover/health`)).json()) as { isolate: Json }).isolate;

  it("writes a route's matching comparisons once per isolate and flush, and counts them exactly through refused, delayed and cut-off writes", async () => {
    const proxy = cluster.dynamoProxy;
    if (proxy === undefined) throw new Error("no proxy");
    proxy.reset();
    proxy.fail("shadow", "refused", 1); // DynamoDB says no: sent again at the next flush
    proxy.fail("shadow", "delayed", 1, 1500); // applies late, while more is recorded
    proxy.fail("shadow", "cut", 1); // applies, but the isolate never hears: never sent twice
    await send("/items", 300, 3000);
    const report = await eventually(
      async () => (await api("/shadow?route=items")) as { compared?: number; matched?: number },
      (r) => (r.compared ?? 0) >= 300,
      75,
    );
    expect(report).toMatchObject({ compared: 300, matched: 300 });
    // 300 comparisons, two isolates, ~3 s of traffic in 2 s flushes, one refusal sent again:
    // a write per isolate and flush, where there were four per comparison flushed alone.
    const shadowWrites = proxy.writes.get("shadow") ?? 0;
    expect(shadowWrites).toBeGreaterThanOrEqual(2);
    expect(shadowWrites).toBeLessThanOrEqual(12);
    // The cut-off write is counted as lost by the isolate that sent it, and was not sent again.
    const lost = await Promise.all([0, 1].map(async (i) => ((await health(i)).shadow as { lostWrites: number }).lostWrites));
    expect(lost.reduce((sum, n) => sum + n, 0)).toBe(1);
  });

  it("keeps what a store outage holds back in bounded, visible batches, and writes it all when the store is back", async () => {
    const proxy = cluster.dynamoProxy;
    if (proxy === undefined) throw new Error("no proxy");
    proxy.fail("metrics", "refused", Number.POSITIVE_INFINITY);
    proxy.fail("metrics-day", "refused", Number.POSITIVE_INFINITY);
    await send("/orders", 200, 1500);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // past a flush: refused, kept
    const during = await Promise.all([0, 1].map(async (i) => ((await health(i)).accounting as { minutes: { pendingKeys: number; pendingRecords: number } }).minutes));
    // One cell per route, backend and minute, however many requests: here one or two per isolate.
    for (const minutes of during) {
      expect(minutes.pendingKeys).toBeGreaterThan(0);
      expect(minutes.pendingKeys).toBeLessThanOrEqual(2);
      expect(minutes.pendingRecords).toBeGreaterThan(0);
    }
    proxy.heal();
    const metrics = await eventually(
      async () => (await api("/metrics?route=orders&since=1h")) as { totals: Record<string, { requests: number }> },
      (m) => (m.totals.legacy?.requests ?? 0) >= 200,
      75,
    );
    expect(metrics.totals.legacy?.requests).toBe(200);
  });
});
