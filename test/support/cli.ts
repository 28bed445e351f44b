import { execFile } from "node:child_process";
import { PROJECT_ROOT } from "../../cli/wrangler-dev.ts";
import { CLUSTER_OPERATOR } from "./isolates.ts";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `cutover ARGS` as an operator runs it against `url` (a cluster's Worker), its exit code and output. */
export function runCli(url: string | undefined, args: readonly string[], token = CLUSTER_OPERATOR): Promise<CliRun> {
  return new Promise((resolve) =>
    execFile(process.execPath, ["cli/cutover.ts", ...args], { cwd: PROJECT_ROOT, env: { ...process.env, CUTOVER_URL: url, CUTOVER_TOKEN: token, NO_COLOR: "1" } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    ),
  );
}
