/**
 * The benchmark stack, each part in its own process on 127.0.0.1: the origin (a legacy and a
 * candidate listener, in separate processes), an embedded DynamoDB holding a 1 003-route
 * table, and one plain workerd serving three Workers — bare, hono/proxy and cutover.
 */
import { execFileSync, fork, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { createDynamoApi } from "../store/dynamo-api.ts";
import { createDynamoClient } from "../cli/dynamo-client.ts";
import { createDynamoStore } from "../store/dynamo-store.ts";
import { ensureTable } from "../cli/ensure-table.ts";
import { PROJECT_ROOT } from "../cli/wrangler-dev.ts";
import { validateRouteTable } from "../routes/validate.ts";
import { generateTable } from "../fixtures/big-table.ts";
import { bundleCutover, startPlainWorkerd, type PlainWorkerd } from "../fixtures/plain-workerd.ts";

export const OUT = path.join(PROJECT_ROOT, "bench", "out");
/** The admin token of the benchmark's cutover-quiet Worker (for signing in to its dashboard). */
export const BENCH_ADMIN_TOKEN = "bench-admin-token-bench-admin-token";
const BENCH_ADMIN_TOKENS = JSON.stringify({ [createHash("sha256").update(BENCH_ADMIN_TOKEN).digest("hex")]: { name: "bench", role: "viewer" } });
const PORTS = { legacy: 18101, candidate: 18102, bare: 18111, hono: 18112, cutover: 18113, cutoverQuiet: 18114, cutoverUnaccounted: 18115, floor: 18116, bareCopy: 18117, bareCompare: 18118, floorCompare: 18119 };

export interface BenchStack {
  /** Under load (wrk): name → URL. */
  readonly targets: Readonly<Record<string, string>>;
  /**
   * For the shadow latency runs: the bare Worker, the bare Worker sending each request a second
   * time (bench/workers/bare-copy.js), and also comparing the two bodies (bench/workers/bare-compare.js);
   * the floor Worker (required steps only) and the same comparing (bench/workers/floor-compare.js).
   */
  readonly shadowFloor: { readonly bare: string; readonly copied: string; readonly compared: string; readonly floor: string; readonly floorCompared: string };
  /** For the memory runs: URL prefixes that take a byte count. */
  readonly memoryTargets: { readonly download: string; readonly shadowedUpload: string };
  /** For bench/accounting.ts: the same Worker (headers off) with traffic accounting on and off. */
  readonly accountingTargets: { readonly on: string; readonly off: string };
  readonly workerdPid: number;
  readonly bundle: { readonly bytes: number; readonly gzipBytes: number; readonly wranglerKiB: number | null; readonly wranglerGzipKiB: number | null };
  stop(): void;
}

export async function startBenchStack(options: { inspectorPort?: number } = {}): Promise<BenchStack> {
  mkdirSync(OUT, { recursive: true });
  const children: ChildProcess[] = [];
  const stop = () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  };
  process.on("exit", stop);
  try {
    const bundle = buildBundles();
    const dynamo = await forkDynamo();
    children.push(dynamo.process);
    const connection = dynamo.connection;
    await seedTable(connection);
    // The control and the candidate origin in separate processes.
    for (const port of [PORTS.legacy, PORTS.candidate]) children.push(await forkOrigin([port]));
    const workerd = await startWorkerd(connection, options.inspectorPort);
    children.push(workerd.process);
    return {
      targets: {
        bare: `http://127.0.0.1:${PORTS.bare}/bench/legacy/item`,
        "floor (required steps only)": `http://127.0.0.1:${PORTS.floor}/bench/legacy/item`,
        hono: `http://127.0.0.1:${PORTS.hono}/bench/legacy/item`,
        "cutover legacy route": `http://127.0.0.1:${PORTS.cutover}/bench/legacy/item`,
        "cutover, headers off": `http://127.0.0.1:${PORTS.cutoverQuiet}/bench/legacy/item`,
        "cutover split route": `http://127.0.0.1:${PORTS.cutover}/bench/split/item`,
        "cutover shadowed route": `http://127.0.0.1:${PORTS.cutover}/bench/shadow/item`,
        "cutover, headers off, no accounting": `http://127.0.0.1:${PORTS.cutoverUnaccounted}/bench/legacy/item`,
        "bare, copy to a second origin": `http://127.0.0.1:${PORTS.bareCopy}/bench/shadow/item`,
      },
      shadowFloor: { bare: `http://127.0.0.1:${PORTS.bare}/bench/shadow/item`, copied: `http://127.0.0.1:${PORTS.bareCopy}/bench/shadow/item`,
        compared: `http://127.0.0.1:${PORTS.bareCompare}/bench/shadow/item`,
        floor: `http://127.0.0.1:${PORTS.floor}/bench/shadow/item`,
        floorCompared: `http://127.0.0.1:${PORTS.floorCompare}/bench/shadow/item`,
      },
      memoryTargets: {
        download: `http://127.0.0.1:${PORTS.cutover}/bench/legacy/bytes/`,
        shadowedUpload: `http://127.0.0.1:${PORTS.cutover}/bench/upload/bytes/`,
      },
      accountingTargets: { on: `http://127.0.0.1:${PORTS.cutoverQuiet}`, off: `http://127.0.0.1:${PORTS.cutoverUnaccounted}` },
      workerdPid: workerd.process.pid as number,
      bundle,
      stop,
    };
  } catch (error) {
    stop();
    throw error;
  }
}

