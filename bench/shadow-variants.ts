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
import { mkdirSync } from "node:fs";
import path from "node:path";
import { startPlainWorkerd } from "../fixtures/plain-workerd.ts";
import type { WorkerSpec } from "../fixtures/workerd-config.ts";
import { numberFlag } from "./args.ts";
import { latencyRounds, type LatencyRuns } from "./fixed-rate.ts";
import { bundleBenchWorker, bundleRevision, forkDynamo, forkOrigin, OUT, seedTable } from "./stack.ts";
import { median } from "./wrk.ts";

const builds = process.argv.slice(2).filter((arg) => arg.includes("=")).map((arg) => arg.split("=", 2) as [string, string]);
const rate = numberFlag("rate", 500);
const rounds = numberFlag("rounds", 8);
const seconds = numberFlag("seconds", 6);
const PORTS = { legacy: 18301, candidate: 18302, bare: 18310, compare: 18311, builds: 18320 };

async function main() {
  if (builds.length === 0) throw new Error("name a build: node bench/shadow-variants.ts work=WORK base=HEAD");
  const dir = path.join(OUT, "variants");
  mkdirSync(dir, { recursive: true });
  for (const name of ["bare", "bare-compare"]) bundleBenchWorker(name, dir);
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
  const at = (port: number, route: string) => `http://127.0.0.1:${port}/bench/${route}/item`;
  const unshadowed = `${builds[0]?.[0]}, unshadowed`;
  const targets: [string, string][] = [
    ["bare", at(PORTS.bare, "shadow")],
    ["bare + compare", at(PORTS.compare, "shadow")],
    [unshadowed, at(PORTS.builds, "legacy")],
    ...builds.map(([name], i): [string, string] => [name, at(PORTS.builds + i, "shadow")]),
  ];
  try {
    const results = await latencyRounds(targets, { rate, rounds, seconds, cpuOf: workerd.process.pid as number });
    const reference = results.get(unshadowed) as LatencyRuns;
    console.log(`\n${"target".padEnd(28)} ${"p50 ms".padStart(7)} ${"p99 ms".padStart(7)} ${"CPU µs".padStart(7)} ${"× unsh.".padStart(8)} ${"CPU over unsh.".padStart(15)}   (medians of ${rounds} rounds at ${rate} req/s; per-round ratio and difference to the unshadowed route)`);
    for (const [name] of targets) {
      const r = results.get(name) as LatencyRuns;
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
