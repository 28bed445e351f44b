import { logEvent } from "../lib/log.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { Decision, RolloutState } from "../rollout/decide.ts";
import { rolloutMessage } from "../rollout/message.ts";
import type { RolloutPlan } from "../rollout/plan.ts";
import { sameRoute } from "../rollout/route-at-step.ts";
import * as transitions from "../rollout/transitions.ts";
import type { Refusal as RolloutRefusal, Transition, Written } from "../rollout/transitions.ts";
import { findRoute } from "../routes/table-lines.ts";
import type { MetricsStore } from "../store/metrics-store.ts";
import type { RolloutStore } from "../store/rollout-store.ts";
import type { Published, RouteTableStore } from "../store/route-store.ts";
import type { ShadowStore } from "../store/shadow-store.ts";
import { publishRouteChange, type Refusal } from "./publish.ts";
import { gatherEvidence } from "./rollout-evidence.ts";

/** What the rollout controller reads and writes through. */
export interface ControllerDeps {
  readonly store: RouteTableStore;
  readonly rollouts: RolloutStore;
  readonly metrics: MetricsStore;
  readonly shadow: ShadowStore;
  readonly now: () => number;
  /** How long after a step takes effect its window opens: the metrics flush interval and a margin (its counts have reached the store). */
  readonly settleMs: number;
  /** The propagation bound: a step (not a rollback) takes effect everywhere this long after it is written. */
  readonly propagationMs: number;
  /** Sends a webhook message in the background (retried, never awaited by a tick). */
  readonly notify: (url: string, message: unknown) => void;
  /** Tells the isolate's config cache about a version this isolate wrote. */
  readonly accept?: (published: Published) => void;
}

/** What one tick did to one rollout, for logs, the tick endpoint and tests. */
export interface TickResult {
  readonly route: string;
  readonly decision: Decision["kind"] | "lost-race";
  readonly status: RolloutState["status"];
  readonly step: number;
  readonly summary?: string;
}

/** A rollout that could not be changed: refused by its state machine, or lost to another writer. */
export type ActionRefusal = RolloutRefusal | { readonly code: "no_rollout" | "conflict" | "cannot_start" | "unknown_route"; readonly message: string };

/**
 * Carries a transition out, the same way for every kind: the route change first (conditional
 * on the route, or on the version the decision was made on), then the state (conditional on
 * its revision: two ticks, or a tick and an operator, never both act), then the webhook and
 * the operator's audit entry. Undefined when another writer got there first.
 */
async function apply(deps: ControllerDeps, current: RolloutState, transition: Transition, expectedRevision = current.revision): Promise<RolloutState | undefined> {
  let written: Written | undefined;
  const change = transition.route;
  if (change !== undefined) {
    const published = await publishRouteChange(
      { store: deps.store, ...(deps.accept ? { accept: deps.accept } : {}) },
      {
        routeId: current.route,
        change: (route): ReturnType<Parameters<typeof publishRouteChange>[1]["change"]> =>
          change.from === undefined || sameRoute(route, change.from) ? change.to : { code: "route_changed", message: `route '${current.route}' changed meanwhile` },
        author: change.author,
        reason: change.reason,
        action: "rollout",
        ...(change.onVersion === undefined ? {} : { expectedVersion: change.onVersion }),
        ...(change.delayed ? { delayMs: deps.propagationMs } : {}),
        details: change.details,
      },
    );
    if (!published.ok) {
      logEvent("warn", "rollout_route_not_written", { route: current.route, reason: published.reason, ...(published.reason === "refused" ? { refusal: published.refusal.message } : {}) });
      return undefined;
    }
    written = { version: published.published.version, ...(published.published.info?.effectiveAt ? { effectiveAt: published.published.info.effectiveAt } : {}) };
  }
  const at = new Date(deps.now()).toISOString();
  const next: RolloutState = { ...transition.state(written), revision: expectedRevision + 1, updatedAt: at };
  if (!(await deps.rollouts.put(next, expectedRevision))) return undefined;
  if (transition.notify && next.plan.webhook !== undefined) deps.notify(next.plan.webhook, rolloutMessage(next, transition.notify.event, transition.notify.message, transition.notify.verdict));
  if (transition.audit) await deps.store.recordAudit({ actor: transition.audit.actor, action: transition.audit.action as `rollout-${string}`, reason: transition.audit.reason, details: { ...transition.audit.details, status: next.status } }).catch(() => undefined);
  return next;
}

