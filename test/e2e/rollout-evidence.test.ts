import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileTable } from "../../routes/compile.ts";
import { decide } from "../../routes/decide.ts";
import type { RouteTable } from "../../routes/schema.ts";
import { validateRouteTable } from "../../routes/validate.ts";
import { startCluster, type Cluster } from "../support/isolates.ts";

type Json = Record<string, unknown>;
interface Rollout {
  status: string;
  step: number;
  events: { kind: string; step: number; message: string }[];
  now: { decision: string; verdict?: { outcome: string; summary: string } };
}

/**
 * Evidence that cannot be gamed, end to end: two Worker processes over one DynamoDB, real
 * backends, a few hundred real users (client addresses, as Cloudflare's `cf-connecting-ip`
 * gives them; plain workerd passes the header through) and ONE attacker who knows how the
 * gates count. The attacker sends cheap 404s, picks cohort cookies to land on the arm it
 * wants, uses a tester override, and starts uploads it never finishes (they hold the
 * backend until its timeout, which used to be charged to the backend as a 504).
 *
 * The plans say `minRequests`, the old name of `minUsers`, so that this file also runs
 * against the cutover before users were counted: there scenario (a) is promoted to 100 %.
 */
const OVERRIDE_SECRET = "an-override-secret-of-32-bytes-or-more";
const ATTACKER = "203.0.113.66";

