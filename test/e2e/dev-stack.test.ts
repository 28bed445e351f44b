import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../cli/wrangler-dev.ts";
import { startLocalStack, type LocalStack } from "../support/local-stack.ts";
import { refusedPort } from "../support/upstream.ts";

const sh = promisify(execFile);

/**
 * `npm start` as an operator runs it: the CLI's `dev` command, then the curl commands its
 * banner prints, then Ctrl-C.
 */
describe("the local stack (npm start)", () => {
  let stack: LocalStack;
  let port: number;
  let secretsFile = "";

  beforeAll(async () => {
    port = await refusedPort();
    stack = startLocalStack(process.execPath, ["cli/cutover.ts", "dev", "--memory", "--port", String(port), "--legacy-port", "0", "--accounts-port", "0"]);
    await stack.ready;
  });

  afterAll(() => {
    if (stack?.child.exitCode === null) stack.child.kill("SIGKILL");
  });

  function bannerCommands(): string[] {
    return stack
      .output()
      .split("\n")
      .filter((line) => line.startsWith("  curl "))
      .map((line) => line.replace(/\s+#.*$/, "").trim());
  }

  async function run(command: string): Promise<string> {
    return (await sh("sh", ["-c", command], { cwd: PROJECT_ROOT })).stdout;
  }

  const backendOf = (out: string) => /^x-cutover-backend: (.+?)\r?$/im.exec(out)?.[1];

  it("prints the URLs and curl commands to try", () => {
    expect(stack.output()).toContain(`Worker (the proxy)   http://127.0.0.1:${port}`);
    expect(bannerCommands()).toHaveLength(4);
  });

  it("sends the banner's requests to the right backends", async () => {
    const [split, list, page, override] = bannerCommands() as [string, string, string, string];

    const first = await run(split);
    expect(first).toMatch(/^x-cutover-route: accounts-read\r?$/im);
    const side = backendOf(first);
    expect(["legacy", "accounts"]).toContain(side);
    expect(first).toContain(`"servedBy":"${side === "legacy" ? "legacy" : "accounts-lambda"}"`);
    for (let i = 0; i < 3; i++) expect(backendOf(await run(split))).toBe(side);

    const listed = await run(list);
    expect(backendOf(listed)).toBe("accounts");
    expect(listed).toContain('"servedBy":"accounts-lambda"');

    const html = await run(page);
    expect(backendOf(html)).toBe("legacy");

    const forced = await run(override);
    expect(backendOf(forced)).toBe("accounts");
  });

  it("signs requests to the demo Lambda, whose function URL refuses unsigned ones", async () => {
    const accountsUrl = /accounts \(demo\)\s+(\S+)/.exec(stack.output())?.[1];
    const direct = await fetch(`${accountsUrl}/api/accounts`);
    expect(direct.status).toBe(403);
    expect(await direct.json()).toEqual({ Message: "Forbidden" });
  });

  /** Runs the CLI as an operator would, with the banner's CUTOVER_URL and CUTOVER_TOKEN. */
  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const [, url, token] = /export CUTOVER_URL=(\S+) CUTOVER_TOKEN=(\S+)/.exec(stack.output()) ?? [];
    return new Promise((resolve) => {
      execFile(process.execPath, ["cli/cutover.ts", ...args], { cwd: PROJECT_ROOT, env: { ...process.env, CUTOVER_URL: url, CUTOVER_TOKEN: token } }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });
  }

  it("shadows the split route for users served by legacy, and reports it with the CLI", async () => {
    const [, url] = /export CUTOVER_URL=(\S+)/.exec(stack.output()) ?? [];
    for (let user = 0; user < 12; user++) {
      await (await fetch(`${url}/api/accounts/${1 + (user % 3)}`, { headers: { cookie: `session_id=user-${user}` } })).arrayBuffer();
    }
    let report: { compared: number; matchRate: number | null; differences: unknown[] } = { compared: 0, matchRate: null, differences: [] };
    for (let attempt = 0; attempt < 50 && report.compared === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      report = JSON.parse((await cli("shadow", "report", "accounts-read", "--min-comparisons", "1", "--json")).stdout);
    }
    expect(report.compared).toBeGreaterThan(0);
    expect(report).toMatchObject({ matchRate: 100, differences: [] });
    const human = await cli("shadow", "report", "--min-comparisons", "1");
    expect(human.stdout).toMatch(/accounts-read\s+accounts\s+\d+\s+100 %/);
  });

  it("counts what it proxied and shows it with the CLI: status, metrics, inventory --suggest, progress", async () => {
    const [, url] = /export CUTOVER_URL=(\S+)/.exec(stack.output()) ?? [];
    for (let i = 0; i < 6; i++) await (await fetch(`${url}/invoices/${1000 + i}/pdf`)).arrayBuffer();
    const suggestion = { id: "invoices-pdf", match: { path: "/invoices/:id/pdf", methods: ["GET"] }, to: "legacy" };
    let suggested: unknown[] = [];
    for (let attempt = 0; attempt < 50 && !suggested.some((entry) => JSON.stringify(entry) === JSON.stringify(suggestion)); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      suggested = JSON.parse((await cli("inventory", "--suggest")).stdout) as unknown[];
    }
    expect(suggested).toContainEqual(suggestion);
    const inventory = JSON.parse((await cli("inventory", "--json")).stdout) as { templates: { template: string; count: number; status: Record<string, number> }[] };
    expect(inventory.templates.find((t) => t.template === "/invoices/:id/pdf")).toMatchObject({ count: 6, status: { "4xx": 6 } });

    // The earlier tests sent the banner's requests and the shadowed ones through accounts-read.
    const metrics = JSON.parse((await cli("metrics", "accounts-read", "--since", "1h", "--json")).stdout) as { totals: Record<string, { requests: number }> };
    expect(Object.values(metrics.totals).reduce((sum, point) => sum + point.requests, 0)).toBeGreaterThanOrEqual(16);
    const status = await cli("status");
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/accounts-read\s+legacy 50 · accounts 50/);
    expect(status.stdout).toMatch(/migrated: [\d.]+ %/);
    const progress = await cli("progress", "--days", "1");
    expect(progress.stdout).toMatch(/Migrated \(served by a backend other than legacy\): [\d.]+ % in the last 24 h/);
  });

  it("flips, plans, applies and rolls back with the CLI, and records it all", async () => {
    const routes = await cli("routes", "get", "--json");
    expect(routes.code).toBe(0);
    const active = JSON.parse(routes.stdout) as { version: number; table: { routes: { id: string; to: unknown }[] } };

    const flip = await cli("routes", "weights", "accounts-read", "legacy=0", "accounts=100", "--reason", "all users to the Lambda", "--wait");
    expect(flip).toMatchObject({ code: 0, stdout: expect.stringContaining("Route accounts-read now sends legacy 0 % · accounts 100 %") });
    expect(flip.stdout).toContain("taking effect everywhere at");
    const [split] = bannerCommands();
    expect(backendOf(await run(split as string))).toBe("accounts");

    const dir = await mkdtemp(path.join(os.tmpdir(), "cutover-cli-"));
    const file = path.join(dir, "routes.json");
    const edited = structuredClone(active.table);
    edited.routes = edited.routes.filter((route) => route.id !== "accounts-list");
    await writeFile(file, JSON.stringify(edited));
    const plan = await cli("routes", "plan", file);
    expect(plan.code).toBe(2); // changes (terraform plan -detailed-exitcode)
    expect(plan.stdout).toContain("~ route accounts-read");
    expect(plan.stdout).toContain("to: legacy 0 % · accounts 100 % → legacy 50 % · accounts 50 %");
    expect(plan.stdout).toContain("- route accounts-list");

    const apply = await cli("routes", "apply", file, "--reason", "drop the list route", "--yes");
    expect(apply.code).toBe(0);
    expect(apply.stdout).toMatch(/Applied: version \d+ is active/);
    expect((await cli("routes", "plan", file)).stdout).toContain("No changes");

    const back = await cli("rollback", "--reason", "list route is needed");
    expect(back).toMatchObject({ code: 0, stdout: expect.stringContaining("Rolled back") });
    const restored = JSON.parse((await cli("routes", "get", "--table")).stdout) as { routes: { id: string }[] };
    expect(restored.routes.map((route) => route.id)).toContain("accounts-list");

    const versions = await cli("versions", "--json");
    const listed = JSON.parse(versions.stdout) as { versions: { action: string; active: boolean }[] };
    expect(listed.versions.map((v) => v.action)).toEqual(["rollback", "apply", "weights", "apply"]);
    expect(listed.versions[0]?.active).toBe(true);
    const audit = await cli("audit");
    expect(audit.stdout).toContain("weights accounts-read");
    expect(audit.stdout).toContain("list route is needed");
  });

  it("exits non-zero with a clear message on bad input, conflicts and bad tokens", async () => {
    const invalid = await cli("routes", "weights", "accounts-read", "legacy=50", "accounts=10", "--reason", "x");
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain("$.routes[1].to: weights sum to 60, they must sum to 100");

    const missing = await cli("routes", "weights", "nope", "legacy=100", "--reason", "x");
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining("No route 'nope'") });
    const misspelt = await cli("routes", "weights", "acounts-read", "legacy=100", "--reason", "x");
    expect(misspelt.stderr).toContain("did you mean 'accounts-read'");

    const conflict = await cli("routes", "weights", "accounts-read", "legacy=100", "--reason", "x", "--expect-version", "1");
    expect(conflict.code).toBe(3);
    expect(conflict.stderr).toMatch(/Version \d+ is active, not 1/);

    const dir = await mkdtemp(path.join(os.tmpdir(), "cutover-cli-"));
    const file = path.join(dir, "bad.json");
    await writeFile(file, JSON.stringify({ backends: {}, default: "legacy" }));
    const bad = await cli("routes", "apply", file, "--reason", "x", "--yes");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("$.default: unknown backend 'legacy'");

    const noReason = await cli("rollback");
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain("--reason");

    const denied = await cli("--token", "wrong", "versions");
    expect(denied).toMatchObject({ code: 4, stderr: expect.stringContaining("cutover: This token is not known") });
  });

  it("lets cutover move a route (the README's walk-through): shadow, 75 %, 100 %, ticked by the local stack", async () => {
    const [, url] = /export CUTOVER_URL=(\S+)/.exec(stack.output()) ?? [];
    // As the README's step 6 leaves it (the flip test above left it all on the Lambda): split 50/50.
    expect((await cli("routes", "weights", "accounts-read", "legacy=50", "accounts=50", "--reason", "back to the split", "--wait")).code).toBe(0);
    // The README's command, with steps that need no minute each.
    const started = await cli("rollout", "start", "accounts-read", "--to", "accounts", "--steps", "shadow,75,100", "--min-requests", "20", "--min-duration", "0s", "--reason", "reads on the Lambda");
    expect(started).toMatchObject({ code: 0, stdout: expect.stringContaining("Rollout of accounts-read to accounts started: step 1 of 3 (shadow)") });
    let status = "running";
    for (let round = 0; round < 60 && status === "running"; round++) {
      await Promise.all(Array.from({ length: 60 }, async (_, i) => (await fetch(`${url}/api/accounts/1`, { headers: { cookie: `session_id=walk-${round}-${i}` } })).arrayBuffer()));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      status = (JSON.parse((await cli("rollout", "status", "accounts-read", "--json")).stdout) as { status: string }).status;
    }
    if (status !== "succeeded") console.error((await cli("rollout", "status", "accounts-read")).stdout);
    expect(status).toBe("succeeded");
    const routes = JSON.parse((await cli("routes", "get", "--json")).stdout) as { table: { routes: { id: string; to: unknown }[] } };
    expect(routes.table.routes.find((r) => r.id === "accounts-read")?.to).toBe("accounts");
    const text = await cli("rollout", "status", "accounts-read");
    expect(text.stdout).toContain("SUCCEEDED");
    expect(text.stdout).toMatch(/completed: accounts-read is served by accounts/);
    // Three steps and the bake at 100 %, each settling and opening its window on a tick every 3 s.
  }, 150_000);

  it("hands workerd its secrets in a file only this user can read, never on a command line anyone can read; its DynamoDB answers no web page", async () => {
    const token = /CUTOVER_TOKEN=(\S+)/.exec(stack.output())?.[1] ?? "";
    const processes = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
    const commandLines = processes.map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
      } catch {
        return "";
      }
    });
    for (const secret of ["CUTOVER_SESSION_SECRET", "CUTOVER_ADMIN_TOKENS", "CUTOVER_OVERRIDE_SECRET", "CUTOVER_WEBHOOK_SECRET", "AWS_SECRET_ACCESS_KEY", "cutover-dev-secret"]) {
      expect(commandLines.filter((line) => line.includes(secret)), secret).toEqual([]);
    }
    // The stack's workerd: its config (this user's to read) is the one serving this port.
    const configs = commandLines.flatMap((line) => /workerd serve (\S+)/.exec(line)?.[1] ?? []);
    const config = configs.find((file) => {
      try {
        return readFileSync(file, "utf8").includes(`"127.0.0.1:${port}"`);
      } catch {
        return false;
      }
    });
    expect(config).toBeDefined();
    expect(readFileSync(config ?? "", "utf8")).toContain("CUTOVER_SESSION_SECRET");
    expect(statSync(config ?? "").mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(config ?? "")).mode & 0o777).toBe(0o700);
    secretsFile = config ?? "";
    // The admin token works, so the secrets reached the Worker.
    expect((await fetch(`http://127.0.0.1:${port}/_cutover/api/routes`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

    const dynamo = /DynamoDB \(local\)\s+(\S+)/.exec(stack.output())?.[1] ?? "";
    const fromPage = await fetch(dynamo, { method: "POST", headers: { origin: "http://evil.example", "content-type": "application/x-amz-json-1.0", "x-amz-target": "DynamoDB_20120810.ListTables" }, body: "{}" });
    expect(fromPage.status).toBe(403);
    expect(fromPage.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await fetch(dynamo, { method: "OPTIONS", headers: { origin: "http://evil.example", "access-control-request-method": "POST" } });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("stops everything on Ctrl-C", async () => {
    const exited = new Promise<number | null>((resolve) => stack.child.once("exit", (code) => resolve(code)));
    stack.child.kill("SIGINT");
    expect(await exited).toBe(0);
    // The config holding the secrets went with it.
    expect(existsSync(secretsFile)).toBe(false);
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(false);
      });
      socket.once("error", () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});