/** cutover as `wrangler deploy` builds it; hono/proxy bundled with esbuild; the bare Worker as is. */
function buildBundles() {
  const cutoverDir = path.join(OUT, "cutover");
  const upload = bundleCutover(cutoverDir);
  const esbuild = path.join(PROJECT_ROOT, "node_modules", ".bin", "esbuild");
  execFileSync(esbuild, ["bench/workers/hono-proxy.ts", "--bundle", "--minify", "--format=esm", `--outfile=${path.join(OUT, "hono", "index.js")}`, "--log-level=error"], {
    cwd: PROJECT_ROOT,
  });
  for (const name of ["bare", "bare-copy", "floor"]) {
    mkdirSync(path.join(OUT, name), { recursive: true });
    writeFileSync(path.join(OUT, name, "index.js"), readFileSync(path.join(PROJECT_ROOT, "bench", "workers", `${name}.js`)));
  }
  // The comparison floors import their base Worker: one file each once bundled.
  for (const name of ["bare-compare", "floor-compare"]) bundleBenchWorker(name, OUT);
  const code = readFileSync(path.join(cutoverDir, "index.js"));
  return { bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length, ...upload };
}

/** `bench/workers/<name>.js` and what it imports as one module, `outDir/<name>/index.js`. */
export function bundleBenchWorker(name: string, outDir: string): void {
  const esbuild = path.join(PROJECT_ROOT, "node_modules", ".bin", "esbuild");
  execFileSync(esbuild, [`bench/workers/${name}.js`, "--bundle", "--format=esm", `--outfile=${path.join(outDir, name, "index.js")}`, "--log-level=error"], { cwd: PROJECT_ROOT });
}

