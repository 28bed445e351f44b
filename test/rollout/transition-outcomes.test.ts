import { describe, expect, it } from "vitest";
import type { ArmEvidence } from "../../accounting/evidence-counts.ts";
import type { RolloutState } from "../../rollout/decide.ts";
import type { Evidence, Verdict } from "../../rollout/gates.ts";
import { validateRolloutPlan, type RolloutPlan } from "../../rollout/plan.ts";
import { routeAtStep } from "../../rollout/route-at-step.ts";
import { abort, loadArm, pause, promote, publicPlan, resume, ROLLOUT_AUTHOR, start, storeArm, tick, type Transition } from "../../rollout/transitions.ts";
import type { Route } from "../../routes/schema.ts";

/**
 * Every transition as control/ carries it out: the route it writes (to what, from what, on
 * which version, at once or at the propagation bound, by whom and why), the state it leaves
 * (status, step, the step's versions, its events) and the message and audit entry it sends.
 */
const plan = (steps: unknown[], extra: Record<string, unknown> = {}): RolloutPlan => {
  const result = validateRolloutPlan({ route: "orders", candidate: "lambda", steps, ...extra });
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
};
const original: Route = { id: "orders", match: { path: "/orders/*" }, to: "legacy", sticky: "cookie:sid" };
const now = Date.parse("2026-12-07T12:00:00Z");
const at = "2026-12-07T12:00:00.000Z";
const effectiveAt = "2026-12-07T12:00:30.000Z";
const who = { actor: "olivia", reason: "because", now };
const arm = (users: number, failed = 0): ArmEvidence => ({ requests: users, failures: failed, clientErrors: 0, users, failedUsers: failed, clientErrorUsers: 0, latency: new Map([[30, users]]) });
const evidence = (control: ArmEvidence, candidate: ArmEvidence): Evidence => ({ windowMs: 3_600_000, control, candidate });
const WEBHOOK = "https://hooks.slack.com/services/T000/B000/XXXX";
const three = plan(
  [
    { type: "weight", weight: 10, minUsers: 20, minDuration: "0s" },
    { type: "weight", weight: 50, minUsers: 20, minDuration: "0s" },
    { type: "weight", weight: 100, minUsers: 20, minDuration: "0s" },
  ],
  { webhook: WEBHOOK },
);

