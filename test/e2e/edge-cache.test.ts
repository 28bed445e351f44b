import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startColoCache, type ColoCache } from "../../fixtures/colo-cache.ts";
import type { RouteTable } from "../../routes/schema.ts";
import { validateRouteTable } from "../../routes/validate.ts";
import { startCluster, type Cluster } from "../support/isolates.ts";
import { startUpstream, type Upstream } from "../support/upstream.ts";

/**
 * Config reads that scale with data centres, not isolates: three Worker processes of one
 * "data centre" (one shared Cache API), with their DynamoDB calls counted by a proxy. Reads
 * are counted per refresh round, not per second, so that a slow machine cannot fail the test
 * (the rates are measured in bench/config-reads.ts).
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

  const ROUNDS = 4;
  /**
   * The isolates' tables (TTL 100 ms, store timeout 400 ms: a propagation bound of 1.5 s) and
   * the colo's entry for the active pointer (2 s) are both stale after this pause: waiting
   * longer only makes that surer.
   */
  const PAUSE_MS = 2_200;
  const vars = { CUTOVER_CONFIG_TTL_MS: "100", CUTOVER_STORE_TIMEOUT_MS: "400", CUTOVER_EDGE_CACHE_SECONDS: "2", CUTOVER_METRICS: "off" };

  /**
   * ROUNDS refresh rounds: each isolate in turn answers /_cutover/health, which reads the
   * store before it answers when its table is older than the propagation bound (as it is after
   * the pause). The GetItem calls they caused.
   */
  async function refreshRounds(cluster: Cluster): Promise<number> {
    // Every isolate warm first (a cold one reads the table once), then count.
    for (const url of cluster.urls) expect((await fetch(`${url}/orders/1`)).status).toBe(200);
    cluster.dynamoCalls?.clear();
    for (let round = 0; round < ROUNDS; round++) {
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
      for (const url of cluster.urls) expect(((await (await fetch(`${url}/_cutover/health`)).json()) as { status: string }).status).toBe("ok");
    }
    return cluster.dynamoCalls?.get("GetItem") ?? 0;
  }

  it("reads the active pointer once per refresh round for the whole data centre, and once per isolate without it", async () => {
    const shared = await startCluster({ isolates: 3, table, coloCache: cache, dynamoProxy: {}, vars });
    const hitsBefore = cache.stats.hits;
    let withTier: number;
    try {
      withTier = await refreshRounds(shared);
    } finally {
      await shared.stop();
    }
    const alone = await startCluster({ isolates: 3, table, dynamoProxy: {}, vars: { ...vars, CUTOVER_EDGE_CACHE: "off" } });
    let withoutTier: number;
    try {
      withoutTier = await refreshRounds(alone);
    } finally {
      await alone.stop();
    }
    // The first isolate of a round finds the colo's entry stale and reads DynamoDB; the two
    // after it read the entry it left. Without the tier, every isolate reads the store.
    expect(withTier).toBe(ROUNDS);
    expect(withoutTier).toBe(3 * ROUNDS);
    expect(cache.stats.hits - hitsBefore).toBeGreaterThanOrEqual(2 * ROUNDS);
  });

  it("still serves a change everywhere, and health says how old the table is", async () => {
    const cluster = await startCluster({ isolates: 2, table, coloCache: cache, vars: { CUTOVER_CONFIG_TTL_MS: "200", CUTOVER_PROPAGATION_MS: "0" } });
    try {
      const flip = await cluster.api(0, "POST", "/routes/orders/weights", { weights: { legacy: 100 }, reason: "same, new version" });
      expect(flip.status).toBe(200);
      const version = ((await flip.json()) as { version: number }).version;
      // Within the TTL plus the cache's second (about 1.5 s), both isolates serve the new
      // version; the wait allows far more, so that a loaded machine does not fail it.
      await expect
        .poll(async () => Promise.all(cluster.urls.map(async (url) => ((await (await fetch(`${url}/_cutover/health`)).json()) as { version: number }).version)), { timeout: 20_000, interval: 200 })
        .toEqual([version, version]);
    } finally {
      await cluster.stop();
    }
  });
});
