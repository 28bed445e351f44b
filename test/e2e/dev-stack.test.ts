import { execFile, spawn } from "node:child_process";
import net from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../cli/wrangler-dev.ts";
import { refusedPort } from "../support/upstream.ts";

const sh = promisify(execFile);

/**
 * `npm start` as an operator runs it: the CLI's `dev` command, then the curl commands its
 * banner prints, then Ctrl-C.
 */
describe("the local stack (npm start)", () => {
  let child: ReturnType<typeof spawn>;
  let output = "";
  let port: number;

  beforeAll(async () => {
    port = await refusedPort();
    child = spawn(process.execPath, ["cli/cutover.ts", "dev", "--port", String(port)], {
      cwd: PROJECT_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (output.includes("Ctrl-C stops everything.")) {
          clearInterval(timer);
          resolve();
        } else if (child.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`cutover dev exited early:\n${output}`));
        }
      }, 100);
    });
  });

  afterAll(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });

  function bannerCommands(): string[] {
    return output
      .split("\n")
      .filter((line) => line.startsWith("  curl "))
      .map((line) => line.replace(/\s+#.*$/, "").trim());
  }

  async function run(command: string): Promise<string> {
    return (await sh("sh", ["-c", command], { cwd: PROJECT_ROOT })).stdout;
  }

  const backendOf = (out: string) => /^x-cutover-backend: (.+?)\r?$/im.exec(out)?.[1];

  it("prints the URLs and curl commands to try", () => {
    expect(output).toContain(`Worker (the proxy)   http://127.0.0.1:${port}`);
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

  it("stops everything on Ctrl-C", async () => {
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
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
