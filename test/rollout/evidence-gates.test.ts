import { describe, expect, it } from "vitest";
import { armEvidence, emptyEvidence, mergeEvidence, type EvidenceCounts } from "../../accounting/evidence-counts.ts";
import type { AttemptResult } from "../../accounting/traffic-counts.ts";
import { userOf } from "../../accounting/users.ts";
import { judgeStep, type Verdict } from "../../rollout/gates.ts";
import { validateRolloutPlan, type RolloutPlan } from "../../rollout/plan.ts";
import type { EvidenceKey, MetricsStore } from "../../store/metrics-store.ts";
import { createTrafficRecorder, type AttemptRecord, type RequestRecord } from "../../worker/traffic-recorder.ts";

/**
 * The gates on users, fed the way the Worker feeds them: requests recorded by the traffic
 * recorder (arm, attempts, table version, client), flushed into evidence cells, judged by a
 * weight step. One client is one user however much it sends; a tester override, cutover's
 * refusals and a client that stopped sending are nobody's evidence.
 */
const VERSION = 12;

function harness() {
  const cells = new Map<string, EvidenceCounts>();
  const store = {
    async add() {
      return { retry: undefined, lost: 0 };
    },
    async addEvidence(key: EvidenceKey, counts: EvidenceCounts) {
      const id = `${key.route}|${key.version}|${key.backend}`;
      mergeEvidence(cells.get(id) ?? cells.set(id, emptyEvidence()).get(id)!, counts);
      return { retry: undefined, lost: 0 };
    },
  } as unknown as MetricsStore;
  const recorder = createTrafficRecorder({ store, flushMs: 0, now: () => Date.parse("2026-11-25T12:00:00Z"), onError: (error) => expect.fail(String(error)) });
  const send = (client: string, backend: string, result: AttemptResult, extra: Partial<RequestRecord> & { fallback?: AttemptRecord } = {}) => {
    const { fallback, ...rest } = extra;
    const first: AttemptRecord = { backend, result, ms: 20, ...(fallback ? { fallbackTrigger: "404" } : {}) };
    recorder.record({ route: "orders", arm: "split", version: VERSION, user: userOf(client, () => undefined), attempts: fallback ? [first, fallback] : [first], ...rest });
  };
  const evidence = async () => {
    await recorder.flushIfDue();
    const arm = (backend: string) => armEvidence(cells.get(`orders|${VERSION}|${backend}`) ?? emptyEvidence());
    return { windowMs: 3_600_000, control: arm("legacy"), candidate: arm("lambda") };
  };
  return { send, evidence, cells };
}

