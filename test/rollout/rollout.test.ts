import { describe, expect, it } from "vitest";
import type { ArmEvidence } from "../../accounting/evidence-counts.ts";
import { latencyBucket } from "../../accounting/latency-buckets.ts";
import type { Route } from "../../routes/schema.ts";
import { decide, next, type RolloutState } from "../../rollout/decide.ts";
import { judgeStep, type Evidence } from "../../rollout/gates.ts";
import { DEFAULT_GATES, parseStepList, upgradeStoredPlan, validateRolloutPlan, type RolloutPlan } from "../../rollout/plan.ts";
import { completedRoute, controlOf, routeAtStep } from "../../rollout/route-at-step.ts";
import { differenceInterval, wilson, zFor } from "../../rollout/statistics.ts";
import { stepVersionsNow } from "../../rollout/step-versions.ts";

/** An arm of `n` users, one request each, `errors` of them failing, latencies cycling through `ms`. */
function arm(n: number, errors = 0, ms: readonly number[] = [50]): ArmEvidence {
  const latency = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const bucket = latencyBucket(ms[i % ms.length] as number);
    latency.set(bucket, (latency.get(bucket) ?? 0) + 1);
  }
  return { requests: n, failures: errors, clientErrors: 0, users: n, failedUsers: errors, clientErrorUsers: 0, latency };
}
const idle: ArmEvidence = arm(0);

const plan = (steps: unknown[], extra: Record<string, unknown> = {}): RolloutPlan => {
  const result = validateRolloutPlan({ route: "orders", candidate: "lambda", steps, ...extra });
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
};
const weightStep = plan([{ type: "weight", weight: 10, minUsers: 100, minDuration: "10m" }]);
const evidence = (control: ArmEvidence, candidate: ArmEvidence, windowMs = 3_600_000, shadow?: Evidence["shadow"]): Evidence => ({ windowMs, control, candidate, ...(shadow ? { shadow } : {}) });
const judge = (e: Evidence, p = weightStep) => judgeStep(p.steps[0]!, p.gates, e);

describe("confidence bounds", () => {
  it("has the textbook quantiles and Wilson intervals", () => {
    expect(zFor(0.95)).toBeCloseTo(1.96, 3);
    expect(zFor(0.99)).toBeCloseTo(2.5758, 3);
    // 0 of 100: not "0 %", an upper bound of 3.7 %.
    expect(wilson(0, 100, 0.95).high).toBeCloseTo(0.037, 3);
    expect(wilson(5, 100, 0.95).low).toBeCloseTo(0.0215, 3);
    expect(wilson(0, 0, 0.95)).toEqual({ low: 0, high: 1 });
  });

  it("bounds a difference of proportions (Newcombe) sensibly at zero counts and uneven arms", () => {
    const d = differenceInterval(5, 100, 0, 900, 0.95);
    expect(d.estimate).toBeCloseTo(0.05, 5);
    expect(d.low).toBeGreaterThan(0.01);
    expect(d.low).toBeLessThan(0.05);
    const none = differenceInterval(0, 100, 0, 100, 0.95);
    expect(none.low).toBeLessThan(0);
    expect(none.high).toBeGreaterThan(0);
  });
});

