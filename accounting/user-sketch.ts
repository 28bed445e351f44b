/**
 * A user sketch: a bitmap of M = 4096 buckets, one bit per bucket a user hashed into
 * (`userBucket`). It counts distinct users in 512 bytes whatever the traffic; two sketches
 * merge by OR (a set union), so isolates add theirs up in any order, and adding the same
 * bits twice changes nothing (a retried write cannot count a user twice).
 *
 * The number of distinct users is estimated by linear counting (Whang, Vander-Zanden and
 * Taylor 1990): with k of M bits set, n ≈ −M·ln(1 − k/M). Its standard error is
 * √(M·(e^t − t − 1))/n for t = n/M: about 1 % from a few hundred to a few thousand users,
 * 2 % at 10 000. Past ~20 000 users it saturates (all bits set: M·ln M ≈ 34 000 at most).
 */
export const USER_BUCKETS = 4096;
export const SKETCH_BYTES = USER_BUCKETS / 8;

export function emptySketch(): Uint8Array {
  return new Uint8Array(SKETCH_BYTES);
}

export function addToSketch(sketch: Uint8Array, bucket: number): void {
  (sketch[bucket >>> 3] as number) |= 1 << (bucket & 7);
}

export function mergeSketch(into: Uint8Array, from: Uint8Array): void {
  for (let i = 0; i < SKETCH_BYTES; i++) (into[i] as number) |= from[i] as number;
}

/** The buckets set, in order: how a sketch is stored (a DynamoDB number set, merged by ADD). */
export function sketchBuckets(sketch: Uint8Array): number[] {
  const out: number[] = [];
  for (let byte = 0; byte < SKETCH_BYTES; byte++) {
    const bits = sketch[byte] as number;
    if (bits === 0) continue;
    for (let bit = 0; bit < 8; bit++) if (bits & (1 << bit)) out.push(byte * 8 + bit);
  }
  return out;
}

/** A sketch back from stored buckets (anything outside [0, M) is ignored). */
export function sketchFrom(buckets: Iterable<number>): Uint8Array {
  const sketch = emptySketch();
  for (const bucket of buckets) if (Number.isInteger(bucket) && bucket >= 0 && bucket < USER_BUCKETS) addToSketch(sketch, bucket);
  return sketch;
}

/** Bits set: the number of occupied buckets. */
export function occupied(sketch: Uint8Array): number {
  let count = 0;
  for (let i = 0; i < SKETCH_BYTES; i++) {
    let bits = sketch[i] as number;
    while (bits !== 0) {
      bits &= bits - 1;
      count++;
    }
  }
  return count;
}

/**
 * Linear counting: distinct users from `occupiedBuckets` of `buckets`, −M·ln(1 − k/M).
 * With every bucket occupied the sketch is saturated: M·ln M, its largest estimate.
 */
export function estimateDistinct(occupiedBuckets: number, buckets = USER_BUCKETS): number {
  if (occupiedBuckets <= 0) return 0;
  if (occupiedBuckets >= buckets) return buckets * Math.log(buckets);
  return -buckets * Math.log(1 - occupiedBuckets / buckets);
}

/** The estimated distinct users of a sketch, to the nearest whole user. */
export function distinctUsers(sketch: Uint8Array): number {
  return Math.round(estimateDistinct(occupied(sketch)));
}