/** A transition without its state function: what it writes, sends and audits. */
const shown = ({ state: _state, ...rest }: Transition) => rest;
const ok = <T,>(result: { ok: true; value: T } | { ok: false; error: unknown }): T => {
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.error)}`);
  return result.value;
};

/** A rollout at `step` of `p`, its window open, running on version 8. */
const running = (p: RolloutPlan, step: number, extra: Partial<RolloutState> = {}): RolloutState => ({
  route: "orders",
  plan: p,
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
  events: [{ at: "2026-12-07T10:00:00.000Z", kind: "started", step: 0, message: "started by olivia: move orders" }],
  ...extra,
});
const serving = (p: RolloutPlan, step: number, version = 8) => ({ version, route: routeAtStep(p, original, step, 1) });

describe("start", () => {
  it("claims the route, then writes the first step's route as a delayed change from the route as it is", () => {
    const { claim, transition } = ok(start(three, { version: 7, route: original }, undefined, { ...who, reason: "move orders" }));
    expect(claim).toEqual({
      route: "orders",
      plan: three,
      status: "running",
      step: 0,
      stepStartedAt: at,
      original,
      control: "legacy",
      shadowEpoch: 1,
      stepVersions: [7],
      revision: 1,
      startedAt: at,
      startedBy: "olivia",
      updatedAt: at,
      events: [{ at, kind: "started", step: 0, message: "started by olivia: move orders" }],
    });
    expect(shown(transition)).toEqual({
      route: {
        to: { ...original, to: { legacy: 90, lambda: 10 } },
        from: original,
        delayed: true,
        author: "olivia",
        reason: "rollout of orders to lambda started: move orders",
        // The audit log sees the webhook's origin only: its path is its secret.
        details: { rollout: { step: 0, plan: { ...three, webhook: "https://hooks.slack.com/…" } } },
      },
      notify: { event: "started", message: "started by olivia: step 1 of 3" },
      audit: { action: "rollout-start", actor: "olivia", reason: "move orders", details: { route: "orders", candidate: "lambda", control: "legacy", steps: 3 } },
    });
    expect(transition.state({ version: 8, effectiveAt })).toEqual({
      ...claim,
      stepStartedAt: effectiveAt,
      stepVersions: [8],
      events: [...claim.events, { at, kind: "step", step: 0, message: "step 1 of 3", version: 8 }],
    });
    expect(transition.state({ version: 8 })).toMatchObject({ stepStartedAt: at, stepVersions: [8] });
    expect(transition.state(undefined)).toBe(claim);
  });

  it("at a plan pause first: claims the route paused, writing nothing; the shadow epoch after the route's own; a revision after the last rollout's", () => {
    const p = plan([{ type: "pause" }, { type: "weight", weight: 100 }]);
    const shadowed: Route = { ...original, shadow: { to: "fargate", epoch: 3 } };
    const over = running(p, 1, { status: "succeeded", revision: 5 });
    const { claim, transition } = ok(start(p, { version: 7, route: shadowed }, over, who));
    expect(claim).toMatchObject({ status: "paused", pausedReason: "plan pause at step 1: promote to continue", shadowEpoch: 4, revision: 6 });
    expect(transition.route).toBeUndefined();
    expect(transition.state(undefined)).toBe(claim);
    expect(ok(start(three, { version: 7, route: original }, undefined, who)).claim).not.toHaveProperty("pausedReason");
  });

  it("refuses while another rollout of the route runs or is paused, saying where it is", () => {
    expect(start(three, { version: 7, route: original }, running(three, 1, { status: "paused" }), who)).toEqual({
      ok: false,
      error: { code: "rollout_running", message: "A rollout of 'orders' is paused (step 2 of 3): abort it first." },
    });
    expect(start(three, { version: 7, route: original }, running(three, 0), who)).toMatchObject({ ok: false, error: { message: "A rollout of 'orders' is running (step 1 of 3): abort it first." } });
  });
});

describe("a tick", () => {
  it("writes nothing while the step settles or the rollout is not running", () => {
    const settling = tick(running(three, 0, { stepStartedAt: "2026-12-07T11:59:59.000Z" }), serving(three, 0), undefined, now, 5000);
    expect(settling).toEqual({ decision: { kind: "settling", until: "2026-12-07T12:00:04.000Z" }, transition: undefined });
    expect(tick(running(three, 0, { status: "paused" }), serving(three, 0), undefined, now, 0)).toEqual({ decision: { kind: "idle" }, transition: undefined });
  });

  it("opens the window, taking in a version made by a change to another route", () => {
    const state = running(three, 0, { window: undefined });
    const { decision, transition } = tick(state, serving(three, 0, 9), undefined, now, 0);
    expect(decision).toEqual({ kind: "open-window" });
    expect(transition && shown(transition)).toEqual({});
    expect(transition?.state(undefined)).toEqual({ ...state, stepVersions: [8, 9], window: { openedAt: at } });
  });

  it("waits: keeps the verdict with when and at which step it was made, and writes nothing else", () => {
    const state = running(three, 0);
    const { decision, transition } = tick(state, serving(three, 0), evidence(arm(300), arm(5)), now, 0);
    expect(decision.kind).toBe("wait");
    const verdict = (decision as { verdict: Verdict }).verdict;
    expect(transition && shown(transition)).toEqual({});
    expect(transition?.state(undefined)).toEqual({ ...state, lastVerdict: { ...verdict, at, step: 0 } });
  });

  it("advances a passed step: the next step's route, on the version decided on, by the controller, with the verdict", () => {
    const state = running(three, 0, { pausedReason: "old" });
    const { decision, transition } = tick(state, serving(three, 0, 9), evidence(arm(300), arm(40)), now, 0);
    expect(decision).toMatchObject({ kind: "advance", step: 1 });
    const verdict = (decision as { verdict: Verdict }).verdict;
    expect(verdict.outcome).toBe("pass");
    const message = "step 2 of 3: 50 % of users on lambda";
    expect(shown(transition as Transition)).toEqual({
      route: {
        to: { ...original, to: { legacy: 50, lambda: 50 } },
        onVersion: 9,
        delayed: true,
        author: ROLLOUT_AUTHOR,
        reason: `rollout of orders to lambda: step 2 of 3 (${verdict.summary})`,
        details: { rollout: { step: 1, how: "passed", verdict: { outcome: "pass", summary: verdict.summary, checks: verdict.checks } } },
      },
      notify: { event: "step", message, verdict },
    });
    expect(ROLLOUT_AUTHOR).toBe("rollout-controller");
    const { window: _window, pausedReason: _reason, ...rest } = state;
    const event = { at, kind: "step", step: 1, message: `${message} (${verdict.summary})` };
    expect(transition?.state({ version: 10, effectiveAt })).toEqual({
      ...rest,
      step: 1,
      stepStartedAt: effectiveAt,
      stepVersions: [10],
      status: "running",
      lastVerdict: { ...verdict, at, step: 0 },
      events: [...state.events, { ...event, version: 10 }],
    });
    // Nothing written (the route was so already): the active version is the step's, from now.
    expect(transition?.state(undefined)).toMatchObject({ stepStartedAt: at, stepVersions: [9], events: [...state.events, event] });
  });

  it("pauses on a change made outside the rollout, saying how to go on", () => {
    const state = running(three, 1);
    const { decision, transition } = tick(state, { version: 9, route: original }, undefined, now, 0);
    const reason = "route 'orders' was changed outside the rollout";
    expect(decision).toEqual({ kind: "conflict", reason });
    expect(shown(transition as Transition)).toEqual({ notify: { event: "conflict", message: reason } });
    expect(transition?.state(undefined)).toEqual({
      ...state,
      status: "paused",
      pausedReason: `${reason}: resume to re-apply step 2, or abort`,
      events: [...state.events, { at, kind: "conflict", step: 1, message: reason }],
    });
  });

  it("rolls a failed step back at once to the route as it was, as the controller", () => {
    const state = running(three, 1);
    const { decision, transition } = tick(state, serving(three, 1, 9), evidence(arm(300), arm(100, 40)), now, 0);
    expect(decision).toMatchObject({ kind: "fail", then: "rollback" });
    const verdict = (decision as { verdict: Verdict }).verdict;
    expect(shown(transition as Transition)).toEqual({
      route: {
        to: original,
        delayed: false,
        author: "rollout-controller",
        reason: `rollout of orders failed at step 2: ${verdict.summary}`,
        details: { rollout: { step: 1, verdict: { outcome: "fail", summary: verdict.summary, checks: verdict.checks } } },
      },
      notify: { event: "rolled_back", message: `rolled back: ${verdict.summary}`, verdict },
    });
    const event = { at, kind: "rolled_back", step: 1, message: `gate failed, route restored: ${verdict.summary}` };
    expect(transition?.state({ version: 10 })).toEqual({ ...state, status: "rolled_back", lastVerdict: { ...verdict, at, step: 1 }, events: [...state.events, { ...event, version: 10 }] });
    expect(transition?.state(undefined).events.at(-1)).toEqual(event);
  });

  it("holds a failed step when the plan says pause: no route change, the reason kept", () => {
    const holding = { ...three, onFailure: "pause" as const };
    const state = running(holding, 1);
    const { decision, transition } = tick(state, serving(holding, 1), evidence(arm(300), arm(100, 40)), now, 0);
    expect(decision).toMatchObject({ kind: "fail", then: "pause" });
    const verdict = (decision as { verdict: Verdict }).verdict;
    expect(shown(transition as Transition)).toEqual({ notify: { event: "failed", message: `gate failed, paused: ${verdict.summary}`, verdict } });
    expect(transition?.state(undefined)).toEqual({
      ...state,
      status: "paused",
      pausedReason: `gate failed: ${verdict.summary}`,
      lastVerdict: { ...verdict, at, step: 1 },
      events: [...state.events, { at, kind: "failed", step: 1, message: verdict.summary }],
    });
  });
});

describe("an operator's promote", () => {
  const promoted: Verdict = { outcome: "pass", summary: "promoted by olivia", checks: [] };

  it("moves to the next step whatever the evidence, audited as theirs", () => {
    const state = running(three, 0);
    const transition = ok(promote(state, serving(three, 0), who));
    expect(shown(transition)).toEqual({
      route: {
        to: { ...original, to: { legacy: 50, lambda: 50 } },
        onVersion: 8,
        delayed: true,
        author: "olivia",
        reason: "rollout of orders to lambda: step 2 of 3 (promoted by olivia)",
        details: { rollout: { step: 1, how: "promoted", verdict: { outcome: "pass", summary: "promoted by olivia", checks: [] } } },
      },
      notify: { event: "step", message: "step 2 of 3: 50 % of users on lambda", verdict: promoted },
      audit: { action: "rollout-promote", actor: "olivia", reason: "because", details: { route: "orders", step: 0 } },
    });
    expect(transition.state({ version: 9 }).events.at(-1)).toEqual({ at, kind: "promoted", step: 1, message: "step 2 of 3: 50 % of users on lambda (promoted by olivia)", version: 9 });
  });

  it("into the bake, keeps the control's evidence only when it has users and is the step's own", () => {
    const state = running(three, 1);
    const toBake = (e: Evidence | undefined) => ok(promote(state, serving(three, 1), who, e)).state({ version: 9 });
    expect(toBake(evidence(arm(300), arm(40)))).toMatchObject({ step: 2, bakeBaseline: { users: 300, latency: [[30, 300]] } });
    expect(toBake(evidence(arm(0), arm(40)))).not.toHaveProperty("bakeBaseline");
    expect(toBake({ ...evidence(arm(300), arm(40)), controlFrom: "baseline" })).not.toHaveProperty("bakeBaseline");
    expect(ok(promote(state, serving(three, 1), who)).notify?.message).toBe("step 3 of 3: every user on lambda, judged before the rollout completes");
  });

  it("past the bake, completes with every user on the candidate, the baseline dropped", () => {
    const baking = running(three, 2, { bakeBaseline: storeArm(arm(300)) });
    const transition = ok(promote(baking, serving(three, 2), who));
    expect(transition.route).toMatchObject({ to: { ...original, to: "lambda" }, reason: "rollout of orders to lambda: complete (promoted by olivia)" });
    expect(transition.notify).toEqual({ event: "succeeded", message: "completed: orders is served by lambda", verdict: promoted });
    const done = transition.state({ version: 9 });
    expect(done).toMatchObject({ status: "succeeded", step: 2 });
    expect(done).not.toHaveProperty("bakeBaseline");
    expect(done.events.at(-1)).toMatchObject({ kind: "succeeded", message: "completed: orders is served by lambda (promoted by olivia)" });
  });

  it("past a last step below 100, completes where it is: the split stays, nothing is written", () => {
    const half = plan([{ type: "weight", weight: 10 }, { type: "weight", weight: 50 }]);
    const transition = ok(promote(running(half, 1), serving(half, 1), who));
    expect(transition.route).toBeUndefined();
    expect(transition.notify?.message).toBe("completed: orders is served by legacy 50 %, lambda 50 %");
    expect(transition.state(undefined)).toMatchObject({ status: "succeeded", stepVersions: [8] });
    expect(transition.state(undefined).events.at(-1)).not.toHaveProperty("version");
  });

  it("into a plan pause: paused there, saying why and how to go on", () => {
    const withPause = plan([{ type: "weight", weight: 10 }, { type: "pause", reason: "check the dashboards" }, { type: "weight", weight: 100 }]);
    const transition = ok(promote(running(withPause, 0), serving(withPause, 0), who));
    expect(transition.route).toBeUndefined();
    expect(transition.notify).toEqual({ event: "paused", message: "step 2: paused (check the dashboards); promote to continue", verdict: promoted });
    expect(transition.state(undefined)).toMatchObject({ status: "paused", step: 1, pausedReason: "plan pause at step 2: promote to continue" });
    expect(transition.state(undefined).events.at(-1)).toMatchObject({ kind: "paused" });
    const bare = plan([{ type: "weight", weight: 10 }, { type: "pause" }, { type: "weight", weight: 100 }]);
    expect(ok(promote(running(bare, 0), serving(bare, 0), who)).notify?.message).toBe("step 2: paused; promote to continue");
  });

  it("into a shadow step: says the candidate is shadowed", () => {
    const shadowFirst = plan([{ type: "pause" }, { type: "shadow" }, { type: "weight", weight: 10 }]);
    const transition = ok(promote(running(shadowFirst, 0, { status: "paused" }), serving(shadowFirst, 0), who));
    expect(transition.notify?.message).toBe("step 2 of 3: shadowing lambda");
    expect(transition.route?.to).toEqual({ ...original, shadow: { to: "lambda", epoch: 1 } });
  });
});

describe("pause, resume and abort", () => {
  it("pause: paused with who and why, audited; pausing again changes nothing", () => {
    const state = running(three, 1);
    const transition = ok(pause(state, who));
    expect(shown(transition)).toEqual({ audit: { action: "rollout-pause", actor: "olivia", reason: "because", details: { route: "orders", step: 1 } } });
    expect(transition.state(undefined)).toEqual({
      ...state,
      status: "paused",
      pausedReason: "paused by olivia: because",
      events: [...state.events, { at, kind: "paused", step: 1, message: "paused by olivia: because" }],
    });
    const paused = running(three, 1, { status: "paused" });
    expect(ok(pause(paused, who)).state(undefined)).toBe(paused);
  });

  it("resume: the step served again over a manual change, with a fresh window and versions from the one written", () => {
    const state = running(three, 1, { status: "paused", pausedReason: "route changed" });
    const transition = ok(resume(state, { version: 9, route: original }, who));
    expect(shown(transition)).toEqual({
      route: { to: { ...original, to: { legacy: 50, lambda: 50 } }, delayed: true, author: "olivia", reason: "rollout of orders resumed: because", details: { rollout: { step: 1, resumed: true } } },
      audit: { action: "rollout-resume", actor: "olivia", reason: "because", details: { route: "orders", step: 1 } },
    });
    const { window: _window, pausedReason: _reason, ...rest } = state;
    expect(transition.state({ version: 10, effectiveAt })).toEqual({
      ...rest,
      stepVersions: [10],
      status: "running",
      stepStartedAt: effectiveAt,
      events: [...state.events, { at, kind: "resumed", step: 1, message: "resumed by olivia: because" }],
    });
    // The route is as the step serves it: nothing to write, the active version is the step's.
    const asIs = ok(resume(state, serving(three, 1, 9), who));
    expect(asIs.route).toBeUndefined();
    expect(asIs.state(undefined)).toMatchObject({ stepVersions: [9], stepStartedAt: at, status: "running" });
  });

  it("resume at a plan pause is a promote", () => {
    const withPause = plan([{ type: "weight", weight: 10 }, { type: "pause" }, { type: "weight", weight: 100 }]);
    const transition = ok(resume(running(withPause, 1, { status: "paused" }), serving(withPause, 1), who));
    expect(transition.audit?.action).toBe("rollout-promote");
    expect(transition.state({ version: 9 })).toMatchObject({ step: 2, status: "running" });
  });

  it("abort: the route as it was, at once, audited", () => {
    const state = running(three, 1);
    const transition = ok(abort(state, serving(three, 1), who));
    expect(shown(transition)).toEqual({
      route: { to: original, delayed: false, author: "olivia", reason: "rollout of orders aborted by olivia: because", details: { rollout: { step: 1, aborted: true } } },
      audit: { action: "rollout-abort", actor: "olivia", reason: "because", details: { route: "orders", step: 1 } },
    });
    expect(transition.state({ version: 9 })).toEqual({ ...state, status: "aborted", events: [...state.events, { at, kind: "aborted", step: 1, message: "aborted by olivia, route restored: because", version: 9 }] });
    // Already as it was: nothing to write.
    const asWas = ok(abort(state, { version: 9, route: original }, who));
    expect(asWas.route).toBeUndefined();
    expect(asWas.state(undefined).events.at(-1)).not.toHaveProperty("version");
  });

  it.each(["succeeded", "rolled_back", "aborted"] as const)("refuses to pause, resume, promote or abort a rollout that has %s", (status) => {
    const over = running(three, 1, { status });
    const refusal = { ok: false, error: { code: "rollout_over", message: `The rollout of 'orders' is over (${status}).` } };
    expect(pause(over, who)).toEqual(refusal);
    expect(resume(over, serving(three, 1), who)).toEqual(refusal);
    expect(promote(over, serving(three, 1), who)).toEqual(refusal);
    expect(abort(over, serving(three, 1), who)).toEqual(refusal);
  });
});

describe("what a state keeps", () => {
  it("a plan without a webhook as it is; an arm's evidence as JSON and back", () => {
    const bare = plan([{ type: "weight", weight: 10 }]);
    expect(publicPlan(bare)).toBe(bare);
    expect(publicPlan(three).webhook).toBe("https://hooks.slack.com/…");
    const evidence = { ...arm(40, 3), latency: new Map([[10, 25], [30, 15]]) };
    expect(storeArm(evidence)).toEqual({ ...evidence, latency: [[10, 25], [30, 15]] });
    expect(loadArm(JSON.parse(JSON.stringify(storeArm(evidence))))).toEqual(evidence);
  });
});