describe("step verdicts", () => {
  it.each([
    ["zero errors on both arms, enough traffic", arm(900), arm(100), "pass"],
    ["the candidate 5 points worse, enough traffic", arm(900, 0), arm(100, 5), "fail"],
    ["as bad as the control", arm(900, 45), arm(100, 5), "pass"],
    ["one error in 12 users: too little to call", arm(100), arm(12, 1), "wait"],
    ["every one of the first 10 users failing: fails early", arm(100), arm(10, 10), "fail"],
    ["2 of 2 failing: under the evidence floor, waits", arm(30), arm(2, 2), "wait"],
    ["a burst: many users, all within the tolerance", arm(9000, 90), arm(1000, 12), "pass"],
  ])("%s → %s", (_name, control, candidate, outcome) => {
    expect(judge(evidence(control, candidate)).outcome).toBe(outcome);
  });

  it("waits out the minimum duration and user counts, saying for what", () => {
    const early = judge(evidence(arm(900), arm(100), 120_000));
    expect(early.outcome).toBe("wait");
    expect(early.summary).toContain("duration (2 min of 10 min)");
    const thin = judge(evidence(arm(900), arm(40)));
    expect(thin.summary).toContain("users (control 900, candidate 40 of 100 users each)");
  });

  it("an idle period only waits, never fails", () => {
    expect(judge(evidence(idle, idle)).outcome).toBe("wait");
  });

  it("fails a candidate whose p95 is over its ratio and slack, and does not judge p99 on too few requests", () => {
    const slow = judge(evidence(arm(900, 0, [40, 50, 60]), arm(200, 0, [200, 250, 300])));
    expect(slow.outcome).toBe("fail");
    expect(slow.checks.find((c) => c.gate === "latency-p95")).toMatchObject({ outcome: "fail" });
    expect(slow.checks.find((c) => c.gate === "latency-p99")).toMatchObject({ outcome: "skip", summary: "not judged: 200 of 500 requests per arm" });
    // 2 ms against 5 ms is "2.5 times slower", and nothing to fail a step for.
    expect(judge(evidence(arm(900, 0, [2]), arm(200, 0, [5]))).outcome).toBe("pass");
  });

  it("carries its numbers: users per arm, rates and their bounds, the tolerance", () => {
    const verdict = judge(evidence(arm(900), arm(100, 5)));
    expect(verdict.checks.find((c) => c.gate === "errors")?.numbers).toMatchObject({ controlUsers: 900, candidateUsers: 100, candidateAffectedUsers: 5, candidateRate: 0.05, tolerance: 0.01, candidateRequests: 100 });
  });

  it.each([
    ["no mismatches in 300", { attempts: 300, mismatched: 0 }, "pass"],
    ["30 mismatches in 300", { attempts: 300, mismatched: 30 }, "fail"],
    ["5 in 300: between the bounds, waits for more", { attempts: 300, mismatched: 5 }, "wait"],
    ["too few comparisons", { attempts: 5, mismatched: 0 }, "wait"],
  ])("shadow step: %s → %s", (_name, shadow, outcome) => {
    const shadowPlan = plan([{ type: "shadow", minComparisons: 200, minDuration: "1m" }]);
    expect(judge(evidence(idle, idle, 3_600_000, shadow), shadowPlan).outcome).toBe(outcome);
  });
});

