/**
 * Before/after in one run: the Worker as committed at a base revision and as it is in the
 * working tree, side by side in one workerd process with a bare pass-through, interleaved
 * rounds, throughput and CPU per request. What each hot-path change in RESULTS.md cites.
 *
 *   node bench/ab.ts [--base HEAD] [--rounds 6] [--seconds 4] [--path /bench/legacy/item] [--rate 500]
 *
 * With `--rate`, latency at that fixed request rate (open loop) instead of throughput: p50 and
 * p99 of base and working tree on the path, beside the working tree on the unshadowed legacy
 * route as a reference.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { startPlainWorkerd } from "../fixtures/plain-workerd.ts";
import { bundleRevision, forkDynamo, forkOrigin, OUT, seedTable } from "./stack.ts";
import { latencyRounds } from "./fixed-rate.ts";
import { median, requireWrk, roundOrder, settle, wrk } from "./wrk.ts";
import { flag, numberFlag } from "./args.ts";

const base = flag("base", "HEAD");
const rounds = numberFlag("rounds", 6);
const seconds = numberFlag("seconds", 4);
const requestPath = flag("path", "/bench/legacy/item");
const rate = numberFlag("rate", 0);
const PORTS = { legacy: 18201, candidate: 18202, bare: 18211, base: 18212, work: 18213, baseHeaders: 18214, workHeaders: 18215 };

async function main() {
  requireWrk();
  const dir = path.join(OUT, "ab");
  mkdirSync(dir, { recursive: true });
  bundleRevision(base, path.join(dir, "base"));
  bundleRevision(undefined, path.join(dir, "work"));

  const dynamo = await forkDynamo();
  const { connection } = dynamo;
  const endpoint = connection.endpoint;
  const children = [dynamo.process, await forkOrigin([PORTS.legacy, PORTS.candidate])];
  await seedTable(connection, { legacy: `http://127.0.0.1:${PORTS.legacy}`, candidate: `http://127.0.0.1:${PORTS.candidate}` });
  const upstream = `http://127.0.0.1:${PORTS.legacy}`;
  const cutover = (headers: "on" | "off") => ({ CUTOVER_DYNAMODB_TABLE: "cutover", CUTOVER_DYNAMODB_ENDPOINT: endpoint, CUTOVER_AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "bench", AWS_SECRET_ACCESS_KEY: "bench", CUTOVER_LEGACY_URL: upstream, CUTOVER_RESPONSE_HEADERS: headers });
  const workerd = await startPlainWorkerd({
    dir,
    config: "ab.capnp",
    workers: [
      { name: "bare", port: PORTS.bare, module: "../bare/index.js", bindings: { UPSTREAM: upstream } },
      { name: "base", port: PORTS.base, module: "base/index.js", bindings: cutover("off") },
      { name: "work", port: PORTS.work, module: "work/index.js", bindings: cutover("off") },
      { name: "base-headers", port: PORTS.baseHeaders, module: "base/index.js", bindings: cutover("on") },
      { name: "work-headers", port: PORTS.workHeaders, module: "work/index.js", bindings: cutover("on") },
    ],
  });
  const pid = workerd.process.pid as number;
  const targets: [string, string][] = [
    ["bare", `http://127.0.0.1:${PORTS.bare}${requestPath}`],
    [`base ${base}`, `http://127.0.0.1:${PORTS.base}${requestPath}`],
    ["working tree", `http://127.0.0.1:${PORTS.work}${requestPath}`],
    [`base ${base}, headers on`, `http://127.0.0.1:${PORTS.baseHeaders}${requestPath}`],
    ["working tree, headers on", `http://127.0.0.1:${PORTS.workHeaders}${requestPath}`],
  ];
  try {
    if (rate > 0) return await latencyReport([...targets.slice(0, 3), ["working tree, /bench/legacy/item", `http://127.0.0.1:${PORTS.work}/bench/legacy/item`]]);
    for (const [, url] of targets) await wrk(url, 2);
    const results = new Map(targets.map(([name]) => [name, { rps: [] as number[], cpu: [] as number[] }]));
    for (let round = 1; round <= rounds; round++) {
      for (const [name, url] of roundOrder(targets, round)) {
        await settle(1000);
        const load = await wrk(url, seconds, { cpuOf: pid });
        const cpu = load.cpuUsPerRequest;
        results.get(name)?.rps.push(load.rps);
        results.get(name)?.cpu.push(cpu);
        console.log(`round ${round}  ${name.padEnd(30)} ${load.rps.toFixed(0).padStart(6)} req/s  ${cpu.toFixed(1).padStart(6)} µs CPU/req${load.errors ? `  errors ${load.errors}` : ""}`);
      }
    }
    const bare = results.get("bare") as { rps: number[]; cpu: number[] };
    console.log(`\n${"target".padEnd(30)} ${"req/s".padStart(7)} ${"× bare".padStart(7)} ${"CPU µs".padStart(7)} ${"− bare".padStart(7)}   (median of ${rounds} rounds; spread of the per-round difference to bare)`);
    for (const [name] of targets) {
      const r = results.get(name) as { rps: number[]; cpu: number[] };
      const ratio = r.rps.map((rps, i) => rps / (bare.rps[i] as number));
      const over = r.cpu.map((cpu, i) => cpu - (bare.cpu[i] as number));
      console.log(
        `${name.padEnd(30)} ${median(r.rps).toFixed(0).padStart(7)} ${median(ratio).toFixed(2).padStart(7)} ${median(r.cpu).toFixed(1).padStart(7)} ${median(over).toFixed(1).padStart(7)}   ratio ${Math.min(...ratio).toFixed(2)}–${Math.max(...ratio).toFixed(2)}, CPU over bare ${Math.min(...over).toFixed(1)}–${Math.max(...over).toFixed(1)} µs`,
      );
    }
  } finally {
    await workerd.stop();
    for (const child of children) child.kill("SIGTERM");
  }
}

/** p50 and p99 at a fixed rate, interleaved rounds, medians. */
async function latencyReport(targets: [string, string][]): Promise<void> {
  const results = await latencyRounds(targets, { rate, rounds, seconds });
  console.log(`\n${"target".padEnd(34)} ${"p50 ms".padStart(7)} ${"p99 ms".padStart(7)}   (median of ${rounds} rounds at ${rate} req/s; spread)`);
  for (const [name] of targets) {
    const r = results.get(name) as { p50: number[]; p99: number[] };
    console.log(`${name.padEnd(34)} ${median(r.p50).toFixed(2).padStart(7)} ${median(r.p99).toFixed(2).padStart(7)}   p50 ${Math.min(...r.p50).toFixed(2)}–${Math.max(...r.p50).toFixed(2)}, p99 ${Math.min(...r.p99).toFixed(1)}–${Math.max(...r.p99).toFixed(1)}`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
