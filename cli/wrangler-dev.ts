import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface WranglerDev {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Runs the Worker under `wrangler dev` (local mode: no Cloudflare login, no network) with
 * the given variables and secrets, and resolves once it answers `/_cutover/health`.
 * Variables go on the command line; secrets never do (every user of the machine can read
 * a process's arguments): they go in a dotenv file only this user can read, in a folder of
 * its own, passed with `--env-file` and removed when the Worker stops.
 */
export async function startWranglerDev(options: {
  port: number;
  vars: Record<string, string>;
  secrets?: Record<string, string>;
  log: (line: string) => void;
  readyTimeoutMs?: number;
}): Promise<WranglerDev> {
  const wranglerPackage = createRequire(import.meta.url).resolve("wrangler/package.json");
  const wrangler = path.join(path.dirname(wranglerPackage), "bin", "wrangler.js");
  const args = [wrangler, "dev", "--ip", "127.0.0.1", "--port", String(options.port), "--show-interactive-dev-session=false"];
  for (const [name, value] of Object.entries(options.vars)) args.push("--var", `${name}:${value}`);
  const secretsDir = options.secrets === undefined ? undefined : writeSecretsFile(options.secrets);
  if (secretsDir !== undefined) args.push("--env-file", path.join(secretsDir, SECRETS_FILE));
  const removeSecrets = () => {
    if (secretsDir !== undefined) rmSync(secretsDir, { recursive: true, force: true });
  };
  const child = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", FORCE_COLOR: "0" },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so stopping it also stops the workerd it starts.
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) {
    let pending = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) if (line.trim() !== "") options.log(line);
    });
  }
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      removeSecrets();
      resolve(code);
    }),
  );
  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
      const timer = setTimeout(() => child.pid !== undefined && tryKill(-child.pid), 5000);
      await exited;
      clearTimeout(timer);
    }
  };

  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode} before it was ready`);
    try {
      const response = await fetch(`${url}/_cutover/health`);
      await response.arrayBuffer();
      if (response.status < 500 || response.status === 503) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer on ${url} within ${options.readyTimeoutMs ?? 90_000} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url, child, stop };
}

const SECRETS_FILE = "secrets.env";

/**
 * A private folder (0700, under the system's temporary folder) holding `secrets.env` (0600):
 * one `NAME='value'` line per secret, the dotenv form wrangler reads with `--env-file`.
 */
function writeSecretsFile(secrets: Record<string, string>): string {
  const lines = Object.entries(secrets).map(([name, value]) => {
    // Single quotes keep a value literal in dotenv; a value that holds one (or a line break) cannot be written so.
    if (!/^[A-Z_][A-Z0-9_]*$/.test(name) || /['\r\n]/.test(value)) throw new Error(`cannot pass the secret ${name} to wrangler dev in a dotenv file`);
    return `${name}='${value}'`;
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), "cutover-dev-"));
  writeFileSync(path.join(dir, SECRETS_FILE), `${lines.join("\n")}\n`, { mode: 0o600 });
  return dir;
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}
