/**
 * Confidence bounds for small counts. A rollout judges rates of rare events (errors,
 * mismatches) on a few hundred requests, where a raw ratio of small numbers means nothing:
 * 1 error in 20 is not "5 %". These bounds are honest at zero and at small n.
 */

/** The two-sided standard normal quantile for a confidence level (0.8 to 0.999). */
export function zFor(confidence: number): number {
  // Acklam's rational approximation of the inverse normal CDF, good to 1e-9.
  const p = 1 - (1 - confidence) / 2;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

export interface Interval {
  readonly low: number;
  readonly high: number;
}

/**
 * Wilson's score interval for a proportion of `events` in `n` (Wilson 1927): unlike the
 * normal approximation it never leaves [0, 1] and is not empty at 0 or n events — 0 errors in
 * 100 requests still leaves an upper bound of 3.7 % at 95 %.
 */
export function wilson(events: number, n: number, confidence: number): Interval {
  if (n <= 0) return { low: 0, high: 1 };
  const z = zFor(confidence);
  const p = events / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * Newcombe's hybrid score interval for the difference of two proportions, a − b (Newcombe
 * 1998, method 10): built from the two Wilson intervals, so it behaves at zero counts and
 * with very different sample sizes (a 1 % arm against a 99 % arm).
 */
export function differenceInterval(aEvents: number, aN: number, bEvents: number, bN: number, confidence: number): Interval & { readonly estimate: number } {
  const a = wilson(aEvents, aN, confidence);
  const b = wilson(bEvents, bN, confidence);
  const pa = aN > 0 ? aEvents / aN : 0;
  const pb = bN > 0 ? bEvents / bN : 0;
  const estimate = pa - pb;
  return {
    estimate,
    low: estimate - Math.sqrt((pa - a.low) ** 2 + (b.high - pb) ** 2),
    high: estimate + Math.sqrt((a.high - pa) ** 2 + (pb - b.low) ** 2),
  };
}
