/**
 * What a route-table version change costs an isolate at 10 000 routes: the Worker as committed
 * at a base revision and as it is in the working tree, each reading its own DynamoDB table in
 * one plain workerd, interleaved rounds. In each round, a probe sends requests back to back on
 * one connection while a new version (one route's weights changed) is published; the isolate
 * reads, decodes, checks and compiles it on its only thread, and every request waits for that.
 *
 *   node bench/version-change.ts [--base HEAD] [--rounds 5] [--routes 10000]
 *
 * The new versions are validated, encoded and written by a child process, so that the
 * probe's own event loop never waits on them.
 *
 * Reported per target, medians over rounds: the longest request around the switch beyond the
 * probe's usual latency, the time requests waited beyond it in total, and workerd's CPU per
 * switch over five more under a light probe, beyond the same probe's CPU without them.
 */
import { fork } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { createDynamoClient } from "../cli/dynamo-client.ts";
import { ensureTable } from "../cli/ensure-table.ts";
import { generateTable } from "../fixtures/big-table.ts";
import { startPlainWorkerd } from "../fixtures/plain-workerd.ts";
import { validateRouteTable } from "../routes/validate.ts";
import { createDynamoApi } from "../store/dynamo-api.ts";
import { createDynamoStore } from "../store/dynamo-store.ts";
import type { RouteTableStore } from "../store/route-store.ts";
import { bundleRevision, forkDynamo, forkOrigin, OUT } from "./stack.ts";
import { cpuMsOf, median, settle } from "./wrk.ts";
import { flag, numberFlag } from "./args.ts";

const base = flag("base", "HEAD");
const rounds = numberFlag("rounds", 5);
const routeCount = numberFlag("routes", 10000);
const PORTS = { origin: 18301, base: 18311, work: 18312 };

interface Switch {
  /** Beyond the usual latency. */
  readonly longestMs: number;
  readonly waitedMs: number;
  readonly cpuMs: number;
}

