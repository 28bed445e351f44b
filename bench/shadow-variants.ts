/**
 * The shadowed route of several builds side by side at a fixed request rate: each build's
 * client p50 and p99 and workerd's CPU per request, interleaved rounds in one workerd process,
 * beside the bare Worker, the floor of a comparison (bench/workers/bare-compare.js) and the
 * first build's unshadowed legacy route. How RESULTS.md attributes a shadow copy's cost:
 * builds of the working tree with one step taken out each.
 *
 *   node bench/shadow-variants.ts name=revision [name=revision ...] [--rate 500] [--rounds 8] [--seconds 6]
 *
 * A revision is anything `git worktree add` takes; `WORK` is the working tree.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../cli/wrangler-dev.ts";
import { startPlainWorkerd } from "../fixtures/plain-workerd.ts";
import type { WorkerSpec } from "../fixtures/workerd-config.ts";
import { numberFlag } from "./args.ts";
import { fixedRate } from "./fixed-rate.ts";
import { bundleRevision, forkDynamo, forkOrigin, OUT, seedTable } from "./stack.ts";
import { cpuMsOf, median, settle } from "./wrk.ts";

const builds = process.argv.slice(2).filter((arg) => arg.includes("=")).map((arg) => arg.split("=", 2) as [string, string]);
const rate = numberFlag("rate", 500);
const rounds = numberFlag("rounds", 8);
const seconds = numberFlag("seconds", 6);
const PORTS = { legacy: 18301, candidate: 18302, bare: 18310, compare: 18311, builds: 18320 };

async function main() {
  if (builds.length === 0) throw new Error("name a build: node bench/shadow-variants.ts work=WORK base=HEAD");
  const dir = path.join(OUT, "variants");
  mkdirSync(dir, { recursive: true });
  const esbuild = path.join(PROJECT_ROOT, "node_modules", ".bin", "esbuild");
  for (const name of ["bare", "bare-compare"]) {
    execFileSync(esbuild, [`bench/workers/${name}.js`, "--bundle", "--format=esm", `--outfile=${path.join(dir, name, "index.js")}`, "--log-level=error"], { cwd: PROJECT_ROOT });
  }
  for (const [name, revision] of builds) bundleRevision(revision === "WORK" ? undefined : revision, path.join(dir, `build-${name}`));

  const dynamo = await forkDynamo();
  const legacy = `http://127.0.0.1:${PORTS.legacy}`;
  const candidate = `http://127.0.0.1:${PORTS.candidate}`;
  // The control and the candidate origin in processes of their own.
  const children = [dynamo.process, await forkOrigin([PORTS.legacy]), await forkOrigin([PORTS.candidate])];
  await seedTable(dynamo.connection, { legacy, candidate });
  const { endpoint } = dynamo.connection;
  const cutover = { CUTOVER_DYNAMODB_TABLE: "cutover", CUTOVER_DYNAMODB_ENDPOINT: endpoint, CUTOVER_AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "bench", AWS_SECRET_ACCESS_KEY: "bench", CUTOVER_LEGACY_URL: legacy, CUTOVER_RESPONSE_HEADERS: "off" };
  const workers: WorkerSpec[] = [
    { name: "bare", port: PORTS.bare, module: "bare/index.js", bindings: { UPSTREAM: legacy } },
    { name: "bare-compare", port: PORTS.compare, module: "bare-compare/index.js", bindings: { UPSTREAM: legacy, CANDIDATE: candidate } },
    ...builds.map(([name], i) => ({ name: `build-${i}`, port: PORTS.builds + i, module: `build-${name}/index.js`, bindings: cutover })),
  ];
  const workerd = await startPlainWorkerd({ dir, config: "variants.capnp", workers });
  const pid = workerd.process.pid as number;
  const at = (port: number, route: string) => `http://127.0.0.1:${port}/bench/${route}/item`;
  const unshadowed = `${builds[0]?.[0]}, unshadowed`;
  const targets: [string, string][] = [
    ["bare", at(PORTS.bare, "shadow")],
    ["bare + compare", at(PORTS.compare, "shadow")],
    [unshadowed, at(PORTS.builds, "legacy")],
    ...builds.map(([name], i): [string, string] => [name, at(PORTS.builds + i, "shadow")]),
  ];
  try {
    for (const [, url] of targets) await fixedRate(url, rate, 2);
    const results = new Map(targets.map(([name]) => [name, { p50: [] as number[], p99: [] as number[], cpu: [] as number[] }]));
    for (let round = 1; round <= rounds; round++) {
      const order = [...targets];
      for (let i = 0; i < round - 1; i++) order.push(order.shift() as [string, string]);
      for (const [name, url] of order) {
        await settle(1000);
        const before = cpuMsOf(pid);
        const run = await fixedRate(url, rate, seconds);
        const cpu = ((cpuMsOf(pid) - before) * 1000) / run.sent;
        const r = results.get(name) as { p50: number[]; p99: number[]; cpu: number[] };
        r.p50.push(run.p50Ms);
        r.p99.push(run.p99Ms);
        r.cpu.push(cpu);
        console.log(`round ${round}  ${name.padEnd(28)} p50 ${run.p50Ms.toFixed(2)} ms  p99 ${run.p99Ms.toFixed(1)} ms  ${cpu.toFixed(0)} µs CPU/req${run.errors ? `  errors ${run.errors}` : ""}`);
      }
    }
    const reference = results.get(unshadowed) as { p50: number[]; cpu: number[] };
    console.log(`\n${"target".padEnd(28)} ${"p50 ms".padStart(7)} ${"p99 ms".padStart(7)} ${"CPU µs".padStart(7)} ${"× unsh.".padStart(8)} ${"CPU over unsh.".padStart(15)}   (medians of ${rounds} rounds at ${rate} req/s; per-round ratio and difference to the unshadowed route)`);
    for (const [name] of targets) {
      const r = results.get(name) as { p50: number[]; p99: number[]; cpu: number[] };
      const ratio = r.p50.map((p50, i) => p50 / (reference.p50[i] as number));
      const over = r.cpu.map((cpu, i) => cpu - (reference.cpu[i] as number));
      console.log(
        `${name.padEnd(28)} ${median(r.p50).toFixed(2).padStart(7)} ${median(r.p99).toFixed(1).padStart(7)} ${median(r.cpu).toFixed(0).padStart(7)} ${median(ratio).toFixed(2).padStart(8)} ${median(over).toFixed(0).padStart(15)}   p50 ${Math.min(...r.p50).toFixed(2)}–${Math.max(...r.p50).toFixed(2)}, CPU ${Math.min(...r.cpu).toFixed(0)}–${Math.max(...r.cpu).toFixed(0)}`,
      );
    }
  } finally {
    await workerd.stop();
    for (const child of children) child.kill("SIGTERM");
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
