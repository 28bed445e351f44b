/**
 * Latencies as counts per bucket, so that isolates can add them up with atomic counters and
 * percentiles can be read back from the sum. Bucket i holds durations up to BOUNDS[i] ms
 * (the last one also holds anything longer: shadow work ends well before a minute).
 */
const LATENCY_BOUNDS_MS: readonly number[] = [
  1, 2, 3, 5, 7, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500, 10_000, 15_000, 20_000,
  30_000, 60_000,
];

export function latencyBucket(durationMs: number): number {
  const index = LATENCY_BOUNDS_MS.findIndex((bound) => durationMs <= bound);
  return index === -1 ? LATENCY_BOUNDS_MS.length - 1 : index;
}

/**
 * The upper bound (ms) of the bucket holding the p-th percentile (p in 0..100), or null for
 * an empty histogram.
 */
export function percentile(counts: Readonly<Record<number, number>>, p: number): number | null {
  let total = 0;
  for (const count of Object.values(counts)) total += count;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (let i = 0; i < LATENCY_BOUNDS_MS.length; i++) {
    seen += counts[i] ?? 0;
    if (seen >= rank) return LATENCY_BOUNDS_MS[i] as number;
  }
  return null;
}
