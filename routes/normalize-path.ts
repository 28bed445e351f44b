import { applyPathPolicy, LENIENT_PATH_POLICY } from "./path-policy.ts";

/**
 * A path in normal form without refusing anything (RFC 3986 §6.2.2): unreserved characters
 * decoded, other escapes in upper case, dot segments resolved, duplicate slashes kept. Route
 * patterns are written in this form; requests go through the table's `paths` policy instead.
 */
export function normalizePath(pathname: string): string {
  const result = applyPathPolicy(pathname, LENIENT_PATH_POLICY);
  return result.ok ? result.value : pathname;
}
