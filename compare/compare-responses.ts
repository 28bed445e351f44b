import { sameBytes } from "../lib/bytes.ts";
import { fnv1aBytes } from "../lib/fnv.ts";
import { INTERNAL_PREFIX } from "../lib/internal-headers.ts";
import type { Difference } from "./difference.ts";
import { diffJson } from "./diff-json.ts";
import { parsePathPattern, pathMatches, type PatternSegment } from "./json-path.ts";

/** One side's response as captured: headers with lower-case names, body up to the cap. */
export interface Observation {
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  /** Undefined when the body was larger than the capture cap. */
  readonly body: Uint8Array | undefined;
  readonly durationMs: number;
}

/** The outcome of one comparison (Scientist's Result): what differs, and what was set aside. */
export interface Comparison {
  readonly differences: readonly Difference[];
  readonly ignored: readonly Difference[];
  /** A body was over the cap: only status and headers were compared. */
  readonly tooLarge: boolean;
}

/**
 * Headers that differ between any two responses (or describe the connection, or the body
 * that is compared anyway): Diffy's default noise.
 */
const DEFAULT_IGNORED_HEADERS: ReadonlySet<string> = new Set([
  "date",
  "server",
  "age",
  "via",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "x-request-id",
  "x-runtime",
  "x-amzn-requestid",
  "x-amzn-trace-id",
  "x-amz-apigw-id",
  "x-amz-cf-id",
  "x-amz-cf-pop",
  "x-amz-id-2",
  "x-amz-request-id",
  "cf-ray",
  "cf-cache-status",
  "report-to",
  "nel",
]);

export interface CompareRules {
  readonly ignoredHeaders: ReadonlySet<string>;
  readonly ignoredBodyPaths: readonly (readonly PatternSegment[])[];
}

/** Rules from a route's `shadow.ignore` (`header:name`, `body:$.path`) on top of the defaults. */
export function compileRules(ignore: readonly string[] = []): CompareRules {
  const ignoredHeaders = new Set(DEFAULT_IGNORED_HEADERS);
  const ignoredBodyPaths: PatternSegment[][] = [];
  for (const rule of ignore) {
    if (rule.startsWith("header:")) ignoredHeaders.add(rule.slice(7).toLowerCase());
    else if (rule.startsWith("body:")) {
      const pattern = parsePathPattern(rule.slice(5));
      if (pattern) ignoredBodyPaths.push(pattern);
    }
  }
  return { ignoredHeaders, ignoredBodyPaths };
}

/** Compares a candidate response with the control one. Pure: same inputs, same result. */
export function compareResponses(control: Observation, candidate: Observation, rules: CompareRules): Comparison {
  const all: Difference[] = [];
  if (control.status !== candidate.status) all.push({ field: "status", kind: "status", control: control.status, candidate: candidate.status });
  diffHeaders(control.headers, candidate.headers, all);
  const tooLarge = control.body === undefined || candidate.body === undefined;
  if (!tooLarge) diffBodies(control, candidate, all);

  const differences: Difference[] = [];
  const ignored: Difference[] = [];
  for (const difference of all) (isIgnored(difference, rules) ? ignored : differences).push(difference);
  return { differences, ignored, tooLarge };
}

function isIgnored(difference: Difference, rules: CompareRules): boolean {
  if (difference.field.startsWith("header:")) {
    const name = difference.field.slice(7);
    return rules.ignoredHeaders.has(name) || name.startsWith(INTERNAL_PREFIX);
  }
  if (difference.field.startsWith("body:")) {
    const path = difference.field.slice(5);
    return rules.ignoredBodyPaths.some((pattern) => pathMatches(pattern, path));
  }
  return false;
}

function diffHeaders(control: Observation["headers"], candidate: Observation["headers"], out: Difference[]): void {
  const a = groupHeaders(control);
  const b = groupHeaders(candidate);
  for (const [name, value] of a) {
    const other = b.get(name);
    if (other === undefined) out.push({ field: `header:${name}`, kind: "missing", control: value });
    else if (other !== value) out.push({ field: `header:${name}`, kind: "value", control: value, candidate: other });
  }
  for (const [name, value] of b) if (!a.has(name)) out.push({ field: `header:${name}`, kind: "extra", candidate: value });
}

function groupHeaders(headers: Observation["headers"]): Map<string, string> {
  const grouped = new Map<string, string>();
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    const prior = grouped.get(key);
    grouped.set(key, prior === undefined ? value : `${prior}\n${value}`);
  }
  return grouped;
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
