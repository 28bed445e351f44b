import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { spawnWorkerProcess, waitUntilHealthy, type LocalWorker } from "./local-worker.ts";

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** What every wrangler child of cutover runs with: no telemetry, no fetch of the `cf` object, plain text. */
export const WRANGLER_ENV: NodeJS.ProcessEnv = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", FORCE_COLOR: "0" };

/** The wrangler CLI of this project's node_modules (never one on PATH). */
export function wranglerBin(): string {
  return path.join(path.dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");
}

/**
 * Runs the Worker under `wrangler dev` (local mode: no Cloudflare login, no network) with
 * the given variables and secrets, and resolves once it answers `/_cutover/health`.
 * Variables go on the command line; secrets never do (every user of the machine can read
 * a process's arguments): they go in a dotenv file only this user can read, in a folder of
 * its own, passed with `--env-file` and removed when the Worker stops.
 *
 * wrangler's proxy in front of workerd changes requests and responses (docs/local-runs.md);
 * `startWorkerdDev` runs the deployed bundle without it.
 */
export async function startWranglerDev(options: {
  port: number;
  vars: Record<string, string>;
  secrets?: Record<string, string>;
  log: (line: string) => void;
  readyTimeoutMs?: number;
}): Promise<LocalWorker> {
  const args = [wranglerBin(), "dev", "--ip", "127.0.0.1", "--port", String(options.port), "--show-interactive-dev-session=false"];
  for (const [name, value] of Object.entries(options.vars)) args.push("--var", `${name}:${value}`);
  const secretsDir = options.secrets === undefined ? undefined : writeSecretsFile(options.secrets);
  if (secretsDir !== undefined) args.push("--env-file", path.join(secretsDir, SECRETS_FILE));
  const worker = spawnWorkerProcess(process.execPath, args, { cwd: PROJECT_ROOT, env: { ...process.env, ...WRANGLER_ENV }, log: options.log });
  void worker.exited.then(() => {
    if (secretsDir !== undefined) rmSync(secretsDir, { recursive: true, force: true });
  });
  const url = `http://127.0.0.1:${options.port}`;
  try {
    await waitUntilHealthy(url, worker, { name: "wrangler dev", timeoutMs: options.readyTimeoutMs ?? 90_000 });
  } catch (error) {
    await worker.stop();
    throw error;
  }
  return { url, stop: worker.stop };
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
