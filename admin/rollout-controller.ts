import { findRoute } from "../routes/table-lines.ts";
import { armEvidence, emptyEvidence, mergeEvidence, type EvidenceCounts } from "../accounting/evidence-counts.ts";
import { buildShadowReport } from "../compare/shadow-report.ts";
import { logEvent } from "../lib/log.ts";
import { decide, next, type Decision, type RolloutEvent, type RolloutState } from "../rollout/decide.ts";
import type { Evidence, Verdict } from "../rollout/gates.ts";
import { rolloutMessage } from "../rollout/message.ts";
import { sameRoute } from "../rollout/route-at-step.ts";
import { stepVersionsNow } from "../rollout/step-versions.ts";
import { shadowEpoch, shadowStatsId } from "../routes/shadow-epoch.ts";
import type { MetricsStore } from "../store/metrics-store.ts";
import type { RolloutStore } from "../store/rollout-store.ts";
import type { ActiveTable, Published, RouteTableStore } from "../store/route-store.ts";
import type { ShadowStore } from "../store/shadow-store.ts";
import { publishRouteChange } from "./publish-route-change.ts";

/** What the controller reads and writes through. */
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

const EVENTS_KEPT = 50;
/** The author of versions a rollout writes (the audit log's "who"). */
export const ROLLOUT_AUTHOR = "rollout-controller";

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

/** Reads the evidence, decides, and carries the decision out with conditional writes. */
export async function tickOne(deps: ControllerDeps, state: RolloutState): Promise<TickResult> {
  const active = await deps.store.getActive();
  const route = findRoute(active.table, state.route);
  const now = deps.now();
  const stepVersions = stepVersionsNow(state, { version: active.version, route });
  const evidence = state.window === undefined ? undefined : await gatherEvidence(deps, state, active, now);
  const decision = decide({ state, route, evidence, now, settleMs: deps.settleMs });
  const at = new Date(now).toISOString();
  const result = (next: RolloutState, summary?: string): TickResult => ({ route: state.route, decision: decision.kind, status: next.status, step: next.step, ...(summary ? { summary } : {}) });
  const save = async (next: RolloutState) => (await deps.rollouts.put({ ...next, revision: state.revision + 1, updatedAt: at }, state.revision)) || undefined;

  switch (decision.kind) {
    case "idle":
    case "settling":
      return result(state, decision.kind === "settling" ? `step ${state.step + 1} settling until ${decision.until}` : undefined);
    case "conflict": {
      const paused = withEvent({ ...state, status: "paused", pausedReason: `${decision.reason}: resume to re-apply step ${state.step + 1}, or abort` }, { at, kind: "conflict", step: state.step, message: decision.reason });
      if (!(await save(paused))) return lost(state);
      notify(deps, paused, "conflict", decision.reason);
      return result(paused, decision.reason);
    }
    case "open-window": {
      const opened: RolloutState = { ...state, stepVersions, window: { openedAt: at } };
      if (!(await save(opened))) return lost(state);
      return result(opened, `step ${state.step + 1}: evidence window opened`);
    }
    case "wait": {
      const waiting: RolloutState = { ...state, stepVersions, lastVerdict: { ...decision.verdict, at, step: state.step } };
      if (!(await save(waiting))) return lost(state);
      return result(waiting, decision.verdict.summary);
    }
    case "advance": {
      const moved = await advance(deps, state, active, decision, at, "passed");
      return moved === undefined ? lost(state) : result(moved, decision.verdict.summary);
    }
    case "fail": {
      const failed = await fail(deps, state, active, decision.verdict, decision.then, at);
      return failed === undefined ? lost(state) : result(failed, decision.verdict.summary);
    }
  }
}

/**
 * Moves to the decision's step: writes the route as that step serves it (conditional on the
 * version the decision was made on: a tick that lost the race writes nothing), then the state
 * (conditional on its revision). Returns undefined when another writer got there first.
 */
