import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevStack, type DevStack } from "../../cli/dev-stack.ts";
import { backfill } from "../../demo/backfill.ts";
import { LEGACY_ROUTES } from "../../demo/legacy-app.ts";
import { dataMigrationSteps } from "../../rollout/plan.ts";
import type { Route, RouteTable } from "../../routes/schema.ts";
import { runCli } from "../support/cli.ts";
import { refusedPort } from "../support/upstream.ts";

interface Rollout {
  status: string;
  step: number;
  stepLabel: string;
  events: { kind: string; step: number; message: string }[];
}
interface Hold {
  kind: string;
  subject: string;
  detail: string;
}
interface Mapped {
  method: string;
  pattern: string;
  state: string;
  route?: string;
  stage?: string;
  stageLabel?: string;
}

const USERS = 100;
const OLD_ACCOUNTS = 40;

/**
 * The story's playbook for one resource, on the local stack `npm start` runs (embedded
 * DynamoDB, the demo legacy app, the demo accounts Lambda with a table of its own, the Worker
 * on plain workerd, rollouts ticked every 3 s as the Cron Trigger would): import the legacy
 * app's route list, then one rollout of the accounts resource through every stage of the
 * built-in data-migration plan — dual writes, shadow, ramp, read-through while
 * `demo/backfill.ts` copies the legacy records under traffic (the fallback rate falls to
 * zero), ramp-down — to migrated. The migration map, the cost report and the decommission
 * check are read at each stage.
 */
