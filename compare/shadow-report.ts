import { isHeaderField } from "./compare-responses.ts";
import type { Difference } from "./difference.ts";
import { isSecurityHeader } from "./header-rules.ts";
import { percentile } from "./latency-histogram.ts";
import { generalizeField, OTHER_SIGNATURE, type HeaderKinds, type ShadowSample } from "./shadow-stats.ts";

/** A route's shadow counters summed over every isolate, as the store reads them back. */
export interface StoredShadowStats {
  readonly compared: number;
  readonly tooLarge: number;
  readonly candidateErrors: number;
  readonly shed: number;
  readonly noiseCompared: number;
  readonly firstAt: string | null;
  readonly lastAt: string | null;
  /** Comparisons in which each field differed, status, body and header fields alike. */
  readonly fields: Readonly<Record<string, number>>;
  /** How each header field differed; fields stored before issue 24 have none. */
  readonly headerKinds: Readonly<Record<string, Readonly<HeaderKinds>>>;
  readonly noise: Readonly<Record<string, number>>;
  /**
   * Comparisons per set of differing status and body fields ("" for none, "(other)" past the
   * cap); sets stored before issue 24 may name header fields too, which the report leaves out.
   */
  readonly signatures: Readonly<Record<string, number>>;
  readonly controlLatency: Readonly<Record<number, number>>;
  readonly candidateLatency: Readonly<Record<number, number>>;
  /** Newest first. */
  readonly samples: readonly ShadowSample[];
}

export interface ReportOptions {
  /** Comparisons needed before a verdict (default 1000). */
  readonly minComparisons: number;
  /** Match rate in percent needed to be ready (default 99). */
  readonly threshold: number;
  /** A field is noise when it differs in at least this share of control-vs-control pairs (default 0.05). */
  readonly noiseRate: number;
}

export const DEFAULT_REPORT_OPTIONS: ReportOptions = { minComparisons: 1000, threshold: 99, noiseRate: 0.05 };

/** Example of a difference, with the request that produced it (method and redacted path). */
export type DifferenceExample = Difference & { readonly method: string; readonly path: string };

/** One header that differed, judged apart from the verdict. */
export interface HeaderDifference {
  /** The lower-case header name (`set-cookie:attributes`: cookies' Secure, HttpOnly, SameSite). */
  readonly name: string;
  /** On the security list (compare/header-rules.ts). */
  readonly security: boolean;
  /** Comparisons in which it differed. */
  readonly count: number;
  /** How, when known (not for counters stored before issue 24): sent by the control only, by the candidate only, with another value. */
  readonly missing: number;
  readonly extra: number;
  readonly changed: number;
  readonly example: DifferenceExample | null;
}

export interface ShadowReport {
  readonly route: string;
  readonly compared: number;
  readonly matched: number;
  readonly mismatched: number;
  /** Share of all attempts (comparisons and candidate errors) whose status and body matched, in percent; null before any. */
  readonly matchRate: number | null;
  readonly tooLarge: number;
  readonly candidateErrors: number;
  /** Copies skipped because the isolate had too many in flight. */
  readonly shed: number;
  readonly noiseSamples: number;
  readonly noise: readonly { field: string; count: number }[];
  /** Status and body fields that differed, most frequent first, each with its most recent example. */
  readonly differences: readonly { field: string; count: number; example: DifferenceExample | null }[];
  /** Headers that differed, by name: flagged security headers first, then the most frequent. */
  readonly headers: readonly HeaderDifference[];
  readonly latency: {
    readonly control: { p50: number | null; p95: number | null; p99: number | null };
    readonly candidate: { p50: number | null; p95: number | null; p99: number | null };
  };
  readonly samples: number;
  /** The newest mismatch kept (redacted): the request and each difference, side by side. */
  readonly latestSample: ShadowSample | null;
  readonly firstAt: string | null;
  readonly lastAt: string | null;
  readonly verdict: {
    /** Enough comparisons, and enough of them matched in status and body. */
    readonly ready: boolean;
    readonly summary: string;
    /** Security headers the candidate drops or sends with another value: judged apart from `ready`. */
    readonly securityHeaders: readonly string[];
  };
}

/** How much more often than the control itself the candidate may differ on a noisy field. */
const NOISE_MARGIN = 0.1;

/**
 * Reads a route's counters as a report. A field is noise when it differs between two answers
 * of the control backend at least `noiseRate` of the time, and the candidate does not differ
 * there much more often (Diffy's primary/secondary comparison): a timestamp that changes on
 * every call is noise; a balance that changes now and then, but is always wrong on the
 * candidate, is not. A comparison whose differences are all noise counts as a match.
 */
