import type { Difference } from "./difference.ts";
import { parsePathPattern, pathContains, pathMatches } from "./json-path.ts";

/** Headers whose values never reach storage. */
const SECRET_HEADERS = ["authorization", "proxy-authorization", "cookie", "set-cookie"];
const REDACTED = "[redacted]";
const MAX_VALUE_LENGTH = 200;

/**
 * A difference as it may be stored: secret headers — the usual ones and the route's
 * `redact: ["header:NAME"]` — and the route's redacted body fields (and any value that
 * contains one) replaced by "[redacted]", the names of fields beneath a redacted one folded
 * into it (keys can be secrets too), long values cut.
 */
export function redactDifferences(differences: readonly Difference[], redact: readonly string[] = []): Difference[] {
  const headers = new Set([...SECRET_HEADERS, ...redact.filter((rule) => rule.startsWith("header:")).map((rule) => rule.slice(7).toLowerCase())]);
  return differences.map((difference) => {
    const path = difference.field.startsWith("body:") ? difference.field.slice(5) : undefined;
    const covering = path === undefined ? undefined : redact.find((rule) => coveredBy(rule, path));
    const secret =
      (difference.field.startsWith("header:") && headers.has(difference.field.slice(7))) ||
      covering !== undefined ||
      (path !== undefined && redact.some((rule) => containsRedacted(path, rule)));
    const clean = (value: unknown) => (value === undefined ? undefined : secret ? REDACTED : truncate(value));
    return {
      field: covering !== undefined && covering !== path ? `body:${covering}` : difference.field,
      kind: difference.kind,
      ...(difference.control === undefined ? {} : { control: clean(difference.control) }),
      ...(difference.candidate === undefined ? {} : { candidate: clean(difference.candidate) }),
    };
  });
}

/** `path` is the redacted body path `rule` or lies beneath it. */
function coveredBy(rule: string, path: string): boolean {
  const pattern = rule.startsWith("$") ? parsePathPattern(rule) : undefined;
  return pattern !== undefined && pathMatches(pattern, path);
}

/** A value at `path` may hold what `rule` redacts. */
function containsRedacted(path: string, rule: string): boolean {
  const pattern = rule.startsWith("$") ? parsePathPattern(rule) : undefined;
  return pattern !== undefined && pathContains(path, pattern);
}

function truncate(value: unknown): unknown {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (text.length <= MAX_VALUE_LENGTH) return value;
  return `${text.slice(0, MAX_VALUE_LENGTH)}…`;
}
