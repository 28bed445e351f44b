import { describe, expect, it } from "vitest";
import type { ArmEvidence } from "../../accounting/evidence-counts.ts";
import type { RolloutState } from "../../rollout/decide.ts";
import type { Evidence } from "../../rollout/gates.ts";
import { validateRolloutPlan, type RolloutPlan } from "../../rollout/plan.ts";
import { routeAtStep } from "../../rollout/route-at-step.ts";
import { abort, EVENTS_KEPT, pause, promote, resume, start, tick, type Transition } from "../../rollout/transitions.ts";
import type { Route } from "../../routes/schema.ts";

const plan = (steps: unknown[], extra: Record<string, unknown> = {}): RolloutPlan => {
  const result = validateRolloutPlan({ route: "orders", candidate: "lambda", steps, ...extra });
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
};
const original: Route = { id: "orders", match: { path: "/orders/*" }, to: "legacy", sticky: "cookie:sid" };
const now = Date.parse("2026-12-07T12:00:00Z");
const who = { actor: "olivia", reason: "move orders", now };
const arm = (users: number, failed = 0): ArmEvidence => ({ requests: users, failures: failed, clientErrors: 0, users, failedUsers: failed, clientErrorUsers: 0, latency: new Map([[10, users]]) });
const evidence = (control: ArmEvidence, candidate: ArmEvidence): Evidence => ({ windowMs: 3_600_000, control, candidate });

/** A started rollout's state, as its first write leaves it. */
function started(p: RolloutPlan, route: Route = original): RolloutState {
  const result = start(p, { version: 7, route }, undefined, who);
  if (!result.ok) throw new Error(result.error.message);
  return result.value.transition.state({ version: 8 });
}
/** A transition carried out as control/ does: the state it leaves, given the version its route change wrote. */
const after = (transition: Transition, written = 9) => transition.state(transition.route ? { version: written } : undefined);

describe("starting a rollout", () => {
  it("claims the route, then serves the first step as a new version", () => {
    const p = plan([{ type: "weight", weight: 10 }, { type: "weight", weight: 100 }]);
    const result = start(p, { version: 7, route: original }, undefined, who);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.claim).toMatchObject({ status: "running", step: 0, control: "legacy", revision: 1, stepVersions: [7] });
    expect(result.value.transition.route).toMatchObject({ to: { to: { legacy: 90, lambda: 10 } }, from: original, delayed: true });
    expect(after(result.value.transition, 8)).toMatchObject({ stepVersions: [8], events: [{ kind: "started" }, { kind: "step", version: 8 }] });
  });

  it("refuses a route split among three backends, rather than drop one, saying how to make it movable", () => {
    const three: Route = { ...original, to: { legacy: 50, lambda: 25, other: 25 } };
    const result = start(plan([{ type: "weight", weight: 50 }]), { version: 7, route: three }, undefined, who);
    expect(result).toMatchObject({ ok: false, error: { code: "cannot_move" } });
    expect(!result.ok && result.error.message).toContain("splits its users among legacy, lambda, other");
    // A third backend at weight 0 is no user's: that route can move.
    expect(start(plan([{ type: "weight", weight: 50 }]), { version: 7, route: { ...original, to: { legacy: 100, lambda: 0, other: 0 } } }, undefined, who).ok).toBe(true);
  });

  it("refuses a route already on the candidate, and a second rollout of a route", () => {
    expect(start(plan([{ type: "weight", weight: 50 }]), { version: 7, route: { ...original, to: "lambda" } }, undefined, who)).toMatchObject({ ok: false, error: { code: "nothing_to_move" } });
    const running = started(plan([{ type: "weight", weight: 50 }]));
    expect(start(plan([{ type: "weight", weight: 50 }]), { version: 9, route: original }, running, who)).toMatchObject({ ok: false, error: { code: "rollout_running" } });
  });
});

describe("moving through the steps", () => {
  const p = plan([{ type: "weight", weight: 10, minUsers: 20, minDuration: "0s" }, { type: "weight", weight: 100, minUsers: 20, minDuration: "0s" }]);

  it("keeps the control's evidence of the last step when it moves to 100 %, for the bake to compare with", () => {
    const state = { ...started(p), window: { openedAt: new Date(now - 60_000).toISOString() } };
    const passing = evidence(arm(300), arm(40));
    const { decision, transition } = tick(state, { version: 8, route: routeAtStep(p, original, 0, 1) }, passing, now, 0);
    expect(decision).toMatchObject({ kind: "advance", step: 1, completes: false });
    const baking = after(transition as Transition);
    expect(baking).toMatchObject({ step: 1, status: "running", bakeBaseline: { users: 300, failedUsers: 0 } });
    expect(baking.bakeBaseline?.latency).toEqual([[10, 300]]);
  });

  it("promoted to 100 % with no evidence, the bake has no baseline (it is judged against none of its users failing)", () => {
    const state = started(p);
    const promoted = promote(state, { version: 8, route: routeAtStep(p, original, 0, 1) }, who);
    expect(promoted.ok && after(promoted.value)).toMatchObject({ step: 1, status: "running" });
    expect(promoted.ok && after(promoted.value).bakeBaseline).toBeUndefined();
  });

  it("keeps the newest events only, however long the rollout runs", () => {
    let state = started(p);
    const active = { version: 8, route: routeAtStep(p, original, 0, 1) };
    for (let i = 0; i < 40; i++) {
      const paused = pause(state, { ...who, reason: `pause ${i}` });
      if (!paused.ok) throw new Error("pause refused");
      state = after(paused.value);
      const resumed = resume(state, active, { ...who, reason: `resume ${i}` });
      if (!resumed.ok) throw new Error("resume refused");
      state = after(resumed.value);
    }
    expect(state.events).toHaveLength(EVENTS_KEPT);
    expect(state.events.at(-1)?.message).toBe("resumed by olivia: resume 39");
    expect(state.events[0]?.message).toBe("paused by olivia: pause 15");
  });

  it("aborts back to the route as it was, at once; refuses to act on a rollout that is over", () => {
    const state = started(p);
    const aborted = abort(state, { version: 8, route: routeAtStep(p, original, 0, 1) }, who);
    expect(aborted.ok && aborted.value.route).toMatchObject({ to: original, delayed: false });
    expect(aborted.ok && after(aborted.value)).toMatchObject({ status: "aborted" });
    const over = aborted.ok ? after(aborted.value) : state;
    expect(pause(over, who)).toMatchObject({ ok: false, error: { code: "rollout_over" } });
    expect(promote(over, { version: 9, route: original }, who)).toMatchObject({ ok: false, error: { code: "rollout_over" } });
  });

  it("pauses, without writing the route, when someone changed it outside the rollout", () => {
    const state = started(p);
    const { decision, transition } = tick(state, { version: 9, route: { ...original, to: { legacy: 50, lambda: 50 } } }, undefined, now, 0);
    expect(decision).toMatchObject({ kind: "conflict" });
    expect(transition?.route).toBeUndefined();
    expect(transition && after(transition)).toMatchObject({ status: "paused" });
  });
});