/** A backend: `statusOf(path)` for each request, answered once the request's body has all arrived. */
async function backend(statusOf: (path: string) => number): Promise<{ port: number; forwardedFor: Set<string>; close: () => Promise<void> }> {
  const forwardedFor = new Set<string>();
  const server = http.createServer((req, res) => {
    forwardedFor.add(String(req.headers["x-forwarded-for"]));
    req.resume();
    req.on("end", () => {
      res.writeHead(statusOf(req.url ?? "/"), { "content-type": "application/json" });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    forwardedFor,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("rollout evidence that one client cannot game", () => {
  let cluster: Cluster;
  const upstreams: Awaited<ReturnType<typeof backend>>[] = [];
  let overrideToken = "";

  beforeAll(async () => {
    const what = (path: string) => path.split("/").at(-1) ?? "";
    // The control: 200 for real pages, 404 for what does not exist, 500 for the attacker's junk.
    const legacy = await backend((path) => (what(path).startsWith("missing") ? 404 : what(path) === "junk" ? 500 : 200));
    // A candidate that fails every real user, and answers a missing page with a cheap 404.
    const broken = await backend((path) => (what(path).startsWith("missing") ? 404 : what(path) === "upload" ? 200 : 503));
    // A healthy candidate.
    const healthy = await backend((path) => (what(path).startsWith("missing") ? 404 : 200));
    upstreams.push(legacy, broken, healthy);
    // A stalled upload is given up after uploadIdleTimeoutMs (its 408 is the client's): 1 s, so a round need not wait the default minute for it.
    const origin = (port: number) => ({ url: `http://127.0.0.1:${port}`, timeoutMs: 800, uploadIdleTimeoutMs: 1000 });
    const table = validateRouteTable({
      backends: { legacy: origin(legacy.port), broken: origin(broken.port), healthy: origin(healthy.port) },
      default: "legacy",
      routes: [
        { id: "a-r", match: { path: "/a/*" }, to: "legacy", sticky: "cookie:session_id" },
        { id: "b-r", match: { path: "/b/*" }, to: "legacy", sticky: "cookie:session_id" },
      ],
    });
    if (!table.ok) throw new Error(JSON.stringify(table.error));
    cluster = await startCluster({
      isolates: 2,
      table: table.value as RouteTable,
      vars: { CUTOVER_METRICS_FLUSH_MS: "100", CUTOVER_SHADOW_FLUSH_MS: "100", CUTOVER_PROPAGATION_MS: "0", CUTOVER_CONFIG_TTL_MS: "200", CUTOVER_OVERRIDE_SECRET: OVERRIDE_SECRET },
    });
  });
  afterAll(async () => {
    await cluster?.stop();
    await Promise.all(upstreams.map((upstream) => upstream.close()));
  });

  const api = async (method: string, path: string, body?: unknown, isolate = 0) => {
    const response = await cluster.api(isolate, method, path, body);
    return { status: response.status, body: (await response.json()) as Json };
  };
  const rollout = async (route: string) => (await api("GET", `/rollouts/${route}`)).body as unknown as Rollout;
  const active = async () => (await api("GET", "/routes")).body as { version: number; table: RouteTable };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 1300));

  /** Runs `tasks` 25 at a time, alternating between the isolates. */
  async function batch(tasks: ((isolate: number) => Promise<unknown>)[]): Promise<void> {
    for (let i = 0; i < tasks.length; i += 25) await Promise.all(tasks.slice(i, i + 25).map((task, j) => task((i + j) % 2)));
  }
  const get = async (isolate: number, path: string, headers: Record<string, string>) => {
    const response = await fetch(`${cluster.urls[isolate]}${path}`, { headers });
    await response.arrayBuffer();
    return response;
  };

  /** 400 real users, each with its own address and session: `count` of them (in turn) load a page. */
  let turn = 0;
  const realUsers = (prefix: string, count: number) =>
    Array.from({ length: count }, () => {
      const user = turn++ % 400;
      return (isolate: number) => get(isolate, `/${prefix}/item`, { "cf-connecting-ip": `198.18.${Math.floor(user / 200)}.${(user % 200) + 1}`, cookie: `session_id=real-${user}` });
    });

  /** Session ids that put the attacker on `arm` of the route as the active table splits it now: chosen, many of them. */
  async function cookiesFor(routeId: string, path: string, arm: string, count: number): Promise<string[]> {
    const { version, table } = await active();
    const route = compileTable(table, version).matcher.match("GET", "shop.example.com", path);
    if (route === undefined) throw new Error(`no route for ${path}`);
    const cookies: string[] = [];
    for (let n = 0; cookies.length < count && n < 100_000; n++) {
      const key = `${routeId}-attack-${n}`;
      if (decide(route, { cohortKey: key, roll: 0, override: undefined }).backend.name === arm) cookies.push(`session_id=${key}`);
    }
    return cookies;
  }

  /**
   * An upload the attacker starts and never finishes: the backend waits for the rest of the
   * body until its timeout; `hangUp` breaks the connection off instead, mid-body.
   */
  const unfinishedUpload = (path: string, cookie: string, hangUp: boolean) => (isolate: number) =>
    new Promise<void>((resolve) => {
      const url = new URL(`${cluster.urls[isolate]}${path}`);
      const request = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { "cf-connecting-ip": ATTACKER, cookie, "content-length": "100000", "content-type": "application/octet-stream" } });
      request.on("response", (response) => {
        response.resume();
        response.on("end", () => {
          request.destroy();
          resolve();
        });
      });
      request.on("error", () => resolve());
      request.write(Buffer.alloc(1000, 97));
      if (hangUp) setTimeout(() => request.destroy(), 100);
    });

  /** Traffic, a pause for the flushes, a tick: until the rollout is over or `rounds` run out. The route's split after each round. */
  async function drive(routeId: string, rounds: number, attack: () => Promise<void>): Promise<{ state: Rollout; splits: unknown[] }> {
    const splits: unknown[] = [];
    for (let round = 0; round < rounds; round++) {
      if ((await rollout(routeId)).status !== "running") break;
      await Promise.all([batch(realUsers(routeId[0] as string, 150)), attack()]);
      await settle();
      await api("POST", "/rollouts/tick", {}, round % 2);
      splits.push((await active()).table.routes.find((r) => r.id === routeId)?.to);
    }
    return { state: await rollout(routeId), splits };
  }

  const plan = (route: string, candidate: string) => ({
    route,
    candidate,
    steps: [
      { type: "weight", weight: 10, minRequests: 20, minDuration: "0s" },
      { type: "weight", weight: 50, minRequests: 20, minDuration: "0s" },
      // The bake: every user on the candidate, judged before the rollout completes.
      { type: "weight", weight: 100, minRequests: 20, minDuration: "0s" },
    ],
    // What one client can make of errors and users is this test's matter, not latency, which
    // the two shared cores running the whole stack move by tens of milliseconds.
    gates: { latencyRatio: { p95: 20, p99: 20 } },
  });

  it("(a) rolls back a candidate that fails every real user, whatever one attacker adds to make it look healthy", async () => {
    expect((await api("POST", "/rollouts", { plan: plan("a-r", "broken"), reason: "evidence test (a)" })).status).toBe(201);
    const minted = await api("POST", "/overrides", { backend: "broken", route: "a-r", ttlSeconds: 600, reason: "the attacker is a tester too" });
    expect(minted.status).toBe(201);
    overrideToken = String(minted.body.token);
    let sent = 0;
    const attack = async () => {
      const [toCandidate, toControl] = await Promise.all([cookiesFor("a-r", "/a/x", "broken", 300), cookiesFor("a-r", "/a/x", "legacy", 25)]);
      await batch([
        // Cheap 404s on the candidate, each from a cohort cookie picked to land there.
        ...toCandidate.map((cookie) => (isolate: number) => get(isolate, `/a/missing-${sent++}`, { "cf-connecting-ip": ATTACKER, cookie })),
        // The same through a tester override.
        ...Array.from({ length: 50 }, () => (isolate: number) => get(isolate, `/a/missing-${sent++}`, { "cf-connecting-ip": ATTACKER, "x-cutover-override": overrideToken })),
        // Uploads never finished, on the control: they used to be its 504s (its "errors").
        ...toControl.map((cookie, i) => unfinishedUpload("/a/upload", cookie, i % 5 === 0)),
      ]);
    };
    const { state, splits } = await drive("a-r", 8, attack);
    expect(state.status).toBe("rolled_back");
    // It never reached 100 %, and the route is back as it was.
    expect(splits).not.toContain("broken");
    expect((await active()).table.routes.find((r) => r.id === "a-r")?.to).toBe("legacy");
    expect(state.events.at(-1)?.message).toMatch(/errors \(users who met an error: candidate [89]\d(\.\d+)? %/);
    // The attacker's address reached the backends as the Worker saw it: the header passes through.
    expect([...(upstreams[0]?.forwardedFor ?? [])]).toContain(ATTACKER);
  });

  it("(b) promotes a healthy candidate through every step, whatever one attacker sends to get it rolled back", async () => {
    expect((await api("POST", "/rollouts", { plan: plan("b-r", "healthy"), reason: "evidence test (b)" })).status).toBe(201);
    let sent = 0;
    const attack = async () => {
      const [toCandidate, toControl] = await Promise.all([cookiesFor("b-r", "/b/x", "healthy", 120), cookiesFor("b-r", "/b/x", "legacy", 20)]);
      await batch([
        // Junk the control answers with a 500.
        ...toControl.map((cookie) => (isolate: number) => get(isolate, "/b/junk", { "cf-connecting-ip": ATTACKER, cookie })),
        // 404s from the candidate: one user's, however many.
        ...toCandidate.slice(20).map((cookie) => (isolate: number) => get(isolate, `/b/missing-${sent++}`, { "cf-connecting-ip": ATTACKER, cookie })),
        // Uploads never finished, on the candidate: they used to be its 504s.
        ...toCandidate.slice(0, 20).map((cookie, i) => unfinishedUpload("/b/upload", cookie, i % 5 === 0)),
      ]);
    };
    const { state, splits } = await drive("b-r", 14, attack);
    if (state.status !== "succeeded") console.error(JSON.stringify(state.now), state.events.map((e) => e.message));
    expect(state.status).toBe("succeeded");
    expect(splits).toContainEqual({ legacy: 50, healthy: 50 });
    expect((await active()).table.routes.find((r) => r.id === "b-r")?.to).toBe("healthy");
    // Every step passed on its evidence, none skipped.
    expect(state.events.filter((e) => e.kind === "step" || e.kind === "succeeded").map((e) => [e.kind, e.step])).toEqual([
      ["step", 0],
      ["step", 1],
      ["step", 2],
      ["succeeded", 2],
    ]);
  });
});
