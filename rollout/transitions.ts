import type { ArmEvidence } from "../accounting/evidence-counts.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { Route } from "../routes/schema.ts";
import { decide, next, type Decision, type RolloutEvent, type RolloutState, type StoredArmEvidence } from "./decide.ts";
import type { Evidence, Verdict } from "./gates.ts";
import type { RolloutPlan } from "./plan.ts";
import { controlOf, routeAtStep, sameRoute, unmovable } from "./route-at-step.ts";
import { stepVersionsNow } from "./step-versions.ts";
import { webhookHost } from "./webhook-destination.ts";

/**
 * A rollout's state machine (Argo Rollouts' reconcile): every way a rollout changes — start,
 * a tick's decision, an operator's promote, pause, resume or abort — as a pure function from
 * the state, the route as the active table has it, the evidence and the time to a Transition.
 * control/rollouts.ts carries a Transition out, the same way for all of them: the route first
 * (a conditional write), then the state (conditional on its revision), then the message.
 */

/** History kept per rollout: the newest events. */
export const EVENTS_KEPT = 50;
/** The author of versions and audit entries the controller writes on its own. */
export const ROLLOUT_AUTHOR = "rollout-controller";

/** A route change a transition asks for. */
export interface RouteChange {
  readonly to: Route;
  /** Written only if the route is still this (a change made meanwhile is not overwritten); absent: whatever it is. */
  readonly from?: Route;
  /** Written only on this version of the table (a decision made on an older one is not carried out). */
  readonly onVersion?: number;
  /** A step takes effect everywhere at the propagation bound; a restore at once. */
  readonly delayed: boolean;
  readonly author: string;
  readonly reason: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** What the route change wrote: its version and, for a step, when it takes effect. Undefined: nothing was written. */
export interface Written {
  readonly version: number;
  readonly effectiveAt?: string;
}

export interface Transition {
  readonly route?: RouteChange;
  /** The state after (revision and updatedAt are the writer's), given what the route change wrote. */
  readonly state: (written: Written | undefined) => RolloutState;
  /** The webhook message, when the plan has one. */
  readonly notify?: { readonly event: string; readonly message: string; readonly verdict?: Verdict };
  /** An operator's action, audited as theirs (the route change is audited with the version it writes). */
  readonly audit?: { readonly action: string; readonly actor: string; readonly reason: string; readonly details: Readonly<Record<string, unknown>> };
}

export interface Refusal {
  readonly code: "nothing_to_move" | "cannot_move" | "rollout_running" | "rollout_over" | "cannot_promote";
  readonly message: string;
}

/** The route and table version a transition is decided on. */
export interface Active {
  readonly version: number;
  /** The route as the active table defines it (undefined: removed). */
  readonly route: Route | undefined;
}

/** Starts a rollout of `route`: the state that claims it (written first, conditionally), then the first step. */
export function start(
  plan: RolloutPlan,
  active: Active & { readonly route: Route },
  existing: RolloutState | undefined,
  who: { readonly actor: string; readonly reason: string; readonly now: number },
): Result<{ readonly claim: RolloutState; readonly transition: Transition }, Refusal> {
  const route = active.route;
  const reason = unmovable(plan, route);
  if (reason !== undefined) return err({ code: controlOf(plan, route) === undefined ? "nothing_to_move" : "cannot_move", message: reason });
  if (existing && (existing.status === "running" || existing.status === "paused")) {
    return err({ code: "rollout_running", message: `A rollout of '${plan.route}' is ${existing.status} (step ${existing.step + 1} of ${existing.plan.steps.length}): abort it first.` });
  }
  const at = iso(who.now);
  const first = plan.steps[0];
  const claim: RolloutState = {
    route: plan.route,
    plan,
    status: first?.type === "pause" ? "paused" : "running",
    step: 0,
    stepStartedAt: at,
    original: route,
    control: controlOf(plan, route) as string,
    shadowEpoch: (route.shadow?.epoch ?? 0) + 1,
    ...(first?.type === "pause" ? { pausedReason: "plan pause at step 1: promote to continue" } : {}),
    // The version serving the first step: the active one, unless the step writes one.
    stepVersions: [active.version],
    revision: (existing?.revision ?? 0) + 1,
    startedAt: at,
    startedBy: who.actor,
    updatedAt: at,
    events: [{ at, kind: "started", step: 0, message: `started by ${who.actor}: ${who.reason}` }],
  };
  const stepRoute = routeAtStep(plan, route, 0, claim.shadowEpoch);
  const changes = !sameRoute(stepRoute, route);
  return ok({
    claim,
    transition: {
      ...(changes
        ? {
            route: {
              to: stepRoute,
              from: route,
              delayed: true,
              author: who.actor,
              reason: `rollout of ${plan.route} to ${plan.candidate} started: ${who.reason}`,
              details: { rollout: { step: 0, plan: publicPlan(plan) } },
            },
          }
        : {}),
      state: (written) =>
        written === undefined
          ? claim
          : withEvent({ ...claim, stepStartedAt: written.effectiveAt ?? at, stepVersions: [written.version] }, { at, kind: "step", step: 0, message: `step 1 of ${plan.steps.length}`, version: written.version }),
      notify: { event: "started", message: `started by ${who.actor}: step 1 of ${plan.steps.length}` },
      audit: { action: "rollout-start", actor: who.actor, reason: who.reason, details: { route: plan.route, candidate: plan.candidate, control: claim.control, steps: plan.steps.length } },
    },
  });
}

/**
 * A controller tick: the decision on the step's evidence, and the transition that carries it
 * out (undefined: nothing to write — idle, settling).
 */
export function tick(state: RolloutState, active: Active, evidence: Evidence | undefined, now: number, settleMs: number): { readonly decision: Decision; readonly transition: Transition | undefined } {
  const decision = decide({ state, route: active.route, evidence, now, settleMs });
  const at = iso(now);
  const stepVersions = stepVersionsNow(state, active);
  switch (decision.kind) {
    case "idle":
    case "settling":
      return { decision, transition: undefined };
    case "conflict":
      return {
        decision,
        transition: {
          state: () => withEvent({ ...state, status: "paused", pausedReason: `${decision.reason}: resume to re-apply step ${state.step + 1}, or abort` }, { at, kind: "conflict", step: state.step, message: decision.reason }),
          notify: { event: "conflict", message: decision.reason },
        },
      };
    case "open-window":
      return { decision, transition: { state: () => ({ ...state, stepVersions, window: { openedAt: at } }) } };
    case "wait":
      return { decision, transition: { state: () => ({ ...state, stepVersions, lastVerdict: { ...decision.verdict, at, step: state.step } }) } };
    case "advance":
      return { decision, transition: advance(state, active, decision, { how: "passed", actor: ROLLOUT_AUTHOR, now, evidence }) };
    case "fail":
      return { decision, transition: fail(state, active, decision.verdict, decision.then, now) };
  }
}

/** An operator's promote: the next step now, whatever the evidence says (audited as theirs). */
export function promote(state: RolloutState, active: Active, who: { readonly actor: string; readonly reason: string; readonly now: number }, evidence?: Evidence): Result<Transition, Refusal> {
  if (!isLive(state)) return err(over(state));
  const decision = next(state, { outcome: "pass", summary: `promoted by ${who.actor}`, checks: [] });
  return ok({ ...advance(state, active, decision, { how: "promoted", actor: who.actor, now: who.now, evidence }), audit: operatorAudit("promote", state, who) });
}

export function pause(state: RolloutState, who: { readonly actor: string; readonly reason: string; readonly now: number }): Result<Transition, Refusal> {
  if (!isLive(state)) return err(over(state));
  const at = iso(who.now);
  const message = `paused by ${who.actor}: ${who.reason}`;
  return ok({
    state: () => (state.status === "paused" ? state : withEvent({ ...state, status: "paused", pausedReason: message }, { at, kind: "paused", step: state.step, message })),
    audit: operatorAudit("pause", state, who),
  });
}

/**
 * Resumes a paused rollout: at a plan pause, the next step (a promote); else the step is served
 * again as the plan says — over a manual change, since an operator asks — with a fresh window,
 * its evidence starting over with the version that re-applies it.
 */
export function resume(state: RolloutState, active: Active, who: { readonly actor: string; readonly reason: string; readonly now: number }): Result<Transition, Refusal> {
  if (!isLive(state)) return err(over(state));
  if (state.plan.steps[state.step]?.type === "pause") return promote(state, active, who);
  const at = iso(who.now);
  const expected = routeAtStep(state.plan, state.original, state.step, state.shadowEpoch);
  const { window: _window, pausedReason: _paused, stepVersions: _versions, ...rest } = state;
  return ok({
    ...(sameRoute(active.route, expected) ? {} : { route: { to: expected, delayed: true, author: who.actor, reason: `rollout of ${state.route} resumed: ${who.reason}`, details: { rollout: { step: state.step, resumed: true } } } }),
    state: (written) =>
      withEvent(
        { ...rest, stepVersions: [written?.version ?? active.version], status: "running", stepStartedAt: written?.effectiveAt ?? at },
        { at, kind: "resumed", step: state.step, message: `resumed by ${who.actor}: ${who.reason}` },
      ),
    audit: operatorAudit("resume", state, who),
  });
}

/** Aborts: the route as it was before the rollout comes back at once. */
export function abort(state: RolloutState, active: Active, who: { readonly actor: string; readonly reason: string; readonly now: number }): Result<Transition, Refusal> {
  if (!isLive(state)) return err(over(state));
  const at = iso(who.now);
  return ok({
    ...restoring(state, active, `rollout of ${state.route} aborted by ${who.actor}: ${who.reason}`, { rollout: { step: state.step, aborted: true } }, who.actor),
    state: (written) =>
      withEvent({ ...state, status: "aborted" }, { at, kind: "aborted", step: state.step, message: `aborted by ${who.actor}, route restored: ${who.reason}`, ...(written ? { version: written.version } : {}) }),
    audit: operatorAudit("abort", state, who),
  });
}

/** The state with `event` appended, keeping the newest EVENTS_KEPT. */
export function withEvent(state: RolloutState, event: RolloutEvent): RolloutState {
  return { ...state, events: [...state.events, event].slice(-EVENTS_KEPT) };
}

/** A plan as viewers and the audit log see it: a webhook URL's path is its secret, so only its origin shows. */
export function publicPlan(plan: RolloutPlan): RolloutPlan {
  return plan.webhook === undefined ? plan : { ...plan, webhook: webhookHost(plan.webhook) };
}

/** An arm's evidence as a state keeps it, and back. */
export function storeArm(arm: ArmEvidence): StoredArmEvidence {
  return { ...arm, latency: [...arm.latency] };
}
export function loadArm(stored: StoredArmEvidence): ArmEvidence {
  return { ...stored, latency: new Map(stored.latency) };
}

/**
 * Moves to the decision's step (or completes): the route as that step serves it, written on
 * the version the decision was made on; the step's evidence is its own version's. Moving to
 * the bake keeps the control's evidence of the step that passed, to compare with.
 */
function advance(
  state: RolloutState,
  active: Active,
  decision: Extract<Decision, { kind: "advance" }>,
  how: { readonly how: "passed" | "promoted"; readonly actor: string; readonly now: number; readonly evidence: Evidence | undefined },
): Transition {
  const at = iso(how.now);
  const step = decision.step;
  const status: RolloutState["status"] = decision.completes ? "succeeded" : decision.pauses ? "paused" : "running";
  const pausedStep = state.plan.steps[step];
  const message = decision.completes
    ? `completed: ${state.route} is served by ${describeTo(decision.route)}`
    : decision.pauses
      ? `step ${step + 1}: paused${pausedStep?.type === "pause" && pausedStep.reason ? ` (${pausedStep.reason})` : ""}; promote to continue`
      : `step ${step + 1} of ${state.plan.steps.length}: ${describeStep(state.plan, step)}`;
  const toBake = !decision.completes && pausedStep?.type === "weight" && pausedStep.weight === 100;
  const baseline = toBake && how.evidence !== undefined && how.evidence.controlFrom === undefined && how.evidence.control.users > 0 ? storeArm(how.evidence.control) : undefined;
  const { window: _window, pausedReason: _reason, bakeBaseline: _baseline, ...rest } = state;
  return {
    ...(sameRoute(active.route, decision.route)
      ? {}
      : {
          route: {
            to: decision.route,
            onVersion: active.version,
            delayed: true,
            author: how.actor,
            reason: `rollout of ${state.route} to ${state.plan.candidate}: ${decision.completes ? "complete" : `step ${step + 1} of ${state.plan.steps.length}`} (${decision.verdict.summary})`,
            details: { rollout: { step, how: how.how, verdict: compact(decision.verdict) } },
          },
        }),
    state: (written) =>
      withEvent(
        {
          ...rest,
          step,
          stepStartedAt: written?.effectiveAt ?? at,
          // The step's evidence is its own version's (the active one's, when the route stays as it was).
          stepVersions: [written?.version ?? active.version],
          status,
          ...(decision.pauses ? { pausedReason: `plan pause at step ${step + 1}: promote to continue` } : {}),
          ...(baseline ? { bakeBaseline: baseline } : toBake && state.bakeBaseline ? { bakeBaseline: state.bakeBaseline } : {}),
          lastVerdict: { ...decision.verdict, at, step: state.step },
        },
        {
          at,
          kind: decision.completes ? "succeeded" : decision.pauses ? "paused" : how.how === "promoted" ? "promoted" : "step",
          step,
          message: `${message} (${decision.verdict.summary})`,
          ...(written ? { version: written.version } : {}),
        },
      ),
    notify: { event: decision.completes ? "succeeded" : decision.pauses ? "paused" : "step", message, verdict: decision.verdict },
  };
}

/** A failed gate: with `rollback`, the route as it was comes back at once; with `pause`, the step holds. */
function fail(state: RolloutState, active: Active, verdict: Verdict, then: "rollback" | "pause" | "stepBack", now: number): Transition {
  const at = iso(now);
  if (then === "stepBack" && state.step > 0) return stepBack(state, active, verdict, at);
  if (then === "pause") {
    return {
      state: () => withEvent({ ...state, status: "paused", pausedReason: `gate failed: ${verdict.summary}`, lastVerdict: { ...verdict, at, step: state.step } }, { at, kind: "failed", step: state.step, message: verdict.summary }),
      notify: { event: "failed", message: `gate failed, paused: ${verdict.summary}`, verdict },
    };
  }
  return {
    ...restoring(state, active, `rollout of ${state.route} failed at step ${state.step + 1}: ${verdict.summary}`, { rollout: { step: state.step, verdict: compact(verdict) } }, ROLLOUT_AUTHOR),
    state: (written) =>
      withEvent(
        { ...state, status: "rolled_back", lastVerdict: { ...verdict, at, step: state.step } },
        { at, kind: "rolled_back", step: state.step, message: `gate failed, route restored: ${verdict.summary}`, ...(written ? { version: written.version } : {}) },
      ),
    notify: { event: "rolled_back", message: `rolled back: ${verdict.summary}`, verdict },
  };
}

/**
 * A data migration's failed stage: the stage before is served again at once (like a rollback,
 * but one stage: a read-through whose candidate fails goes back to the split, not to legacy
 * alone with the dual writes gone) and the rollout pauses there for an operator to resume or
 * abort; it never retries the failed stage by itself.
 */
function stepBack(state: RolloutState, active: Active, verdict: Verdict, at: string): Transition {
  const back = state.step - 1;
  const route = routeAtStep(state.plan, state.original, back, state.shadowEpoch);
  const message = `gate failed at step ${state.step + 1}, back to step ${back + 1}: ${verdict.summary}`;
  const { window: _window, ...rest } = state;
  return {
    ...(sameRoute(active.route, route)
      ? {}
      : { route: { to: route, delayed: false, author: ROLLOUT_AUTHOR, reason: `rollout of ${state.route} failed at step ${state.step + 1}, back to step ${back + 1}: ${verdict.summary}`, details: { rollout: { step: back, from: state.step, verdict: compact(verdict) } } } }),
    state: (written) =>
      withEvent(
        { ...rest, step: back, status: "paused", pausedReason: `${message}: resume to serve step ${back + 1} again, or abort`, stepVersions: [written?.version ?? active.version], stepStartedAt: at, lastVerdict: { ...verdict, at, step: state.step } },
        { at, kind: "failed", step: state.step, message, ...(written ? { version: written.version } : {}) },
      ),
    notify: { event: "failed", message, verdict },
  };
}

/** The route's pre-rollout definition back, at once (like every rollback); nothing to write when it is so already. */
function restoring(state: RolloutState, active: Active, reason: string, details: Record<string, unknown>, author: string): { route?: RouteChange } {
  return sameRoute(active.route, state.original) ? {} : { route: { to: state.original, delayed: false, author, reason, details } };
}

function isLive(state: RolloutState): boolean {
  return state.status === "running" || state.status === "paused";
}

function over(state: RolloutState): Refusal {
  return { code: "rollout_over", message: `The rollout of '${state.route}' is over (${state.status}).` };
}

function operatorAudit(verb: string, state: RolloutState, who: { readonly actor: string; readonly reason: string }): Transition["audit"] {
  return { action: `rollout-${verb}`, actor: who.actor, reason: who.reason, details: { route: state.route, step: state.step } };
}

function describeStep(plan: RolloutPlan, step: number): string {
  const s = plan.steps[step];
  if (s?.type === "shadow") return `shadowing ${plan.candidate}`;
  if (s?.type === "weight") return s.weight === 100 ? `every user on ${plan.candidate}, judged before the rollout completes` : `${s.weight} % of users on ${plan.candidate}`;
  if (s?.type === "dualWrite") return `writes copied to ${plan.candidate}`;
  if (s?.type === "readThrough") return `every request on ${plan.candidate}, its 404s read through to the control while the backfill runs`;
  if (s?.type === "rampDown") return `${plan.candidate} alone: no fallback, no dual writes`;
  return "paused";
}

function describeTo(route: Route): string {
  return typeof route.to === "string" ? route.to : Object.entries(route.to).map(([backend, weight]) => `${backend} ${weight} %`).join(", ");
}

/** The verdict without its per-check numbers: what an audit entry keeps besides the summary. */
function compact(verdict: Verdict): Record<string, unknown> {
  return { outcome: verdict.outcome, summary: verdict.summary, checks: verdict.checks.map((c) => ({ gate: c.gate, outcome: c.outcome, summary: c.summary, numbers: c.numbers })) };
}

function iso(now: number): string {
  return new Date(now).toISOString();
}
