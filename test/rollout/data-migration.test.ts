import { describe, expect, it } from "vitest";
import type { ArmEvidence } from "../../accounting/evidence-counts.ts";
import type { RolloutState } from "../../rollout/decide.ts";
import { judgeStep, type Evidence } from "../../rollout/gates.ts";
import { dataMigrationSteps, validateRolloutPlan, type RolloutPlan } from "../../rollout/plan.ts";
import { routeAtStep } from "../../rollout/route-at-step.ts";
import { tick } from "../../rollout/transitions.ts";
import type { Route } from "../../routes/schema.ts";

/**
 * A data migration's stages as a rollout (issue 25, DESIGN.md "A migration, start to finish"):
 * dual writes, shadow, weights, read-through while the backfill runs, ramp-down. Each stage's
 * route, its gate, and a failing stage stepping back one.
 */
const plan = (steps: unknown[], extra: Record<string, unknown> = {}): RolloutPlan => {
  const result = validateRolloutPlan({ route: "accounts-write", candidate: "lambda", steps, ...extra });
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
};
const issues = (steps: unknown[]) => {
  const result = validateRolloutPlan({ route: "accounts-write", candidate: "lambda", steps });
  return result.ok ? [] : result.error;
};
const original: Route = { id: "accounts-write", match: { path: "/accounts/*" }, to: "legacy", sticky: "cutover" };
const fast = { minDuration: "0s" };
const migration = plan(
  dataMigrationSteps().map((step) => ({ ...step, ...fast })),
  { onFailure: "stepBack" },
);
const arm = (users: number, failed = 0): ArmEvidence => ({ requests: users, failures: failed, clientErrors: 0, users, failedUsers: failed, clientErrorUsers: 0, latency: new Map([[30, users]]) });
const evidence = (extra: Partial<Evidence> = {}): Evidence => ({ windowMs: 3_600_000, control: arm(0), candidate: arm(0), ...extra });

describe("the data-migration plan", () => {
  it("is the story's playbook with its defaults: a day of read-through and of ramp-down", () => {
    const p = plan(dataMigrationSteps());
    expect(p.steps).toEqual([
      { type: "dualWrite", minWrites: 100, minDurationMs: 600_000 },
      { type: "shadow", minComparisons: 200, minDurationMs: 600_000 },
      { type: "weight", weight: 10, minUsers: 100, minDurationMs: 600_000 },
      { type: "weight", weight: 50, minUsers: 100, minDurationMs: 600_000 },
      { type: "readThrough", maxFallbackRate: 0.001, minRequests: 100, minDurationMs: 86_400_000 },
      { type: "rampDown", minDurationMs: 86_400_000 },
    ]);
    expect(p.gates.maxWriteFailureRate).toBe(0.01);
  });

  it.each([
    ["dualWrite after a weight step", [{ type: "weight", weight: 10 }, { type: "dualWrite" }], { path: "$.steps[1]", message: "the dualWrite step comes first: writes are copied before anyone is moved" }],
    ["a weight step after readThrough", [{ type: "readThrough" }, { type: "weight", weight: 10 }], { path: "$.steps[1]", message: "after readThrough only rampDown (or a pause) may come" }],
    ["weight 100 with a readThrough", [{ type: "weight", weight: 100 }, { type: "readThrough" }], { path: "$.steps[0].weight", message: "readThrough moves every user to the candidate: the weights before it stay under 100" }],
    ["rampDown without readThrough", [{ type: "weight", weight: 10 }, { type: "rampDown" }], { path: "$.steps[1]", message: "rampDown removes the fallback readThrough set up: it comes after a readThrough step" }],
    ["rampDown before the end", [{ type: "readThrough" }, { type: "rampDown" }, { type: "pause" }], { path: "$.steps[1]", message: "rampDown completes the migration: it must be the last step" }],
    ["two dualWrite steps", [{ type: "dualWrite" }, { type: "dualWrite" }], { path: "$.steps[1]", message: "a plan has one dualWrite step at most" }],
  ])("refuses %s", (_name, steps, expected) => {
    expect(issues(steps)).toContainEqual(expected);
  });
});

describe("the route at each stage", () => {
  const at = (step: number) => routeAtStep(migration, original, step, 1);

  it("copies writes from the dualWrite stage through the weights, read-through takes everything with legacy behind, ramp-down leaves the candidate alone", () => {
    expect(at(0)).toEqual({ ...original, dualWrite: { to: "lambda" } });
    expect(at(1)).toEqual({ ...original, shadow: { to: "lambda", epoch: 1 }, dualWrite: { to: "lambda" } });
    expect(at(2)).toEqual({ ...original, to: { legacy: 90, lambda: 10 }, shadow: { to: "lambda", epoch: 1 }, dualWrite: { to: "lambda" } });
    expect(at(3)).toEqual({ ...original, to: { legacy: 50, lambda: 50 }, shadow: { to: "lambda", epoch: 1 }, dualWrite: { to: "lambda" } });
    expect(at(4)).toEqual({ ...original, to: "lambda", fallback: { to: "legacy", on: ["404"], unsafeMethods: true } });
    expect(at(5)).toEqual({ ...original, to: "lambda" });
  });
});

