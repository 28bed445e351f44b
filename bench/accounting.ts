/**
 * What traffic accounting costs (issue 12):
 *
 * 1. Throughput and CPU per request of the same cutover Worker with accounting on and off,
 *    beside a bare pass-through Worker, on plain workerd, interleaved rounds.
 * 2. The workerd process's memory while one isolate serves unrouted traffic over 10 000
 *    distinct legacy paths (every one its own path template), and what its recorder holds.
 * 3. In process: an isolate's recorder after 1 000 000 requests over 10 000 distinct legacy
 *    paths, with the store up (heap, writes per flush) and down (the memory bound); and over
 *    20 split routes from 5 000 client addresses (the rollout evidence path: cells per table
 *    version with user sketches, and what they write per flush).
 * 4. On plain workerd: a split route with a client address per request, accounting on and off
 *    (what counting a split request, evidence included, costs the Worker).
 *
 *   npm run bench:accounting               5 rounds of 5 s per target
 *   npm run bench:accounting -- --quick    2 rounds of 3 s
 *   npm run bench:accounting -- --in-process   part 3 only
 *   npm run bench:accounting -- --rounds 3 --seconds 4   (not saved to results-accounting.json)
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { emptyEvidence, mergeEvidence, type EvidenceCounts } from "../accounting/evidence-counts.ts";
import type { TrafficCounts } from "../accounting/traffic-counts.ts";
import { userOf } from "../accounting/users.ts";
import { PROJECT_ROOT } from "../cli/wrangler-dev.ts";
import type { CellKey, EvidenceKey, InventoryCounts, MetricsStore } from "../store/metrics-store.ts";
import { evidenceToAttributes, toAttributes } from "../store/traffic-attributes.ts";
import { createTrafficRecorder } from "../worker/traffic-recorder.ts";
import { numberFlag } from "./args.ts";
import { OUT, rssOf, startBenchStack } from "./stack.ts";
import { machine, median, requireWrk, settle, wrk } from "./wrk.ts";

const quick = process.argv.includes("--quick");
const ROUNDS = numberFlag("rounds", quick ? 2 : 5);
const SECONDS = numberFlag("seconds", quick ? 3 : 5);
/** Only a full run at the defaults replaces bench/results-accounting.json. */
const SAVE = !quick && !process.argv.includes("--rounds") && !process.argv.includes("--seconds");

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
      "split, accounting on": `${stack.accountingTargets.on}/bench/split/item`,
      "split, accounting off": `${stack.accountingTargets.off}/bench/split/item`,
    };
    // Split requests from 5 000 client addresses: each one is a user of the rollout evidence.
    const usersScript = path.join("out", "wrk-split-users.lua");
    writeFileSync(path.join(OUT, "wrk-split-users.lua"), SPLIT_USERS_LUA);
    const scriptOf = (name: string) => (name.startsWith("split") ? { script: usersScript } : {});
    console.log("Warming up…");
    for (const [name, url] of Object.entries(targets)) await wrk(url, 2, scriptOf(name));
    const runs: Record<string, Run[]> = Object.fromEntries(Object.keys(targets).map((name) => [name, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      // Each round in a different order, so that no target always follows the same one.
      const order = Object.entries(targets);
      if (round % 2 === 0) order.reverse();
      for (const [name, url] of order) {
        await settle();
        const load = await wrk(url, SECONDS, { cpuOf: stack.workerdPid, ...scriptOf(name) });
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
    const pairedSplit = (runs["split, accounting on"] ?? []).map((on, i) => on.cpuUsPerRequest - (runs["split, accounting off"]?.[i] as Run).cpuUsPerRequest);
    const bareCpuNs = (summary.bare?.cpuUsPerRequest ?? 0) * 1000;
    const overhead = {
      // What recording a request costs (in process, exact), against what the bare Worker's request costs workerd.
      recordShareOfBareCpuPercent: { routed: round2((inProcess.routed.nsPerRequest / bareCpuNs) * 100), unrouted: round2((inProcess.unrouted.nsPerRequest / bareCpuNs) * 100) },
      throughputCostPercentOfBare: round2(median(paired.map((p) => p.throughputCostOfBare)) * 100),
      throughputCostPercentOfBarePerRound: paired.map((p) => round2(p.throughputCostOfBare * 100)),
      cpuUsPerRequest: round2(median(paired.map((p) => p.cpuUsPerRequest))),
      cpuUsPerRequestPerRound: paired.map((p) => round2(p.cpuUsPerRequest)),
      splitCpuUsPerRequest: round2(median(pairedSplit)),
      splitCpuUsPerRequestPerRound: pairedSplit.map(round2),
      splitRecordNsPerRequest: inProcess.split.nsPerRequest,
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
    if (SAVE) writeFileSync(path.join(PROJECT_ROOT, "bench", "results-accounting.json"), json);
    console.log(`\n${JSON.stringify({ load: summary, overhead }, null, 2)}`);
  } finally {
    stack.stop();
  }
}

/**
 * One isolate's recorder, 1 000 000 requests (1 000 per simulated second, so 17 minutes of
 * cells), flushing every simulated 10 s into a store that counts writes (up) or refuses them
 * all (down): routed requests over 20 routes × 2 backends, or unrouted ones over 10 000
 * distinct legacy paths (each its own path template; the path string is built in the loop),
 * or split requests over 20 routes × 2 backends from 5 000 client addresses under one table
 * version (minute cells, and the evidence cells a rollout reads, with their user sketches).
 */
async function recorderMemory() {
  const gc = exposeGc();
  const routes = Array.from({ length: 20 }, (_, i) => `route-${i}`);
  // The addresses exist before the request is recorded (a header the runtime hands over).
  const clients = Array.from({ length: 5000 }, (_, i) => `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`);
  const measure = async (storeUp: boolean, traffic: "routed" | "unrouted" | "split") => {
    let now = Date.parse("2026-11-25T12:00:00Z");
    let writes = 0;
    let evidenceWrites = 0;
    let inventoryWrites = 0;
    let itemBytes = 0;
    let evidenceWriteBytes = 0;
    /** What DynamoDB holds for each evidence cell: the union of every write (its size is what each write is billed on). */
    const storedEvidence = new Map<string, EvidenceCounts>();
    const store: MetricsStore = {
      async add(_key: CellKey, counts: TrafficCounts) {
        if (!storeUp) return { retry: counts, lost: 0 };
        writes++;
        itemBytes = Math.max(itemBytes, JSON.stringify(toAttributes(counts)).length);
        return { retry: undefined, lost: 0 };
      },
      async addEvidence(key: EvidenceKey, counts: EvidenceCounts) {
        if (!storeUp) return { retry: counts, lost: 0 };
        evidenceWrites++;
        evidenceWriteBytes = Math.max(evidenceWriteBytes, dynamoBytes(evidenceToAttributes(counts)));
        const id = `${key.route}|${key.version}|${key.backend}`;
        mergeEvidence(storedEvidence.get(id) ?? storedEvidence.set(id, emptyEvidence()).get(id) ?? emptyEvidence(), counts);
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
      evidence: async () => [],
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
      } else if (traffic === "split") {
        const status = i % 97 === 0 ? 503 : i % 31 === 0 ? 404 : 200;
        recorder.record({ route: routes[i % 20] as string, arm: "split", version: 7, user: userOf(clients[(i * 7919) % 5000], () => undefined), attempts: [{ backend: i % 3 === 0 ? "new" : "legacy", result: { kind: "response", status }, ms: 5 + (i % 50) }] });
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
      evidenceWritesPerFlush: round2(evidenceWrites / flushes),
      inventoryWritesPerFlush: round2(inventoryWrites / flushes),
      largestCellItemBytes: itemBytes,
      // What one evidence write adds, and the largest evidence item stored (DynamoDB's size: a write is billed on it, 1 WRU per KB).
      largestEvidenceWriteBytes: evidenceWriteBytes,
      largestStoredEvidenceItemBytes: Math.max(0, ...[...storedEvidence.values()].map((cell) => dynamoBytes(evidenceToAttributes(cell)))),
    };
  };
  return {
    routed: await measure(true, "routed"),
    split: await measure(true, "split"),
    unrouted: await measure(true, "unrouted"),
    unroutedStoreDown: await measure(false, "unrouted"),
  };
}

/**
 * An evidence item's attributes as DynamoDB sizes them: a name's bytes, and a number's one byte
 * per two significant digits plus one (a number set: each member so).
 */
function dynamoBytes(attributes: { readonly counters: Record<string, number>; readonly numberSets: Record<string, number[]> }): number {
  const numberBytes = (value: number) => Math.ceil(String(Math.abs(value)).replace(/^0+|\./g, "").length / 2) + 1;
  let bytes = 0;
  for (const [name, value] of Object.entries(attributes.counters)) bytes += name.length + numberBytes(value);
  for (const [name, members] of Object.entries(attributes.numberSets)) if (members.length > 0) bytes += name.length + members.reduce((sum, member) => sum + numberBytes(member), 0);
  return bytes;
}

/** wrk's request function for the split targets: a client address per request, 5 000 of them. */
const SPLIT_USERS_LUA = `dofile("bench/wrk-report.lua")
math.randomseed(11)
request = function()
  local n = math.random(0, 4999)
  wrk.headers["cf-connecting-ip"] = string.format("198.18.%d.%d", math.floor(n / 250), n % 250 + 1)
  return wrk.format()
end
`;

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
