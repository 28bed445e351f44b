/**
 * Config reads with and without the data centre's cache (issue 15): several Worker processes
 * of one "colo" (one shared Cache API, fixtures/colo-cache.ts) poll the route table while
 * serving light traffic; a proxy in front of DynamoDB counts the reads and adds the latency of
 * a colo far from its AWS region. Then the same during a storm of changes (one weight change a
 * second, each waiting one propagation bound: every poll reads the chain of versions still
 * inside it, ActiveTable.ancestors), and a cold isolate's first request, with the colo's cache
 * warm and without it. The reads per second measured here are what test/e2e/edge-cache.test.ts
 * asserts per refresh round instead (a rate would fail on a loaded machine).
 *
 *   node bench/config-reads.ts [--isolates 4] [--seconds 20] [--storm-seconds 20] [--latency 40]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startColoCache } from "../fixtures/colo-cache.ts";
import { startDynamoProxy } from "../fixtures/dynamo-proxy.ts";
import { validateRouteTable } from "../routes/validate.ts";
import { createDynamoApi } from "../store/dynamo-api.ts";
import { createDynamoStore } from "../store/dynamo-store.ts";
import { bundleCutover, startPlainWorkerd, type PlainWorkerd } from "../fixtures/plain-workerd.ts";
import { forkDynamo, forkOrigin, OUT, seedTable } from "./stack.ts";
import { median } from "./wrk.ts";
import { numberFlag } from "./args.ts";

const ISOLATES = numberFlag("isolates", 4);
const SECONDS = numberFlag("seconds", 20);
const STORM_SECONDS = numberFlag("storm-seconds", 20);
const LATENCY = numberFlag("latency", 40);
const ORIGIN_PORT = 18301;
let nextPort = 18310;

async function main() {
  const dir = path.join(OUT, "config-reads");
  mkdirSync(dir, { recursive: true });
  bundleCutover(path.join(dir, "cutover"));
  const { process: dynamoProcess, connection } = await forkDynamo();
  const origin = await forkOrigin([ORIGIN_PORT]);
  const endpoint = connection.endpoint;
  await seedTable(connection, { legacy: `http://127.0.0.1:${ORIGIN_PORT}`, candidate: `http://127.0.0.1:${ORIGIN_PORT}` });
  const proxy = await startDynamoProxy(endpoint, { latencyMs: LATENCY });
  // The operator's writes go to DynamoDB directly: the proxy counts the isolates' reads only.
  const writer = createDynamoStore({ client: createDynamoApi(connection), tableName: "cutover" });
  let step = 0;
  /** One weight change of the bench-split route, taking effect one propagation bound (`delayMs`) after it is written. */
  const change = async (delayMs: number) => {
    const active = await writer.getActive({ fresh: true });
    const weight = 1 + (step++ % 98);
    const table = validateRouteTable({ ...active.table, routes: active.table.routes.map((route) => (route.id === "bench-split" ? { ...route, to: { legacy: 100 - weight, new: weight } } : route)) });
    if (!table.ok) throw new Error(JSON.stringify(table.error));
    const published = await writer.publish({ table: table.value, expectedVersion: active.version, author: "bench", reason: "storm", action: "weights", delayMs });
    if (!published.ok) throw new Error("the storm's change lost a race");
  };
  const cache = await startColoCache();
  const worker = (edge: boolean, name: string): Promise<PlainWorkerd & { url: string }> => {
    const port = nextPort++;
    return startPlainWorkerd({
      dir,
      config: `${name}.capnp`,
      workers: [
        {
          name,
          port,
          module: "cutover/index.js",
          cacheService: cache.address,
          bindings: {
            CUTOVER_DYNAMODB_TABLE: "cutover",
            CUTOVER_DYNAMODB_ENDPOINT: proxy.endpoint,
            AWS_ACCESS_KEY_ID: "bench",
            AWS_SECRET_ACCESS_KEY: "bench",
            CUTOVER_LEGACY_URL: `http://127.0.0.1:${ORIGIN_PORT}`,
            CUTOVER_METRICS: "off",
            CUTOVER_EDGE_CACHE: edge ? "on" : "off",
          },
        },
      ],
    }).then((started) => ({ ...started, url: `http://127.0.0.1:${port}` }));
  };

  const results: Record<string, unknown> = { isolates: ISOLATES, seconds: SECONDS, latencyMs: LATENCY };
  try {
    for (const edge of [false, true]) {
      const label = edge ? "with the colo cache" : "without";
      const workers = await Promise.all(Array.from({ length: ISOLATES }, (_, i) => worker(edge, `${edge ? "edge" : "plain"}-${i}`)));
      // Warm every isolate, then count over the run: 10 requests a second to each.
      await Promise.all(workers.map(async (w) => (await fetch(`${w.url}/bench/legacy/item`)).arrayBuffer()));
      const traffic = async (seconds: number) => {
        proxy.reset();
        const until = Date.now() + seconds * 1000;
        while (Date.now() < until) {
          await Promise.all(workers.map(async (w) => (await fetch(`${w.url}/bench/legacy/item`)).arrayBuffer()));
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return (proxy.calls.get("GetItem") ?? 0) + (proxy.calls.get("Query") ?? 0);
      };
      const reads = await traffic(SECONDS);
      console.log(`${label.padEnd(20)} ${ISOLATES} isolates polling every 2 s: ${reads} store reads in ${SECONDS} s = ${(reads / SECONDS).toFixed(2)}/s (${JSON.stringify([...proxy.calls])}; cache ${JSON.stringify(cache.stats)})`);
      // The same with one change a second (the Worker's default bound: TTL 2 s + store timeout 1 s + 1 s, and twice the colo cache's second).
      let storming = true;
      let changes = 0;
      const storm = (async () => {
        for (let next = Date.now(); storming; next += 1000) {
          await change(edge ? 6000 : 4000);
          changes++;
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, next + 1000 - Date.now())));
        }
      })();
      const stormReads = await traffic(STORM_SECONDS);
      const stormCalls = [...proxy.calls];
      storming = false;
      await storm;
      console.log(`${label.padEnd(20)} the same with ${changes} changes in ${STORM_SECONDS} s: ${stormReads} store reads = ${(stormReads / STORM_SECONDS).toFixed(2)}/s (${JSON.stringify(stormCalls)})`);
      // A cold isolate's first request, several times: the colo's cache is warm (or not used).
      const cold: number[] = [];
      for (let i = 0; i < 5; i++) {
        const fresh = await worker(edge, `${edge ? "edge" : "plain"}-cold-${i}`);
        const started = performance.now();
        await (await fetch(`${fresh.url}/bench/legacy/item`)).arrayBuffer();
        cold.push(performance.now() - started);
        await fresh.stop();
      }
      console.log(`${label.padEnd(20)} a cold isolate's first request: median ${median(cold).toFixed(1)} ms (${cold.map((ms) => ms.toFixed(0)).join(", ")})`);
      results[edge ? "withCache" : "without"] = { readsPerSecond: reads / SECONDS, stormReadsPerSecond: stormReads / STORM_SECONDS, stormChanges: changes, coldFirstRequestMs: cold.map((ms) => Math.round(ms * 10) / 10), coldMedianMs: Math.round(median(cold) * 10) / 10 };
      await Promise.all(workers.map((w) => w.stop()));
    }
    writeFileSync(path.join(OUT, `config-reads-${new Date().toISOString().replace(/[:.]/g, "-")}.json`), `${JSON.stringify(results, null, 2)}\n`);
    console.log(JSON.stringify(results, null, 2));
  } finally {
    await cache.close();
    await proxy.close();
    dynamoProcess.kill("SIGTERM");
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