/** Starts a rollout of the plan's route: claims it (one rollout per route), then serves the first step. */
export async function startRollout(deps: ControllerDeps, plan: RolloutPlan, who: { readonly actor: string; readonly reason: string }): Promise<Result<RolloutState, ActionRefusal | Refusal>> {
  const active = await deps.store.getActive();
  const route = findRoute(active.table, plan.route);
  if (route === undefined) return err({ code: "unknown_route", message: `No route '${plan.route}' in version ${active.version}.` });
  const started = transitions.start(plan, { version: active.version, route }, await deps.rollouts.get(plan.route), { ...who, now: deps.now() });
  if (!started.ok) return started;
  const { claim, transition } = started.value;
  if (!(await deps.rollouts.put(claim, 0))) return err({ code: "rollout_running", message: `Another rollout of '${plan.route}' was started just now.` });
  const state = await apply(deps, claim, transition);
  if (state === undefined) {
    await deps.rollouts.put({ ...claim, status: "aborted", revision: claim.revision + 1, updatedAt: claim.updatedAt }, claim.revision);
    return err({ code: "cannot_start", message: `The first step of '${plan.route}' could not be written: the route changed meanwhile. Read it again and start over.` });
  }
  return ok(state);
}

/** An operator's action on a rollout (promote, pause, resume, abort), audited as theirs. */
export async function actOnRollout(
  deps: ControllerDeps,
  routeId: string,
  verb: "promote" | "pause" | "resume" | "abort",
  who: { readonly actor: string; readonly reason: string },
): Promise<Result<RolloutState, ActionRefusal>> {
  const state = await deps.rollouts.get(routeId);
  if (!state) return err({ code: "no_rollout", message: `No rollout of route '${routeId}' has been started.` });
  const activeTable = await deps.store.getActive();
  const active = { version: activeTable.version, route: findRoute(activeTable.table, state.route) };
  const now = deps.now();
  const at = { ...who, now };
  const transition =
    verb === "pause"
      ? transitions.pause(state, at)
      : verb === "abort"
        ? transitions.abort(state, active, at)
        : verb === "resume"
          ? transitions.resume(state, active, at)
          : transitions.promote(state, active, at, await gatherEvidence(deps, state, activeTable, now));
  if (!transition.ok) return transition;
  const next = await apply(deps, state, transition.value);
  return next === undefined ? err({ code: "conflict", message: `The rollout of '${state.route}' or its route changed while this ran: read it again and retry.` }) : ok(next);
}

/** One pass over every running rollout (the Cron Trigger's work; `cutover dev` runs it every few seconds). */
export async function tickAll(deps: ControllerDeps): Promise<TickResult[]> {
  const running = (await deps.rollouts.list()).filter((state) => state.status === "running");
  const results: TickResult[] = [];
  for (const state of running) {
    try {
      results.push(await tickOne(deps, state));
    } catch (error) {
      logEvent("error", "rollout_tick_failed", { route: state.route, error });
      results.push({ route: state.route, decision: "idle", status: state.status, step: state.step, summary: `tick failed: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
  return results;
}

/** Reads the evidence, decides, and carries the decision out. */
export async function tickOne(deps: ControllerDeps, state: RolloutState): Promise<TickResult> {
  const activeTable = await deps.store.getActive();
  const now = deps.now();
  const evidence = await gatherEvidence(deps, state, activeTable, now);
  const { decision, transition } = transitions.tick(state, { version: activeTable.version, route: findRoute(activeTable.table, state.route) }, evidence, now, deps.settleMs);
  const summary = decision.kind === "settling" ? `step ${state.step + 1} settling until ${decision.until}` : decision.kind === "open-window" ? `step ${state.step + 1}: evidence window opened` : decision.kind === "conflict" ? decision.reason : "verdict" in decision ? decision.verdict.summary : undefined;
  if (transition === undefined) return { route: state.route, decision: decision.kind, status: state.status, step: state.step, ...(summary ? { summary } : {}) };
  const next = await apply(deps, state, transition);
  if (next === undefined) return { route: state.route, decision: "lost-race", status: state.status, step: state.step, summary: "another tick or an operator changed this rollout first" };
  return { route: state.route, decision: decision.kind, status: next.status, step: next.step, ...(summary ? { summary } : {}) };
}
