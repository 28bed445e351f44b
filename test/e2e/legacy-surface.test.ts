import { writeFileSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../cli/wrangler-dev.ts";
import { startCluster, type Cluster } from "../support/isolates.ts";
import { eventually } from "../support/eventually.ts";
import { runCli } from "../support/cli.ts";
import { startUpstream, type Upstream } from "../support/upstream.ts";

/**
 * `cutover legacy …` against the bundled Worker on plain workerd: the Rails suite app's route
 * list (captured from Rails 6.1) imported from its file, traffic through the proxy, the map
 * read with the CLI in each of its three states, and a second import diffed.
 */
describe("cutover legacy, end to end", () => {
  let legacy: Upstream;
  let fresh: Upstream;
  let cluster: Cluster;
  const dir = mkdtempSync(path.join(os.tmpdir(), "cutover-legacy-"));

  beforeAll(async () => {
    legacy = await startUpstream("legacy");
    fresh = await startUpstream("new");
    cluster = await startCluster({
      isolates: 1,
      table: {
        backends: { legacy: { url: `http://127.0.0.1:${legacy.port}` }, new: { url: `http://127.0.0.1:${fresh.port}` } },
        default: "legacy",
        routes: [{ id: "api", match: { path: "/api/:kind/:id" }, to: { legacy: 75, new: 25 }, sticky: "none" }],
      },
      vars: { CUTOVER_METRICS_FLUSH_MS: "100", CUTOVER_PROPAGATION_MS: "0" },
    });
  });
  afterAll(async () => {
    await cluster?.stop();
    await Promise.all([legacy?.close(), fresh?.close()]);
  });

  const cli = (args: string[]) => runCli(cluster.urls[0], args);

  it("imports the Rails app's route list, maps it against traffic and routes, and diffs a second import", async () => {
    const imported = await cli(["legacy", "import", "fixtures/legacy-surface/rails-suite.txt", "--reason", "the Rails suite app"]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain("Import 1 (rails, 27 endpoints from rails-suite.txt): 27 added, 0 changed, 0 removed.");

    for (const target of ["/login/7", "/login/8", "/events/3", "/api/accounts/1", "/wp-login.php"]) await (await fetch(`${cluster.urls[0]}${target}`)).arrayBuffer();
    const map = await eventually(
      async () => JSON.parse((await cli(["legacy", "map", "--since", "7d", "--json"])).stdout) as { summary: Record<string, number>; endpoints: { method: string; pattern: string; state: string; requests?: number; route?: string; stageLabel?: string }[]; unexplained: { template: string }[] },
      (m) => m.summary.seen === 2 && m.unexplained.length === 1,
    );
    const at = (key: string) => map.endpoints.find((e) => `${e.method} ${e.pattern}` === key);
    expect(at("GET /api/:kind/:id")).toMatchObject({ state: "covered", route: "api", stageLabel: "split 25 % → new" });
    expect(at("GET /login/:id")).toMatchObject({ state: "seen", requests: 2 });
    expect(at("GET /events/:id")).toMatchObject({ state: "seen", requests: 1 });
    expect(at("GET /document")).toMatchObject({ state: "unseen", days: 7 });
    expect(map.unexplained).toEqual([expect.objectContaining({ template: "/wp-login.php" })]);

    const human = await cli(["legacy", "map", "--since", "7d"]);
    expect(human.stdout).toContain("27 endpoints: 1 covered by routes (1 split), 2 seen on legacy (to migrate), 24 not seen for 7 days (to retire)");
    expect(human.stdout).toMatch(/covered\s+GET\s+\/api\/:kind\/:id\s+accounts#show\s+route api: split 25 % → new/);
    expect(human.stdout).toMatch(/Traffic no endpoint explains \(1\):\n\s*TEMPLATE[^\n]*\n\/wp-login\.php\s+GET/);

    const next = path.join(dir, "routes-expanded.txt");
    writeFileSync(next, (await import("node:fs")).readFileSync(path.join(PROJECT_ROOT, "fixtures/legacy-surface/rails-suite-expanded.txt"), "utf8").replace("| /cookies(.:format)", "| /biscuits(.:format)"));
    const second = await cli(["legacy", "import", next]);
    expect(second.stdout).toContain("Import 2 (rails-expanded, 27 endpoints from routes-expanded.txt): 1 added, 0 changed, 1 removed since import 1.");
    const diff = await cli(["legacy", "diff", "1", "2"]);
    expect(diff.stdout).toContain("+ GET /biscuits  sessions#cookies_nine");
    expect(diff.stdout).toContain("- GET /cookies  sessions#cookies_nine");
    expect(diff.stdout).not.toContain("~ GET /up"); // a Proc's address, new on every boot, is no change
    const show = await cli(["legacy", "show", "--version", "1"]);
    expect(show.stdout).toMatch(/Import 1 by olivia at .* \(rails, rails-suite\.txt\): the Rails suite app/);
    const audit = await cli(["audit"]);
    expect(audit.stdout).toMatch(/legacy-import\s+the Rails suite app/);
    const bad = await cli(["legacy", "import", "package.json"]);
    expect(bad.code).toBe(2);
  });
});
