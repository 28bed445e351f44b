import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateTable } from "../../fixtures/big-table.ts";
import type { RouteTable } from "../../routes/schema.ts";
import { validateRouteTable } from "../../routes/validate.ts";
import { startCluster, type Cluster } from "../support/isolates.ts";
import { startUpstream, type Upstream } from "../support/upstream.ts";

/**
 * A 10 000-route table switched under load (what each isolate's stall costs is measured in
 * bench/version-change.ts): every request is answered through the switch, by the version's
 * routes, and both isolates move to the new version.
 */
describe("a 10 000-route table switched under load", () => {
  let legacy: Upstream;
  let fresh: Upstream;
  let cluster: Cluster;

  beforeAll(async () => {
    legacy = await startUpstream("legacy");
    fresh = await startUpstream("new");
    const raw = generateTable(10_000, { legacy: `http://127.0.0.1:${legacy.port}`, fresh: `http://127.0.0.1:${fresh.port}` });
    const table = validateRouteTable({ ...raw, routes: [{ id: "probe", match: { path: "/probe/*" }, to: "legacy" }, ...raw.routes] });
    if (!table.ok) throw new Error(JSON.stringify(table.error));
    cluster = await startCluster({ isolates: 2, table: table.value as RouteTable, vars: { CUTOVER_CONFIG_TTL_MS: "200", CUTOVER_PROPAGATION_MS: "0", CUTOVER_METRICS: "off" } });
  });
  afterAll(async () => {
    await cluster?.stop();
    await Promise.all([legacy?.close(), fresh?.close()]);
  });

  /** One request: its status and the route, backend and version that answered it. */
  const call = async (isolate: number, path: string) => {
    const response = await fetch(`${cluster.urls[isolate]}${path}`);
    await response.arrayBuffer();
    return { status: response.status, route: response.headers.get("x-cutover-route"), backend: response.headers.get("x-cutover-backend"), version: Number(response.headers.get("x-cutover-version")) };
  };

  it("answers every request through the switch, by the routes of the version that served it", async () => {
    const before = await call(0, "/probe/1");
    expect(before).toMatchObject({ status: 200, route: "probe", backend: "legacy" });
    const seen: Awaited<ReturnType<typeof call>>[] = [];
    let running = true;
    // Load on both isolates: the probe route and routes deep in the table (compiled on first use).
    const paths = ["/probe/1", "/api/svc0/reports/5/items/9", "/v2/svc999/payments/1/history", "/static/svc500/users/a/b.css"];
    const load = Promise.all(
      [0, 1].map(async (isolate) => {
        for (let i = 0; running; i++) seen.push(await call(isolate, paths[i % paths.length] as string));
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const flip = await cluster.api(0, "POST", "/routes/probe/weights", { weights: { new: 100 }, reason: "move the probe" });
    expect(flip.status).toBe(200);
    const version = ((await flip.json()) as { version: number }).version;
    // Until both isolates have served the new version for a while.
    for (let i = 0; i < 100; i++) {
      const late = seen.slice(-40);
      if (late.filter((r) => r.version === version).length >= 20 && new Set(late.map((r) => r.version)).size === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    running = false;
    await load;

    expect(seen.length).toBeGreaterThan(100);
    // Served by the old version, then the new one, under the same load.
    expect([...new Set(seen.map((r) => r.version))].sort()).toEqual([before.version, version].sort());
    expect(seen.filter((r) => r.status !== 200)).toEqual([]);
    for (const r of seen) {
      // Each version's own routes: the probe on legacy before, on the new backend after.
      if (r.route === "probe") expect(r.backend).toBe(r.version === version ? "new" : "legacy");
    }
    // Routes deep in the table, compiled when first matched (routes 7, 9 999 and 5 003 of generateTable).
    for (const r of seen.filter((r) => r.route !== "probe")) {
      if (r.route === "route-7") expect(r.backend).toBe("legacy");
      else if (r.route === "route-9999") expect(["legacy", "new"]).toContain(r.backend); // a 90/10 split
      else if (r.route === "route-5003") expect(r.backend).toBe("new");
      else throw new Error(`answered by ${r.route}`);
    }
    expect(await Promise.all([0, 1].map(async (i) => (await call(i, "/probe/2")).backend))).toEqual(["new", "new"]);
  });
});
