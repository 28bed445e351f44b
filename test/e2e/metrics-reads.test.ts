import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateRouteTable } from "../../routes/validate.ts";
import { CLUSTER_OPERATOR, startCluster, type Cluster } from "../support/isolates.ts";
import { startUpstream, type Upstream } from "../support/upstream.ts";

/**
 * Every route's traffic (what the dashboard's overview and `cutover status` show) is read in
 * proportion to the routes that had traffic, not to the table: a 300-route table with two
 * busy routes, the Worker on plain workerd, its DynamoDB calls counted by a proxy.
 */
describe("reading every route's traffic", () => {
  let legacy: Upstream;
  let cluster: Cluster;

  beforeAll(async () => {
    legacy = await startUpstream("legacy");
    const routes = Array.from({ length: 300 }, (_, i) => ({ id: `r${i}`, match: { path: `/r${i}/*` }, to: "legacy" }));
    const result = validateRouteTable({ backends: { legacy: { url: `http://127.0.0.1:${legacy.port}` } }, default: "legacy", routes });
    if (!result.ok) throw new Error("table");
    cluster = await startCluster({ isolates: 1, table: result.value, dynamoProxy: {}, vars: { CUTOVER_METRICS_FLUSH_MS: "0" } });
  });
  afterAll(async () => {
    await cluster?.stop();
    await legacy?.close();
  });

  it("reads the routes that had traffic, not every route of the table", async () => {
    const url = cluster.urls[0] as string;
    for (const path of ["/r7/a", "/r7/b", "/r7/c", "/r250/a"]) await (await fetch(`${url}${path}`)).arrayBuffer();
    // Flushed as each request ends (interval 0); give the writes a moment.
    await new Promise((resolve) => setTimeout(resolve, 500));
    cluster.dynamoCalls?.clear();
    const response = await fetch(`${url}/_cutover/api/metrics?since=15m`, { headers: { authorization: `Bearer ${CLUSTER_OPERATOR}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { routes: { route: string; backends: Record<string, { requests: number }> }[] };
    const requests = (route: string) => body.routes.find((r) => r.route === route)?.backends.legacy?.requests ?? 0;
    expect(body.routes).toHaveLength(301);
    expect(requests("r7")).toBe(3);
    expect(requests("r250")).toBe(1);
    expect(requests("r8")).toBe(0);
    // One query for today's hour cells (two across midnight), one per busy route: not 301.
    expect(cluster.dynamoCalls?.get("Query") ?? 0).toBeLessThanOrEqual(6);
  });
});
