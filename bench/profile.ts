/**
 * Profiles cutover under load: CPU (V8 sampling profiler over workerd's inspector) and the
 * workerd process's RSS, while wrk drives one target. For finding what to optimize.
 *
 *   node bench/profile.ts ["cutover legacy route"] [seconds]
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { inclusiveTime, profilerOf, selfTime } from "./inspector.ts";
import { dashboardCookie, OUT, rssOf, startBenchStack } from "./stack.ts";

const target = process.argv[2] ?? "cutover legacy route";
const seconds = Number(process.argv[3] ?? 10);
const INSPECTOR = 19229;
/** Load target → the workerd Worker serving it (bench/stack.ts). */
const WORKERS: Record<string, string> = { "cutover legacy route": "cutover", "cutover split route": "cutover", "cutover shadowed route": "cutover", "cutover, headers off": "cutover-quiet" };
/** Functions whose inclusive time is reported (what a feature costs, its callees included). */
const INCLUSIVE = (process.env.PROFILE_FUNCTIONS ?? "accountRequest,proxy").split(",");

const stack = await startBenchStack({ inspectorPort: INSPECTOR });
try {
  // A URL instead of a target name: PROFILE_WORKER names its Worker, PROFILE_HEADERS (one per line) go with every request.
  const url = target.startsWith("http") ? target : stack.targets[target];
  if (!url) throw new Error(`unknown target ${target}; one of ${Object.keys(stack.targets).join(", ")}`);
  // Warm up first: workerd lists a Worker's isolate for inspection once it has served.
  const headers = (process.env.PROFILE_HEADERS ?? "").split("\n").filter(Boolean).flatMap((header) => ["-H", header]);
  // A dashboard page: signed in with the benchmark's admin token.
  if (url.includes("/_cutover/")) headers.push("-H", `Cookie: ${await dashboardCookie(new URL(url).origin)}`);
  await promisify(execFile)("wrk", ["-t1", "-c32", "-d2s", ...headers, url]);
  const workerName = process.env.PROFILE_WORKER ?? WORKERS[target] ?? (target.split(" ")[0] as string);
  const profiler = await profilerOf(INSPECTOR, workerName);
  console.log(`inspector targets: ${profiler.targets.join(", ")}`);
  await profiler.start();
  const rss: number[] = [];
  const sampler = setInterval(() => rss.push(Math.round(rssOf(stack.workerdPid) / 2 ** 20)), 1000);
  const { stdout } = await promisify(execFile)("wrk", ["-t1", "-c32", `-d${seconds}s`, ...headers, url]);
  clearInterval(sampler);
  const profile = await profiler.stop();
  writeFileSync(path.join(OUT, "cutover.cpuprofile"), JSON.stringify(profile));
  const total = profile.samples.length;
  console.log(stdout.split("\n").find((line) => line.includes("Requests/sec")));
  console.log(`workerd RSS (MB, per second): ${rss.join(" ")}`);
  console.log(`Top self time of ${total} samples:`);
  for (const [name, hits] of selfTime(profile).slice(0, 30)) console.log(`${((100 * hits) / total).toFixed(1).padStart(5)} %  ${name}`);
  for (const name of INCLUSIVE) console.log(`${((100 * inclusiveTime(profile, name)) / total).toFixed(1).padStart(5)} %  inclusive ${name}`);
} finally {
  stack.stop();
}
process.exit(0);
