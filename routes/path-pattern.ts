import { normalizePath } from "./normalize-path.ts";
import { err, ok, type Result } from "../lib/result.ts";

/**
 * One segment of a route's path pattern. Patterns are `/`-separated: a literal segment,
 * `:name` (exactly one non-empty segment), or a trailing `*` (the rest of the path,
 * possibly nothing).
 */
export type PatternSegment =
  | { readonly kind: "literal"; readonly value: string }
  | { readonly kind: "param"; readonly name: string }
  | { readonly kind: "wildcard" };

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** RFC 3986 pchar, minus "%" which is checked as a percent-encoding. */
const LITERAL = /^([A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-F]{2})*$/;

/** Splits a path (pattern or request) into the segments the matcher walks: `/a/b` → `a`, `b`. */
export function splitPath(path: string): string[] {
  return path.slice(1).split("/");
}

export function parsePattern(pattern: string): Result<readonly PatternSegment[], string> {
  if (!pattern.startsWith("/")) return err("must start with '/'");
  if (/[?#\s]/.test(pattern)) return err("must not contain a query, fragment or white space");
  if (normalizePath(pattern) !== pattern) {
    return err(`is not in normalized form (write it as '${normalizePath(pattern)}')`);
  }
  const parts = splitPath(pattern);
  const segments: PatternSegment[] = [];
  for (const [index, part] of parts.entries()) {
    const isLast = index === parts.length - 1;
    if (part === "*") {
      if (!isLast) return err("'*' is allowed only as the last segment");
      segments.push({ kind: "wildcard" });
    } else if (part.startsWith(":")) {
      const name = part.slice(1);
      if (!PARAM_NAME.test(name)) return err(`':${name}' is not a valid parameter name`);
      segments.push({ kind: "param", name });
    } else if (part === "" && !isLast) {
      return err("must not contain an empty segment ('//')");
    } else if (part.includes("*")) {
      return err("'*' must be a whole segment");
    } else if (!LITERAL.test(part)) {
      return err(`segment '${part}' has characters that must be percent-encoded (upper-case hex)`);
    } else {
      segments.push({ kind: "literal", value: part });
    }
  }
  return ok(segments);
}

/** A key equal for two patterns that match exactly the same paths (`/a/:x` and `/a/:y`). */
export function patternShape(segments: readonly PatternSegment[]): string {
  return segments.map((s) => (s.kind === "literal" ? `=${s.value}` : s.kind === "param" ? ":" : "*")).join("/");
}

/** The pattern without its trailing slash (`/docs/` → `/docs`); the root pattern stays. */
export function withoutTrailingSlash(segments: readonly PatternSegment[]): readonly PatternSegment[] {
  const last = segments.at(-1);
  return segments.length > 1 && last?.kind === "literal" && last.value === "" ? segments.slice(0, -1) : segments;
}