async function main() {
  const dir = path.join(OUT, "version-change");
  mkdirSync(dir, { recursive: true });
  bundleRevision(base, path.join(dir, "base"));
  bundleRevision(undefined, path.join(dir, "work"));

  const dynamo = await forkDynamo();
  const children = [dynamo.process, await forkOrigin([PORTS.origin])];
  try {
    const endpoint = dynamo.connection.endpoint;
    const originUrl = `http://127.0.0.1:${PORTS.origin}`;
    const publisher = fork(import.meta.filename, ["--publisher", endpoint, originUrl, String(routeCount)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    children.push(publisher);
    await new Promise<void>((resolve) => publisher.once("message", () => resolve()));
    const publish = (tableName: string) =>
      new Promise<number>((resolve) => {
        publisher.once("message", (version) => resolve(Number(version)));
        publisher.send(tableName);
      });
    await publish("vc-base");
    await publish("vc-work");

    const bindings = (table: string) => ({
      CUTOVER_DYNAMODB_TABLE: table,
      CUTOVER_DYNAMODB_ENDPOINT: endpoint,
      CUTOVER_AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "bench",
      AWS_SECRET_ACCESS_KEY: "bench",
      CUTOVER_CONFIG_TTL_MS: "250",
      CUTOVER_EDGE_CACHE: "off",
      CUTOVER_METRICS: "off",
      CUTOVER_RESPONSE_HEADERS: "on",
    });
    const workerd = await startPlainWorkerd({
      dir,
      config: "version-change.capnp",
      workers: [
        { name: "base", port: PORTS.base, module: "base/index.js", bindings: bindings("vc-base") },
        { name: "work", port: PORTS.work, module: "work/index.js", bindings: bindings("vc-work") },
      ],
    });
    const pid = workerd.process.pid as number;
    const targets = [
      [`base ${base}`, PORTS.base, "vc-base"],
      ["working tree", PORTS.work, "vc-work"],
    ] as const;
    try {
      const results = new Map<string, Switch[]>(targets.map(([name]) => [name, []]));
      for (const [, port] of targets) await probe(`http://127.0.0.1:${port}/probe/1`, 1000, () => false);
      for (let round = 1; round <= rounds; round++) {
        const order = round % 2 === 0 ? [...targets].reverse() : targets;
        for (const [name, port, tableName] of order) {
          await settle(500);
          const measured = await measureSwitch(`http://127.0.0.1:${port}/probe/1`, pid, () => publish(tableName));
          results.get(name)?.push(measured);
          console.log(`round ${round}  ${name.padEnd(14)} longest ${measured.longestMs.toFixed(1).padStart(6)} ms  waited ${measured.waitedMs.toFixed(1).padStart(6)} ms  CPU ${measured.cpuMs.toFixed(0).padStart(4)} ms`);
        }
      }
      console.log(`\nA version change at ${routeCount} routes, median of ${rounds} rounds (spread):`);
      for (const [name] of targets) {
        const r = results.get(name) as Switch[];
        const line = (key: keyof Switch) => `${median(r.map((s) => s[key])).toFixed(1)} (${Math.min(...r.map((s) => s[key])).toFixed(1)}–${Math.max(...r.map((s) => s[key])).toFixed(1)})`;
        console.log(`${name.padEnd(14)} longest request ${line("longestMs")} ms, waited in total ${line("waitedMs")} ms, CPU ${line("cpuMs")} ms`);
      }
    } finally {
      await workerd.stop();
    }
  } finally {
    for (const child of children) child.kill("SIGTERM");
  }
}

/**
 * The publisher (`--publisher ENDPOINT ORIGIN ROUTES`): on each message naming a DynamoDB
 * table, publishes the next of two prepared tables there (the probe route at 10 % or 20 %)
 * and answers with its version.
 */
async function publisher(endpoint: string, originUrl: string, routes: number): Promise<void> {
  const connection = { endpoint, region: "us-east-1", accessKeyId: "bench", secretAccessKey: "bench" };
  const raw = generateTable(routes, { legacy: originUrl, fresh: originUrl });
  const tables = [10, 20].map((weight) => {
    const table = validateRouteTable({ ...raw, routes: [{ id: "probe", match: { path: "/probe/*" }, to: { legacy: 100 - weight, new: weight } }, ...raw.routes] });
    if (!table.ok) throw new Error(JSON.stringify(table.error));
    return table.value;
  });
  const stores = new Map<string, { store: RouteTableStore; version: number }>();
  process.on("message", (tableName) => {
    void (async () => {
      let entry = stores.get(String(tableName));
      if (entry === undefined) {
        await ensureTable(createDynamoClient(connection, 3), String(tableName));
        stores.set(String(tableName), (entry = { store: createDynamoStore({ client: createDynamoApi(connection), tableName: String(tableName) }), version: 0 }));
      }
      const table = tables[entry.version % 2];
      if (table === undefined) throw new Error("no table prepared");
      const published = await entry.store.publish({ table, expectedVersion: entry.version, author: "bench", reason: "switch", action: "weights" });
      if (!published.ok) throw new Error("publish refused");
      entry.version = published.value.version;
      process.send?.(entry.version);
    })();
  });
  process.on("disconnect", () => process.exit(0));
  process.send?.("ready");
}

/**
 * Requests for `ms` (or until `done` says so), back to back or one every `gapMs`: each one's
 * latency and the version that served it.
 */
async function probe(url: string, ms: number, done: (version: number) => boolean, gapMs = 0): Promise<{ ms: number; version: number }[]> {
  const seen: { ms: number; version: number }[] = [];
  const until = performance.now() + ms;
  while (performance.now() < until) {
    const start = performance.now();
    const response = await fetch(url);
    await response.arrayBuffer();
    const version = Number(response.headers.get("x-cutover-version"));
    seen.push({ ms: performance.now() - start, version });
    if (done(version)) break;
    if (gapMs > 0) await settle(gapMs);
  }
  return seen;
}

/** Publishes, then probes until the new version has served for half a second; the requests seen from the publish on. */
async function across(url: string, publish: () => Promise<number>, gapMs: number): Promise<{ ms: number; version: number }[]> {
  const next = publish();
  let version = 0;
  void next.then((published) => (version = published));
  const seen: { ms: number; version: number }[] = [];
  // The isolate polls every 250 ms: the new version answers within a second or so.
  const deadline = performance.now() + 20_000;
  while (!(version > 0 && seen.some((r) => r.version === version)) && performance.now() < deadline) {
    seen.push(...(await probe(url, 100, (served) => version > 0 && served === version, gapMs)));
  }
  seen.push(...(await probe(url, 500, () => false, gapMs)));
  return seen;
}

/**
 * One switch under a back-to-back probe (the longest request, and what requests waited beyond
 * the usual in total); then CPU_SWITCHES switches one after the other under a light probe (a
 * request every 300 ms, enough for the isolate to poll), whose workerd CPU beyond the same
 * window without a switch, divided by their number, is a switch's (/proc counts in 10 ms
 * ticks: over several switches the tick is a fraction of one).
 */
async function measureSwitch(url: string, pid: number, publish: () => Promise<number>): Promise<Switch> {
  const before = await probe(url, 1000, () => false);
  const usual = median(before.map((r) => r.ms));
  const stalled = await across(url, publish, 0);
  await settle(500);
  const window = async (switches: number) => {
    const cpu = cpuMsOf(pid);
    const published = (async () => {
      const versions: number[] = [];
      // One at a time, each published once the one before it has had a second to serve.
      for (let i = 0; i < switches; i++) {
        versions.push(await publish());
        await settle(1000);
      }
      return versions;
    })();
    const seen = await probe(url, CPU_WINDOW_MS, () => false, 300);
    const versions = await published;
    for (const version of versions) if (!seen.some((r) => r.version === version)) throw new Error(`version ${version} did not serve within the window`);
    return cpuMsOf(pid) - cpu;
  };
  const idle = await window(0);
  const switched = await window(CPU_SWITCHES);
  return {
    longestMs: Math.max(...stalled.map((r) => r.ms)) - usual,
    waitedMs: stalled.reduce((sum, r) => sum + Math.max(0, r.ms - usual), 0),
    cpuMs: (switched - idle) / CPU_SWITCHES,
  };
}

const CPU_SWITCHES = 5;
const CPU_WINDOW_MS = CPU_SWITCHES * 2000 + 1000;

const run = process.argv[2] === "--publisher" ? () => publisher(process.argv[3] as string, process.argv[4] as string, Number(process.argv[5])) : main;
run().then(
  () => process.argv[2] === "--publisher" || process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
