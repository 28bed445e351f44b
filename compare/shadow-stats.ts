import { isHeaderField, type Comparison } from "./compare-responses.ts";
import type { Difference } from "./difference.ts";
import { utf8Length } from "../lib/bytes.ts";
import { generalizePath } from "./json-path.ts";
import { latencyBucket } from "./latency-histogram.ts";
import { coveringRule } from "./redact.ts";
import { DEFAULT_REDACTION, type Redaction } from "./secret-names.ts";

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
  /** Comparisons that differed per field (array indices generalized: `$.items[*].price`), headers (`header:<name>`) too. */
  readonly fields: Map<string, number>;
  /** How each header field (a key of `fields`) differed: missing on the candidate, extra, another value. */
  readonly headerKinds: Map<string, HeaderKinds>;
  /** Differences between two control responses, per field. */
  readonly noise: Map<string, number>;
  /**
   * Comparisons per set of differing status and body fields ("" for a match, whatever the
   * headers), so noise can be discounted later.
   */
  readonly signatures: Map<string, number>;
  /** Latency bucket → count. */
  readonly controlLatency: Map<number, number>;
  readonly candidateLatency: Map<number, number>;
  readonly samples: ShadowSample[];
}

const MAX_SAMPLES_PER_FLUSH = 5;
const MAX_SIGNATURES = 64;
/** Distinct fields counted per flush: a body keyed by ids must not become one counter per id. */
const MAX_FIELDS = 100;
/** Field names and signatures are storage keys (DynamoDB sort keys take 1 024 bytes). */
const MAX_FIELD_BYTES = 300;
const MAX_SIGNATURE_BYTES = 900;
export const OTHER_SIGNATURE = "(other)";
const OTHER_FIELDS = "(other fields)";

export function emptyStats(): ShadowStats {
  return {
    compared: 0,
    tooLarge: 0,
    candidateErrors: 0,
    shed: 0,
    noiseCompared: 0,
    fields: new Map(),
    headerKinds: new Map(),
    noise: new Map(),
    signatures: new Map(),
    controlLatency: new Map(),
    candidateLatency: new Map(),
    samples: [],
  };
}

/** How a header differed, counted per header field. */
export interface HeaderKinds {
  missing: number;
  extra: number;
  value: number;
}

/** The status and body fields of a comparison's real differences, as counted: generalized, sorted, one per line. */
function signatureOf(differences: readonly Difference[], redaction: Redaction = DEFAULT_REDACTION): string {
  return [...new Set(differences.filter((d) => !isHeaderField(d.field)).map((d) => countedField(d.field, redaction)))].sort().join("\n");
}

export function generalizeField(field: string): string {
  return field.startsWith("body:") ? `body:${generalizePath(field.slice(5))}` : field;
}

/**
 * The name a difference is counted and stored under: array indices generalized, anything
 * beneath a redacted path folded into that path (object keys can be secrets too: ids,
 * emails), and cut to a bounded length.
 */
function countedField(field: string, redaction: Redaction = DEFAULT_REDACTION): string {
  let counted = generalizeField(field);
  if (counted.startsWith("body:")) {
    const rule = coveringRule(counted.slice(5), redaction);
    if (rule !== undefined) counted = `body:${rule}`;
  }
  return utf8Length(counted) <= MAX_FIELD_BYTES ? counted : `${counted.slice(0, MAX_FIELD_BYTES / 4)}…`;
}

export function recordComparison(
  stats: ShadowStats,
  comparison: Comparison,
  controlMs: number,
  candidateMs: number,
  redaction: Redaction,
  sample: () => ShadowSample,
): void {
  stats.compared++;
  if (comparison.tooLarge) stats.tooLarge++;
  const signature = signatureOf(comparison.differences, redaction);
  const counted = new Map<string, Difference["kind"]>();
  for (const difference of comparison.differences) {
    const field = countedField(difference.field, redaction);
    if (!counted.has(field)) counted.set(field, difference.kind);
  }
  for (const [field, kind] of counted) {
    const key = countField(stats.fields, field);
    if (isHeaderField(key)) countKind(stats.headerKinds, key, kind, 1);
  }
  // A signature is a storage key too: keep it bounded in count and length.
  const key =
    utf8Length(signature) <= MAX_SIGNATURE_BYTES && (stats.signatures.has(signature) || stats.signatures.size < MAX_SIGNATURES) ? signature : OTHER_SIGNATURE;
  add(stats.signatures, key, 1);
  add(stats.controlLatency, latencyBucket(controlMs), 1);
  add(stats.candidateLatency, latencyBucket(candidateMs), 1);
  if (counted.size > 0) keepSample(stats.samples, signature !== "", sample);
}

/**
 * Keeps a sample of a comparison that differed. Once the flush's samples are full, one whose
 * status or body differed takes the place of one where only headers did: those are what an
 * operator must see an example of first.
 */
function keepSample(samples: ShadowSample[], answerDiffered: boolean, sample: () => ShadowSample): void {
  if (samples.length < MAX_SAMPLES_PER_FLUSH) {
    samples.push(sample());
    return;
  }
  if (!answerDiffered) return;
  const headersOnly = samples.findIndex((kept) => kept.differences.every((difference) => isHeaderField(difference.field)));
  if (headersOnly !== -1) samples[headersOnly] = sample();
}

function countKind(map: Map<string, HeaderKinds>, field: string, kind: Difference["kind"], count: number): void {
  const kinds = map.get(field) ?? { missing: 0, extra: 0, value: 0 };
  if (kind === "missing" || kind === "extra" || kind === "value") kinds[kind] += count;
  map.set(field, kinds);
}

export function recordCandidateError(stats: ShadowStats, controlMs: number): void {
  stats.candidateErrors++;
  add(stats.controlLatency, latencyBucket(controlMs), 1);
}

/** Two answers of the control backend compared: which fields change on their own. A status never is noise. */
export function recordNoise(stats: ShadowStats, differences: readonly Difference[], redaction: Redaction = DEFAULT_REDACTION): void {
  stats.noiseCompared++;
  for (const field of new Set(differences.filter((d) => d.field !== "status").map((d) => countedField(d.field, redaction)))) countField(stats.noise, field);
}

/** Counts a field, or "(other fields)" past the cap; answers the key counted. */
function countField(map: Map<string, number>, field: string): string {
  const key = map.has(field) || map.size < MAX_FIELDS ? field : OTHER_FIELDS;
  add(map, key, 1);
  return key;
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
  for (const [field, kinds] of from.headerKinds) for (const kind of ["missing", "extra", "value"] as const) countKind(into.headerKinds, field, kind, kinds[kind]);
  for (const [bucket, count] of from.controlLatency) add(into.controlLatency, bucket, count);
  for (const [bucket, count] of from.candidateLatency) add(into.candidateLatency, bucket, count);
  into.samples.push(...from.samples.slice(0, Math.max(0, MAX_SAMPLES_PER_FLUSH - into.samples.length)));
}

function add<K>(map: Map<K, number>, key: K, count: number): void {
  map.set(key, (map.get(key) ?? 0) + count);
}
