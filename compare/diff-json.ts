import { canonicalJson } from "../lib/canonical-json.ts";
import type { Difference } from "./difference.ts";
import { childPath, type PathSegment } from "./json-path.ts";

/**
 * The cost of one comparison is bounded whatever the bodies (an attacker can shape a small
 * body to be expensive): below `maxDepth`, subtrees are compared whole, as canonical text; at
 * most `maxDifferences` are recorded and `maxNodes` values visited, after which one `truncated`
 * difference says the rest was not compared; the reorder check runs on arrays of at most
 * `maxReorderElements` within `maxReorderDepth` of the root (each check reads its subtree
 * whole, so checks at every level of a deep body would cost depth × size).
 */
export const DIFF_LIMITS = { maxDepth: 32, maxDifferences: 100, maxNodes: 100_000, maxReorderElements: 1000, maxReorderDepth: 8 } as const;

interface Walk {
  readonly out: Difference[];
  nodes: number;
  truncated: boolean;
}

/**
 * Structural differences between two JSON values, each addressed by its JSON path. Objects
 * compare key by key; arrays element by element, plus one `length` difference when their
 * lengths differ, or a single `order` difference when they hold the same elements in
 * another order.
 */
export function diffJson(control: unknown, candidate: unknown): Difference[] {
  const state: Walk = { out: [], nodes: 0, truncated: false };
  walk(control, candidate, [], state);
  if (state.truncated) state.out.push({ field: "body", kind: "truncated", control: `compared up to ${DIFF_LIMITS.maxDifferences} differences and ${DIFF_LIMITS.maxNodes} values` });
  return state.out;
}

/** `at` is the path as segments; it is spelled out only for a difference (the rare case). */
function walk(control: unknown, candidate: unknown, at: PathSegment[], state: Walk): void {
  if (control === candidate) return;
  if (state.out.length >= DIFF_LIMITS.maxDifferences || ++state.nodes > DIFF_LIMITS.maxNodes) {
    state.truncated = true;
    return;
  }
  const out = state.out;
  if (at.length >= DIFF_LIMITS.maxDepth) {
    // Too deep to walk: one comparison of the whole subtree, one difference if any.
    if (canonicalJson(control) !== canonicalJson(candidate)) out.push({ field: field(at), kind: "value", control: summarize(control), candidate: summarize(candidate) });
    return;
  }
  const controlType = typeOf(control);
  const candidateType = typeOf(candidate);
  if (controlType !== candidateType) {
    out.push({ field: field(at), kind: "type", control: summarize(control), candidate: summarize(candidate) });
    return;
  }
  if (controlType === "object") {
    const a = control as Record<string, unknown>;
    const b = candidate as Record<string, unknown>;
    for (const key in a) {
      at.push(key);
      if (!Object.hasOwn(b, key)) out.push({ field: field(at), kind: "missing", control: summarize(a[key]) });
      else walk(a[key], b[key], at, state);
      at.pop();
    }
    for (const key in b) {
      if (Object.hasOwn(a, key)) continue;
      at.push(key);
      out.push({ field: field(at), kind: "extra", candidate: summarize(b[key]) });
      at.pop();
    }
    return;
  }
  if (controlType === "array") {
    const a = control as unknown[];
    const b = candidate as unknown[];
    if (a.length === b.length) {
      // Element by element first: the common, equal case costs no canonical forms.
      const before = out.length;
      elements(a, b, at, state);
      const reorderable = a.length >= 2 && a.length <= DIFF_LIMITS.maxReorderElements && at.length < DIFF_LIMITS.maxReorderDepth;
      if (out.length > before && reorderable && sameElements(a, b)) {
        out.splice(before, out.length - before, { field: field(at), kind: "order", control: summarize(a), candidate: summarize(b) });
      }
      return;
    }
    out.push({ field: field(at), kind: "length", control: a.length, candidate: b.length });
    elements(a, b, at, state);
    return;
  }
  out.push({ field: field(at), kind: "value", control, candidate });
}

function elements(a: readonly unknown[], b: readonly unknown[], at: PathSegment[], state: Walk): void {
  for (let i = 0; i < Math.min(a.length, b.length) && !state.truncated; i++) {
    at.push(i);
    walk(a[i], b[i], at, state);
    at.pop();
  }
}

function field(at: readonly PathSegment[]): string {
  let path = "$";
  for (const segment of at) path = childPath(path, segment);
  return `body:${path}`;
}

type JsonType = "object" | "array" | "string" | "number" | "boolean" | "null";

function typeOf(value: unknown): JsonType {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value as JsonType;
}

/** Whether `b` is `a` reordered. Rejects cheaply when a changed element has no equal in `b`. */
function sameElements(a: readonly unknown[], b: readonly unknown[]): boolean {
  const firstChanged = a.findIndex((item, i) => !deepEqual(item, b[i]));
  if (firstChanged !== -1 && !b.some((item) => deepEqual(item, a[firstChanged]))) return false;
  const counts = new Map<string, number>();
  for (const item of a) {
    const key = canonicalJson(item);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  for (const item of b) {
    const key = canonicalJson(item);
    const left = counts.get(key) ?? 0;
    if (left === 0) return false;
    counts.set(key, left - 1);
  }
  return true;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object" || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, i) => deepEqual(item, other[i]));
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  return keys.every((key) => Object.hasOwn(y, key) && deepEqual(x[key], y[key]));
}

/** Containers are summarized so that a difference stays small: `{…3 keys}`, `[…12 items]`. */
function summarize(value: unknown): unknown {
  if (Array.isArray(value)) return value.length <= 5 && value.every((v) => v === null || typeof v !== "object") ? value : `[…${value.length} items]`;
  if (value !== null && typeof value === "object") return `{…${Object.keys(value).length} keys}`;
  return value;
}
