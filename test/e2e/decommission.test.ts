import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../support/eventually.ts";
import { startCluster, type Cluster } from "../support/isolates.ts";
import { runCli } from "../support/cli.ts";
import { startUpstream, type Upstream } from "../support/upstream.ts";

/**
 * `cutover decommission check` against the bundled Worker on plain workerd: an app whose
 * endpoints all moved is ready to lose legacy (the unused ones retired with it); one request
 * legacy serves, or a route split again, holds it up.
 */
describe("cutover decommission check, end to end", () => {
  let legacy: Upstream;
  let fresh: Upstream;
  let cluster: Cluster;
  const dir = mkdtempSync(path.join(os.tmpdir(), "cutover-decommission-"));
  const routeList = path.join(dir, "routes.txt");

  beforeAll(async () => {
    legacy = await startUpstream("legacy");
    fresh = await startUpstream("new");
    cluster = await startCluster({
      isolates: 1,
      table: {
        backends: { legacy: { url: `http://127.0.0.1:${legacy.port}` }, new: { url: `http://127.0.0.1:${fresh.port}` } },
        default: "legacy",
        routes: [
          { id: "accounts", match: { path: "/accounts/:id" }, to: "new" },
          { id: "orders", match: { path: "/orders" }, to: "new" },
        ],
      },
      vars: { CUTOVER_METRICS_FLUSH_MS: "100", CUTOVER_PROPAGATION_MS: "0" },
    });
    // What `bin/rails routes` prints for such an app.
    writeFileSync(
      routeList,
      ["   Prefix Verb URI Pattern               Controller#Action", "  account GET  /accounts/:id(.:format)    accounts#show", "   orders POST /orders(.:format)          orders#create", "  reports GET  /reports/yearly(.:format)  reports#yearly", ""].join("\n"),
    );
  });
  afterAll(async () => {
    await cluster?.stop();
    await Promise.all([legacy?.close(), fresh?.close()]);
  });

  const cli = (args: string[]) => runCli(cluster.urls[0], args);
  const check = async () => {
    const run = await cli(["decommission", "check", "--since", "7d", "--json"]);
    return { code: run.code, verdict: JSON.parse(run.stdout) as { ready: boolean; holds: { kind: string; subject: string; detail: string }[]; retired: string[] } };
  };

  it("holds without the legacy app's route list, then is ready once it is imported and everything moved", async () => {
    const before = await check();
    expect(before.code).toBe(5);
    expect(before.verdict.holds.map((h) => h.kind)).toEqual(["no-surface"]);

    expect((await cli(["legacy", "import", routeList, "--reason", "the app's routes"])).code).toBe(0);
    for (const target of ["/accounts/1", "/accounts/2"]) await (await fetch(`${cluster.urls[0]}${target}`)).arrayBuffer();
    const ready = await check();
    expect(ready).toEqual({ code: 0, verdict: expect.objectContaining({ ready: true, holds: [], retired: ["GET /reports/yearly"] }) });
    const human = await cli(["decommission", "check", "--since", "7d"]);
    expect(human.stdout).toContain("Nothing holds legacy up");
    expect(human.stdout).toMatch(/retired with legacy \(1\):\n\s+GET \/reports\/yearly/);
  });

  it("holds once legacy serves a request, and while a route is split again", async () => {
    await (await fetch(`${cluster.urls[0]}/reports/yearly`)).arrayBuffer();
    const served = await eventually(check, (run) => run.verdict.holds.some((h) => h.kind === "legacy-traffic"));
    expect(served.code).toBe(5);
    expect(served.verdict.holds).toContainEqual({ kind: "legacy-traffic", subject: "(default)", detail: "legacy served 1 request in the last 7 days (no route matched them)" });

    expect((await cluster.api(0, "POST", "/routes/orders/weights", { weights: { legacy: 90, new: 10 }, reason: "back a step" })).status).toBe(200);
    const split = await check();
    expect(split.verdict.holds).toContainEqual({ kind: "route", subject: "orders", detail: "at split 10 % → new: legacy still serves it" });
    expect(split.verdict.holds).toContainEqual({ kind: "endpoint", subject: "POST /orders", detail: "covered by route orders at stage split, not yet migrated" });
    const human = await cli(["decommission", "check", "--since", "7d"]);
    expect(human.code).toBe(5);
    expect(human.stdout).toMatch(/Routes that still use legacy:\n\s+orders: at split 10 % → new/);
  });
});
