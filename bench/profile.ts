/**
 * Profiles cutover under load: CPU (V8 sampling profiler over workerd's inspector) and the
 * workerd process's RSS, while wrk drives one target. For finding what to optimize.
 *
 *   node bench/profile.ts ["cutover legacy route"] [seconds]
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { dashboardCookie, OUT, rssOf, startBenchStack } from "./stack.ts";

const { WebSocket } = createRequire(import.meta.url)("ws") as typeof import("ws");
const target = process.argv[2] ?? "cutover legacy route";
const seconds = Number(process.argv[3] ?? 10);
const INSPECTOR = 19229;
/** Load target → the workerd Worker serving it (bench/stack.ts). */
const WORKERS: Record<string, string> = { "cutover legacy route": "cutover", "cutover split route": "cutover", "cutover shadowed route": "cutover", "cutover, headers off": "cutover-quiet" };
/** Functions whose inclusive time is reported (what a feature costs, its callees included). */
const INCLUSIVE = (process.env.PROFILE_FUNCTIONS ?? "accountRequest,proxy").split(",");

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}

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
  const list = (await (await fetch(`http://127.0.0.1:${INSPECTOR}/json/list`)).json()) as { title: string; webSocketDebuggerUrl: string }[];
  console.log(`inspector targets: ${list.map((t) => t.title).join(", ")}`);
  const workerName = process.env.PROFILE_WORKER ?? WORKERS[target] ?? (target.split(" ")[0] as string);
  const worker = list.find((t) => t.title === workerName) ?? list.find((t) => t.title.includes(workerName)) ?? list[0];
  if (!worker) throw new Error("no inspector target");
  const socket = new WebSocket(worker.webSocketDebuggerUrl);
  await new Promise((resolve) => socket.once("open", resolve));
  let id = 0;
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const mine = ++id;
      const onMessage = (data: Buffer) => {
        const message = JSON.parse(String(data)) as { id?: number; result?: Record<string, unknown> };
        if (message.id === mine) {
          socket.off("message", onMessage);
          resolve(message.result ?? {});
        }
      };
      socket.on("message", onMessage);
      socket.send(JSON.stringify({ id: mine, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 100 });
  await send("Profiler.start");
  const rss: number[] = [];
  const sampler = setInterval(() => rss.push(Math.round(rssOf(stack.workerdPid) / 2 ** 20)), 1000);
  const { stdout } = await promisify(execFile)("wrk", ["-t1", "-c32", `-d${seconds}s`, ...headers, url]);
  clearInterval(sampler);
  const { profile } = (await send("Profiler.stop")) as { profile: { nodes: ProfileNode[]; samples: number[] } };
  writeFileSync(path.join(OUT, "cutover.cpuprofile"), JSON.stringify(profile));
  socket.close();

  const total = profile.samples.length;
  const self = new Map<string, number>();
  for (const node of profile.nodes) {
    const key = `${node.callFrame.functionName || "(anonymous)"} ${path.basename(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + node.hitCount);
  }
  console.log(stdout.split("\n").find((line) => line.includes("Requests/sec")));
  console.log(`workerd RSS (MB, per second): ${rss.join(" ")}`);
  console.log(`Top self time of ${total} samples:`);
  for (const [name, hits] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${((100 * hits) / total).toFixed(1).padStart(5)} %  ${name}`);
  // Inclusive: a node's hits plus its descendants', counted once per outermost matching frame.
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const subtree = (node: ProfileNode): number => node.hitCount + (node.children ?? []).reduce((sum, child) => sum + subtree(byId.get(child) as ProfileNode), 0);
  for (const name of INCLUSIVE) {
    let hits = 0;
    const walk = (node: ProfileNode) => {
      if (node.callFrame.functionName === name) hits += subtree(node);
      else for (const child of node.children ?? []) walk(byId.get(child) as ProfileNode);
    };
    walk(profile.nodes[0] as ProfileNode);
    console.log(`${((100 * hits) / total).toFixed(1).padStart(5)} %  inclusive ${name}`);
  }
} finally {
  stack.stop();
}
process.exit(0);
