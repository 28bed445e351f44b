import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startColoCache, type ColoCache } from "../../fixtures/colo-cache.ts";
import type { RouteTable } from "../../routes/schema.ts";
import { validateRouteTable } from "../../routes/validate.ts";
import { startCluster, type Cluster } from "../support/isolates.ts";
import { startUpstream, type Upstream } from "../support/upstream.ts";

/**
 * Config reads that scale with data centres, not isolates: three Worker processes of one
 * "data centre" (one shared Cache API), polling the route table every 200 ms, with their
 * DynamoDB calls counted by a proxy.
 */
describe("the per-colo cache in front of config reads", () => {
  let legacy: Upstream;
  let cache: ColoCache;
  let table: RouteTable;

  beforeAll(async () => {
    legacy = await startUpstream("legacy");
    cache = await startColoCache();
    const result = validateRouteTable({ backends: { legacy: { url: `http://127.0.0.1:${legacy.port}` } }, default: "legacy", routes: [{ id: "orders", match: { path: "/orders/*" }, to: "legacy" }] });
    if (!result.ok) throw new Error("table");
    table = result.value;
  });
  afterAll(async () => {
    await cache?.close();
    await legacy?.close();
  });

  /** Requests to every isolate for `ms`, one every 50 ms each; the GetItem calls they caused, and over how many seconds. */
  async function polled(cluster: Cluster, ms: number): Promise<{ reads: number; seconds: number }> {
    // Every isolate warm first (a cold one reads the table once), then count.
    await Promise.all(cluster.urls.map(async (url) => (await fetch(`${url}/orders/1`)).arrayBuffer()));
    cluster.dynamoCalls?.clear();
    const start = Date.now();
    const until = start + ms;
    while (Date.now() < until) {
      await Promise.all(cluster.urls.map(async (url) => (await fetch(`${url}/orders/1`)).arrayBuffer()));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { reads: cluster.dynamoCalls?.get("GetItem") ?? 0, seconds: (Date.now() - start) / 1000 };
  }

  it("reads the active pointer about once a second for the whole data centre, and per isolate without it", async () => {
    const vars = { CUTOVER_CONFIG_TTL_MS: "200", CUTOVER_METRICS: "off" };
    const shared = await startCluster({ isolates: 3, table, coloCache: cache, dynamoProxy: {}, vars });
    let withTier: { reads: number; seconds: number };
    try {
      withTier = await polled(shared, 3000);
    } finally {
      await shared.stop();
    }
    const alone = await startCluster({ isolates: 3, table, dynamoProxy: {}, vars: { ...vars, CUTOVER_EDGE_CACHE: "off" } });
    let withoutTier: { reads: number; seconds: number };
    try {
      withoutTier = await polled(alone, 3000);
    } finally {
      await alone.stop();
    }
    // One read per second per data centre (the first second's refresh may fall at its start
    // and its end), against three isolates reading every 200 ms: fifteen a second.
    expect(withTier.reads).toBeLessThanOrEqual(Math.ceil(withTier.seconds) + 1);
    expect(withoutTier.reads).toBeGreaterThanOrEqual(5 * withoutTier.seconds);
    expect(cache.stats.hits).toBeGreaterThan(0);
  });

  it("still serves a change everywhere, and health says how old the table is", async () => {
    const cluster = await startCluster({ isolates: 2, table, coloCache: cache, vars: { CUTOVER_CONFIG_TTL_MS: "200", CUTOVER_PROPAGATION_MS: "0" } });
    try {
      const flip = await cluster.api(0, "POST", "/routes/orders/weights", { weights: { legacy: 100 }, reason: "same, new version" });
      expect(flip.status).toBe(200);
      const version = ((await flip.json()) as { version: number }).version;
      // Within the TTL plus the cache's second, both isolates serve the new version.
      await expect
        .poll(async () => Promise.all(cluster.urls.map(async (url) => ((await (await fetch(`${url}/_cutover/health`)).json()) as { version: number }).version)), { timeout: 5000, interval: 200 })
        .toEqual([version, version]);
    } finally {
      await cluster.stop();
    }
  });
});
