import type { Difference } from "./difference.ts";
import { parsePathPattern, pathContains, pathMatches } from "./json-path.ts";

/** Headers whose values never reach storage. */
const SECRET_HEADERS = new Set(["authorization", "proxy-authorization", "cookie", "set-cookie", "x-cutover-override"]);
const REDACTED = "[redacted]";
const MAX_VALUE_LENGTH = 200;

/**
 * A difference as it may be stored: secret headers and the route's `redact` body fields
 * (and any value that contains one) replaced by "[redacted]", long values cut.
 */
export function redactDifferences(differences: readonly Difference[], redact: readonly string[] = []): Difference[] {
  const patterns = redact.map((path) => parsePathPattern(path)).filter((pattern) => pattern !== undefined);
  return differences.map((difference) => {
    const secret =
      (difference.field.startsWith("header:") && SECRET_HEADERS.has(difference.field.slice(7))) ||
      (difference.field.startsWith("body:") &&
        patterns.some((pattern) => pathMatches(pattern, difference.field.slice(5)) || pathContains(difference.field.slice(5), pattern)));
    const clean = (value: unknown) => (value === undefined ? undefined : secret ? REDACTED : truncate(value));
    return {
      field: difference.field,
      kind: difference.kind,
      ...(difference.control === undefined ? {} : { control: clean(difference.control) }),
      ...(difference.candidate === undefined ? {} : { candidate: clean(difference.candidate) }),
    };
  });
}

function truncate(value: unknown): unknown {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (text.length <= MAX_VALUE_LENGTH) return value;
  return `${text.slice(0, MAX_VALUE_LENGTH)}…`;
}
