/**
 * What traffic accounting costs (issue 12):
 *
 * 1. Throughput and CPU per request of the same cutover Worker with accounting on and off,
 *    beside a bare pass-through Worker, on plain workerd, interleaved rounds.
 * 2. The workerd process's memory while one isolate serves unrouted traffic over 10 000
 *    distinct legacy paths (every one its own path template), and what its recorder holds.
 * 3. In process: an isolate's recorder after 1 000 000 requests over 10 000 distinct legacy
 *    paths, with the store up (heap, writes per flush) and down (the memory bound).
 *
 *   npm run bench:accounting               5 rounds of 5 s per target
 *   npm run bench:accounting -- --quick    2 rounds of 3 s
 *   npm run bench:accounting -- --in-process   part 3 only
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { toAttributes, type TrafficCounts } from "../accounting/traffic-counts.ts";
import { PROJECT_ROOT } from "../cli/wrangler-dev.ts";
import type { CellKey, InventoryCounts, MetricsStore } from "../store/metrics-store.ts";
import { createTrafficRecorder } from "../worker/traffic-recorder.ts";
import { OUT, rssOf, startBenchStack } from "./stack.ts";
import { machine, median, requireWrk, settle, wrk } from "./wrk.ts";

const quick = process.argv.includes("--quick");
const ROUNDS = quick ? 2 : 5;
const SECONDS = quick ? 3 : 5;

interface Run {
  readonly rps: number;
  readonly cpuUsPerRequest: number;
}

async function main() {
  requireWrk();
  const inProcess = await recorderMemory();
  console.log("In process, 1 000 000 requests over 10 000 legacy paths:", JSON.stringify(inProcess, null, 2));
  if (process.argv.includes("--in-process")) return;

  const stack = await startBenchStack();
  try {
    const targets = {
      bare: stack.targets.bare as string,
      "accounting on": `${stack.accountingTargets.on}/bench/legacy/item`,
      "accounting off": `${stack.accountingTargets.off}/bench/legacy/item`,
    };
    console.log("Warming up…");
    for (const url of Object.values(targets)) await wrk(url, 2);
    const runs: Record<string, Run[]> = Object.fromEntries(Object.keys(targets).map((name) => [name, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      // Each round in a different order, so that no target always follows the same one.
      const order = Object.entries(targets);
      if (round % 2 === 0) order.reverse();
      for (const [name, url] of order) {
        await settle();
        const load = await wrk(url, SECONDS, { cpuOf: stack.workerdPid });
        const cpuUsPerRequest = load.cpuUsPerRequest;
        runs[name]?.push({ rps: load.rps, cpuUsPerRequest });
        console.log(`round ${round}  ${name.padEnd(16)} ${load.rps.toFixed(0).padStart(7)} req/s  ${cpuUsPerRequest.toFixed(1).padStart(6)} µs CPU/request${load.errors ? `  errors ${load.errors}` : ""}`);
      }
    }
    const summary = Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, spread(list)]));
    // Paired per round: on/off of the same round saw the same machine noise.
    const paired = (runs["accounting on"] ?? []).map((on, i) => {
      const off = runs["accounting off"]?.[i] as Run;
      const bare = runs.bare?.[i] as Run;
      return { throughputCostOfBare: (off.rps - on.rps) / bare.rps, cpuUsPerRequest: on.cpuUsPerRequest - off.cpuUsPerRequest };
    });
    const bareCpuNs = (summary.bare?.cpuUsPerRequest ?? 0) * 1000;
    const overhead = {
      // What recording a request costs (in process, exact), against what the bare Worker's request costs workerd.
      recordShareOfBareCpuPercent: { routed: round2((inProcess.routed.nsPerRequest / bareCpuNs) * 100), unrouted: round2((inProcess.unrouted.nsPerRequest / bareCpuNs) * 100) },
      throughputCostPercentOfBare: round2(median(paired.map((p) => p.throughputCostOfBare)) * 100),
      throughputCostPercentOfBarePerRound: paired.map((p) => round2(p.throughputCostOfBare * 100)),
      cpuUsPerRequest: round2(median(paired.map((p) => p.cpuUsPerRequest))),
      cpuUsPerRequestPerRound: paired.map((p) => round2(p.cpuUsPerRequest)),
    };

    console.log("Unrouted traffic over 10 000 distinct legacy paths, accounting on…");
    await settle();
    const rssBefore = rssOf(stack.workerdPid);
    const legacyPaths = await wrk(stack.accountingTargets.on, quick ? 5 : 20, { script: "wrk-legacy-paths.lua" });
    await settle(12_000); // one flush interval: what waits is what the store has not taken yet
    const health = (await (await fetch(`${stack.accountingTargets.on}/_cutover/health`)).json()) as { isolate: unknown };
    const workerdMemory = {
      requests: legacyPaths.requests,
      rps: Math.round(legacyPaths.rps),
      rssBeforeMb: round2(rssBefore / 2 ** 20),
      rssGrowthMb: round2((rssOf(stack.workerdPid) - rssBefore) / 2 ** 20),
      isolate: health.isolate,
    };
    console.log(JSON.stringify(workerdMemory, null, 2));

    const result = { date: new Date().toISOString(), machine: machine(), settings: { rounds: ROUNDS, secondsPerRun: SECONDS }, load: summary, overhead, workerdMemory, inProcess };
    const json = `${JSON.stringify(result, null, 2)}\n`;
    writeFileSync(path.join(OUT, `accounting-${result.date.replace(/[:.]/g, "-")}.json`), json);
    if (!quick) writeFileSync(path.join(PROJECT_ROOT, "bench", "results-accounting.json"), json);
    console.log(`\n${JSON.stringify({ load: summary, overhead }, null, 2)}`);
  } finally {
    stack.stop();
  }
}

/**
 * One isolate's recorder, 1 000 000 requests (1 000 per simulated second, so 17 minutes of
 * cells), flushing every simulated 10 s into a store that counts writes (up) or refuses them
 * all (down): routed requests over 20 routes × 2 backends, or unrouted ones over 10 000
 * distinct legacy paths (each its own path template; the path string is built in the loop).
 */
