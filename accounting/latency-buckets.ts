/**
 * Latencies on a fixed log scale: bucket i holds durations in (B^(i-1), B^i] ms with
 * B = 1.1, from 1 ms to about 80 s (121 buckets). Isolates add them up with atomic counters;
 * a percentile read back from the sum is the bucket's geometric middle, within ±5 % of the
 * true value (half a bucket's width), whatever the traffic.
 */
const BASE = 1.1;
const LOG_BASE = Math.log(BASE);
export const LATENCY_BUCKETS = 121;

export function latencyBucket(ms: number): number {
  if (!(ms > 1)) return 0;
  return Math.min(LATENCY_BUCKETS - 1, Math.ceil(Math.log(ms) / LOG_BASE - 1e-9));
}

/**
 * The upper bound of a bucket, in ms: 1.1^bucket (the first, 1 ms, holds everything up to it);
 * Infinity for the last, which holds everything longer than the one before it.
 */
export function bucketUpperBoundMs(bucket: number): number {
  return bucket >= LATENCY_BUCKETS - 1 ? Number.POSITIVE_INFINITY : BASE ** Math.max(0, bucket);
}

/** The value a bucket stands for: the geometric middle of its bounds. */
export function bucketValue(bucket: number): number {
  if (bucket <= 0) return 1;
  return BASE ** (bucket - 0.5);
}

/** The p-th percentile (0–100) of a histogram (bucket → count), or null when it is empty. */
export function histogramPercentile(histogram: ReadonlyMap<number, number>, p: number): number | null {
  let total = 0;
  for (const count of histogram.values()) total += count;
  // Empty (or all zero): no bucket reaches rank 1, and the answer is null below.
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const bucket of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(bucket) ?? 0;
    if (seen >= rank) return Math.round(bucketValue(bucket) * 100) / 100;
  }
  return null;
}

/**
 * The mean of a histogram, each count taken at its bucket's value (so within ±5 % of the true
 * mean, like a percentile), to 1/100 ms; null when it is empty. Requests × mean is the time a
 * backend spent answering them: what cost estimates apportion a dyno's bill by.
 */
export function histogramMean(histogram: ReadonlyMap<number, number>): number | null {
  let total = 0;
  let sum = 0;
  for (const [bucket, count] of histogram) {
    total += count;
    sum += bucketValue(bucket) * count;
  }
  return total === 0 ? null : Math.round((sum / total) * 100) / 100;
}
