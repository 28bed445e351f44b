import { describe, expect, it } from "vitest";
import type { ArmEvidence } from "../../accounting/evidence-counts.ts";
import { decide, next, START_GRACE_MS, type RolloutState } from "../../rollout/decide.ts";
import type { Evidence, Verdict } from "../../rollout/gates.ts";
import { validateRolloutPlan, type RolloutPlan } from "../../rollout/plan.ts";
import { completedRoute, routeAtStep } from "../../rollout/route-at-step.ts";
import type { Route } from "../../routes/schema.ts";

/** The controller's decision at the edges: a window without evidence yet, a step past the plan, the last step. */
const plan = (steps: unknown[]): RolloutPlan => {
  const result = validateRolloutPlan({ route: "orders", candidate: "lambda", steps });
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
};
const original: Route = { id: "orders", match: { path: "/orders/*" }, to: "legacy" };
const arm = (users: number): ArmEvidence => ({ requests: users, failures: 0, clientErrors: 0, users, failedUsers: 0, clientErrorUsers: 0, latency: new Map([[40, users]]) });
const passing: Evidence = { windowMs: 3_600_000, control: arm(500), candidate: arm(500) };
const now = Date.parse("2026-12-07T12:00:00Z");
const stateOf = (p: RolloutPlan, step: number, extra: Partial<RolloutState> = {}): RolloutState => ({
  route: "orders",
  plan: p,
  status: "running",
  step,
  stepStartedAt: "2026-12-07T11:00:00.000Z",
  stepVersions: [7],
  window: { openedAt: "2026-12-07T11:00:10.000Z" },
  original,
  control: "legacy",
  shadowEpoch: 1,
  revision: 2,
  startedAt: "2026-12-07T11:00:00.000Z",
  startedBy: "olivia",
  updatedAt: "2026-12-07T11:00:00.000Z",
  events: [],
  ...extra,
});
const pass: Verdict = { outcome: "pass", summary: "passed", checks: [] };
const p = plan([{ type: "weight", weight: 10, minUsers: 20, minDuration: "0s" }, { type: "weight", weight: 50, minUsers: 20, minDuration: "0s" }]);

describe("the controller's decision", () => {
  it("opens the window first: with a window but no evidence yet, or evidence but no window", () => {
    const route = routeAtStep(p, original, 0, 1);
    expect(decide({ state: stateOf(p, 0), route, evidence: undefined, now, settleMs: 0 })).toEqual({ kind: "open-window" });
    expect(decide({ state: stateOf(p, 0, { window: undefined }), route, evidence: passing, now, settleMs: 0 })).toEqual({ kind: "open-window" });
    // Settled exactly now: no longer settling.
    expect(decide({ state: stateOf(p, 0, { window: undefined }), route, evidence: undefined, now: Date.parse("2026-12-07T11:00:05.000Z"), settleMs: 5000 })).toEqual({ kind: "open-window" });
  });

  it("says which change it will not overwrite", () => {
    expect(decide({ state: stateOf(p, 0), route: { ...original, to: "lambda" }, evidence: passing, now, settleMs: 0 })).toEqual({ kind: "conflict", reason: "route 'orders' was changed outside the rollout" });
  });

  it("does nothing for a step the plan does not have", () => {
    const beyond = stateOf(p, 5);
    expect(decide({ state: beyond, route: routeAtStep(p, original, 5, 1), evidence: passing, now, settleMs: 0 })).toEqual({ kind: "idle" });
  });

  it("waits with the verdict while a step's minimums are not met", () => {
    const thin = { ...passing, candidate: arm(5) };
    expect(decide({ state: stateOf(p, 0), route: routeAtStep(p, original, 0, 1), evidence: thin, now, settleMs: 0 })).toMatchObject({ kind: "wait", verdict: { outcome: "wait" } });
  });
});

describe("where a passed step leads", () => {
  it("to the next step, serving its route", () => {
    expect(next(stateOf(p, 0), pass)).toEqual({ kind: "advance", verdict: pass, step: 1, route: { ...original, to: { legacy: 50, lambda: 50 } }, pauses: false, completes: false });
  });

  it("past a last step below 100: completes where it is, the split kept", () => {
    expect(next(stateOf(p, 1), pass)).toEqual({ kind: "advance", verdict: pass, step: 1, route: { ...original, to: { legacy: 50, lambda: 50 } }, pauses: false, completes: true });
    const decided = decide({ state: stateOf(p, 1), route: routeAtStep(p, original, 1, 1), evidence: passing, now, settleMs: 0 });
    expect(decided).toMatchObject({ kind: "advance", step: 1, completes: true, pauses: false });
  });

  it("from the bake: completes with every user on the candidate, without pausing", () => {
    const baking = plan([{ type: "weight", weight: 10 }, { type: "weight", weight: 100 }]);
    expect(next(stateOf(baking, 1), pass)).toEqual({ kind: "advance", verdict: pass, step: 1, route: completedRoute(baking, original), pauses: false, completes: true });
    expect(completedRoute(baking, original)).toEqual({ ...original, to: "lambda" });
  });

  it("into a pause: pauses, the route as the step before left it", () => {
    const paused = plan([{ type: "weight", weight: 10 }, { type: "pause" }, { type: "weight", weight: 100 }]);
    expect(next(stateOf(paused, 0), pass)).toEqual({ kind: "advance", verdict: pass, step: 1, route: { ...original, to: { legacy: 90, lambda: 10 } }, pauses: true, completes: false });
  });
});

describe("a rollout being started", () => {
  // The claim is stored before the first step's route is written: a tick in between sees the
  // route as it was. It waits for the starter instead of pausing the rollout as "changed
  // outside the rollout" (which failed the start it raced: seen under cutover dev's 3 s tick).
  const started = "2026-12-07T11:59:50.000Z";
  const claim = stateOf(p, 0, { stepStartedAt: started, window: undefined, events: [{ at: started, kind: "started", step: 0, message: "started by olivia: go" }] });

  it("waits while its first step's route is still the original, within the grace", () => {
    expect(decide({ state: claim, route: original, evidence: undefined, now, settleMs: 0 })).toEqual({ kind: "settling", until: new Date(Date.parse(started) + START_GRACE_MS).toISOString() });
  });

  it("goes on at once when the first step leaves the route as it was (nothing for the starter to write)", () => {
    const already = { ...original, to: { legacy: 90, lambda: 10 } };
    expect(decide({ state: { ...claim, original: already }, route: already, evidence: undefined, now, settleMs: 0 })).toEqual({ kind: "open-window" });
  });

  it("is a conflict once the grace has passed (a starter that died in between)", () => {
    expect(decide({ state: claim, route: original, evidence: undefined, now: Date.parse(started) + START_GRACE_MS, settleMs: 0 })).toMatchObject({ kind: "conflict" });
  });

  it("is a conflict when the route is neither the original nor the step's, or later in the rollout", () => {
    expect(decide({ state: claim, route: { ...original, to: "lambda" }, evidence: undefined, now, settleMs: 0 })).toMatchObject({ kind: "conflict" });
    const later = { ...claim, events: [...claim.events, { at: started, kind: "conflict" as const, step: 0, message: "x" }] };
    expect(decide({ state: later, route: original, evidence: undefined, now, settleMs: 0 })).toMatchObject({ kind: "conflict" });
    expect(decide({ state: { ...claim, step: 1 }, route: original, evidence: undefined, now, settleMs: 0 })).toMatchObject({ kind: "conflict" });
  });
});
