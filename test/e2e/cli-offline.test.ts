import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "../../lib/admin-token.ts";
import { startLocalDynamo, type LocalDynamo } from "../../cli/local-dynamo.ts";
import { PROJECT_ROOT } from "../../cli/wrangler-dev.ts";

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["cli/cutover.ts", ...args], { cwd: PROJECT_ROOT, env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

describe("cutover init", () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(() => dynamo.close());

  it("creates the DynamoDB table, and does nothing the second time", async () => {
    const args = ["init", "--table", "cutover-init-test", "--endpoint", dynamo.endpoint, "--json"];
    const first = await cli(args);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ table: "cutover-init-test", outcome: "created" });
    const second = await cli(args);
    expect(JSON.parse(second.stdout)).toMatchObject({ outcome: "exists" });
  });
});

describe("offline commands", () => {
  it("makes a bootstrap admin token whose CUTOVER_ADMIN_TOKENS entry holds only its hash", async () => {
    const result = await cli(["token", "hash", "--name", "alice", "--role", "operator", "--json"]);
    expect(result.code).toBe(0);
    const { token, entry } = JSON.parse(result.stdout) as { token: string; entry: Record<string, unknown> };
    expect(entry).toEqual({ [await hashToken(token)]: { name: "alice", role: "operator" } });
    expect(JSON.stringify(entry)).not.toContain(token);
  });

  it("says what is missing, as JSON under --json", async () => {
    const noUrl = await cli(["versions"], { CUTOVER_URL: "", CUTOVER_PROFILE: "" });
    expect(noUrl).toMatchObject({ code: 2, stderr: expect.stringContaining("CUTOVER_URL") });
    const unreachable = await cli(["versions", "--url", "http://127.0.0.1:9"]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain("Cannot reach http://127.0.0.1:9");
    const asJson = await cli(["versions", "--url", "http://127.0.0.1:9", "--json"]);
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ error: "unreachable", message: expect.stringContaining("Cannot reach") });
    const noProfile = await cli(["versions", "--profile", "nowhere"]);
    expect(noProfile).toMatchObject({ code: 2, stderr: expect.stringContaining("No profile 'nowhere'") });
  });

  it("marks in --help the options a command cannot do without", async () => {
    const help = await cli(["token", "create", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--name <name>\s+\(required\) who or what holds it/);
    expect(help.stdout).toMatch(/--reason <text>\s+\(required\) why/);
    expect(help.stdout).toMatch(/--role <role>\s+what it may do/);
  });
});
