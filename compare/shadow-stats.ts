import type { Comparison } from "./compare-responses.ts";
import type { Difference } from "./difference.ts";
import { generalizePath } from "./json-path.ts";
import { latencyBucket } from "./latency-histogram.ts";

/** A recent mismatch, redacted, as kept for the report's examples. */
export interface ShadowSample {
  readonly at: string;
  readonly method: string;
  readonly path: string;
  readonly controlStatus: number;
  readonly candidateStatus: number;
  readonly controlMs: number;
  readonly candidateMs: number;
  readonly differences: readonly Difference[];
}

/**
 * What one isolate saw of one shadowed route since its last flush: counters that add up
 * across isolates (each is flushed with an atomic ADD).
 */
export interface ShadowStats {
  compared: number;
  tooLarge: number;
  candidateErrors: number;
  /** Copies not made because too many were already in flight in the isolate (load shedding). */
  shed: number;
  noiseCompared: number;
  /** Mismatches per field (array indices generalized: `$.items[*].price`). */
  readonly fields: Map<string, number>;
  /** Differences between two control responses, per field. */
  readonly noise: Map<string, number>;
  /** Comparisons per set of differing fields ("" for an exact match), so noise can be discounted later. */
  readonly signatures: Map<string, number>;
  /** Latency bucket → count. */
  readonly controlLatency: Map<number, number>;
  readonly candidateLatency: Map<number, number>;
  readonly samples: ShadowSample[];
}

export const MAX_SAMPLES_PER_FLUSH = 5;
const MAX_SIGNATURES = 64;
export const OTHER_SIGNATURE = "(other)";

export function emptyStats(): ShadowStats {
  return {
    compared: 0,
    tooLarge: 0,
    candidateErrors: 0,
    shed: 0,
    noiseCompared: 0,
    fields: new Map(),
    noise: new Map(),
    signatures: new Map(),
    controlLatency: new Map(),
    candidateLatency: new Map(),
    samples: [],
  };
}

/** The fields of a comparison's real differences, generalized, sorted, one per line. */
export function signatureOf(differences: readonly Difference[]): string {
  return [...new Set(differences.map((d) => generalizeField(d.field)))].sort().join("\n");
}

export function generalizeField(field: string): string {
  return field.startsWith("body:") ? `body:${generalizePath(field.slice(5))}` : field;
}

export function recordComparison(stats: ShadowStats, comparison: Comparison, controlMs: number, candidateMs: number, sample: () => ShadowSample): void {
  stats.compared++;
  if (comparison.tooLarge) stats.tooLarge++;
  const signature = signatureOf(comparison.differences);
  for (const field of signature === "" ? [] : signature.split("\n")) add(stats.fields, field, 1);
  // A signature is a storage key too: keep it bounded in count and length.
  const key = signature.length <= 900 && (stats.signatures.has(signature) || stats.signatures.size < MAX_SIGNATURES) ? signature : OTHER_SIGNATURE;
  add(stats.signatures, key, 1);
  add(stats.controlLatency, latencyBucket(controlMs), 1);
  add(stats.candidateLatency, latencyBucket(candidateMs), 1);
  if (signature !== "" && stats.samples.length < MAX_SAMPLES_PER_FLUSH) stats.samples.push(sample());
}

export function recordCandidateError(stats: ShadowStats, controlMs: number): void {
  stats.candidateErrors++;
  add(stats.controlLatency, latencyBucket(controlMs), 1);
}

export function recordNoise(stats: ShadowStats, differences: readonly Difference[]): void {
  stats.noiseCompared++;
  for (const field of new Set(differences.map((d) => generalizeField(d.field)))) add(stats.noise, field, 1);
}

/** Adds `from` into `into` (to put back a batch whose flush failed). */
export function mergeStats(into: ShadowStats, from: ShadowStats): void {
  into.compared += from.compared;
  into.tooLarge += from.tooLarge;
  into.candidateErrors += from.candidateErrors;
  into.shed += from.shed;
  into.noiseCompared += from.noiseCompared;
  for (const [map, source] of [
    [into.fields, from.fields],
    [into.noise, from.noise],
    [into.signatures, from.signatures],
  ] as const) {
    for (const [key, count] of source) add(map, key, count);
  }
  for (const [bucket, count] of from.controlLatency) add(into.controlLatency, bucket, count);
  for (const [bucket, count] of from.candidateLatency) add(into.candidateLatency, bucket, count);
  into.samples.push(...from.samples.slice(0, Math.max(0, MAX_SAMPLES_PER_FLUSH - into.samples.length)));
}

function add<K>(map: Map<K, number>, key: K, count: number): void {
  map.set(key, (map.get(key) ?? 0) + count);
}
