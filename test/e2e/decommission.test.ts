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

  it("switches legacy off: the default answers 410 itself, legacy is kept warm, and one command brings it back", async () => {
    const page = path.join(dir, "gone.html");
    writeFileSync(page, "<h1>We moved</h1>");
    const off = await cli(["decommission", "switch-off", "--reason", "everything moved", "--page", page, "--since", "7d", "--grace", "3d", "--json"]);
    expect(off.code).toBe(0);
    const state = (JSON.parse(off.stdout) as { switchOff: { status: string; legacy: string; goneBackend: string; forced: boolean; graceUntil: string } }).switchOff;
    expect(state).toMatchObject({ status: "switched-off", legacy: "legacy", goneBackend: "gone", forced: false });
    expect(Date.parse(state.graceUntil) - Date.now()).toBeGreaterThan(2.9 * 86_400_000);

    const gone = await fetch(`${cluster.urls[0]}/reports/yearly`, { headers: { "x-test-id": "after-switch-off" } });
    expect({ status: gone.status, body: await gone.text() }).toEqual({ status: 410, body: "<h1>We moved</h1>" });
    expect(await (await fetch(`http://127.0.0.1:${legacy.port}/__log?test=after-switch-off`)).json()).toEqual([]);
    expect((await fetch(`${cluster.urls[0]}/accounts/3`)).status).toBe(200);

    // The tick (the Cron Trigger's work) calls legacy during the grace period; the check shows how it answered.
    const tick = (await (await cluster.api(0, "POST", "/rollouts/tick")).json()) as { keepWarm?: { status: number | null } };
    expect(tick.keepWarm?.status).toBe(200);
    const status = await cli(["decommission", "check", "--since", "7d"]);
    expect(status.stdout).toMatch(/Switched off at .* \(version \d+; before it, \d+\): everything moved/);
    expect(status.stdout).toMatch(/it answered 200 at/);
    expect((await cli(["decommission", "switch-off", "--reason", "again"])).stderr).toContain("was switched off at");

    const back = await cli(["decommission", "rollback", "--reason", "a partner still calls /reports"]);
    expect(back.code).toBe(0);
    expect(back.stdout).toContain("legacy is the default backend again");
    const served = await fetch(`${cluster.urls[0]}/reports/yearly`);
    expect({ status: served.status, backend: served.headers.get("x-served-by") }).toEqual({ status: 200, backend: "legacy" });
    const versions = await cli(["versions", "--json"]);
    expect(versions.stdout.match(/"action": "decommission"/g)?.length).toBe(2);
  });

  it("holds once legacy serves a request, and while a route is split again", async () => {
    await (await fetch(`${cluster.urls[0]}/reports/yearly`)).arrayBuffer();
    const served = await eventually(check, (run) => run.verdict.holds.some((h) => h.kind === "legacy-traffic" && h.detail.startsWith("legacy served 2 ")));
    expect(served.code).toBe(5);
    expect(served.verdict.holds).toContainEqual({ kind: "legacy-traffic", subject: "(default)", detail: "legacy served 2 requests in the last 7 days (no route matched them)" });

    expect((await cluster.api(0, "POST", "/routes/orders/weights", { weights: { legacy: 90, new: 10 }, reason: "back a step" })).status).toBe(200);
    const split = await check();
    expect(split.verdict.holds).toContainEqual({ kind: "route", subject: "orders", detail: "at split 10 % → new: legacy still serves it" });
    expect(split.verdict.holds).toContainEqual({ kind: "endpoint", subject: "POST /orders", detail: "covered by route orders at stage split, not yet migrated" });
    const human = await cli(["decommission", "check", "--since", "7d"]);
    expect(human.code).toBe(5);
    expect(human.stdout).toMatch(/Routes that still use legacy:\n\s+orders: at split 10 % → new/);
  });

  it("refuses to switch off while anything holds legacy up, and records the holds when forced", async () => {
    const refused = await cli(["decommission", "switch-off", "--reason", "too early", "--since", "7d"]);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/\d+ things? still holds? legacy up/);
    expect(refused.stderr).toMatch(/orders: at split 10 % → new/);
    expect((await fetch(`${cluster.urls[0]}/reports/yearly`)).status).toBe(200);

    const forced = await cli(["decommission", "switch-off", "--reason", "the contract ends today", "--since", "7d", "--status", "503", "--force", "--json"]);
    expect(forced.code).toBe(0);
    const state = (JSON.parse(forced.stdout) as { switchOff: { forced: boolean; holdsAtSwitchOff: { kind: string }[] } }).switchOff;
    expect(state.forced).toBe(true);
    expect(state.holdsAtSwitchOff.map((hold) => hold.kind)).toContain("route");
    expect((await fetch(`${cluster.urls[0]}/reports/yearly`)).status).toBe(503);
    // The split route still sends its share to legacy: only what no route matches moved.
    const check = JSON.parse((await cli(["decommission", "check", "--since", "7d", "--json"])).stdout) as { legacy: string; switchOff: { status: string } };
    expect(check).toMatchObject({ legacy: "legacy", switchOff: { status: "switched-off" } });
    // Stages are still judged against legacy, not against the "gone" default.
    const map = JSON.parse((await cli(["legacy", "map", "--since", "7d", "--json"])).stdout) as { endpoints: { pattern: string; stage?: string }[] };
    expect(map.endpoints.find((endpoint) => endpoint.pattern === "/orders")?.stage).toBe("split");
  });
});
