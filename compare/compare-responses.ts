import { sameBytes } from "../lib/bytes.ts";
import { fnv1aBytes } from "../lib/fnv.ts";
import { INTERNAL_PREFIX } from "../lib/internal-headers.ts";
import type { Difference } from "./difference.ts";
import { diffHeaders } from "./diff-headers.ts";
import { diffJson } from "./diff-json.ts";
import { BODY_DERIVED_HEADERS, DEFAULT_IGNORED_HEADERS, RAILS_DEFAULT_CACHE_CONTROL, RAILS_PRESET_HEADERS } from "./header-rules.ts";
import { parsePathPattern, pathMatches, type PatternSegment } from "./json-path.ts";

/** One side's response as captured: headers with lower-case names, body up to the cap. */
export interface Observation {
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  /** Undefined when the body was larger than the capture cap. */
  readonly body: Uint8Array | undefined;
  readonly durationMs: number;
}

/**
 * The outcome of one comparison (Scientist's Result): what differs, and what was set aside.
 * Status and body decide whether it matched; header differences are among `differences` too
 * (a sample shows them) but are judged apart, by name (compare/shadow-report.ts).
 */
export interface Comparison {
  /** Status and body differences first, then header ones (`header:<name>`). */
  readonly differences: readonly Difference[];
  readonly ignored: readonly Difference[];
  /** No status or body difference is left: the answers are the same, whatever the headers. */
  readonly matched: boolean;
  /** A body was over the cap: only status and headers were compared. */
  readonly tooLarge: boolean;
}

export interface CompareRules {
  readonly ignoredHeaders: ReadonlySet<string>;
  readonly ignoredBodyPaths: readonly (readonly PatternSegment[])[];
  /** `preset:rails`: also set aside Rails' default Cache-Control (RAILS_DEFAULT_CACHE_CONTROL). */
  readonly railsCacheControl: boolean;
}

export const RAILS_PRESET = "preset:rails";

/**
 * Rules from a route's `shadow.ignore` (`header:name`, `body:$.path`, `preset:rails`) on top
 * of the defaults (compare/header-rules.ts).
 */
export function compileRules(ignore: readonly string[] = []): CompareRules {
  const ignoredHeaders = new Set(DEFAULT_IGNORED_HEADERS);
  const ignoredBodyPaths: PatternSegment[][] = [];
  let railsCacheControl = false;
  for (const rule of ignore) {
    if (rule.startsWith("header:")) ignoredHeaders.add(rule.slice(7).toLowerCase());
    else if (rule.startsWith("body:")) {
      const pattern = parsePathPattern(rule.slice(5));
      if (pattern) ignoredBodyPaths.push(pattern);
    } else if (rule === RAILS_PRESET) {
      for (const name of RAILS_PRESET_HEADERS) ignoredHeaders.add(name);
      railsCacheControl = true;
    }
  }
  return { ignoredHeaders, ignoredBodyPaths, railsCacheControl };
}

/** A difference in a header (judged apart from status and body). */
export function isHeaderField(field: string): boolean {
  return field.startsWith("header:");
}

/** Compares a candidate response with the control one. Pure: same inputs, same result. */
export function compareResponses(control: Observation, candidate: Observation, rules: CompareRules): Comparison {
  const answer: Difference[] = [];
  if (control.status !== candidate.status) answer.push({ field: "status", kind: "status", control: control.status, candidate: candidate.status });
  const tooLarge = control.body === undefined || candidate.body === undefined;
  if (!tooLarge) diffBodies(control, candidate, answer);

  const differences: Difference[] = [];
  const ignored: Difference[] = [];
  for (const difference of answer) (isIgnoredBodyPath(difference, rules) ? ignored : differences).push(difference);
  const matched = differences.length === 0;
  const bodiesMatch = !tooLarge && !differences.some((difference) => difference.field.startsWith("body"));
  for (const difference of diffHeaders(control.headers, candidate.headers)) {
    (isIgnoredHeader(difference, rules, bodiesMatch) ? ignored : differences).push(difference);
  }
  return { differences, ignored, matched, tooLarge };
}

function isIgnoredBodyPath(difference: Difference, rules: CompareRules): boolean {
  if (!difference.field.startsWith("body:")) return false;
  const path = difference.field.slice(5);
  return rules.ignoredBodyPaths.some((pattern) => pathMatches(pattern, path));
}

function isIgnoredHeader(difference: Difference, rules: CompareRules, bodiesMatch: boolean): boolean {
  const name = difference.field.slice(7);
  // `header:set-cookie` sets aside the cookies' attributes (`set-cookie:attributes`) too.
  const [base = name] = name.split(":");
  if (rules.ignoredHeaders.has(base) || name.startsWith(INTERNAL_PREFIX)) return true;
  if (bodiesMatch && BODY_DERIVED_HEADERS.has(name)) return true;
  return name === "cache-control" && rules.railsCacheControl && typeof difference.control === "string" && isRailsDefaultCacheControl(difference.control);
}

function isRailsDefaultCacheControl(value: string): boolean {
  const directives = value.split(",").map((directive) => directive.trim().toLowerCase());
  return directives.length === RAILS_DEFAULT_CACHE_CONTROL.size && directives.every((directive) => RAILS_DEFAULT_CACHE_CONTROL.has(directive));
}

function diffBodies(control: Observation, candidate: Observation, out: Difference[]): void {
  const a = control.body as Uint8Array;
  const b = candidate.body as Uint8Array;
  if (sameBytes(a, b)) return;
  const left = parseJson(a, control.headers);
  const right = parseJson(b, candidate.headers);
  if (left.ok && right.ok) {
    out.push(...diffJson(left.value, right.value));
    return;
  }
  out.push({ field: "body", kind: "bytes", control: describeBytes(a), candidate: describeBytes(b) });
}

function parseJson(bytes: Uint8Array, headers: Observation["headers"]): { ok: true; value: unknown } | { ok: false } {
  const type = headers.find(([name]) => name.toLowerCase() === "content-type")?.[1] ?? "";
  if (!/[/+]json\b/i.test(type)) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(new TextDecoder().decode(bytes)) };
  } catch {
    return { ok: false };
  }
}

/** Length and content hash (FNV-1a): enough to see that, and roughly how, two bodies differ. */
function describeBytes(bytes: Uint8Array): string {
  return `${bytes.byteLength} bytes, fnv1a ${(fnv1aBytes(bytes) >>> 0).toString(16).padStart(8, "0")}`;
}
