import { spawn, type ChildProcess } from "node:child_process";

/** The Worker running locally, under either runtime of `cutover dev`. */
export interface LocalWorker {
  readonly url: string;
  stop(): Promise<void>;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** True once it has exited, or could not be started at all. */
  hasExited(): boolean;
  /** Settles once the process has exited (whatever stopped it). */
  readonly exited: Promise<void>;
  /** SIGTERM to its whole process group, SIGKILL after 5 s; settles once it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts `command` in a process group of its own (so that stopping it also stops whatever
 * it starts: wrangler's workerd), handing `log` each non-empty line of its stdout and stderr.
 */
export function spawnWorkerProcess(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; log: (line: string) => void }): WorkerProcess {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
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
  let gone = false;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    // Not started (no such binary): no exit event follows.
    child.once("error", (error) => {
      options.log(`could not start ${command}: ${error.message}`);
      resolve();
    });
  }).then(() => {
    gone = true;
  });
  const stop = async () => {
    if (!gone && child.pid !== undefined) {
      signalGroup(child.pid, "SIGTERM");
      const timer = setTimeout(() => child.pid !== undefined && signalGroup(child.pid, "SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  return { child, hasExited: () => gone, exited, stop };
}

/**
 * Resolves once the Worker at `url` answers `/_cutover/health` (200, or 503 for a degraded
 * store: it serves either way); rejects if the process exits first or `timeoutMs` passes.
 */
export async function waitUntilHealthy(url: string, worker: WorkerProcess, options: { name: string; timeoutMs: number }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (worker.hasExited()) {
      const { exitCode, signalCode } = worker.child;
      throw new Error(`${options.name} exited${exitCode !== null ? ` with code ${exitCode}` : signalCode !== null ? ` on ${signalCode}` : ""} before it was ready`);
    }
    try {
      const response = await fetch(`${url}/_cutover/health`);
      await response.arrayBuffer();
      if (response.status < 500 || response.status === 503) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${options.name} did not answer on ${url} within ${options.timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
