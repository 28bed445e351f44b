import type { Difference } from "./difference.ts";
import { parsePathPattern, pathContains, pathMatches, type PatternSegment } from "./json-path.ts";

/** Headers whose values never reach storage. */
const SECRET_HEADERS = ["authorization", "proxy-authorization", "cookie", "set-cookie"];
const REDACTED = "[redacted]";
const MAX_VALUE_LENGTH = 200;

/** A route's `redact` rules, parsed once per table version. */
export interface Redaction {
  /** Header names (lower case) whose values are redacted: the usual secrets and the route's. */
  readonly headers: ReadonlySet<string>;
  /** Redacted body paths, as written (`$.card`) and parsed. */
  readonly bodyRules: readonly { readonly rule: string; readonly pattern: readonly PatternSegment[] }[];
}

/** Rules such as `$.card.number` and `header:x-api-key`, on top of the usual secret headers. */
export function compileRedaction(rules: readonly string[] = []): Redaction {
  const headers = new Set(SECRET_HEADERS);
  const bodyRules: { rule: string; pattern: PatternSegment[] }[] = [];
  for (const rule of rules) {
    if (rule.startsWith("header:")) headers.add(rule.slice(7).toLowerCase());
    else {
      const pattern = parsePathPattern(rule);
      if (pattern) bodyRules.push({ rule, pattern });
    }
  }
  return { headers, bodyRules };
}

/** The usual secret headers only: what is redacted when a route lists no rules. */
export const DEFAULT_REDACTION: Redaction = compileRedaction();

/** The redacted rule that `path` is, or lies beneath, if any. */
export function coveringRule(path: string, redaction: Redaction): string | undefined {
  return redaction.bodyRules.find((body) => pathMatches(body.pattern, path))?.rule;
}

/**
 * A difference as it may be stored: secret headers and the route's redacted body fields (and
 * any value that contains one) replaced by "[redacted]", the names of fields beneath a
 * redacted one folded into it (keys can be secrets too), long values cut.
 */
export function redactDifferences(differences: readonly Difference[], redaction: Redaction = DEFAULT_REDACTION): Difference[] {
  return differences.map((difference) => {
    const path = difference.field.startsWith("body:") ? difference.field.slice(5) : undefined;
    const covering = path === undefined ? undefined : coveringRule(path, redaction);
    const secret =
      (difference.field.startsWith("header:") && redaction.headers.has(difference.field.slice(7))) ||
      covering !== undefined ||
      (path !== undefined && redaction.bodyRules.some((body) => pathContains(path, body.pattern)));
    const clean = (value: unknown) => (value === undefined ? undefined : secret ? REDACTED : truncate(value));
    return {
      field: covering !== undefined && covering !== path ? `body:${covering}` : difference.field,
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
