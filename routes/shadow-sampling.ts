import { BUCKETS, cohortBucket } from "./cohort.ts";
import { SAFE_METHODS } from "./methods.ts";
import type { CompiledRoute } from "./compile.ts";
import { toBuckets } from "./compile.ts";



export interface ShadowChoice {
  readonly to: string;
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
  route: CompiledRoute,
  facts: { readonly method: string; readonly servedBy: string; readonly cohortKey: string | undefined; readonly roll: number; readonly noiseRoll: number },
): ShadowChoice | undefined {
  const shadow = route.shadow;
  if (shadow === undefined || shadow.to === facts.servedBy) return undefined;
  const idempotent = SAFE_METHODS.has(facts.method);
  if (!idempotent && shadow.unsafeMethods !== true) return undefined;
  const share = toBuckets(shadow.percent ?? 100);
  if (share < BUCKETS) {
    const bucket = facts.cohortKey === undefined ? facts.roll : cohortBucket(`${route.id}#shadow`, facts.cohortKey);
    if (bucket >= share) return undefined;
  }
  return { to: shadow.to, learnNoise: idempotent && facts.noiseRoll < toBuckets(shadow.noisePercent ?? 5) };
}
