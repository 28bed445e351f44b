/**
 * The shadowed route's client latency at a fixed rate, against the same route unshadowed,
 * interleaved over rounds, with where the slow requests fell (a stall shows as a burst in
 * one second of a run). For finding and checking the cause of shadow tails.
 *
 *   node bench/shadow-tails.ts [rate=500] [seconds=10] [rounds=3]
 */
import { execFileSync } from "node:child_process";
import { fixedRate } from "./fixed-rate.ts";
import { startBenchStack } from "./stack.ts";
import { settle } from "./wrk.ts";

const rate = Number(process.argv[2] ?? 500);
const seconds = Number(process.argv[3] ?? 10);
const rounds = Number(process.argv[4] ?? 3);

const stack = await startBenchStack();
// Diagnosis: WORKERD_NICE=-10 runs workerd ahead of the load generator and the origins.
if (process.env.WORKERD_NICE) execFileSync("renice", ["-n", process.env.WORKERD_NICE, "-p", String(stack.workerdPid)]);
try {
  // The origin alone and the bare Worker: the latency floor of this machine and of workerd.
  const all: Record<string, string> = {
    origin: "http://127.0.0.1:18101/bench/legacy/item",
    bare: stack.shadowFloor.bare,
    "bare+copy": stack.shadowFloor.copied,
    "bare+compare": stack.shadowFloor.compared,
    floor: stack.shadowFloor.floor,
    "floor+compare": stack.shadowFloor.floorCompared,
    unshadowed: stack.targets["cutover legacy route"] as string,
    shadowed: stack.targets["cutover shadowed route"] as string,
  };
  const only = process.env.TARGETS?.split(",");
  const targets = Object.fromEntries(Object.entries(all).filter(([name]) => !only || only.includes(name)));
  for (const url of Object.values(targets)) await fixedRate(url, rate, 2);
  for (let round = 1; round <= rounds; round++) {
    const order = Object.entries(targets);
    if (round % 2 === 0) order.reverse();
    for (const [name, url] of order) {
      await settle();
      const r = await fixedRate(url, rate, seconds);
      console.log(
        `round ${round} ${name.padEnd(10)} p50 ${r.p50Ms.toFixed(2)} p99 ${r.p99Ms.toFixed(2)} p99.9 ${r.p999Ms.toFixed(2)} max ${r.maxMs.toFixed(1)} ms (generator lag p50 ${r.sendLagP50Ms.toFixed(2)}) errors ${r.errors} slow/s ${JSON.stringify(r.slowBySecond)}`,
      );
    }
  }
} finally {
  stack.stop();
}
process.exit(0);
