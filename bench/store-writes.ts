/**
 * DynamoDB writes per 1 000 requests (issue 16): the Worker as committed at a base revision
 * and as it is in the working tree, each as several Worker processes (isolates) over its own
 * table behind a proxy that counts writes by kind of item, under the same traffic: half to a
 * legacy route, half to a shadowed route whose candidate answers as the legacy app does (every
 * comparison matches). At a low per-isolate rate (requests further apart than a flush) and a
 * high one; each run ends once the last flushes are in.
 *
 *   node bench/store-writes.ts [--base HEAD] [--isolates 3] [--low-seconds 60] [--high-seconds 60] [--high-rate 40]
 *
 * Each revision runs with its own defaults (no flush settings are passed).
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { startDynamoProxy, type DynamoProxy } from "../fixtures/dynamo-proxy.ts";
import { startPlainWorkerd, type PlainWorkerd } from "../fixtures/plain-workerd.ts";
import { bundleRevision, forkDynamo, forkOrigin, OUT, seedTable } from "./stack.ts";
import { settle } from "./wrk.ts";
import { flag, numberFlag } from "./args.ts";

const base = flag("base", "HEAD");
const ISOLATES = numberFlag("isolates", 3);
const LOW_SECONDS = numberFlag("low-seconds", 60);
const HIGH_SECONDS = numberFlag("high-seconds", 60);
const HIGH_RATE = numberFlag("high-rate", 40);
/** Past the last request: long enough for either revision's last flush (at most 20 s after, and its sends). */
const DRAIN_MS = 35_000;
const ORIGIN_PORT = 18401;
let nextPort = 18410;

interface Side {
  readonly name: string;
  readonly proxy: DynamoProxy;
  readonly urls: string[];
  readonly processes: PlainWorkerd[];
}

async function main() {
  const dir = path.join(OUT, "store-writes");
  mkdirSync(dir, { recursive: true });
  bundleRevision(base, path.join(dir, "base"));
  bundleRevision(undefined, path.join(dir, "work"));
  const { process: dynamo, connection } = await forkDynamo();
  const origin = await forkOrigin([ORIGIN_PORT]);
  const sides: Side[] = [];
  try {
    const endpoint = connection.endpoint;
    const originUrl = `http://127.0.0.1:${ORIGIN_PORT}`;
    for (const [name, module] of [
      [`base ${base}`, "base/index.js"],
      ["working tree", "work/index.js"],
    ] as const) {
      const tableName = `writes-${module.split("/")[0]}`;
      await seedTable(connection, { legacy: originUrl, candidate: originUrl }, tableName);
      const proxy = await startDynamoProxy(endpoint);
      const side: Side = { name, proxy, urls: [], processes: [] };
      sides.push(side);
      for (let i = 0; i < ISOLATES; i++) {
        const port = nextPort++;
        side.processes.push(
          await startPlainWorkerd({
            dir,
            config: `${tableName}-${i}.capnp`,
            workers: [
              {
                name: `${tableName}-${i}`,
                port,
                module,
                bindings: { CUTOVER_DYNAMODB_TABLE: tableName, CUTOVER_DYNAMODB_ENDPOINT: proxy.endpoint, AWS_ACCESS_KEY_ID: "bench", AWS_SECRET_ACCESS_KEY: "bench", CUTOVER_RESPONSE_HEADERS: "off" },
              },
            ],
          }),
        );
        side.urls.push(`http://127.0.0.1:${port}`);
      }
    }
    const rows: string[] = [];
    for (const [label, seconds, perSecond] of [
      ["low (one request per route every 10 s per isolate)", LOW_SECONDS, 0.1],
      [`high (${HIGH_RATE} requests/s per isolate, half shadowed)`, HIGH_SECONDS, HIGH_RATE / 2],
    ] as const) {
      for (const side of sides) side.proxy.reset();
      // Both revisions under the same traffic at once: counts, not timings, are measured.
      const sent = await Promise.all(sides.map((side) => traffic(side.urls, seconds, perSecond)));
      await settle(DRAIN_MS);
      sides.forEach((side, i) => {
        const requests = sent[i] as { legacy: number; shadowed: number };
        const writes = (kind: string) => side.proxy.writes.get(kind) ?? 0;
        const accounting = writes("metrics") + writes("metrics-day") + writes("inventory");
        const all = requests.legacy + requests.shadowed;
        rows.push(
          `${label.padEnd(46)} ${side.name.padEnd(14)} requests ${String(all).padStart(6)}  accounting ${String(accounting).padStart(5)} writes = ${((1000 * accounting) / all).toFixed(1).padStart(7)} per 1 000 requests   shadow ${String(writes("shadow")).padStart(5)} writes = ${((1000 * writes("shadow")) / requests.shadowed).toFixed(1).padStart(7)} per 1 000 shadowed`,
        );
        console.log(rows.at(-1));
      });
    }
    console.log(`\n${ISOLATES} isolates per revision; all comparisons matched:\n${rows.join("\n")}`);
  } finally {
    for (const side of sides) {
      await Promise.all(side.processes.map((p) => p.stop()));
      await side.proxy.close();
    }
    dynamo.kill("SIGTERM");
    origin.kill("SIGTERM");
  }
}

/** For `seconds`, `perSecond` requests per route per isolate to the legacy and the shadowed route, evenly spaced. */
async function traffic(urls: readonly string[], seconds: number, perSecond: number): Promise<{ legacy: number; shadowed: number }> {
  const counts = { legacy: 0, shadowed: 0 };
  const gapMs = 1000 / perSecond;
  const until = Date.now() + seconds * 1000;
  let n = 0;
  await Promise.all(
    urls.map(async (url, isolate) => {
      // Isolates out of step, as in production.
      await settle((gapMs * isolate) / urls.length);
      while (Date.now() < until) {
        const started = Date.now();
        const id = n++;
        await Promise.all(
          (["legacy", "shadow"] as const).map(async (route) => {
            const response = await fetch(`${url}/bench/${route}/${id}`);
            await response.arrayBuffer();
            if (response.ok) counts[route === "legacy" ? "legacy" : "shadowed"]++;
          }),
        );
        await settle(Math.max(0, gapMs - (Date.now() - started)));
      }
    }),
  );
  return counts;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
