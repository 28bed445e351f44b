import { canonicalJson } from "../lib/canonical-json.ts";
import type { Route } from "../routes/schema.ts";
import type { RolloutPlan } from "./plan.ts";

/**
 * The backend a rollout moves traffic from: the plan's `control`, else the route's single
 * backend, else its busiest one other than the candidate; undefined when there is none (a
 * route that sends everything to the candidate already).
 */
export function controlOf(plan: Pick<RolloutPlan, "candidate" | "control">, original: Route): string | undefined {
  if (plan.control !== undefined) return plan.control;
  if (typeof original.to === "string") return original.to === plan.candidate ? undefined : original.to;
  return Object.entries(original.to)
    .filter(([name, weight]) => name !== plan.candidate && weight > 0)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))[0]?.[0];
}

/**
 * The route as a rollout step serves it, from its definition before the rollout:
 * - a shadow step keeps the route's weights and copies its requests to the candidate, in a
 *   new shadow epoch (`shadowEpoch`: statistics start over);
 * - a weight step splits the route's users between control and candidate (sticky as the
 *   route says), keeping the shadow a shadow step set up for the users still on control;
 * - weight 100 is the bake: every user on the candidate, still written as a split (control at
 *   0 %) so that the step's requests are the split's and its evidence is counted, without the
 *   shadow; `completedRoute` is the route once the bake has passed;
 * - a pause changes nothing (the previous step's definition stays);
 * - from a dualWrite step until read-through, writes the control serves are copied to the
 *   candidate (`dualWrite`);
 * - read-through: every request to the candidate, its 404s falling back to the control (writes
 *   too: a 404 wrote nothing), no shadow to it, no dual writes; ramp-down: the candidate alone;
 * - a weight below what the candidate had before the rollout keeps that (users never move back).
 */
export function routeAtStep(plan: RolloutPlan, original: Route, step: number, shadowEpoch: number): Route {
  const control = controlOf(plan, original) as string;
  const reached = (type: RolloutPlan["steps"][number]["type"]) => {
    const at = plan.steps.findIndex((s) => s.type === type);
    return at !== -1 && at <= step;
  };
  if (reached("readThrough")) {
    const { shadow, fallback: _fallback, dualWrite: _dualWrite, ...alone } = original;
    const kept = shadow?.to === plan.candidate ? undefined : shadow;
    // Ramp-down: the candidate's alone. Read-through: its 404s (records the backfill has not
    // copied yet) answered by the control, writes too (a 404 wrote nothing on the candidate).
    const fallback = reached("rampDown") ? undefined : { to: control, on: ["404" as const], unsafeMethods: true };
    return { ...alone, to: plan.candidate, ...(fallback ? { fallback } : {}), ...(kept ? { shadow: kept } : {}) };
  }
  const withDualWrite = (route: Route): Route => (reached("dualWrite") ? { ...route, dualWrite: { to: plan.candidate } } : route);
  return withDualWrite(weightedAtStep(plan, original, step, shadowEpoch, control));
}

function weightedAtStep(plan: RolloutPlan, original: Route, step: number, shadowEpoch: number, control: string): Route {
  const shadowStep = plan.steps.findIndex((s) => s.type === "shadow");
  const shadowing = shadowStep !== -1 && shadowStep <= step;
  // A rollout never moves users back: a step below the candidate's weight before the rollout keeps that weight.
  let weight = typeof original.to === "string" ? (original.to === plan.candidate ? 100 : 0) : (original.to[plan.candidate] ?? 0);
  for (let i = 0; i <= step; i++) {
    const s = plan.steps[i];
    if (s?.type === "weight") weight = Math.max(weight, s.weight);
  }
  const { shadow: originalShadow, ...rest } = original;
  const shadow = shadowing ? { ...(originalShadow?.to === plan.candidate ? originalShadow : {}), to: plan.candidate, epoch: shadowEpoch } : originalShadow;
  if (weight === 0) return { ...rest, ...(shadow ? { shadow } : {}) };
  if (weight === 100) {
    const kept = shadow?.to === plan.candidate ? undefined : shadow;
    return { ...rest, to: { [control]: 0, [plan.candidate]: 100 }, ...(kept ? { shadow: kept } : {}) };
  }
  return { ...rest, to: { [control]: round(100 - weight), [plan.candidate]: weight }, ...(shadow ? { shadow } : {}) };
}

/** The route once a rollout to 100 % has completed: everything to the candidate, its shadow gone. */
export function completedRoute(plan: RolloutPlan, original: Route): Route {
  const { shadow, ...rest } = original;
  const kept = shadow?.to === plan.candidate ? undefined : shadow;
  return { ...rest, to: plan.candidate, ...(kept ? { shadow: kept } : {}) };
}

/**
 * Why a route cannot be rolled out to `candidate`, or undefined when it can: a rollout moves
 * users between two backends, so a route that splits among more (with weight) is refused
 * rather than have one of them dropped.
 */
export function unmovable(plan: Pick<RolloutPlan, "candidate" | "control" | "route">, original: Route): string | undefined {
  const control = controlOf(plan, original);
  if (control === undefined) return `Route '${plan.route}' already sends everything to '${plan.candidate}'.`;
  if (typeof original.to === "string") return undefined;
  const others = Object.entries(original.to).filter(([name, weight]) => weight > 0 && name !== control && name !== plan.candidate).map(([name]) => name);
  return others.length === 0
    ? undefined
    : `Route '${plan.route}' splits its users among ${[control, plan.candidate, ...others].join(", ")}: a rollout moves users between two backends (control '${control}' and candidate '${plan.candidate}'). Give the route two backends first (set ${others.join(", ")} to 0 or remove ${others.length === 1 ? "it" : "them"}).`;
}

/** Whether a route is as a rollout step left it (what it compares to notice a manual change). */
export function sameRoute(a: Route | undefined, b: Route | undefined): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
