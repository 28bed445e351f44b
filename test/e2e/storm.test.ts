import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startColoCache, type ColoCache } from "../../fixtures/colo-cache.ts";
import type { RouteTable } from "../../routes/schema.ts";
import { validateRouteTable } from "../../routes/validate.ts";
import { startCluster, type Cluster } from "../support/isolates.ts";
import { startUpstream, type Upstream } from "../support/upstream.ts";

/** One weight raise a second, 0 % → 60 % in steps of 1 point: faster than the propagation bound (4–6 s here). */
const STEPS = 60;
const USERS = 300;
const ROUND_MS = 250;

/**
 * A storm of changes: a scripted ramp raises a weight once a second through the admin API of
 * one isolate (two Worker processes on one DynamoDB), while sticky users request through
 * either isolate at random the whole time. Each change takes effect everywhere at its own
 * `effectiveAt` (the versions still inside the bound form a chain every isolate reads), so no
 * user goes back from the new backend to legacy, no client sees the version go backwards, and
 * the isolate that only polls keeps up instead of serving its old table until the changes stop.
 */
describe("a storm of changes faster than the propagation bound", () => {
  let legacy: Upstream;
  let fresh: Upstream;
  let colo: ColoCache;
  beforeAll(async () => {
    legacy = await startUpstream("legacy");
    fresh = await startUpstream("new");
    colo = await startColoCache();
  });
  afterAll(async () => {
    await Promise.all([legacy?.close(), fresh?.close(), colo?.close()]);
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

  interface Visit {
    readonly isolate: number;
    readonly backend: string;
    readonly version: number;
  }

  async function storm(cluster: Cluster) {
    const users = Array.from({ length: USERS }, (_, i) => `user-${i}`);
    const visits = new Map<string, Visit[]>(users.map((user) => [user, []]));
    /** Per isolate and round, the versions served: rounds run one after another, so a later round must never see less. */
    const rounds: [number[], number[]][] = [];
    const round = async () => {
      const served: [number[], number[]] = [[], []];
      await Promise.all(
        users.map(async (user) => {
          const isolate = Math.random() < 0.5 ? 0 : 1;
          const response = await fetch(`${cluster.urls[isolate]}/users/1`, { headers: { cookie: `sid=${user}` } });
          await response.arrayBuffer();
          const visit = { isolate, backend: String(response.headers.get("x-cutover-backend")), version: Number(response.headers.get("x-cutover-version")) };
          visits.get(user)?.push(visit);
          served[isolate].push(visit.version);
        }),
      );
      rounds.push(served);
    };

    let traffic = true;
    const load = (async () => {
      // A round every quarter of a second at most: every user keeps coming back, and the
      // isolates keep enough of two shared cores to read the store within its timeout.
      while (traffic) await Promise.all([round(), new Promise((resolve) => setTimeout(resolve, ROUND_MS))]);
    })();
    // The ramp, one raise a second by the wall clock (a slow answer does not stretch it).
    const published: { version: number; effectiveAt: string }[] = [];
    const start = Date.now();
    try {
      for (let step = 1; step <= STEPS; step++) {
        const wait = start + (step - 1) * 1000 - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const raised = await cluster.api(0, "POST", "/routes/users/weights", { weights: { legacy: 100 - step, new: step }, reason: `${step} %` });
        expect(raised.status, await raised.clone().text()).toBe(200);
        published.push((await raised.json()) as { version: number; effectiveAt: string });
      }
      // Until the last change has taken effect everywhere, and a little after.
      const last = published.at(-1);
      const settle = Date.parse(last?.effectiveAt ?? "") + 3000 - Date.now();
      if (settle > 0) await new Promise((resolve) => setTimeout(resolve, settle));
    } finally {
      traffic = false;
      await load;
    }

    let flaps = 0;
    let backwards = 0;
    for (const seen of visits.values()) {
      for (let i = 1; i < seen.length; i++) {
        const [before, after] = [seen[i - 1] as Visit, seen[i] as Visit];
        if (before.backend === "new" && after.backend === "legacy") flaps++;
        if (after.version < before.version) backwards++;
      }
    }
    let isolateBackwards = 0;
    for (const isolate of [0, 1] as const) {
      let highest = 0;
      for (const served of rounds) {
        const versions = served[isolate];
        if (versions.length === 0) continue;
        if (Math.min(...versions) < highest) isolateBackwards++;
        highest = Math.max(highest, ...versions);
      }
    }
    const versionsSeen = [0, 1].map((isolate) => new Set([...visits.values()].flat().filter((visit) => visit.isolate === isolate).map((visit) => visit.version)).size);
    const finalVersions = [0, 1].map((isolate) => rounds.at(-1)?.[isolate as 0 | 1].at(-1));
    const movedToNew = [...visits.values()].filter((seen) => seen.at(-1)?.backend === "new").length;
    return { flaps, backwards, isolateBackwards, versionsSeen, finalVersions, lastVersion: published.at(-1)?.version, movedToNew, rounds: rounds.length };
  }

  for (const perColoCache of [true, false]) {
    it(`no user flaps and no version goes backwards, per-colo cache ${perColoCache ? "on" : "off"}`, { timeout: 180_000 }, async () => {
      const cluster = await startCluster({
        isolates: 2,
        table: tableAt(0),
        ...(perColoCache ? { coloCache: colo } : {}),
        dynamoProxy: {},
        vars: { CUTOVER_CONFIG_TTL_MS: "2000", CUTOVER_STORE_TIMEOUT_MS: "1000", CUTOVER_METRICS: "off", ...(perColoCache ? {} : { CUTOVER_EDGE_CACHE: "off" }) },
      });
      try {
        cluster.dynamoCalls?.clear();
        const coloHits = colo.stats.hits;
        const outcome = await storm(cluster);
        // Every DynamoDB call of both isolates, the admin API's writes included.
        const reads = { GetItem: cluster.dynamoCalls?.get("GetItem") ?? 0, Query: cluster.dynamoCalls?.get("Query") ?? 0, coloHits: colo.stats.hits - coloHits };
        console.log(`storm, per-colo cache ${perColoCache ? "on" : "off"}: ${JSON.stringify({ ...outcome, reads })}`);
        expect(outcome).toMatchObject({ flaps: 0, backwards: 0, isolateBackwards: 0 });
        // Both isolates followed the ramp step by step, and both ended on its last version.
        for (const seen of outcome.versionsSeen) expect(seen).toBeGreaterThan(STEPS / 2);
        expect(outcome.finalVersions).toEqual([outcome.lastVersion, outcome.lastVersion]);
        expect(outcome.movedToNew).toBeGreaterThan(0);
        // The chain costs little: each version's table is read once per isolate at most (the
        // versions already read come from memory), not once per poll.
        expect(reads.Query).toBeLessThanOrEqual(2 * (STEPS + 1) + 4);
        if (perColoCache) expect(reads.coloHits).toBeGreaterThan(0);
      } finally {
        await cluster.stop();
      }
    });
  }
});
