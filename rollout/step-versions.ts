import type { Route } from "../routes/schema.ts";
import type { RolloutState } from "./decide.ts";
import { routeAtStep, sameRoute } from "./route-at-step.ts";

/** Versions a step keeps at most: its own, and the newest of the others. */
const MAX_STEP_VERSIONS = 100;

/**
 * The versions whose evidence is the step's, now that `active` is the active version: the
 * state's, and `active` when it serves the route as the step does (a version made by a change
 * to another route). A state from an earlier cutover has none: the active version then, so
 * the step's evidence starts over rather than take in counts from before it.
 */
export function stepVersionsNow(state: RolloutState, active: { readonly version: number; readonly route: Route | undefined }): readonly number[] {
  const known = state.stepVersions ?? [];
  const serves = sameRoute(active.route, routeAtStep(state.plan, state.original, state.step, state.shadowEpoch));
  if (!serves || known.includes(active.version)) return known;
  const [first, ...rest] = known;
  return first === undefined ? [active.version] : [first, ...[...rest, active.version].slice(-(MAX_STEP_VERSIONS - 1))];
}