export async function advance(
  deps: ControllerDeps,
  state: RolloutState,
  active: ActiveTable,
  decision: Extract<Decision, { kind: "advance" }>,
  at: string,
  how: "passed" | "promoted",
  actor = ROLLOUT_AUTHOR,
): Promise<RolloutState | undefined> {
  let version: number | undefined;
  let startsAt = at;
  if (!sameRoute(findRoute(active.table, state.route), decision.route)) {
    const published = await publishRouteChange(deps.store, {
      routeId: state.route,
      change: () => decision.route,
      author: actor,
      reason: `rollout of ${state.route} to ${state.plan.candidate}: ${decision.completes ? "complete" : `step ${decision.step + 1} of ${state.plan.steps.length}`} (${decision.verdict.summary})`,
      action: "rollout",
      expectedVersion: active.version,
      delayMs: deps.propagationMs,
      details: { rollout: { step: decision.step, how, verdict: compact(decision.verdict) } },
    });
    if (!published.ok) return undefined;
    deps.accept?.(published.published);
    version = published.published.version;
    startsAt = published.published.info?.effectiveAt ?? at;
  }
  const step = decision.step;
  const status: RolloutState["status"] = decision.completes ? "succeeded" : decision.pauses ? "paused" : "running";
  const pausedStep = state.plan.steps[step];
  const message = decision.completes
    ? `completed: ${state.route} is served by ${state.plan.candidate}`
    : decision.pauses
      ? `step ${step + 1}: paused${pausedStep?.type === "pause" && pausedStep.reason ? ` (${pausedStep.reason})` : ""}; promote to continue`
      : `step ${step + 1} of ${state.plan.steps.length}: ${describeStep(state, step)}`;
  const { window: _window, pausedReason: _reason, ...rest } = state;
  const moved = withEvent(
    {
      ...rest,
      step,
      stepStartedAt: startsAt,
      // The step's evidence is its own version's (the active one's, when the route stays as it was).
      stepVersions: [version ?? active.version],
      status,
      ...(decision.pauses ? { pausedReason: `plan pause at step ${step + 1}: promote to continue` } : {}),
      lastVerdict: { ...decision.verdict, at, step: state.step },
      revision: state.revision + 1,
      updatedAt: at,
    },
    { at, kind: decision.completes ? "succeeded" : decision.pauses ? "paused" : how === "promoted" ? "promoted" : "step", step, message: `${message} (${decision.verdict.summary})`, ...(version !== undefined ? { version } : {}) },
  );
  if (!(await deps.rollouts.put(moved, state.revision))) return undefined;
  notify(deps, moved, decision.completes ? "succeeded" : decision.pauses ? "paused" : "step", message, decision.verdict);
  return moved;
}

/**
 * A failed gate: with `rollback`, the route's pre-rollout definition comes back at once (a
 * new version, audited with the evidence); with `pause`, the step holds.
 */
async function fail(deps: ControllerDeps, state: RolloutState, active: ActiveTable, verdict: Verdict, then: "rollback" | "pause", at: string): Promise<RolloutState | undefined> {
  if (then === "pause") {
    const paused = withEvent({ ...state, status: "paused", pausedReason: `gate failed: ${verdict.summary}`, lastVerdict: { ...verdict, at, step: state.step } }, { at, kind: "failed", step: state.step, message: verdict.summary });
    if (!(await deps.rollouts.put({ ...paused, revision: state.revision + 1, updatedAt: at }, state.revision))) return undefined;
    notify(deps, paused, "failed", `gate failed, paused: ${verdict.summary}`, verdict);
    return paused;
  }
  const restored = await restore(deps, state, active, `rollout of ${state.route} failed at step ${state.step + 1}: ${verdict.summary}`, { rollout: { step: state.step, verdict: compact(verdict) } });
  if (restored === "lost") return undefined;
  const rolledBack = withEvent(
    { ...state, status: "rolled_back", lastVerdict: { ...verdict, at, step: state.step }, revision: state.revision + 1, updatedAt: at },
    { at, kind: "rolled_back", step: state.step, message: `gate failed, route restored: ${verdict.summary}`, ...(restored !== undefined ? { version: restored } : {}) },
  );
  if (!(await deps.rollouts.put(rolledBack, state.revision))) return undefined;
  notify(deps, rolledBack, "rolled_back", `rolled back: ${verdict.summary}`, verdict);
  return rolledBack;
}

