import { armEvidence, emptyEvidence, mergeEvidence, type EvidenceCounts } from "../accounting/evidence-counts.ts";
import { periodOf } from "../accounting/series.ts";
import { emptyCounts, mergeCounts, type TrafficCounts } from "../accounting/traffic-counts.ts";
import { buildShadowReport } from "../compare/shadow-report.ts";
import type { RolloutState } from "../rollout/decide.ts";
import type { Evidence } from "../rollout/gates.ts";
import { countedSince } from "../rollout/counted-since.ts";
import { stepVersionsNow } from "../rollout/step-versions.ts";
import { loadArm } from "../rollout/transitions.ts";
import { shadowEpoch, shadowStatsId } from "../routes/shadow-epoch.ts";
import { findRoute } from "../routes/table-lines.ts";
import type { MetricsStore } from "../store/metrics-store.ts";
import type { ActiveTable } from "../store/route-store.ts";
import type { ShadowStore } from "../store/shadow-store.ts";

/**
 * The step's evidence: each arm's evidence cells under the step's table versions (what the
 * split chose while the route was as the step serves it: nothing from before the step, no
 * tester override, fallback or refusal), and the shadow's epoch when the route shadows the
 * candidate. At the bake (weight 100) the control serves nobody: its evidence is the one the
 * step before kept, or none. Undefined until the step's window is open.
 */
export async function gatherEvidence(deps: { readonly metrics: MetricsStore; readonly shadow: ShadowStore }, state: RolloutState, active: ActiveTable, now: number): Promise<Evidence | undefined> {
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
  const step = state.plan.steps[state.step];
  const bake = step?.type === "weight" && step.weight === 100;
  const counted = step?.type === "readThrough" || step?.type === "dualWrite" ? await candidateCounts(deps.metrics, state, countedSince(step, Date.parse(window.openedAt), now), now) : undefined;
  const readThrough = step?.type === "readThrough" && counted ? { requests: counted.requests, fellBack: counted.fallbacks.get("404") ?? 0 } : undefined;
  const dualWrite = step?.type === "dualWrite" && counted ? { copied: counted.dualWrite.sent, failed: counted.dualWrite.failed, disagreed: counted.dualWrite.disagreed } : undefined;
  return {
    windowMs: now - Date.parse(window.openedAt),
    control: bake && state.bakeBaseline ? loadArm(state.bakeBaseline) : armEvidence(arms.control),
    candidate: armEvidence(arms.candidate),
    ...(shadow ? { shadow } : {}),
    ...(bake ? { controlFrom: state.bakeBaseline ? ("baseline" as const) : ("none" as const) } : {}),
    ...(readThrough ? { readThrough } : {}),
    ...(dualWrite ? { dualWrite } : {}),
  };
}

/** Minute cells are kept two days: a longer read-through window is read by the hour. */
const MINUTES_KEPT_MS = 2 * 86_400_000;

/**
 * The candidate's traffic counts since `openedAt` (the step's window, or its trailing part): for a read-through step its
 * requests and those that fell back to the control on a 404 (a read-through route serves one
 * backend: no split, no evidence cells), for a dualWrite step the copies it got of the writes
 * the control served. Whole minutes (or hours, past two days): the window's first one may hold
 * a little from before it opened.
 */
async function candidateCounts(metrics: MetricsStore, state: RolloutState, openedAt: number, now: number): Promise<TrafficCounts> {
  const cells =
    now - openedAt <= MINUTES_KEPT_MS
      ? await metrics.minutes(state.route, periodOf(openedAt, "m"), periodOf(now, "m"))
      : (await Promise.all(daysBetween(openedAt, now).map((day) => metrics.hours(day, state.route)))).flat().filter((cell) => cell.period >= periodOf(openedAt, "h"));
  const total = emptyCounts();
  for (const cell of cells) if (cell.backend === state.plan.candidate) mergeCounts(total, cell.counts);
  return total;
}

function daysBetween(from: number, to: number): string[] {
  const days: string[] = [];
  for (let at = from - (from % 86_400_000); at <= to; at += 86_400_000) days.push(new Date(at).toISOString().slice(0, 10));
  return days;
}
