import { BUCKETS, cohortBucket } from "./cohort.ts";
import type { CompiledShadow } from "./compile.ts";
import { SAFE_METHODS } from "./methods.ts";

export interface ShadowChoice {
  readonly shadow: CompiledShadow;
  /** Also call the control backend a second time, to learn which fields are noise. */
  readonly learnNoise: boolean;
}

/**
 * Whether this request is copied to the route's shadow backend. Only GET/HEAD/OPTIONS unless
 * the route sets `shadow.unsafeMethods`; never when the request is served by the shadow
 * backend itself (nothing to compare). Sampling is sticky per cohort key (a user is shadowed
 * on every request or on none), a roll of the dice without one. Pure.
 */
export function chooseShadow(
  shadow: CompiledShadow | undefined,
  facts: { readonly method: string; readonly servedBy: string; readonly cohortKey: string | undefined; readonly roll: number; readonly noiseRoll: number },
): ShadowChoice | undefined {
  if (shadow === undefined || shadow.backend.name === facts.servedBy) return undefined;
  const idempotent = SAFE_METHODS.has(facts.method);
  if (!idempotent && !shadow.unsafeMethods) return undefined;
  if (shadow.shareBuckets < BUCKETS) {
    const bucket = facts.cohortKey === undefined ? facts.roll : cohortBucket(shadow.sampleKey, facts.cohortKey);
    if (bucket >= shadow.shareBuckets) return undefined;
  }
  return { shadow, learnNoise: idempotent && facts.noiseRoll < shadow.noiseBuckets };
}
