import type { ArmEvidence } from "../accounting/evidence-counts.ts";
import type { Route } from "../routes/schema.ts";
import { judgeStep, type Evidence, type Verdict } from "./gates.ts";
import type { RolloutPlan } from "./plan.ts";
import { completedRoute, routeAtStep, sameRoute } from "./route-at-step.ts";

/** An arm's evidence as a rollout state keeps it (JSON: the latency histogram as pairs). */
export interface StoredArmEvidence extends Omit<ArmEvidence, "latency"> {
  readonly latency: readonly (readonly [bucket: number, count: number])[];
}

export type RolloutStatus = "running" | "paused" | "succeeded" | "rolled_back" | "aborted";

/** One line of a rollout's history. */
export interface RolloutEvent {
  readonly at: string;
  readonly kind: "started" | "step" | "paused" | "resumed" | "promoted" | "failed" | "rolled_back" | "succeeded" | "aborted" | "conflict";
  readonly step: number;
  readonly message: string;
  /** The table version written, when there was one. */
  readonly version?: number;
}

/**
 * A rollout as stored (DynamoDB `rollouts` / `<route>`), every write conditional on
 * `revision`: two ticks never both act on one state.
 */
export interface RolloutState {
  readonly route: string;
  readonly plan: RolloutPlan;
  readonly status: RolloutStatus;
  /** Index into `plan.steps`. */
  readonly step: number;
  /** When the step's table version took (or takes) effect everywhere. */
  readonly stepStartedAt: string;
  /**
   * The route-table versions whose evidence is the step's: the version that first served the
   * step (the one it published, or the active one when the step left the route as it was),
   * and every later version a tick found serving the route as the step does (a change to
   * another route makes a new version mid-step). Evidence is counted per version, so nothing
   * from before the step is in it. Absent in states stored by an earlier cutover: the active
   * version then.
   */
  readonly stepVersions?: readonly number[];
  /**
   * The step's evidence window: opened once the step's version serves everywhere and its
   * counts have had one flush interval to arrive; the minimum duration runs from it. (States
   * stored by an earlier cutover also hold a `minute` and a `baseline`, no longer read.)
   */
  readonly window?: { readonly openedAt: string };
  /**
   * The control's evidence of the last weight step, kept when the rollout moves to 100 %:
   * what the bake compares the candidate with, since the control then serves nobody.
   */
  readonly bakeBaseline?: StoredArmEvidence;
  /** The route before the rollout: what a rollback restores. */
  readonly original: Route;
  readonly control: string;
  /** The shadow epoch a shadow step uses (the route's own, plus one). */
  readonly shadowEpoch: number;
  readonly pausedReason?: string;
  readonly lastVerdict?: Verdict & { readonly at: string; readonly step: number };
  readonly revision: number;
  readonly startedAt: string;
  readonly startedBy: string;
  readonly updatedAt: string;
  /** Oldest first, the last 50. */
  readonly events: readonly RolloutEvent[];
}

export type Decision =
  /** Not running: nothing to do. */
  | { readonly kind: "idle" }
  /** Someone changed or removed the route: pause rather than overwrite their change. */
  | { readonly kind: "conflict"; readonly reason: string }
  /** The step's version is not yet in effect everywhere (or its counts not yet flushed). */
  | { readonly kind: "settling"; readonly until: string }
  /** Start the step's evidence window now. */
  | { readonly kind: "open-window" }
  | { readonly kind: "wait"; readonly verdict: Verdict }
  /** The step passed: move to `step`, serving `route` (unchanged for a pause; `completes` once the bake at 100 % passed, or past the last step). */
  | { readonly kind: "advance"; readonly verdict: Verdict; readonly step: number; readonly route: Route; readonly pauses: boolean; readonly completes: boolean }
  | { readonly kind: "fail"; readonly verdict: Verdict; readonly then: "rollback" | "pause" | "stepBack" };

export interface DecideInput {
  readonly state: RolloutState;
  /** The route as the active table defines it now (undefined: removed). */
  readonly route: Route | undefined;
  /** The step's window of evidence; undefined until the window is open. */
  readonly evidence: Evidence | undefined;
  readonly now: number;
  /** How long after a step's version takes effect its window opens: one metrics flush interval, so that its counts reach the store. */
  readonly settleMs: number;
}

/**
 * The rollout controller's decision, a pure function of the plan and state, the evidence and
 * the time (Argo Rollouts' reconcile, Flagger's canary analysis): the tick does the I/O.
 */
export function decide(input: DecideInput): Decision {
  const { state, now } = input;
  if (state.status !== "running") return { kind: "idle" };
  const expected = routeAtStep(state.plan, state.original, state.step, state.shadowEpoch);
  if (input.route === undefined) return { kind: "conflict", reason: `route '${state.route}' was removed from the table` };
  if (!sameRoute(input.route, expected)) {
    if (beingStarted(state, input.route, now)) return { kind: "settling", until: new Date(Date.parse(state.stepStartedAt) + START_GRACE_MS).toISOString() };
    return { kind: "conflict", reason: `route '${state.route}' was changed outside the rollout` };
  }
  const settledAt = Date.parse(state.stepStartedAt) + input.settleMs;
  if (now < settledAt) return { kind: "settling", until: new Date(settledAt).toISOString() };
  if (state.window === undefined || input.evidence === undefined) return { kind: "open-window" };
  const step = state.plan.steps[state.step];
  if (step === undefined) return { kind: "idle" };
  const verdict = judgeStep(step, state.plan.gates, input.evidence);
  if (verdict.outcome === "fail") return { kind: "fail", verdict, then: state.plan.onFailure };
  if (verdict.outcome === "wait") return { kind: "wait", verdict };
  return next(state, verdict);
}

/**
 * How long a tick waits for the one starting a rollout to write its first step. The claim is
 * stored before that route (control/rollouts.ts `startRollout`), so a tick in between sees
 * the route as it was: pausing for a "change outside the rollout" then would fail the start
 * it raced. A starter that died in between leaves the rollout to be paused after this.
 */
export const START_GRACE_MS = 60_000;

function beingStarted(state: RolloutState, route: Route, now: number): boolean {
  return state.step === 0 && state.events.length === 1 && state.events[0]?.kind === "started" && sameRoute(route, state.original) && now < Date.parse(state.stepStartedAt) + START_GRACE_MS;
}

/**
 * Where a passed step (or an operator's promote) leads: the next step, or the end. Weight 100
 * is a step of its own, judged on its own window (the bake) before the rollout completes with
 * every user on the candidate; past a last step below 100, it completes where it is.
 */
export function next(state: RolloutState, verdict: Verdict): Extract<Decision, { kind: "advance" }> {
  const current = state.plan.steps[state.step];
  if (current?.type === "weight" && current.weight === 100) {
    return { kind: "advance", verdict, step: state.step, route: completedRoute(state.plan, state.original), pauses: false, completes: true };
  }
  const to = state.step + 1;
  const step = state.plan.steps[to];
  if (step === undefined) return { kind: "advance", verdict, step: state.step, route: routeAtStep(state.plan, state.original, state.step, state.shadowEpoch), pauses: false, completes: true };
  return { kind: "advance", verdict, step: to, route: routeAtStep(state.plan, state.original, to, state.shadowEpoch), pauses: step.type === "pause", completes: false };
}
