import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RouteTable } from "../../routes/schema.ts";
import { validateRouteTable } from "../../routes/validate.ts";
import { startCluster, type Cluster } from "../support/isolates.ts";
import { startUpstream, type Upstream } from "../support/upstream.ts";

/**
 * A weight raise across two isolates (two Worker processes on one DynamoDB), with sticky
 * users hitting either isolate at random: with `effectiveAt` no user ever goes from the new
 * backend back to legacy, and nobody sees the version go backwards.
 */
describe("flips across isolates", () => {
  let legacy: Upstream;
  let fresh: Upstream;
  beforeAll(async () => {
    legacy = await startUpstream("legacy");
    fresh = await startUpstream("new");
  });
  afterAll(async () => {
    await Promise.all([legacy?.close(), fresh?.close()]);
  });

  function tableAt(weight: number): RouteTable {
    const result = validateRouteTable({
      backends: { legacy: { url: `http://127.0.0.1:${legacy.port}` }, new: { url: `http://127.0.0.1:${fresh.port}` } },
      default: "legacy",
      routes: [{ id: "users", match: { path: "/users/:id" }, to: { legacy: 100 - weight, new: weight }, sticky: "cookie:sid" }],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    return result.value;
  }

  /** Raises the new backend from 0 % to 10 % through isolate 0 while 400 users browse both isolates. */
  async function raiseUnderTraffic(cluster: Cluster) {
    const users = Array.from({ length: 400 }, (_, i) => `user-${i}`);
    const seen = new Map<string, { backend: string; version: number }[]>(users.map((user) => [user, []]));
    const round = async () =>
      Promise.all(
        users.map(async (user) => {
          const isolate = Math.random() < 0.5 ? 0 : 1;
          const response = await fetch(`${cluster.urls[isolate]}/users/1`, { headers: { cookie: `sid=${user}` } });
          await response.arrayBuffer();
          seen.get(user)?.push({ backend: String(response.headers.get("x-cutover-backend")), version: Number(response.headers.get("x-cutover-version")) });
        }),
      );
    for (let i = 0; i < 3; i++) await round();
    const raised = await cluster.api(0, "POST", "/routes/users/weights", { weights: { legacy: 90, new: 10 }, reason: "10 %" });
    expect(raised.status).toBe(200);
    const until = Date.now() + 8000;
    while (Date.now() < until) await round();
    let flaps = 0;
    let backwards = 0;
    let movedToNew = 0;
    for (const visits of seen.values()) {
      for (let i = 1; i < visits.length; i++) {
        const [before, after] = [visits[i - 1], visits[i]];
        if (before?.backend === "new" && after?.backend === "legacy") flaps++;
        if ((after?.version ?? 0) < (before?.version ?? 0)) backwards++;
      }
      if (visits.at(-1)?.backend === "new") movedToNew++;
    }
    return { flaps, backwards, movedToNew };
  }

  it("never flaps a user back to legacy when a weight rises, and the version never goes backwards", async () => {
    const cluster = await startCluster({ isolates: 2, table: tableAt(0), vars: { CUTOVER_CONFIG_TTL_MS: "2000", CUTOVER_STORE_TIMEOUT_MS: "1000" } });
    try {
      const outcome = await raiseUnderTraffic(cluster);
      expect(outcome.movedToNew).toBeGreaterThan(0); // the raise did take effect
      expect(outcome).toMatchObject({ flaps: 0, backwards: 0 });
    } finally {
      await cluster.stop();
    }
  });

  it("flaps without the propagation delay (what this guards against)", async () => {
    const cluster = await startCluster({ isolates: 2, table: tableAt(0), vars: { CUTOVER_CONFIG_TTL_MS: "2000", CUTOVER_STORE_TIMEOUT_MS: "500", CUTOVER_PROPAGATION_MS: "0" } });
    try {
      const outcome = await raiseUnderTraffic(cluster);
      expect(outcome.flaps).toBeGreaterThan(0);
    } finally {
      await cluster.stop();
    }
  });
});
