import { cohortBucket } from "./cohort.ts";
import type { CompiledBackend, CompiledRoute } from "./compile.ts";

export interface DecisionFacts {
  /** The request's cohort key (see `readCohortKey`); undefined means no key: use `roll`. */
  readonly cohortKey: string | undefined;
  /** A random bucket in [0, 10 000) drawn by the caller, used only without a cohort key. */
  readonly roll: number;
  /** A backend a tester forces with a verified override, or undefined. */
  readonly override: string | undefined;
}

/** Which arm of the route chose the backend. */
export type DecisionReason = "single" | "split" | "override";

export interface Decision {
  readonly backend: CompiledBackend;
  readonly reason: DecisionReason;
  /** The bucket that chose the backend of a split. */
  readonly bucket?: number;
}

/**
 * Chooses the backend for one request on one route. Pure: the same route and facts always
 * give the same decision.
 */
export function decide(route: CompiledRoute, facts: DecisionFacts): Decision {
  const forced = facts.override === undefined ? undefined : route.candidates.get(facts.override);
  if (forced !== undefined) return { backend: forced, reason: "override" };
  const split = route.split;
  const only = split[0];
  if (split.length === 1 && only && !route.weighted) return { backend: only.backend, reason: "single" };
  const bucket = facts.cohortKey === undefined ? facts.roll : cohortBucket(route.id, facts.cohortKey);
  for (const range of split) {
    if (bucket < range.upTo) return { backend: range.backend, reason: "split", bucket };
  }
  throw new Error(`Route ${route.id}: bucket ${bucket} is outside its split (weights must sum to 100)`);
}
