import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { readDeployedConfig } from "./deployed-config.ts";
import { spawnWorkerProcess, waitUntilHealthy, type LocalWorker } from "./local-worker.ts";
import { bundleWorker } from "./worker-bundle.ts";
import { workerdDevConfig } from "./workerd-dev-config.ts";
import { PROJECT_ROOT } from "./wrangler-dev.ts";

const WORKERD = path.join(PROJECT_ROOT, "node_modules", ".bin", "workerd");
const CONFIG_FILE = "workerd.capnp";

/**
 * Runs the Worker as production does: the bundle `wrangler deploy` would upload, with
 * wrangler.toml's compatibility date, flags and `[vars]`, on plain workerd — no proxy in
 * front to rewrite requests or responses (docs/local-runs.md). Resolves once it answers
 * `/_cutover/health`.
 *
 * The bundle and the config (which holds the secrets as bindings) live in a private folder
 * (0700, under the system's temporary folder; the config 0600), removed when the Worker
 * stops; workerd's command line names only the config file.
 */
export async function startWorkerdDev(options: {
  port: number;
  vars: Record<string, string>;
  secrets?: Record<string, string>;
  log: (line: string) => void;
  readyTimeoutMs?: number;
}): Promise<LocalWorker> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cutover-workerd-"));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  try {
    const [deployed] = await Promise.all([readDeployedConfig(), bundleWorker(path.join(dir, "bundle"))]);
    const config = workerdDevConfig({ port: options.port, module: "bundle/index.js", deployed, bindings: { ...options.vars, ...options.secrets } });
    writeFileSync(path.join(dir, CONFIG_FILE), config, { mode: 0o600 });
  } catch (error) {
    removeDir();
    throw error;
  }
  const worker = spawnWorkerProcess(WORKERD, ["serve", path.join(dir, CONFIG_FILE)], { cwd: dir, log: options.log });
  void worker.exited.then(removeDir);
  const url = `http://127.0.0.1:${options.port}`;
  try {
    await waitUntilHealthy(url, worker, { name: "workerd", timeoutMs: options.readyTimeoutMs ?? 60_000 });
  } catch (error) {
    await worker.stop();
    throw error;
  }
  return { url, stop: worker.stop };
}
