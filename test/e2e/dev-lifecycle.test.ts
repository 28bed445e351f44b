import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../cli/wrangler-dev.ts";
import { startLocalStack, type LocalStack } from "../support/local-stack.ts";
import { refusedPort } from "../support/upstream.ts";

/**
 * `npm start` / `cutover dev` started and stopped the ways operators and their tools do it:
 * a stop signal to the npm parent (IDE stop buttons, systemd, docker stop) leaves no process
 * and no port behind; a restart (under either runtime) keeps the stored table; `--routes` is served from the very
 * first request; a port in use is one clear line.
 */
describe("the local stack's lifecycle", () => {
  const started: ChildProcess[] = [];
  afterAll(() => {
    for (const child of started) if (child.exitCode === null) child.kill("SIGKILL");
  });

  /** Starts the stack through `command`; stopped (killed) after the tests. */
  async function start(command: string, args: string[]): Promise<LocalStack> {
    const stack = startLocalStack(command, args);
    started.push(stack.child);
    await stack.ready;
    return stack;
  }

  /** Every process below `pid`, from /proc. */
  function descendants(pid: number): number[] {
    const parents = new Map<number, number>();
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
      } catch {
        // gone meanwhile
      }
    }
    const found: number[] = [];
    const walk = (parent: number) => {
      for (const [child, of] of parents) if (of === parent) found.push(child), walk(child);
    };
    walk(pid);
    return found;
  }

  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const listening = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
  const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve())));

  it("stops every child when the npm process that started it gets SIGTERM; a restart keeps the stored table; --routes is served from the first request", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "cutover-dev-data-"));
    const port = await refusedPort();
    const npm = await start("npm", ["start", "--silent", "--", "--port", String(port), "--legacy-port", "0", "--accounts-port", "0", "--data-dir", dataDir]);
    expect(npm.output()).toMatch(/Routes \(version 1, applied now\)/);
    const tree = descendants(npm.child.pid as number);
    expect(tree.length).toBeGreaterThanOrEqual(2); // node (cutover dev), workerd
    npm.child.kill("SIGTERM");
    await exited(npm.child);
    for (let i = 0; i < 50 && (tree.some(alive) || (await listening(port))); i++) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(tree.filter(alive)).toEqual([]);
    expect(await listening(port)).toBe(false);

    // A restart over the same data, under wrangler dev: the stored table, with commands that work on it.
    const again = await start(process.execPath, ["cli/cutover.ts", "dev", "--runtime", "wrangler", "--port", String(port), "--legacy-port", "0", "--accounts-port", "0", "--data-dir", dataDir]);
    expect(again.output()).toMatch(/Routes \(version 1, kept from the last run\)/);
    expect(again.output()).toContain("npx cutover routes weights accounts-read legacy=0 accounts=100");
    expect(again.output()).toContain("under wrangler dev");
    // wrangler gets its secrets through a dotenv file only this user can read, named on its command line.
    const wrangler = descendants(again.child.pid as number)
      .map((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" "))
      .find((line) => line.includes("wrangler.js dev"));
    const envFile = /--env-file (\S+)/.exec(wrangler ?? "")?.[1] ?? "";
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(envFile)).mode & 0o777).toBe(0o700);
    again.child.kill("SIGHUP");
    await exited(again.child);
    expect(again.child.exitCode).toBe(0);
    expect(existsSync(envFile)).toBe(false);

    // --routes with another table: stored before the Worker starts, so even the first request gets it.
    const file = path.join(dataDir, "..", `routes-${port}.json`);
    await writeFile(file, JSON.stringify({ backends: { legacy: { url: "http://127.0.0.1:9" } }, default: "legacy", routes: [{ id: "only-route", match: { path: "/*" }, to: "legacy" }] }));
    const withRoutes = spawn(process.execPath, ["cli/cutover.ts", "dev", "--routes", file, "--port", String(port), "--legacy-port", "0", "--accounts-port", "0", "--data-dir", dataDir], { cwd: PROJECT_ROOT, stdio: "ignore" });
    started.push(withRoutes);
    const seen = new Set<string>();
    for (let i = 0; i < 600 && seen.size < 20; i++) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/api/accounts/1`);
        await response.arrayBuffer();
        seen.add(`${response.headers.get("x-cutover-route")}@${response.headers.get("x-cutover-version")}#${seen.size}`);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(seen.size).toBe(20);
    expect([...seen].every((entry) => entry.startsWith("only-route@2#"))).toBe(true);
    withRoutes.kill("SIGTERM");
    await exited(withRoutes);
  });

  it("stops what it started when a stop signal comes while it starts", async () => {
    const port = await refusedPort();
    const dev = spawn(process.execPath, ["cli/cutover.ts", "dev", "--memory", "--port", String(port), "--legacy-port", "0", "--accounts-port", "0"], { cwd: PROJECT_ROOT, stdio: "ignore" });
    started.push(dev);
    // The moment workerd runs, before the stack answers: the start is under way.
    let tree: number[] = [];
    const commandOf = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8");
      } catch {
        return ""; // gone meanwhile
      }
    };
    for (let i = 0; i < 600 && !tree.some((pid) => commandOf(pid).includes("workerd\0serve")); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      tree = descendants(dev.pid as number).filter(alive);
    }
    expect(tree.length).toBeGreaterThanOrEqual(1);
    dev.kill("SIGTERM");
    await exited(dev);
    expect(dev.exitCode).toBe(0);
    for (let i = 0; i < 50 && tree.some(alive); i++) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(tree.filter(alive)).toEqual([]);
    expect(await listening(port)).toBe(false);
  });

  it("says in one line which port is in use and which flag changes it", async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const result = await new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(process.execPath, ["cli/cutover.ts", "dev", "--memory", "--port", String(port)], { cwd: PROJECT_ROOT }, (error, _stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stderr })),
      );
      expect(result).toEqual({ code: 2, stderr: `cutover: Port ${port} is in use on 127.0.0.1: stop what listens there, or pass --port <another port>.\n` });
    } finally {
      busy.close();
    }
  });
});
