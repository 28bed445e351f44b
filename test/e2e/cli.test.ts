import { execFile } from "node:child_process";
import http from "node:http";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../cli/wrangler-dev.ts";
import { verifyOverride } from "../../routes/override-token.ts";

const POLICY = { maxSeconds: 86_400, acceptV1: false, revoked: new Set<string>() };
import type { RouteTable } from "../../routes/schema.ts";
import { validateRouteTable } from "../../routes/validate.ts";
import { CLUSTER_OPERATOR, startCluster, type Cluster } from "../support/isolates.ts";

const SECRET = "an-override-secret-with-32-bytes-or-more";

/**
 * The CLI end to end against the deployed bundle on plain workerd with its DynamoDB: what an
 * operator and a CI job do with it.
 */
describe("the cutover CLI", () => {
  let cluster: Cluster;
  let dir: string;
  const base = (weights: Record<string, number>, extra: Record<string, unknown> = {}): RouteTable => {
    const result = validateRouteTable({
      backends: { legacy: { url: "http://127.0.0.1:9" }, accounts: { url: "http://127.0.0.1:9" } },
      default: "legacy",
      routes: [
        { id: "accounts-read", match: { path: "/api/accounts/:id", methods: ["GET"] }, to: weights, sticky: "cookie:sid" },
        { id: "orders", match: { path: "/api/orders" }, to: "legacy" },
      ],
      ...extra,
    });
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    return result.value;
  };

  beforeAll(async () => {
    cluster = await startCluster({ isolates: 1, table: base({ legacy: 100, accounts: 0 }), vars: { CUTOVER_OVERRIDE_SECRET: SECRET, CUTOVER_PROPAGATION_MS: "0", CUTOVER_STORE_TIMEOUT_MS: "5000" } });
    dir = await mkdtemp(path.join(os.tmpdir(), "cutover-cli-"));
  });
  afterAll(() => cluster?.stop());

  function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ["cli/cutover.ts", ...args],
        { cwd: PROJECT_ROOT, env: { ...process.env, CUTOVER_URL: cluster.urls[0], CUTOVER_TOKEN: CLUSTER_OPERATOR, NO_COLOR: "1", ...env } },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });
  }
  const file = async (name: string, content: unknown) => {
    const target = path.join(dir, name);
    await writeFile(target, JSON.stringify(content));
    return target;
  };

  it("creates, uses, lists and revokes a stored token", async () => {
    const created = await cli(["token", "create", "--name", "ci", "--role", "viewer", "--expires", "30d", "--reason", "CI reads", "--json"]);
    expect(created.code).toBe(0);
    const { token, id } = JSON.parse(created.stdout) as { token: string; id: string };
    expect((await cli(["routes", "get", "--json"], { CUTOVER_TOKEN: token })).code).toBe(0);
    const denied = await cli(["rollback", "--reason", "x"], { CUTOVER_TOKEN: token });
    expect(denied).toMatchObject({ code: 4, stderr: expect.stringContaining("needs an operator token") });
    expect((await cli(["token", "list"])).stdout).toMatch(new RegExp(`${id}\\s+ci\\s+viewer\\s+olivia`));
    expect((await cli(["token", "revoke", id, "--reason", "CI moved"])).code).toBe(0);
    const revoked = await cli(["routes", "get"], { CUTOVER_TOKEN: token });
    expect(revoked).toMatchObject({ code: 4, stderr: expect.stringContaining("cutover token create") });
    expect((await cli(["audit"])).stdout).toMatch(/token-revoke\s+CI moved/);
  });

  it("mints a tester override through the API (testers never hold the secret), and revokes it by its id", async () => {
    const minted = await cli(["override", "accounts", "--route", "accounts-read", "--ttl", "30m", "--reason", "QA", "--json"]);
    expect(minted.code).toBe(0);
    const { token, id } = JSON.parse(minted.stdout) as { token: string; id: string };
    expect(await verifyOverride(token, SECRET, Date.now() / 1000, POLICY)).toEqual({ backend: "accounts", route: "accounts-read" });
    expect(await verifyOverride(token, SECRET, Date.now() / 1000 + 31 * 60, POLICY)).toBeUndefined();
    const revoked = await cli(["override", "--revoke", id, "--reason", "done testing"]);
    expect(revoked).toMatchObject({ code: 0, stdout: expect.stringContaining(`Revoked override ${id}`) });
    expect((await cli(["audit"])).stdout).toMatch(/override-revoke\s+done testing/);
  });

  it("plans with terraform's exit codes, saves a plan, and refuses to apply it over a teammate's change, saying who made it", async () => {
    const wanted = await file("wanted.json", base({ legacy: 90, accounts: 10 }));
    const planned = await cli(["routes", "plan", wanted, "--out", path.join(dir, "plan.json")]);
    expect(planned.code).toBe(2);
    expect(planned.stdout).toContain("~ route accounts-read");
    expect(planned.stdout).toContain("to: legacy 100 % · accounts 0 % → legacy 90 % · accounts 10 %");
    expect(planned.stdout).toContain("route accounts-read: legacy 100 % · accounts 0 % → legacy 90 % · accounts 10 %");

    const teammate = await cli(["routes", "weights", "orders", "accounts=100", "--reason", "orders to the Lambda"]);
    expect(teammate.code).toBe(0);
    const refused = await cli(["routes", "apply", path.join(dir, "plan.json"), "--reason", "10 %"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("by olivia (weights): orders to the Lambda");
    // Applying the file itself over the teammate's change would silently revert it: it asks, or needs --yes.
    const unasked = await cli(["routes", "apply", wanted, "--reason", "10 %"]);
    expect(unasked).toMatchObject({ code: 2, stderr: expect.stringContaining("--yes") });
    const stale = await cli(["routes", "apply", wanted, "--reason", "10 %", "--yes", "--expect-version", "1"]);
    expect(stale.code).toBe(3);

    const broken = await file("broken.json", { backends: {}, default: "legacy" });
    expect((await cli(["routes", "plan", broken])).code).toBe(1);
    const current = JSON.parse((await cli(["routes", "get", "--table"])).stdout) as unknown;
    expect((await cli(["routes", "plan", await file("same.json", current)])).code).toBe(0);
  });

  it("shows nested changes field by field, and what they do to traffic", async () => {
    const current = JSON.parse((await cli(["routes", "get", "--table"])).stdout) as RouteTable;
    const edited = structuredClone(current) as { backends: Record<string, { url: string }>; routes: Record<string, unknown>[] };
    (edited.backends.accounts as { url: string }).url = "http://127.0.0.1:10";
    edited.routes[0] = { ...edited.routes[0], shadow: { to: "accounts", percent: 10 } };
    edited.routes = edited.routes.filter((route) => route.id !== "orders");
    const plan = await cli(["routes", "plan", await file("edited.json", edited)]);
    expect(plan.stdout).toContain("~ backend accounts");
    expect(plan.stdout).toContain("url: http://127.0.0.1:9 → http://127.0.0.1:10");
    expect(plan.stdout).toContain("shadow.percent: (none) → 10");
    expect(plan.stdout).toContain("shadow.to: (none) → accounts");
    expect(plan.stdout).toContain("requests to /api/orders fall to the default backend 'legacy'");
    expect(plan.stdout).toMatch(/backend accounts moves to another address: routes accounts-read/);
  });

  it("rolls one route back without undoing another route's later change, and shows and diffs versions", async () => {
    expect((await cli(["routes", "weights", "accounts-read", "legacy=50", "accounts=50", "--reason", "half"])).code).toBe(0);
    expect((await cli(["routes", "weights", "orders", "legacy=100", "--reason", "orders back"])).code).toBe(0);
    const back = await cli(["routes", "rollback", "accounts-read", "--reason", "too many errors"]);
    expect(back.code).toBe(0);
    const table = JSON.parse((await cli(["routes", "get", "--table"])).stdout) as RouteTable;
    expect(table.routes.find((route) => route.id === "accounts-read")?.to).not.toEqual({ legacy: 50, accounts: 50 });
    expect(table.routes.find((route) => route.id === "orders")?.to).toBe("legacy");

    const listing = JSON.parse((await cli(["versions", "--json"])).stdout) as { versions: { version: number; action: string }[] };
    const [newest, older] = listing.versions as unknown as [{ version: number }, { version: number }];
    expect((await cli(["versions", "show", String(newest.version)])).stdout).toContain("route-rollback");
    const diff = await cli(["versions", "diff", String(older.version), String(newest.version)]);
    expect(diff.stdout).toContain("~ route accounts-read");
  });

  it("says so when pointed at something that is not cutover", async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<h1>a blog</h1>");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const result = await cli(["routes", "get", "--url", url]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("does not answer like cutover's admin API");
      expect(result.stderr).not.toContain("Cannot read properties");
    } finally {
      server.close();
    }
  });

  // The cluster's store reads may take seconds while other test files load the machine: its
  // timeout is 5 s (above), so that "ok" means the deployment, not this machine's load.
  it("explains what a deployment is missing", async () => {
    const doctor = await cli(["doctor"]);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain("status      ok");
    expect(doctor.stdout).toContain("your token  works");
    expect(doctor.stdout).toContain("CUTOVER_LEGACY_URL is empty");
    // The dashboard is off by choice here: a note saying how to turn it on, not a failure.
    expect(doctor.stdout).toMatch(/Notes:\n  • The dashboard is off: .*CUTOVER_ADMIN_HOSTS/);
  });

  it("reads the URL and token from the user's named profile; a repository's profile gets no token unless its folder is trusted", async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), "cutover-home-"));
    const repository = await mkdtemp(path.join(os.tmpdir(), "cutover-repository-"));
    await mkdir(path.join(home, "cutover"));
    await writeFile(path.join(home, "cutover", "profiles.json"), JSON.stringify({ profiles: { staging: { url: cluster.urls[0], tokenEnv: "STAGING_TOKEN" } } }));
    await writeFile(path.join(repository, "cutover.profiles.json"), JSON.stringify({ profiles: { shared: { url: cluster.urls[0], tokenEnv: "STAGING_TOKEN" } } }));
    const run = (profile: string) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          [path.join(PROJECT_ROOT, "cli/cutover.ts"), "--profile", profile, "routes", "get", "--json"],
          { cwd: repository, env: { ...process.env, XDG_CONFIG_HOME: home, CUTOVER_URL: "", CUTOVER_TOKEN: "", STAGING_TOKEN: CLUSTER_OPERATOR } },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
        ),
      );
    const own = await run("staging");
    expect(own.code).toBe(0);
    expect(JSON.parse(own.stdout)).toMatchObject({ version: expect.any(Number) });
    const theirs = await run("shared");
    expect(theirs.code).not.toBe(0);
    expect(`${theirs.stdout}${theirs.stderr}`).toContain("not trusted");
  });
});
