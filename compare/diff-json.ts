import { canonicalJson } from "../routes/canonical-json.ts";
import type { Difference } from "./difference.ts";
import { childPath } from "./json-path.ts";

/**
 * Structural differences between two JSON values, each addressed by its JSON path. Objects
 * compare key by key; arrays element by element, plus one `length` difference when their
 * lengths differ, or a single `order` difference when they hold the same elements in
 * another order.
 */
export function diffJson(control: unknown, candidate: unknown, path = "$", out: Difference[] = []): Difference[] {
  const controlType = typeOf(control);
  const candidateType = typeOf(candidate);
  if (controlType !== candidateType) {
    out.push({ field: `body:${path}`, kind: "type", control: summarize(control), candidate: summarize(candidate) });
    return out;
  }
  if (controlType === "object") {
    const a = control as Record<string, unknown>;
    const b = candidate as Record<string, unknown>;
    for (const key of Object.keys(a)) {
      if (!Object.hasOwn(b, key)) out.push({ field: `body:${childPath(path, key)}`, kind: "missing", control: summarize(a[key]) });
      else diffJson(a[key], b[key], childPath(path, key), out);
    }
    for (const key of Object.keys(b)) {
      if (!Object.hasOwn(a, key)) out.push({ field: `body:${childPath(path, key)}`, kind: "extra", candidate: summarize(b[key]) });
    }
    return out;
  }
  if (controlType === "array") {
    const a = control as unknown[];
    const b = candidate as unknown[];
    if (a.length === b.length && !equalJson(a, b) && sameElements(a, b)) {
      out.push({ field: `body:${path}`, kind: "order", control: summarize(a), candidate: summarize(b) });
      return out;
    }
    if (a.length !== b.length) out.push({ field: `body:${path}`, kind: "length", control: a.length, candidate: b.length });
    for (let i = 0; i < Math.min(a.length, b.length); i++) diffJson(a[i], b[i], childPath(path, i), out);
    return out;
  }
  if (control !== candidate) out.push({ field: `body:${path}`, kind: "value", control, candidate });
  return out;
}

type JsonType = "object" | "array" | "string" | "number" | "boolean" | "null";

function typeOf(value: unknown): JsonType {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value as JsonType;
}

export function equalJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function sameElements(a: readonly unknown[], b: readonly unknown[]): boolean {
  const counts = new Map<string, number>();
  for (const item of a) counts.set(canonicalJson(item), (counts.get(canonicalJson(item)) ?? 0) + 1);
  for (const item of b) {
    const key = canonicalJson(item);
    const left = counts.get(key) ?? 0;
    if (left === 0) return false;
    counts.set(key, left - 1);
  }
  return true;
}

/** Containers are summarized so that a difference stays small: `{…3 keys}`, `[…12 items]`. */
function summarize(value: unknown): unknown {
  if (Array.isArray(value)) return value.length <= 5 && value.every((v) => v === null || typeof v !== "object") ? value : `[…${value.length} items]`;
  if (value !== null && typeof value === "object") return `{…${Object.keys(value).length} keys}`;
  return value;
}