/**
 * Writes the route's pre-rollout definition back, taking effect at once (like every
 * rollback). Returns the version, undefined when the route was already as it was, "lost"
 * when the table kept changing.
 */
export async function restore(deps: ControllerDeps, state: RolloutState, active: ActiveTable, reason: string, details: Record<string, unknown>, actor = ROLLOUT_AUTHOR): Promise<number | undefined | "lost"> {
  if (JSON.stringify(findRoute(active.table, state.route)) === JSON.stringify(state.original)) return undefined;
  const published = await publishRouteChange(deps.store, { routeId: state.route, change: () => state.original, author: actor, reason, action: "rollout", details });
  if (!published.ok) {
    logEvent("error", "rollout_restore_failed", { route: state.route, reason: published.reason });
    return "lost";
  }
  deps.accept?.(published.published);
  return published.published.version;
}

/**
 * The step's evidence: each arm's evidence cells under the step's table versions (what the
 * split chose while the route was as the step serves it: nothing from before the step, no
 * tester override, fallback or refusal), and the shadow's epoch when the route shadows the
 * candidate.
 */
export async function gatherEvidence(deps: Pick<ControllerDeps, "metrics" | "shadow">, state: RolloutState, active: ActiveTable, now: number): Promise<Evidence | undefined> {
  const window = state.window;
  if (window === undefined) return undefined;
  const route = findRoute(active.table, state.route);
  const versions = stepVersionsNow(state, { version: active.version, route });
  const arms = { control: emptyEvidence(), candidate: emptyEvidence() };
  const armOf = (backend: string): EvidenceCounts | undefined => (backend === state.control ? arms.control : backend === state.plan.candidate ? arms.candidate : undefined);
  for (const cell of await deps.metrics.evidence(state.route, versions)) {
    const arm = armOf(cell.backend);
    if (arm !== undefined) mergeEvidence(arm, cell.counts);
  }
  let shadow: Evidence["shadow"];
  if (route?.shadow?.to === state.plan.candidate) {
    const epoch = shadowEpoch(active.table, route) as string;
    const report = buildShadowReport(route.id, await deps.shadow.read(shadowStatsId(route.id, epoch)));
    const attempts = report.compared + report.candidateErrors;
    shadow = { attempts, mismatched: attempts - report.matched };
  }
  return {
    windowMs: now - Date.parse(window.openedAt),
    control: armEvidence(arms.control),
    candidate: armEvidence(arms.candidate),
    ...(shadow ? { shadow } : {}),
  };
}

/** A promote: the next step now, whatever the evidence says (audited as the operator's). */
export function promoteDecision(state: RolloutState, actor: string): Extract<Decision, { kind: "advance" }> | undefined {
  const verdict: Verdict = { outcome: "pass", summary: `promoted by ${actor}`, checks: [] };
  const decision = next(state, verdict);
  return decision.kind === "advance" ? decision : undefined;
}

export function withEvent(state: RolloutState, event: RolloutEvent): RolloutState {
  return { ...state, events: [...state.events, event].slice(-EVENTS_KEPT) };
}

function describeStep(state: RolloutState, step: number): string {
  const s = state.plan.steps[step];
  if (s?.type === "shadow") return `shadowing ${state.plan.candidate}`;
  if (s?.type === "weight") return `${s.weight} % of users on ${state.plan.candidate}`;
  return "paused";
}

function notify(deps: ControllerDeps, state: RolloutState, event: string, message: string, verdict?: Verdict): void {
  if (state.plan.webhook === undefined) return;
  deps.notify(state.plan.webhook, rolloutMessage(state, event, message, verdict));
}

function lost(state: RolloutState): TickResult {
  return { route: state.route, decision: "lost-race", status: state.status, step: state.step, summary: "another tick or an operator changed this rollout first" };
}

/** The verdict without its per-check numbers: what an audit entry keeps besides the summary. */
function compact(verdict: Verdict): Record<string, unknown> {
  return { outcome: verdict.outcome, summary: verdict.summary, checks: verdict.checks.map((c) => ({ gate: c.gate, outcome: c.outcome, summary: c.summary, numbers: c.numbers })) };
}
