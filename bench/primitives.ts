/**
 * One-file Workers, each bare plus one runtime primitive cutover needs, in one workerd
 * process, interleaved rounds: what each primitive costs in throughput and CPU per request
 * on this machine (bench/workers/primitives/*.js). The floor under cutover's hot path.
 *
 *   node bench/primitives.ts [--rounds 6] [--seconds 4]
 */
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../cli/wrangler-dev.ts";
import { startPlainWorkerd } from "../fixtures/plain-workerd.ts";
import { forkOrigin, OUT } from "./stack.ts";
import { median, requireWrk, roundOrder, settle, wrk } from "./wrk.ts";
import { numberFlag } from "./args.ts";

const ROUNDS = numberFlag("rounds", 6);
const SECONDS = numberFlag("seconds", 4);
const ORIGIN = 18401;

async function main() {
  requireWrk();
  const dir = path.join(OUT, "primitives");
  mkdirSync(dir, { recursive: true });
  const source = path.join(PROJECT_ROOT, "bench", "workers", "primitives");
  const names = ["bare", "floor", ...readdirSync(source).filter((f) => f.endsWith(".js")).map((f) => f.slice(0, -3))];
  copyFileSync(path.join(PROJECT_ROOT, "bench", "workers", "bare.js"), path.join(dir, "bare.js"));
  copyFileSync(path.join(PROJECT_ROOT, "bench", "workers", "floor.js"), path.join(dir, "floor.js"));
  for (const file of readdirSync(source)) copyFileSync(path.join(source, file), path.join(dir, file));
  const origin = await forkOrigin([ORIGIN]);
  const workers = names.map((name, i) => ({ name, port: 18410 + i, module: `${name}.js`, bindings: { UPSTREAM: `http://127.0.0.1:${ORIGIN}` } }));
  const workerd = await startPlainWorkerd({ dir, config: "primitives.capnp", workers });
  const pid = workerd.process.pid as number;
  try {
    for (const w of workers) await wrk(`http://127.0.0.1:${w.port}/item`, 2);
    const runs = new Map(names.map((name) => [name, { rps: [] as number[], cpu: [] as number[] }]));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const w of roundOrder(workers, round)) {
        await settle(1000);
        const load = await wrk(`http://127.0.0.1:${w.port}/item`, SECONDS, { cpuOf: pid });
        runs.get(w.name)?.rps.push(load.rps);
        runs.get(w.name)?.cpu.push(load.cpuUsPerRequest);
      }
      console.log(`round ${round} done`);
    }
    const bare = runs.get("bare") as { rps: number[]; cpu: number[] };
    console.log(`\n${"worker".padEnd(18)} ${"× bare".padStart(7)} ${"CPU − bare µs".padStart(14)}   spread (per-round differences to bare)`);
    for (const name of names) {
      const r = runs.get(name) as { rps: number[]; cpu: number[] };
      const ratio = r.rps.map((v, i) => v / (bare.rps[i] as number));
      const over = r.cpu.map((v, i) => v - (bare.cpu[i] as number));
      console.log(`${name.padEnd(18)} ${median(ratio).toFixed(2).padStart(7)} ${median(over).toFixed(1).padStart(14)}   ${Math.min(...ratio).toFixed(2)}–${Math.max(...ratio).toFixed(2)}, ${Math.min(...over).toFixed(0)}–${Math.max(...over).toFixed(0)} µs`);
    }
  } finally {
    await workerd.stop();
    origin.kill("SIGTERM");
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