describe("the controller's decision", () => {
  const original: Route = { id: "orders", match: { path: "/orders/*" }, to: "legacy" };
  const p = plan([{ type: "shadow", minComparisons: 10, minDuration: "0s" }, { type: "weight", weight: 10, minUsers: 20, minDuration: "0s" }, { type: "pause" }, { type: "weight", weight: 100 }]);
  const state = (step: number, extra: Partial<RolloutState> = {}): RolloutState => ({
    route: "orders",
    plan: p,
    status: "running",
    step,
    stepStartedAt: "2026-11-25T12:00:00.000Z",
    stepVersions: [12],
    window: { openedAt: "2026-11-25T12:00:10.000Z" },
    original,
    control: "legacy",
    shadowEpoch: 1,
    revision: 3,
    startedAt: "2026-11-25T12:00:00.000Z",
    startedBy: "olivia",
    updatedAt: "2026-11-25T12:00:00.000Z",
    events: [],
    ...extra,
  });
  const now = Date.parse("2026-11-25T13:00:00Z");

  it("serves each step's route: a shadow in a new epoch, then a sticky split that keeps it, then all on the candidate", () => {
    expect(routeAtStep(p, original, 0, 1)).toEqual({ ...original, shadow: { to: "lambda", epoch: 1 } });
    expect(routeAtStep(p, original, 1, 1)).toEqual({ ...original, to: { legacy: 90, lambda: 10 }, shadow: { to: "lambda", epoch: 1 } });
    expect(routeAtStep(p, original, 2, 1)).toEqual(routeAtStep(p, original, 1, 1));
    // The bake: every user on the candidate, still a split (its requests are evidence), without the shadow.
    expect(routeAtStep(p, original, 3, 1)).toEqual({ ...original, to: { legacy: 0, lambda: 100 } });
    expect(completedRoute(p, { ...original, shadow: { to: "lambda", epoch: 1 } })).toEqual({ ...original, to: "lambda" });
  });

  it("never moves users back: a route already split 50/50 keeps 50 through a 10 % step", () => {
    const split: Route = { ...original, to: { legacy: 50, lambda: 50 }, sticky: "cookie:session_id" };
    expect(routeAtStep(p, split, 1, 1).to).toEqual({ legacy: 50, lambda: 50 });
    expect(routeAtStep(p, split, 3, 1).to).toEqual({ legacy: 0, lambda: 100 });
    expect(completedRoute(p, split).to).toBe("lambda");
    // Weight 0 is not a control: everything is on the candidate already.
    expect(controlOf(p, { ...original, to: { legacy: 0, lambda: 100 } })).toBeUndefined();
  });

  it("advances a passing step, pauses at a pause step, moves to 100 % to bake, and completes only once the bake passed", () => {
    const passed = decide({ state: state(1), route: routeAtStep(p, original, 1, 1), evidence: evidence(arm(200), arm(25), 60_000, { attempts: 300, mismatched: 0 }), now, settleMs: 1000 });
    expect(passed).toMatchObject({ kind: "advance", step: 2, pauses: true, completes: false });
    const paused = state(2, { status: "paused" });
    expect(decide({ state: paused, route: routeAtStep(p, original, 2, 1), evidence: undefined, now, settleMs: 0 })).toEqual({ kind: "idle" });
    // Promoted past the pause: to 100 %, not complete yet.
    expect(next(state(2), { outcome: "pass", summary: "promoted", checks: [] })).toMatchObject({ kind: "advance", step: 3, completes: false, route: { to: { legacy: 0, lambda: 100 } } });
    // The bake judged on its own window: a candidate failing its users fails it, one that does not completes.
    const baking = state(3);
    const bake = routeAtStep(p, original, 3, 1);
    const baseline = { ...evidence(arm(900), arm(0)), controlFrom: "baseline" as const };
    expect(decide({ state: baking, route: bake, evidence: { ...baseline, candidate: arm(300, 60) }, now, settleMs: 0 })).toMatchObject({ kind: "fail", then: "rollback" });
    const done = decide({ state: baking, route: bake, evidence: { ...baseline, candidate: arm(300) }, now, settleMs: 0 });
    expect(done).toMatchObject({ kind: "advance", step: 3, completes: true, route: { ...original, to: "lambda" } });
    // Too few users on the candidate at 100 %: waits.
    expect(decide({ state: baking, route: bake, evidence: { ...baseline, candidate: arm(5) }, now, settleMs: 0 })).toMatchObject({ kind: "wait" });
  });

  it("bakes a plan that went straight to 100 % against none of its users meeting an error (no control to compare with)", () => {
    const straight = plan([{ type: "weight", weight: 100, minUsers: 20, minDuration: "0s" }]);
    const bake = (candidate: ArmEvidence) => judgeStep(straight.steps[0]!, straight.gates, { ...evidence(idle, candidate), controlFrom: "none" });
    expect(bake(arm(300)).outcome).toBe("pass");
    expect(bake(arm(300, 30)).outcome).toBe("fail");
    expect(bake(arm(5)).outcome).toBe("wait");
  });

  it("pauses on a change made outside the rollout instead of overwriting it", () => {
    expect(decide({ state: state(1), route: { ...original, to: { legacy: 50, lambda: 50 } }, evidence: undefined, now, settleMs: 0 })).toMatchObject({ kind: "conflict" });
    expect(decide({ state: state(1), route: undefined, evidence: undefined, now, settleMs: 0 })).toMatchObject({ kind: "conflict", reason: "route 'orders' was removed from the table" });
  });

  it("settles before it opens a window, and fails to the plan's onFailure", () => {
    const starting = decide({ state: state(1, { stepStartedAt: "2026-11-25T12:59:59.000Z" }), route: routeAtStep(p, original, 1, 1), evidence: undefined, now, settleMs: 5000 });
    expect(starting).toEqual({ kind: "settling", until: "2026-11-25T13:00:04.000Z" });
    expect(decide({ state: state(1, { window: undefined }), route: routeAtStep(p, original, 1, 1), evidence: undefined, now, settleMs: 0 })).toEqual({ kind: "open-window" });
    const failing = decide({ state: state(1), route: routeAtStep(p, original, 1, 1), evidence: evidence(arm(900), arm(100, 20), 60_000), now, settleMs: 0 });
    expect(failing).toMatchObject({ kind: "fail", then: "rollback" });
  });
});