const ok = (status = 200): AttemptResult => ({ kind: "response", status });
const addresses = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}.${Math.floor(i / 250)}.${(i % 250) + 1}`);

const plan = (minUsers = 100): RolloutPlan => {
  const result = validateRolloutPlan({ route: "orders", candidate: "lambda", steps: [{ type: "weight", weight: 10, minUsers, minDuration: "0s" }, { type: "weight", weight: 100 }] });
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
};
const judge = async (h: ReturnType<typeof harness>, p = plan()): Promise<Verdict> => judgeStep(p.steps[0]!, p.gates, await h.evidence());
const check = (verdict: Verdict, gate: string) => verdict.checks.find((c) => c.gate === gate);

describe("rollout gates count users, not requests", () => {
  it("one client sending 1 000 failing requests to a healthy candidate is one user who met a failure: no rollback", async () => {
    const h = harness();
    for (const client of addresses(900, "198.18")) h.send(client, "legacy", ok());
    for (const client of addresses(150, "198.19")) h.send(client, "lambda", ok());
    for (let i = 0; i < 1000; i++) h.send("203.0.113.66", "lambda", ok(500));
    const verdict = await judge(h);
    expect(check(verdict, "errors")).toMatchObject({ outcome: "pass", numbers: { candidateAffectedUsers: 1, candidateAffectedRequests: 1000 } });
    expect(verdict.outcome).toBe("pass");
  });

  it("a candidate that fails every real user fails, however many cheap 404s and 200s one client adds", async () => {
    const h = harness();
    for (const client of addresses(900, "198.18")) h.send(client, "legacy", ok());
    for (const client of addresses(120, "198.19")) h.send(client, "lambda", ok(503));
    for (let i = 0; i < 1000; i++) h.send("203.0.113.66", "lambda", ok(i % 2 === 0 ? 404 : 200));
    const verdict = await judge(h);
    expect(verdict.outcome).toBe("fail");
    expect(check(verdict, "errors")).toMatchObject({ outcome: "fail" });
    expect(Number(check(verdict, "errors")?.numbers.candidateRate)).toBeGreaterThan(0.95);
    // Its 404s are one user's: no 4xx verdict against the candidate either.
    expect(check(verdict, "client-errors")).toMatchObject({ outcome: "pass", numbers: { candidateAffectedUsers: 1 } });
  });

  it("minimums wait on distinct users: 5 clients sending 1 000 requests each are 5 users", async () => {
    const h = harness();
    for (const client of addresses(5, "198.18")) for (let i = 0; i < 1000; i++) h.send(client, i % 2 === 0 ? "legacy" : "lambda", ok());
    const verdict = await judge(h);
    expect(verdict.outcome).toBe("wait");
    expect(verdict.summary).toContain("users (control 5, candidate 5 of 100 users each)");
    expect(check(verdict, "errors")?.summary).toContain("too few users to judge");
  });

  it("fails a candidate that answers 404 to 30 % of its users where the control answers 2xx", async () => {
    const h = harness();
    for (const client of addresses(900, "198.18")) h.send(client, "legacy", ok());
    addresses(200, "198.19").forEach((client, i) => h.send(client, "lambda", ok(i % 10 < 3 ? 404 : 200)));
    const verdict = await judge(h);
    expect(verdict.outcome).toBe("fail");
    expect(check(verdict, "errors")).toMatchObject({ outcome: "pass" });
    expect(check(verdict, "client-errors")).toMatchObject({ outcome: "fail", numbers: { tolerance: 0.05, controlAffectedUsers: 0 } });
    expect(Number(check(verdict, "client-errors")?.numbers.candidateRate)).toBeCloseTo(0.3, 1);
    expect(verdict.summary).toMatch(/client-errors \(users who got a 4xx: candidate 3\d(\.\d+)? %/);
  });

  it("counts a 404 both arms answer alike as no difference", async () => {
    const h = harness();
    addresses(900, "198.18").forEach((client, i) => h.send(client, "legacy", ok(i % 10 === 0 ? 404 : 200)));
    addresses(200, "198.19").forEach((client, i) => h.send(client, "lambda", ok(i % 10 === 0 ? 404 : 200)));
    expect((await judge(h)).outcome).toBe("pass");
  });

  it("never counts a tester override, cutover's refusals, a client that stopped sending or a fallback's second try", async () => {
    const h = harness();
    const attacker = "203.0.113.66";
    for (let i = 0; i < 50; i++) {
      h.send(attacker, "lambda", ok(500), { arm: "override" });
      for (const status of [400, 405, 413]) h.send(attacker, "lambda", { kind: "proxy", status });
      h.send(attacker, "lambda", { kind: "client", status: 499 });
      // The candidate said 404 and the control (the fallback) answered: the candidate's try counts, the control's does not.
      h.send(attacker, "lambda", ok(404), { fallback: { backend: "legacy", result: ok(500), ms: 5 } });
    }
    const { candidate, control } = await h.evidence();
    expect(candidate).toMatchObject({ requests: 50, failures: 0, clientErrors: 0, users: 1, failedUsers: 0, clientErrorUsers: 0 });
    expect(control).toMatchObject({ requests: 0, users: 0 });
    // Nor is a request without a table version (no table), nor one no split decided.
    const other = harness();
    other.send(attacker, "lambda", ok(500), { version: undefined });
    other.send(attacker, "lambda", ok(500), { arm: "single" });
    expect(other.cells.size).toBe(0);
  });
});
