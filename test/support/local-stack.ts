import { spawn, type ChildProcess } from "node:child_process";
import { PROJECT_ROOT } from "../../cli/wrangler-dev.ts";

export interface LocalStack {
  readonly child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Settles once its banner is out; rejects with what it printed if it exits first. */
  readonly ready: Promise<void>;
}

/**
 * Starts the local stack through `command` (`npm start`, `node cli/cutover.ts dev`). The
 * child is there at once, for the caller to stop whatever happens; await `ready` for the banner.
 */
export function startLocalStack(command: string, args: readonly string[]): LocalStack {
  const child = spawn(command, args, { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes("Ctrl-C stops everything.")) {
        clearInterval(timer);
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`the stack exited early:\n${output}`));
      }
    }, 100);
  });
  return { child, output: () => output, ready };
}
