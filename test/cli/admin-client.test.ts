import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../cli/wrangler-dev.ts";

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["cli/cutover.ts", ...args], { cwd: PROJECT_ROOT, env: { ...process.env, CUTOVER_PROFILE: "" } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

/**
 * The CLI against a real HTTP server that answers JSON of the wrong shape, as a Worker of
 * another release (or something else at that URL) might: it refuses the answer, naming the
 * field, instead of printing or acting on a value that is not what it says.
 */
describe("an answer that does not fit the admin API's contract", () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((request, response) => {
      const table = { backends: { legacy: { url: "https://legacy.example" } }, default: "legacy", routes: [] };
      const body = request.url === "/_cutover/api/routes" ? { version: "7", info: null, table } : { rollouts: [{ route: "accounts" }] };
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("takes the Worker's control-plane address (…/_cutover/) for the Worker's", async () => {
    for (const suffix of ["/_cutover/", "/_cutover", "/_cutover/api/"]) {
      const result = await cli(["routes", "get", "--url", `${url}${suffix}`, "--token", "t"]);
      // The same answer as at the Worker's address: the request went to /_cutover/api/routes.
      expect(result.stderr).toContain('  $.version: must be a number, not the string "7"');
    }
  });

  it("is refused with exit code 1, naming the field and what it was", async () => {
    const result = await cli(["routes", "get", "--url", url, "--token", "t"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`cutover: The answer to GET /routes does not fit the admin API's contract (are this CLI and the Worker at ${url} the same release?):`);
    expect(result.stderr).toContain('  $.version: must be a number, not the string "7"');
  });

  it("is the error bad_answer under --json, with each field as an issue", async () => {
    const result = await cli(["rollout", "list", "--url", url, "--token", "t", "--json"]);
    expect(result.code).toBe(1);
    const error = JSON.parse(result.stdout) as { error: string; message: string; issues: { path: string; message: string }[] };
    expect(error.error).toBe("bad_answer");
    expect(error.message).toContain("GET /rollouts");
    expect(error.issues).toContainEqual({ path: "$.rollouts[0].candidate", message: "is required (a string)" });
  });
});