describe("plans", () => {
  it("reads --steps lists and refuses plans that cannot run, with the field and why", () => {
    expect(parseStepList("shadow,1,10,50,100")).toEqual([{ type: "shadow" }, { type: "weight", weight: 1 }, { type: "weight", weight: 10 }, { type: "weight", weight: 50 }, { type: "weight", weight: 100 }]);
    expect(parseStepList("shadow,fast")).toBeUndefined();
    const bad = validateRolloutPlan({ route: "orders", candidate: "lambda", steps: [{ type: "weight", weight: 50 }, { type: "weight", weight: 10 }, { type: "weight", weight: 100, minDuration: "soon" }] });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error.map((i) => `${i.path}: ${i.message}`)).toEqual(
      expect.arrayContaining([expect.stringContaining("$.steps[2].minDuration: must be a duration such as 30s, 10m, 2h or 1d")]),
    );
    const falling = validateRolloutPlan({ route: "orders", candidate: "lambda", steps: [{ type: "weight", weight: 50 }, { type: "weight", weight: 10 }] });
    expect(!falling.ok && falling.error).toContainEqual({ path: "$.steps[1].weight", message: "weights must rise: 10 after 50" });
    expect(plan([{ type: "weight", weight: 5 }]).steps[0]).toEqual({ type: "weight", weight: 5, minUsers: 100, minDurationMs: 600_000 });
  });

  it("reads minRequests, the old name of minUsers, as minUsers: in a new plan and in a stored one", () => {
    expect(plan([{ type: "weight", weight: 5, minRequests: 40 }]).steps[0]).toMatchObject({ minUsers: 40 });
    expect(plan([{ type: "weight", weight: 5, minUsers: 40, minRequests: 40 }]).steps[0]).toMatchObject({ minUsers: 40 });
    const both = validateRolloutPlan({ route: "orders", candidate: "lambda", steps: [{ type: "weight", weight: 5, minUsers: 40, minRequests: 30 }] });
    expect(!both.ok && both.error).toContainEqual({ path: "$.steps[0].minRequests", message: "is the old name of minUsers: give one of them" });
    // As an earlier cutover stored it: minRequests, and no clientErrorRateTolerance.
    const { clientErrorRateTolerance: _dropped, ...oldGates } = DEFAULT_GATES;
    const stored = { route: "orders", candidate: "lambda", steps: [{ type: "weight", weight: 10, minRequests: 30, minDurationMs: 0 }, { type: "pause" }], gates: oldGates, onFailure: "rollback" } as unknown as RolloutPlan;
    const upgraded = upgradeStoredPlan(stored);
    expect(upgraded.steps).toEqual([{ type: "weight", weight: 10, minUsers: 30, minDurationMs: 0 }, { type: "pause" }]);
    expect(upgraded.gates.clientErrorRateTolerance).toBe(0.05);
  });
});

describe("the step's versions", () => {
  const original: Route = { id: "orders", match: { path: "/orders/*" }, to: "legacy" };
  const p = plan([{ type: "weight", weight: 10 }, { type: "weight", weight: 100 }]);
  const state = { route: "orders", plan: p, status: "running", step: 0, original, control: "legacy", shadowEpoch: 1 } as unknown as RolloutState;
  const serving = routeAtStep(p, original, 0, 1);

  it("keeps the step's own version and adds later ones that serve the route as the step does", () => {
    expect(stepVersionsNow({ ...state, stepVersions: [7] }, { version: 7, route: serving })).toEqual([7]);
    // Another route changed: version 9 serves the step's route too.
    expect(stepVersionsNow({ ...state, stepVersions: [7] }, { version: 9, route: serving })).toEqual([7, 9]);
    // Someone changed the route: that version is not the step's.
    expect(stepVersionsNow({ ...state, stepVersions: [7] }, { version: 9, route: { ...serving, to: { legacy: 50, lambda: 50 } } })).toEqual([7]);
    // A state from an earlier cutover: the evidence starts with the active version.
    expect(stepVersionsNow(state, { version: 9, route: serving })).toEqual([9]);
    // Bounded: the step's own, and the newest others.
    const many = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(stepVersionsNow({ ...state, stepVersions: many }, { version: 500, route: serving })).toEqual([1, ...many.slice(2), 500]);
  });
});