export function buildShadowReport(route: string, stats: StoredShadowStats, options: ReportOptions = DEFAULT_REPORT_OPTIONS): ShadowReport {
  const noisy = new Set(
    Object.entries(stats.noise)
      .filter(([field, count]) => {
        if (stats.noiseCompared === 0) return false;
        const noiseRate = count / stats.noiseCompared;
        const candidateRate = stats.compared === 0 ? 0 : (stats.fields[field] ?? 0) / stats.compared;
        return noiseRate >= options.noiseRate && candidateRate <= noiseRate + NOISE_MARGIN;
      })
      .map(([field]) => field),
  );
  let matched = 0;
  for (const [signature, count] of Object.entries(stats.signatures)) {
    if (signature === OTHER_SIGNATURE) continue;
    // Header fields (in signatures stored before issue 24) never decide a match.
    const fields = signature === "" ? [] : signature.split("\n").filter((field) => !isHeaderField(field));
    if (fields.every((field) => noisy.has(field))) matched += count;
  }
  const attempts = stats.compared + stats.candidateErrors;
  const matchRate = attempts === 0 ? null : round((matched / attempts) * 100);
  const counted = Object.entries(stats.fields)
    .filter(([field]) => !noisy.has(field))
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
  const differences = counted.filter(([field]) => !isHeaderField(field)).map(([field, count]) => ({ field, count, example: exampleOf(field, stats.samples) }));
  const headers = counted
    .filter(([field]) => isHeaderField(field))
    .map(([field, count]) => headerDifference(field, count, stats))
    .sort((a, b) => Number(flagged(b)) - Number(flagged(a)));
  const securityHeaders = headers.filter(flagged).map((header) => header.name);
  const spread = (counts: Readonly<Record<number, number>>) => ({ p50: percentile(counts, 50), p95: percentile(counts, 95), p99: percentile(counts, 99) });
  return {
    route,
    compared: stats.compared,
    matched,
    mismatched: stats.compared - matched,
    matchRate,
    tooLarge: stats.tooLarge,
    candidateErrors: stats.candidateErrors,
    shed: stats.shed,
    noiseSamples: stats.noiseCompared,
    noise: [...noisy].sort().map((field) => ({ field, count: stats.noise[field] ?? 0 })),
    differences,
    headers,
    latency: { control: spread(stats.controlLatency), candidate: spread(stats.candidateLatency) },
    samples: stats.samples.length,
    latestSample: stats.samples[0] ?? null,
    firstAt: stats.firstAt,
    lastAt: stats.lastAt,
    verdict: { ...verdict(attempts, matchRate, differences[0]?.field, stats.tooLarge, options, headersNote(headers, securityHeaders)), securityHeaders },
  };
}

/** A candidate's security header is flagged when it is dropped or changed, or when how it differed is unknown (older counters). */
function flagged(header: HeaderDifference): boolean {
  return header.security && (header.missing > 0 || header.changed > 0 || header.missing + header.extra + header.changed < header.count);
}

function headerDifference(field: string, count: number, stats: StoredShadowStats): HeaderDifference {
  const name = field.slice(7);
  const kinds = stats.headerKinds[field];
  return {
    name,
    security: isSecurityHeader(name),
    count,
    missing: kinds?.missing ?? 0,
    extra: kinds?.extra ?? 0,
    changed: kinds?.value ?? 0,
    example: exampleOf(field, stats.samples),
  };
}

function headersNote(headers: readonly HeaderDifference[], securityHeaders: readonly string[]): string {
  if (securityHeaders.length > 0) return `; security headers missing or changed on the candidate: ${securityHeaders.join(", ")}`;
  if (headers.length > 0) return `; ${headers.length} header${headers.length === 1 ? "" : "s"} differ, judged apart`;
  return "";
}

function verdict(attempts: number, matchRate: number | null, topField: string | undefined, tooLarge: number, options: ReportOptions, note: string): { ready: boolean; summary: string } {
  if (attempts < options.minComparisons || matchRate === null) {
    return { ready: false, summary: `not enough data: ${attempts} of ${options.minComparisons} comparisons${note}` };
  }
  if (tooLarge * 2 > attempts) {
    return { ready: false, summary: `not verified: ${tooLarge} of ${attempts} bodies were over shadow.maxBodyBytes and only their status and headers were compared${note}` };
  }
  if (matchRate >= options.threshold) {
    return { ready: true, summary: `ready to cut over: ${matchRate} % of ${attempts} matched in status and body (threshold ${options.threshold} %)${note}` };
  }
  const top = topField === undefined ? "candidate errors" : topField;
  return { ready: false, summary: `not ready: ${matchRate} % of ${attempts} matched in status and body (threshold ${options.threshold} %); most frequent difference: ${top}${note}` };
}

function exampleOf(field: string, samples: readonly ShadowSample[]): DifferenceExample | null {
  for (const sample of samples) {
    const found = sample.differences.find((difference) => generalizeField(difference.field) === field);
    if (found) return { ...found, method: sample.method, path: sample.path };
  }
  return null;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