describe("each stage's gate", () => {
  it("dualWrite: enough copies, and few enough the candidate failed or disagreed on", () => {
    const step = migration.steps[0] as RolloutPlan["steps"][number];
    const judge = (dualWrite: Evidence["dualWrite"]) => judgeStep(step, migration.gates, evidence(dualWrite ? { dualWrite } : {}));
    expect(judge(undefined).outcome).toBe("wait");
    expect(judge({ copied: 50, failed: 0, disagreed: 0 }).outcome).toBe("wait");
    expect(judge({ copied: 1000, failed: 0, disagreed: 0 })).toMatchObject({ outcome: "pass", summary: "passed: duration, writes, write-agreement" });
    expect(judge({ copied: 1000, failed: 30, disagreed: 20 })).toMatchObject({ outcome: "fail" });
    expect(judge({ copied: 1000, failed: 30, disagreed: 20 }).summary).toContain("write-agreement (30 failed and 20 disagreed of 1000 copied (5 %)");
    // A few failures among few copies: too little to judge either way.
    expect(judge({ copied: 8, failed: 8, disagreed: 0 }).outcome).toBe("wait");
  });

  it("readThrough: waits while the fallback rate is over its bound (the backfill still running), never fails on it, passes under it", () => {
    const step = { type: "readThrough" as const, maxFallbackRate: 0.01, minRequests: 100, minDurationMs: 0 };
    const judge = (reads: Evidence["readThrough"]) => judgeStep(step, migration.gates, evidence(reads ? { readThrough: reads } : {}));
    expect(judge(undefined).outcome).toBe("wait");
    expect(judge({ requests: 1000, fellBack: 600 })).toMatchObject({ outcome: "wait" });
    expect(judge({ requests: 50, fellBack: 0 })).toMatchObject({ outcome: "wait" });
    expect(judge({ requests: 1000, fellBack: 10 })).toMatchObject({ outcome: "pass" });
    expect(judge({ requests: 1000, fellBack: 11 })).toMatchObject({ outcome: "wait" });
  });

  it("rampDown: its duration alone", () => {
    const step = { type: "rampDown" as const, minDurationMs: 60_000 };
    expect(judgeStep(step, migration.gates, evidence({ windowMs: 59_000 })).outcome).toBe("wait");
    expect(judgeStep(step, migration.gates, evidence({ windowMs: 60_000 })).outcome).toBe("pass");
  });
});

describe("moving through the stages", () => {
  const now = Date.parse("2026-12-07T12:00:00Z");
  const running = (step: number, extra: Partial<RolloutState> = {}): RolloutState => ({
    route: "accounts-write",
    plan: migration,
    status: "running",
    step,
    stepStartedAt: "2026-12-07T11:00:00.000Z",
    stepVersions: [8],
    window: { openedAt: "2026-12-07T11:00:10.000Z" },
    original,
    control: "legacy",
    shadowEpoch: 1,
    revision: 4,
    startedAt: "2026-12-07T10:00:00.000Z",
    startedBy: "olivia",
    updatedAt: "2026-12-07T11:00:00.000Z",
    events: [{ at: "2026-12-07T10:00:00.000Z", kind: "started", step: 0, message: "started by olivia" }],
    ...extra,
  });
  const serving = (step: number) => ({ version: 8, route: routeAtStep(migration, original, step, 1) });

  it("a failing weight stage steps back one: the stage before served again at once, paused there", () => {
    const { decision, transition } = tick(running(3), serving(3), evidence({ control: arm(500), candidate: arm(500, 200) }), now, 0);
    expect(decision).toMatchObject({ kind: "fail", then: "stepBack" });
    expect(transition?.route).toMatchObject({ to: routeAtStep(migration, original, 2, 1), delayed: false });
    const state = transition?.state({ version: 9 });
    expect(state).toMatchObject({ status: "paused", step: 2, stepVersions: [9] });
    expect(state?.pausedReason).toMatch(/^gate failed at step 4, back to step 3: .*resume to serve step 3 again, or abort$/);
    expect(state).not.toHaveProperty("window");
  });

  it("a failing first stage has nothing to step back to: the route is restored", () => {
    const { transition } = tick(running(0), serving(0), evidence({ dualWrite: { copied: 1000, failed: 500, disagreed: 0 } }), now, 0);
    expect(transition?.route).toMatchObject({ to: original, delayed: false });
    expect(transition?.state({ version: 9 })).toMatchObject({ status: "rolled_back" });
  });

  it("read-through passed moves to ramp-down, and ramp-down passed completes: the route migrated", () => {
    const toRampDown = tick(running(4), serving(4), evidence({ readThrough: { requests: 1000, fellBack: 0 } }), now, 0);
    expect(toRampDown.decision).toMatchObject({ kind: "advance", step: 5, completes: false });
    expect(toRampDown.transition?.route?.to).toEqual({ ...original, to: "lambda" });
    const done = tick(running(5), serving(5), evidence(), now, 0);
    expect(done.decision).toMatchObject({ kind: "advance", completes: true });
    expect(done.transition?.state({ version: 10 })).toMatchObject({ status: "succeeded" });
  });
});