async function recorderMemory() {
  const gc = exposeGc();
  const routes = Array.from({ length: 20 }, (_, i) => `route-${i}`);
  const measure = async (storeUp: boolean, traffic: "routed" | "unrouted") => {
    let now = Date.parse("2026-11-25T12:00:00Z");
    let writes = 0;
    let inventoryWrites = 0;
    let itemBytes = 0;
    const store: MetricsStore = {
      async add(_key: CellKey, counts: TrafficCounts) {
        if (!storeUp) return { retry: counts, lost: 0 };
        writes++;
        itemBytes = Math.max(itemBytes, JSON.stringify(toAttributes(counts)).length);
        return { retry: undefined, lost: 0 };
      },
      async addInventory(entries: ReadonlyMap<string, InventoryCounts>) {
        if (!storeUp) return { retry: new Map(entries), lost: 0, unadmitted: 0 };
        inventoryWrites += entries.size;
        return { retry: undefined, lost: 0, unadmitted: 0 };
      },
      storedTemplates: async () => 0,
      minutes: async () => [],
      hours: async () => [],
      inventory: async () => [],
    };
    gc();
    const heapBefore = v8.getHeapStatistics().used_heap_size;
    // Flushed by hand every simulated 10 s (flushMs 0: every call flushes), outside the timing.
    const recorder = createTrafficRecorder({ store, flushMs: 0, now: () => now, onError: () => {} });
    let recording = 0n;
    let flushes = 0;
    let started = process.hrtime.bigint();
    for (let i = 0; i < 1_000_000; i++) {
      now += 1;
      if (traffic === "routed") {
        recorder.record({ route: routes[i % 20] as string, arm: "split", attempts: [{ backend: i % 3 === 0 ? "new" : "legacy", result: { kind: "response", status: 200 }, ms: 5 + (i % 50) }] });
      } else {
        const area = (i * 7919) % 10_000;
        recorder.record({ route: "(default)", arm: "default", attempts: [{ backend: "legacy", result: { kind: "response", status: 200 }, ms: 12 }], unrouted: { path: `/legacy/area${area}/items/${i}`, method: "GET" } });
      }
      if (i % 10_000 === 9_999) {
        recording += process.hrtime.bigint() - started;
        flushes++;
        await recorder.flushIfDue();
        started = process.hrtime.bigint();
      }
    }
    const nsPerRequest = Number(recording) / 1_000_000;
    gc();
    const heapAfter = v8.getHeapStatistics().used_heap_size;
    return {
      traffic,
      storeUp,
      nsPerRequest: Math.round(nsPerRequest),
      heapGrowthMb: round2((heapAfter - heapBefore) / 2 ** 20),
      health: recorder.health(),
      flushes,
      cellWritesPerFlush: round2(writes / flushes),
      inventoryWritesPerFlush: round2(inventoryWrites / flushes),
      largestCellItemBytes: itemBytes,
    };
  };
  return {
    routed: await measure(true, "routed"),
    unrouted: await measure(true, "unrouted"),
    unroutedStoreDown: await measure(false, "unrouted"),
  };
}

function exposeGc(): () => void {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}

function spread(list: readonly Run[]) {
  const rps = list.map((r) => r.rps);
  const cpu = list.map((r) => r.cpuUsPerRequest);
  return {
    rps: Math.round(median(rps)),
    rpsRange: [Math.round(Math.min(...rps)), Math.round(Math.max(...rps))],
    cpuUsPerRequest: round2(median(cpu)),
    cpuRange: [round2(Math.min(...cpu)), round2(Math.max(...cpu))],
  };
}

const round2 = (value: number) => Math.round(value * 100) / 100;

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
