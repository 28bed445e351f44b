import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../cli/wrangler-dev.ts";
import type { Route, RouteTable } from "../../routes/schema.ts";
import { validateRouteTable } from "../../routes/validate.ts";
import { CLUSTER_OPERATOR, startCluster, type Cluster } from "../support/isolates.ts";
import { startUpstream, type Upstream } from "../support/upstream.ts";

type Json = Record<string, unknown>;
interface Rollout {
  route: string;
  status: string;
  step: number;
  steps: number;
  pausedReason: string | null;
  events: { kind: string; step: number; message: string; version?: number }[];
  now: { decision: string; verdict?: { outcome: string; summary: string; checks: { gate: string; outcome: string; numbers: Json }[] } };
}

/**
 * Rollouts end to end: two Worker processes over one DynamoDB, real upstreams whose
 * candidates are healthy, flaky, slow or different, traffic from the test, and controller
 * ticks driven by the test (the Cron Trigger's work).
 */
const WEBHOOK_SECRET = "a-webhook-secret-of-32-bytes-or-more";

describe("rollouts", () => {
  let legacy: Upstream;
  let fresh: Upstream;
  let cluster: Cluster;
  let hooks: http.Server;
  const messages: Json[] = [];
  const signatures: { header: string | undefined; body: string }[] = [];
  let hookUrl = "";

  // Legacy and every candidate answer from the upstreams' scenarios, by a path prefix.
  const routes: Route[] = ["healthy", "flaky", "slow", "different", "idle", "manual", "race", "cli"].map((id) => ({
    id: `${id}-r`,
    match: { path: `/${id}-r/*` },
    to: "legacy",
    sticky: "cookie:session_id",
    // Two are shadowed already, as a team would before a rollout (the backends name themselves in a header).
    ...(id === "healthy" || id === "different" ? { shadow: { to: id, ignore: ["header:x-served-by"] } } : {}),
  }));

  beforeAll(async () => {
    legacy = await startUpstream("legacy");
    fresh = await startUpstream("new");
    hooks = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk));
      req.on("end", () => {
        messages.push(JSON.parse(body) as Json);
        signatures.push({ header: req.headers["cutover-signature"] as string | undefined, body });
        res.end("ok");
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, "127.0.0.1", resolve));
    hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/services/T0/B0/secret`;
    const table = validateRouteTable({
      backends: {
        legacy: { url: `http://127.0.0.1:${legacy.port}`, addPrefix: "/shadow/same" },
        healthy: { url: `http://127.0.0.1:${fresh.port}`, addPrefix: "/shadow/same" },
        flaky: { url: `http://127.0.0.1:${fresh.port}`, addPrefix: "/flaky/5" },
        slow: { url: `http://127.0.0.1:${fresh.port}`, addPrefix: "/slow/150" },
        different: { url: `http://127.0.0.1:${fresh.port}`, addPrefix: "/shadow/changed" },
      },
      default: "legacy",
      routes,
    });
    if (!table.ok) throw new Error(JSON.stringify(table.error));
    cluster = await startCluster({
      isolates: 2,
      table: table.value as RouteTable,
      vars: {
        CUTOVER_METRICS_FLUSH_MS: "100",
        CUTOVER_SHADOW_FLUSH_MS: "100",
        CUTOVER_PROPAGATION_MS: "0",
        CUTOVER_CONFIG_TTL_MS: "200",
        // The test's receiver listens on loopback over http, as under `cutover dev`.
        CUTOVER_WEBHOOK_ALLOW_PRIVATE: "on",
        CUTOVER_WEBHOOK_SECRET: WEBHOOK_SECRET,
      },
    });
  });
  afterAll(async () => {
    await cluster?.stop();
    await Promise.all([legacy?.close(), fresh?.close(), new Promise((resolve) => hooks?.close(resolve))]);
  });

  let user = 0;
  /**
   * `count` requests to a route, each from another user (a client address of its own, as
   * Cloudflare's cf-connecting-ip gives it, and a session), over both isolates.
   */
  async function traffic(route: string, count: number): Promise<void> {
    for (let i = 0; i < count; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, count - i) }, async (_, j) => {
          const n = user++;
          const headers = { cookie: `session_id=user-${n}`, "cf-connecting-ip": `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` };
          const response = await fetch(`${cluster.urls[(i + j) % 2]}/${route}/item`, { headers });
          await response.arrayBuffer();
        }),
      );
    }
  }
  const api = async (method: string, path: string, body?: unknown, isolate = 0) => {
    const response = await cluster.api(isolate, method, path, body);
    return { status: response.status, body: (await response.json()) as Json };
  };
  const start = (plan: Json) => api("POST", "/rollouts", { plan, reason: "move it" });
  const tick = (isolate = 0) => api("POST", "/rollouts/tick", {}, isolate);
  const rollout = async (route: string) => (await api("GET", `/rollouts/${route}`)).body as unknown as Rollout;
  const routeNow = async (id: string) => ((await api("GET", "/routes")).body.table as RouteTable).routes.find((r) => r.id === id);
  /** Past the step's settling time (the metrics flush interval and a margin), with counts flushed. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 1300));

  /** Traffic, a pause for the flushes, a tick: until the rollout is over or `rounds` run out. */
  async function drive(route: string, rounds: number, perRound = 100): Promise<Rollout> {
    for (let round = 0; round < rounds; round++) {
      const state = await rollout(route);
      if (state.status !== "running") return state;
      await traffic(route, perRound);
      await settle();
      await tick(round % 2);
    }
    return rollout(route);
  }

  it("promotes a healthy candidate through every step to 100 %, and tells the webhook", async () => {
    const started = await start({
      route: "healthy-r",
      candidate: "healthy",
      webhook: hookUrl,
      steps: [
        { type: "shadow", minComparisons: 30, minDuration: "0s" },
        { type: "weight", weight: 10, minUsers: 10, minDuration: "0s" },
        { type: "weight", weight: 50, minUsers: 30, minDuration: "0s" },
        // The bake: every user on the candidate, judged on its own window before the rollout completes.
        { type: "weight", weight: 100, minUsers: 30, minDuration: "0s" },
      ],
    });
    expect(started.status).toBe(201);
    expect(await routeNow("healthy-r")).toMatchObject({ to: "legacy", shadow: { to: "healthy", epoch: 1 } });
    const done = await drive("healthy-r", 25);
    expect(done.status).toBe("succeeded");
    expect(await routeNow("healthy-r")).toEqual({ id: "healthy-r", match: { path: "/healthy-r/*" }, to: "healthy", sticky: "cookie:session_id" });
    // Every step in order, none skipped, and the bake at 100 % judged before it completed.
    expect(done.events.filter((e) => e.kind === "step" || e.kind === "succeeded").map((e) => [e.kind, e.step])).toEqual([
      ["step", 0],
      ["step", 1],
      ["step", 2],
      ["step", 3],
      ["succeeded", 3],
    ]);
    expect(done.events.find((e) => e.kind === "succeeded")?.message).toMatch(/passed: .*users.*errors/);
    // The finished rollout keeps the last step's gates with their numbers (the dashboard's "Last judged").
    const kept = (await api("GET", "/rollouts")).body.rollouts as { route: string; lastVerdict: { step: number; outcome: string; checks: { gate: string; numbers: Record<string, number | null> }[] } }[];
    const judged = kept.find((r) => r.route === "healthy-r")?.lastVerdict;
    expect(judged).toMatchObject({ step: 4, outcome: "pass" });
    expect(judged?.checks.find((c) => c.gate === "users")?.numbers.candidate).toBeGreaterThanOrEqual(30);
    // The 10 % and 50 % steps were versions of their own, each with a sticky split.
    const versions = (await api("GET", "/versions?limit=10")).body.versions as { action: string; author: string }[];
    expect(versions.filter((v) => v.action === "rollout").length).toBeGreaterThanOrEqual(4);
    await expect.poll(() => messages.filter((m) => (m.cutover as Json).route === "healthy-r").map((m) => (m.cutover as Json).event), { timeout: 10_000 }).toEqual(["started", "step", "step", "step", "succeeded"]);
    const last = messages.at(-1) as Json;
    expect(String(last.text)).toContain("cutover rollout of healthy-r → healthy: completed");
    // Each message signed with CUTOVER_WEBHOOK_SECRET over its timestamp and body.
    expect(signatures.length).toBe(messages.length);
    for (const { header, body } of signatures) {
      const [, t = "", v1 = ""] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? "") ?? [];
      expect(v1).toBe(createHmac("sha256", WEBHOOK_SECRET).update(`${t}.${body}`).digest("hex"));
    }
    // Anyone who reads the rollout or the audit log sees where the webhook goes, not its secret path.
    const shown = JSON.stringify(await api("GET", "/rollouts/healthy-r")) + JSON.stringify(await api("GET", "/audit?limit=100"));
    expect(shown).not.toContain("/services/T0/B0/secret");
    expect(shown).toContain(`${new URL(hookUrl).origin}/…`);
  });

  it("rolls a candidate with 5 % more 5xx back at the first tick with enough evidence, with the evidence audited", async () => {
    expect((await start({ route: "flaky-r", candidate: "flaky", webhook: hookUrl, steps: [{ type: "weight", weight: 10, minUsers: 400, minDuration: "0s" }, { type: "weight", weight: 100 }] })).status).toBe(201);
    await settle();
    await tick(); // opens the window
    const verdicts: string[] = [];
    for (let round = 0; round < 30; round++) {
      await traffic("flaky-r", 200);
      await settle();
      const result = (await tick(round % 2)).body.results as { route: string; decision: string }[];
      verdicts.push(result.find((r) => r.route === "flaky-r")?.decision ?? "none");
      if ((await rollout("flaky-r")).status !== "running") break;
    }
    // It waited while the evidence was thin, and failed as soon as the bound said so: never passed.
    expect(verdicts.at(-1)).toBe("fail");
    expect(verdicts.slice(0, -1).every((v) => v === "wait")).toBe(true);
    const state = await rollout("flaky-r");
    expect(state.status).toBe("rolled_back");
    expect(await routeNow("flaky-r")).toEqual(routes.find((r) => r.id === "flaky-r"));
    const audit = (await api("GET", "/audit?limit=5")).body.entries as { action: string; reason: string; details?: Json }[];
    const entry = audit.find((e) => e.action === "rollout" && e.reason.includes("flaky-r failed"));
    expect(entry?.reason).toMatch(/errors \(users who met an error: candidate [\d.]+ %/);
    const errors = ((entry?.details?.rollout as Json).verdict as { checks: { gate: string; outcome: string; numbers: Json }[] }).checks.find((c) => c.gate === "errors");
    expect(errors).toMatchObject({ outcome: "fail", numbers: { controlAffectedUsers: 0, tolerance: 0.01 } });
    expect(Number(errors?.numbers.differenceLow)).toBeGreaterThan(0.01);
    await expect.poll(() => messages.some((m) => (m.cutover as Json).route === "flaky-r" && (m.cutover as Json).event === "rolled_back"), { timeout: 10_000 }).toBe(true);
  });

  it("fails a slow candidate on the latency gate", async () => {
    await start({ route: "slow-r", candidate: "slow", gates: { latencyMinSamples: { p95: 20 } }, steps: [{ type: "weight", weight: 50, minUsers: 40, minDuration: "0s" }, { type: "weight", weight: 100 }] });
    const state = await drive("slow-r", 10, 80);
    expect(state.status).toBe("rolled_back");
    expect(state.events.at(-1)?.message).toMatch(/latency-p95 \(candidate p95 1\d\d(\.\d+)? ms vs control/);
  });

  it("fails the shadow step of a candidate whose bodies differ", async () => {
    await start({ route: "different-r", candidate: "different", steps: [{ type: "shadow", minComparisons: 50, minDuration: "0s" }, { type: "weight", weight: 100 }] });
    const state = await drive("different-r", 10, 40);
    expect(state.status).toBe("rolled_back");
    expect(state.events.at(-1)?.message).toMatch(/correctness \(\d+ of \d+ mismatched \(100 %\)/);
    expect(await routeNow("different-r")).toEqual(routes.find((r) => r.id === "different-r"));
  });

  it("only waits through an idle period, saying why", async () => {
    await start({ route: "idle-r", candidate: "healthy", steps: [{ type: "weight", weight: 10, minDuration: "0s" }, { type: "weight", weight: 100 }] });
    for (let i = 0; i < 3; i++) {
      await settle();
      await tick();
    }
    const state = await rollout("idle-r");
    expect(state.status).toBe("running");
    expect(state.now.verdict?.outcome).toBe("wait");
    expect(state.now.verdict?.summary).toContain("users (control 0, candidate 0 of 100 users each)");
    expect((await api("POST", "/rollouts/idle-r/abort", { reason: "done testing" })).body.status).toBe("aborted");
    expect(await routeNow("idle-r")).toEqual(routes.find((r) => r.id === "idle-r"));
  });

  it("pauses when someone changes the route by hand mid-rollout, and `cutover status` shows the conflict", async () => {
    await start({ route: "manual-r", candidate: "healthy", steps: [{ type: "weight", weight: 10, minDuration: "0s" }, { type: "weight", weight: 100 }] });
    const flip = await api("POST", "/routes/manual-r/weights", { weights: { legacy: 70, healthy: 30 }, reason: "I know better" });
    expect(flip.status).toBe(200);
    await settle();
    await tick();
    const state = await rollout("manual-r");
    expect(state.status).toBe("paused");
    expect(state.pausedReason).toContain("was changed outside the rollout");
    // The hand-made change stands.
    expect((await routeNow("manual-r"))?.to).toEqual({ legacy: 70, healthy: 30 });
    const status = await cli(["status"]);
    expect(status.stdout).toMatch(/manual-r → healthy: paused, step 1\/2 \(10 %\) — route 'manual-r' was changed outside the rollout/);
    expect((await api("POST", "/rollouts/manual-r/abort", { reason: "done testing" })).status).toBe(200);
  });

  it("advances once when two ticks run at the same time, on two isolates", async () => {
    // `minRequests`, the old name of `minUsers`, still reads.
    await start({ route: "race-r", candidate: "healthy", steps: [{ type: "weight", weight: 10, minRequests: 5, minDuration: "0s" }, { type: "weight", weight: 50, minRequests: 5, minDuration: "0s" }, { type: "weight", weight: 100 }] });
    await settle();
    await tick(); // opens the window
    await traffic("race-r", 150);
    await settle();
    const before = (await api("GET", "/versions?limit=1")).body.activeVersion as number;
    const [a, b] = await Promise.all([tick(0), tick(1)]);
    const decisions = [a, b].map((t) => (t.body.results as { route: string; decision: string }[]).find((r) => r.route === "race-r")?.decision);
    // One advances; the other lost the race (or, if it came second, found the new step settling).
    expect(decisions.filter((d) => d === "advance")).toHaveLength(1);
    expect(decisions.filter((d) => d !== "advance")[0]).toMatch(/^(lost-race|settling)$/);
    const state = await rollout("race-r");
    expect(state.step).toBe(2);
    expect(state.events.filter((e) => e.kind === "step" && e.step === 1)).toHaveLength(1);
    // One new table served on top of the one before. The tick that lost may have taken a
    // version number first (the counter is the allocator): listed as skipped, never served.
    const history = (await api("GET", "/versions?limit=2")).body as { activeVersion: number; versions: { version: number }[] };
    expect(history.versions.map((v) => v.version)).toEqual([history.activeVersion, before]);
    await api("POST", "/rollouts/race-r/abort", { reason: "done testing" });
  });

  it("drives it all from the CLI: start, status, promote, pause, resume, abort, list", async () => {
    const started = await cli(["rollout", "start", "cli-r", "--to", "healthy", "--steps", "10,pause,100", "--min-users", "7", "--min-duration", "0s", "--reason", "from the CLI"]);
    expect(started).toMatchObject({ code: 0, stdout: expect.stringContaining("Rollout of cli-r to healthy started: step 1 of 3 (10 %)") });
    expect(((await api("GET", "/rollouts/cli-r")).body.plan as { steps: { minUsers?: number }[] }).steps.map((step) => step.minUsers)).toEqual([7, undefined, 7]);
    const status = await cli(["rollout", "status", "cli-r"]);
    expect(status.stdout).toContain("Rollout of cli-r: legacy → healthy, RUNNING");
    expect((await cli(["rollout", "pause", "cli-r", "--reason", "lunch"])).stdout).toContain("paused, step 1 of 3 (10 %)");
    expect((await cli(["rollout", "resume", "cli-r", "--reason", "back"])).stdout).toContain("running, step 1 of 3 (10 %)");
    expect((await cli(["rollout", "promote", "cli-r", "--reason", "looks fine"])).stdout).toContain("paused, step 2 of 3 (pause)");
    expect((await cli(["rollout", "resume", "cli-r", "--reason", "carry on"])).stdout).toContain("running, step 3 of 3 (100 %)");
    // Everyone on the candidate now, in the bake; an operator's promote completes it.
    expect((await cli(["rollout", "promote", "cli-r", "--reason", "baked enough"])).stdout).toContain("succeeded, step 3 of 3 (100 %)");
    expect((await routeNow("cli-r"))?.to).toBe("healthy");
    const listed = JSON.parse((await cli(["rollout", "list", "--json"])).stdout) as { rollouts: { route: string; status: string }[] };
    expect(listed.rollouts.find((r) => r.route === "cli-r")?.status).toBe("succeeded");
    const wait = await cli(["rollout", "status", "flaky-r", "--wait"]);
    expect(wait.code).toBe(5);
    const audit = await cli(["audit", "--limit", "20"]);
    expect(audit.stdout).toContain("rollout-promote");
    const missing = await cli(["rollout", "start", "cli-r", "--to", "nope", "--reason", "x"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("$.plan.candidate: unknown backend 'nope'");
  });

  function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) =>
      execFile(process.execPath, ["cli/cutover.ts", ...args], { cwd: PROJECT_ROOT, env: { ...process.env, CUTOVER_URL: cluster.urls[0], CUTOVER_TOKEN: CLUSTER_OPERATOR, NO_COLOR: "1" } }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      ),
    );
  }
});