/** Where the benchmark's embedded DynamoDB answers, with the credentials it takes. */
export interface BenchConnection {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The embedded DynamoDB in a process of its own (bench/dynamo-process.ts), once it answers. */
export async function forkDynamo(): Promise<{ readonly process: ChildProcess; readonly connection: BenchConnection }> {
  const child = fork(path.join(PROJECT_ROOT, "bench", "dynamo-process.ts"), [], { stdio: "ignore" });
  const endpoint = await new Promise<string>((resolve) => child.once("message", (message) => resolve(String(message))));
  return { process: child, connection: { endpoint, region: "us-east-1", accessKeyId: "bench", secretAccessKey: "bench" } };
}

/** The benchmark's origin (bench/upstream.ts) listening on `ports`, in a process of its own, once it listens. */
export async function forkOrigin(ports: readonly number[]): Promise<ChildProcess> {
  const child = fork(path.join(PROJECT_ROOT, "bench", "upstream.ts"), ports.map(String), { stdio: "ignore" });
  await new Promise<void>((resolve) => child.once("message", () => resolve()));
  return child;
}

/** 1 000 generated routes of realistic shapes, plus the three routes the load targets. */
export async function seedTable(
  connection: BenchConnection,
  origins: { legacy: string; candidate: string } = { legacy: `http://127.0.0.1:${PORTS.legacy}`, candidate: `http://127.0.0.1:${PORTS.candidate}` },
  tableName = "cutover",
) {
  const client = createDynamoClient(connection, 3);
  await ensureTable(client, tableName);
  const { legacy, candidate } = origins;
  const filler = generateTable(1000, { legacy, fresh: candidate });
  const table = validateRouteTable({
    ...filler,
    routes: [
      ...filler.routes,
      { id: "bench-legacy", match: { path: "/bench/legacy/*" }, to: "legacy" },
      { id: "bench-split", match: { path: "/bench/split/*" }, to: { legacy: 50, new: 50 } },
      { id: "bench-shadow", match: { path: "/bench/shadow/*" }, to: "legacy", shadow: { to: "new" } },
      { id: "bench-upload", match: { path: "/bench/upload/*" }, to: "legacy", shadow: { to: "new", unsafeMethods: true, maxBodyBytes: 65_536, noisePercent: 0 } },
    ],
  });
  if (!table.ok) throw new Error(JSON.stringify(table.error));
  await createDynamoStore({ client: createDynamoApi(connection), tableName }).publish({ table: table.value, expectedVersion: 0, author: "bench", reason: "bench", action: "apply" });
}

function startWorkerd(connection: BenchConnection, inspectorPort?: number): Promise<PlainWorkerd> {
  const upstream = `http://127.0.0.1:${PORTS.legacy}`;
  const cutoverBindings = {
    CUTOVER_DYNAMODB_TABLE: "cutover",
    CUTOVER_DYNAMODB_ENDPOINT: connection.endpoint,
    CUTOVER_AWS_REGION: connection.region,
    AWS_ACCESS_KEY_ID: connection.accessKeyId,
    AWS_SECRET_ACCESS_KEY: connection.secretAccessKey,
    CUTOVER_LEGACY_URL: upstream,
  };
  return startPlainWorkerd({
    dir: OUT,
    inspectorPort,
    workers: [
      { name: "bare", port: PORTS.bare, module: "bare/index.js", bindings: { UPSTREAM: upstream } },
      { name: "hono", port: PORTS.hono, module: "hono/index.js", bindings: { UPSTREAM: upstream } },
      { name: "floor", port: PORTS.floor, module: "floor/index.js", bindings: { UPSTREAM: upstream } },
      { name: "bare-copy", port: PORTS.bareCopy, module: "bare-copy/index.js", bindings: { UPSTREAM: upstream, CANDIDATE: `http://127.0.0.1:${PORTS.candidate}` } },
      { name: "bare-compare", port: PORTS.bareCompare, module: "bare-compare/index.js", bindings: { UPSTREAM: upstream, CANDIDATE: `http://127.0.0.1:${PORTS.candidate}` } },
      { name: "floor-compare", port: PORTS.floorCompare, module: "floor-compare/index.js", bindings: { UPSTREAM: upstream, CANDIDATE: `http://127.0.0.1:${PORTS.candidate}` } },
      { name: "cutover", port: PORTS.cutover, module: "cutover/index.js", bindings: { ...cutoverBindings, CUTOVER_RESPONSE_HEADERS: "on" } },
      // The same Worker without the x-cutover-* response headers: the backend's response goes out
      // untouched. With an admin token, for the dashboard's cost (bench/dashboard.ts).
      { name: "cutover-quiet", port: PORTS.cutoverQuiet, module: "cutover/index.js", bindings: { ...cutoverBindings, CUTOVER_RESPONSE_HEADERS: "off", CUTOVER_ADMIN_TOKENS: BENCH_ADMIN_TOKENS } },
      // And without traffic accounting: what counting every request costs (bench/accounting.ts).
      { name: "cutover-unaccounted", port: PORTS.cutoverUnaccounted, module: "cutover/index.js", bindings: { ...cutoverBindings, CUTOVER_RESPONSE_HEADERS: "off", CUTOVER_METRICS: "off" } },
    ],
  });
}

/** Signs in to the dashboard of the Worker at `base` with the benchmark's admin token: the session cookie. */
export async function dashboardCookie(base: string): Promise<string> {
  const signIn = await fetch(`${base}/_cutover/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: base },
    body: new URLSearchParams({ token: BENCH_ADMIN_TOKEN }),
    redirect: "manual",
  });
  const cookie = signIn.headers.get("set-cookie")?.split(";")[0];
  if (signIn.status !== 303 || !cookie) throw new Error(`dashboard sign-in failed: ${signIn.status} ${await signIn.text()}`);
  return cookie;
}

/** RSS of a process in bytes. */
export function rssOf(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
}

/**
 * The cutover Worker bundled (`wrangler deploy --dry-run`) as committed at `revision`, or as it
 * is in the working tree when undefined: how a benchmark runs before and after in one run.
 */
export function bundleRevision(revision: string | undefined, outDir: string): void {
  const bundle = (from: string) =>
    execFileSync(process.execPath, [path.join(PROJECT_ROOT, "node_modules", "wrangler", "bin", "wrangler.js"), "deploy", "--dry-run", "--outdir", outDir], {
      cwd: from,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
      stdio: "ignore",
    });
  if (revision === undefined) return void bundle(PROJECT_ROOT);
  const worktree = `${outDir}-tree`;
  if (existsSync(worktree)) execFileSync("git", ["worktree", "remove", "--force", worktree], { cwd: PROJECT_ROOT });
  execFileSync("git", ["worktree", "add", "--detach", worktree, revision], { cwd: PROJECT_ROOT, stdio: "ignore" });
  try {
    symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(worktree, "node_modules"));
    bundle(worktree);
  } finally {
    execFileSync("git", ["worktree", "remove", "--force", worktree], { cwd: PROJECT_ROOT });
    rmSync(worktree, { recursive: true, force: true });
  }
}
