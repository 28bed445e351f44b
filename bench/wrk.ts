/** wrk as the benchmarks drive it: one thread, 32 connections, a JSON line per run. */
import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { PROJECT_ROOT } from "../cli/wrangler-dev.ts";

export const CONNECTIONS = 32;

export interface Load {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

export function requireWrk(): void {
  try {
    execFileSync("wrk", ["--version"], { stdio: "ignore" });
  } catch (error) {
    // wrk --version exits non-zero; only a missing binary is ENOENT.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      console.error("bench: wrk is not installed. On Debian: sudo apt-get install wrk");
      process.exit(2);
    }
  }
}

/**
 * Runs wrk without blocking this process; `script` replaces the default reporting script (it
 * must report the same way); with `cpuOf` (a pid), also that process's CPU time per request.
 */
export async function wrk(
  url: string,
  seconds: number,
  options: { script?: string; headers?: readonly string[]; connections?: number; cpuOf?: number } = {},
): Promise<Load & { requests: number; cpuUsPerRequest: number }> {
  const { script = "wrk-report.lua", headers = [], connections = CONNECTIONS, cpuOf } = options;
  const cpuBefore = cpuOf === undefined ? 0 : cpuMsOf(cpuOf);
  const { stdout } = await promisify(execFile)(
    "wrk",
    ["-t1", `-c${connections}`, `-d${seconds}s`, "--timeout", "5s", ...headers.flatMap((header) => ["-H", header]), "-s", path.join(PROJECT_ROOT, "bench", script), url],
    { encoding: "utf8", cwd: PROJECT_ROOT },
  );
  const line = stdout.split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
  const r = JSON.parse(line) as { requests: number; durationUs: number; errors: number; non2xx: number; p50Us: number; p99Us: number };
  // The process's CPU time over the run, per request served (NaN without `cpuOf`).
  const cpuUsPerRequest = cpuOf === undefined ? Number.NaN : ((cpuMsOf(cpuOf) - cpuBefore) * 1000) / r.requests;
  return { requests: r.requests, rps: r.requests / (r.durationUs / 1e6), p50Ms: r.p50Us / 1000, p99Ms: r.p99Us / 1000, errors: r.errors + r.non2xx, cpuUsPerRequest };
}

/** A quiet pause, so that one run's leftovers (background shadow work, GC, flushes) do not land in the next. */
export function settle(ms = 2000): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The targets in the order round `round` (from 1) runs them: rotated by one more each round,
 * so that no target always runs first, or always right after the same one.
 */
export function roundOrder<T>(targets: readonly T[], round: number): T[] {
  const shift = (round - 1) % Math.max(1, targets.length);
  return [...targets.slice(shift), ...targets.slice(0, shift)];
}

export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
}

/** CPU time (user + system) a process has used, in milliseconds, from /proc. */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks; fields[0] is field 3.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

export function machine() {
  const cpus = os.cpus();
  return { cpu: cpus[0]?.model ?? "unknown", cores: cpus.length, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, os: `${os.type()} ${os.release()}` };
}