describe("migrating a resource off legacy, start to finish, on the local stack", () => {
  let stack: DevStack;
  const dir = mkdtempSync(path.join(os.tmpdir(), "cutover-playbook-"));
  let stopTraffic = () => {};
  let traffic: Promise<void> = Promise.resolve();
  const sent = { reads: 0, writes: 0, failed: [] as string[] };
  /** Requests the cost report measured on the new backend during the ramp. */
  let rampedRequests = 0;
  /** The accounts legacy had before the migration. */
  const ids: string[] = [];
  /** Each user's own accounts, created during it. */
  const mine: string[][] = [];

  beforeAll(async () => {
    stack = await startDevStack({ port: await refusedPort(), runtime: "workerd", demo: true, legacyPort: 0, accountsPort: 0, memory: true, fresh: false, awsCredentials: "dev", log: () => {} });
    // The legacy app's data before the migration: accounts the new store has never seen.
    for (let i = 0; i < OLD_ACCOUNTS; i++) ids.push((await create(`old-${i}`)).id);
  }, 60_000);

  afterAll(async () => {
    stopTraffic();
    await traffic;
    await stack?.stop();
  });

  const cli = (args: string[]) => runCli(stack.workerUrl, args, stack.adminToken);
  const json = async <T>(args: string[]): Promise<T> => {
    const run = await cli([...args, "--json"]);
    if (run.stdout.trim() === "") throw new Error(`cutover ${args.join(" ")}: ${run.stderr}`);
    return JSON.parse(run.stdout) as T;
  };
  const cookie = (user: number) => ({ cookie: `session_id=user-${user}` });

  async function create(name: string, user = 0): Promise<{ id: string; servedBy: string }> {
    const response = await fetch(`${stack.workerUrl}/api/accounts`, { method: "POST", headers: { "content-type": "application/json", ...cookie(user) }, body: JSON.stringify({ name }) });
    const body = (await response.json()) as { account: { id: string }; servedBy: string };
    if (response.status !== 201) throw new Error(`create answered ${response.status}`);
    return { id: body.account.id, servedBy: body.servedBy };
  }

  /** Every user reads an account (an old one, or one of their own) and every tenth creates one, round after round, until stopped. */
  function startTraffic(): void {
    let running = true;
    stopTraffic = () => (running = false);
    traffic = (async () => {
      for (let round = 0; running; round++) {
        // Ten users at a time: a steady load, not a burst.
        for (let first = 0; first < USERS && running; first += 10) {
          await Promise.all(
            Array.from({ length: 10 }, async (_, offset) => {
              const user = first + offset;
              try {
                if (user % 10 === round % 10) {
                  (mine[user] ??= []).push((await create(`user-${user}-${round}`, user)).id);
                  sent.writes++;
                  return;
                }
                // Accounts from before the migration, and the user's own (sticky: always from the backend that has them).
                const own = mine[user] ?? [];
                const id = (round % 2 === 0 || own.length === 0 ? ids[(user * 7 + round) % ids.length] : own[round % own.length]) as string;
                const response = await fetch(`${stack.workerUrl}/api/accounts/${encodeURIComponent(id)}`, { headers: cookie(user) });
                await response.arrayBuffer();
                if (response.status !== 200) sent.failed.push(`GET ${id}: ${response.status} from ${response.headers.get("x-cutover-backend")}`);
                sent.reads++;
              } catch (error) {
                sent.failed.push(String(error));
              }
            }),
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
  }

  const rollout = () => json<Rollout>(["rollout", "status", "accounts"]);
  async function until(what: string, check: (state: Rollout) => boolean, seconds: number): Promise<Rollout> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const state = await rollout();
      if (check(state)) return state;
      if (state.status !== "running" || Date.now() > deadline) throw new Error(`waiting for ${what}: ${JSON.stringify({ status: state.status, step: state.step, events: state.events.slice(-3) })}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  const mapped = async () => (await json<{ endpoints: Mapped[] }>(["legacy", "map", "--since", "1d"])).endpoints;
  const stageOf = (endpoints: Mapped[], method: string, pattern: string) => endpoints.find((e) => e.method === method && e.pattern === pattern);
  const holds = async () => (await json<{ holds: Hold[] }>(["decommission", "check", "--since", "1d"])).holds;
  const accountsCost = async () => {
    const report = await json<{ routes: { route: string; served: number; legacyServed: number; onNew: Record<string, { inputs: Record<string, number> }> }[] }>(["cost", "--since", "1h"]);
    return report.routes.find((route) => route.route === "accounts");
  };

  it("imports the legacy app's route list and puts the accounts resource on one route, on legacy, shadowed", async () => {
    const routeList = path.join(dir, "routes.txt");
    writeFileSync(routeList, LEGACY_ROUTES);
    expect((await cli(["legacy", "import", routeList, "--reason", "the app's routes, as bin/rails routes prints them"])).code).toBe(0);
    writeFileSync(path.join(dir, "prices.json"), JSON.stringify({ legacy: { dyno: { type: "standard-1x", count: 2, monthlyPrice: 25, concurrency: 4 } }, backends: { accounts: { lambda: { memoryMb: 512, pricePerGbSecond: 0.0000166667, pricePerMillionRequests: 0.2 } } } }));
    expect((await cli(["cost", "prices", "set", path.join(dir, "prices.json"), "--reason", "our plan"])).code).toBe(0);

    const table = (await json<{ table: RouteTable }>(["routes", "get"])).table;
    const accounts: Route = {
      id: "accounts",
      match: { path: "/api/accounts/*" },
      to: "legacy",
      sticky: "cookie:session_id",
      fallback: { to: "legacy", on: ["404"] },
      shadow: { to: "accounts", ignore: ["body:$.servedBy", "header:x-powered-by"] },
    };
    const file = path.join(dir, "table.json");
    writeFileSync(file, JSON.stringify({ ...table, routes: [accounts] }));
    expect((await cli(["routes", "apply", file, "--yes", "--wait", "--reason", "the accounts resource, on legacy"])).code).toBe(0);

    const endpoints = await mapped();
    expect(stageOf(endpoints, "POST", "/api/accounts")).toMatchObject({ state: "covered", route: "accounts", stage: "shadow", stageLabel: "shadow → accounts" });
    expect(stageOf(endpoints, "GET", "/api/accounts/:id")).toMatchObject({ state: "covered", route: "accounts", stage: "shadow" });
    expect(await holds()).toContainEqual({ kind: "route", subject: "accounts", detail: "at shadow → accounts: legacy still serves it" });
  });

  it("walks the built-in data-migration plan's stages to migrated, the backfill running under traffic in read-through", async () => {
    // The built-in plan's stages, with minimums a test can meet (the defaults wait 1 day in read-through and ramp-down).
    const minimums: Record<string, Record<string, unknown>> = {
      dualWrite: { minWrites: 40, minDuration: "0s" },
      shadow: { minComparisons: 30, minDuration: "0s" },
      weight: { minUsers: 5, minDuration: "0s" },
      readThrough: { minRequests: 100, maxFallbackRate: 0.01, minDuration: "20s" },
      rampDown: { minDuration: "0s" },
    };
    // Latency is not judged here: the demo Lambda, its DynamoDB and this test share two cores (test/rollout/ covers the latency gates).
    const plan = { steps: dataMigrationSteps().map((step) => ({ ...step, ...minimums[step.type] })), gates: { maxWriteFailureRate: 0.1, latencyRatio: { p95: 1000, p99: 1000 }, latencySlackMs: 60_000 } };
    const planFile = path.join(dir, "plan.json");
    writeFileSync(planFile, JSON.stringify(plan));
    const before = await accountsCost();
    startTraffic();
    const started = await cli(["rollout", "start", "accounts", "--to", "accounts", "--plan", planFile, "--on-failure", "stepBack", "--reason", "migrate accounts"]);
    expect(started.code).toBe(0);

    // Dual writes: each create legacy serves is copied to the new service, under legacy's id.
    const shadowing = await until("the shadow step", (state) => state.step === 2, 90);
    expect(shadowing.events.map((event) => event.kind)).toContain("step");
    const copies = await json<{ hours: { copies: number; copiesFailed: number; copiesDisagreed: number }[] }>(["migration", "progress", "accounts", "--since", "1h"]);
    expect(copies.hours.reduce((sum, hour) => sum + hour.copies, 0)).toBeGreaterThanOrEqual(40);
    expect(copies.hours.reduce((sum, hour) => sum + hour.copiesFailed + hour.copiesDisagreed, 0)).toBe(0);
    expect(stageOf(await mapped(), "POST", "/api/accounts")).toMatchObject({ route: "accounts", stage: "shadow", stageLabel: "shadow → accounts, writes copied to accounts" });

    // The ramp: users move, sticky, the new backend's 404s for records not copied yet answered by legacy.
    await until("the 50 % step", (state) => state.step === 4, 120);
    expect(stageOf(await mapped(), "GET", "/api/accounts/:id")).toMatchObject({ stage: "split", stageLabel: "split 50 % → accounts, writes copied to accounts" });
    rampedRequests = (await accountsCost())?.onNew.accounts?.inputs.requests ?? 0;
    expect(rampedRequests).toBeGreaterThan(before?.onNew.accounts?.inputs.requests ?? 0);

    // Read-through: everything to the new backend, legacy behind it on a 404, while the backfill copies the old records.
    const reading = await until("read-through", (state) => state.step === 5, 120);
    expect(reading.stepLabel).toBe("readThrough");
    expect(stageOf(await mapped(), "GET", "/api/accounts/:id")).toMatchObject({ stage: "read-through" });
    expect(await holds()).toContainEqual({ kind: "route", subject: "accounts", detail: "falls back to legacy: remove the fallback once it no longer fires" });
    // Records the backfill has not copied yet fall back: the step waits.
    await new Promise((resolve) => setTimeout(resolve, 8000));
    const waiting = await rollout();
    expect({ status: waiting.status, step: waiting.step }).toEqual({ status: "running", step: 5 });
    // Before the backfill, the old records are not on the new backend: legacy answers them behind it.
    const readOld = async () =>
      Promise.all(
        ids.slice(0, OLD_ACCOUNTS).map(async (id) => {
          const response = await fetch(`${stack.workerUrl}/api/accounts/${id}`, { headers: cookie(0) });
          await response.arrayBuffer();
          return { status: response.status, backend: response.headers.get("x-cutover-backend"), fellBack: response.headers.get("x-cutover-fallback") };
        }),
      );
    expect((await readOld()).filter((read) => read.fellBack === "accounts;404").length).toBeGreaterThan(OLD_ACCOUNTS / 2);
    const copied = await backfill({ legacy: stack.legacyUrl as string, dynamodbEndpoint: stack.dynamoEndpoint, perSecond: 20 });
    // After it, every old record comes from the new backend itself: nothing falls back.
    expect(new Set((await readOld()).map((read) => JSON.stringify(read)))).toEqual(new Set([JSON.stringify({ status: 200, backend: "accounts", fellBack: null })]));
    expect(copied.copied).toBeGreaterThanOrEqual(OLD_ACCOUNTS);
    expect(copied.present).toBeGreaterThan(0); // the dual-written ones, never overwritten

    const done = await until("the rollout's end", (state) => state.status === "succeeded", 240).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${(await cli(["rollout", "status", "accounts"])).stdout}`);
    });
    expect(done.events.filter((event) => event.kind === "failed" || event.kind === "rolled_back")).toEqual([]);
    const route = (await json<{ table: RouteTable }>(["routes", "get"])).table.routes.find((r) => r.id === "accounts");
    expect(route).toEqual({ id: "accounts", match: { path: "/api/accounts/*" }, to: "accounts", sticky: "cookie:session_id" });
    stopTraffic();
    await traffic;
    expect(sent.failed).toEqual([]);
    expect(sent.reads).toBeGreaterThan(1000);
  }, 600_000);

  it("shows the resource migrated: its endpoints on the new backend, no longer holding legacy up, its cost moved", async () => {
    const endpoints = await mapped();
    for (const pattern of ["/api/accounts", "/api/accounts/:id"]) expect(stageOf(endpoints, "GET", pattern)).toMatchObject({ route: "accounts", stage: "new" });
    const held = await holds();
    // Nothing in the table or the legacy app's route list holds legacy up for accounts any more; what it served
    // and the fallbacks that fired before the migration ended do until they are older than the window.
    expect(held.filter((hold) => hold.subject === "accounts" || hold.subject.includes("/api/accounts")).map((hold) => hold.kind).sort()).toEqual(["fallback", "legacy-traffic"]);
    // Only history holds legacy up now: what it served in the window (under the demo's routes before this one too).
    expect(new Set(held.map((hold) => hold.kind))).toEqual(new Set(["legacy-traffic", "fallback"]));
    expect(held).toContainEqual(expect.objectContaining({ kind: "legacy-traffic", subject: "accounts-write" }));
    const progress = await json<{ readyToRemoveFallback: boolean; hours: { fellBack: number }[] }>(["migration", "progress", "accounts", "--since", "1h", "--days", "1", "--max-fallback-rate", "0.01"]);
    expect(progress.hours.reduce((sum, hour) => sum + hour.fellBack, 0)).toBeGreaterThan(0);
    // The cost report: the new backend took all of the route's traffic since, and the projection counts the route as moved.
    const cost = await json<{ routes: { route: string; onNew: Record<string, { inputs: Record<string, number> }> }[]; projections: { afterMigrating: { moved: string[] } } }>(["cost", "--since", "1h"]);
    expect(cost.routes.find((route) => route.route === "accounts")?.onNew.accounts?.inputs.requests ?? 0).toBeGreaterThan(rampedRequests);
    expect(cost.projections.afterMigrating.moved).toContain("accounts");
    // Every account, old or new, from the new store.
    const response = await fetch(`${stack.workerUrl}/api/accounts/${ids[0]}`);
    expect({ status: response.status, servedBy: ((await response.json()) as { servedBy: string }).servedBy, backend: response.headers.get("x-cutover-backend") }).toEqual({ status: 200, servedBy: "accounts-lambda", backend: "accounts" });
  });
});
