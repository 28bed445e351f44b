/**
 * JSON paths as differences are addressed: `$.accounts[2].balance`. A pattern (in `ignore`
 * and `redact` rules) may use `[*]` for any index and `.*` for any key, and matches
 * everything beneath it: `$.meta` covers `$.meta.requestId`.
 */
export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

export function childPath(parent: string, key: PathSegment): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  return IDENTIFIER.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/** `$.items[3].price` → `$.items[*].price`: the field a difference is counted under. */
export function generalizePath(path: string): string {
  return path.replace(/\[\d+\]/g, "[*]");
}

export type PatternSegment = { readonly key: string } | { readonly index: number } | { readonly any: true };

/** Parses `$.a[*].b` (the forms the route table schema admits); undefined for anything else. */
export function parsePathPattern(pattern: string): PatternSegment[] | undefined {
  if (!pattern.startsWith("$")) return undefined;
  const segments: PatternSegment[] = [];
  const token = /\.([A-Za-z_$][A-Za-z0-9_$-]*)|\.\*|\[(\d+)\]|\[\*\]|\[("(?:[^"\\]|\\.)*")\]/y;
  token.lastIndex = 1;
  while (token.lastIndex < pattern.length) {
    const match = token.exec(pattern);
    if (!match) return undefined;
    if (match[1] !== undefined) segments.push({ key: match[1] });
    else if (match[2] !== undefined) segments.push({ index: Number(match[2]) });
    else if (match[3] !== undefined) segments.push({ key: JSON.parse(match[3]) as string });
    else segments.push({ any: true });
  }
  return segments;
}

/** Whether `path` (a concrete path) is `pattern` or lies beneath it. */
export function pathMatches(pattern: readonly PatternSegment[], path: string): boolean {
  const concrete = parsePathPattern(path);
  if (concrete === undefined || concrete.length < pattern.length) return false;
  return pattern.every((segment, i) => {
    const actual = concrete[i] as PatternSegment;
    if ("any" in segment) return true;
    if ("key" in segment) return "key" in actual && actual.key === segment.key;
    return "index" in actual && actual.index === segment.index;
  });
}

/** Whether a value at `path` may contain something `pattern` names (path is the pattern's ancestor). */
export function pathContains(path: string, pattern: readonly PatternSegment[]): boolean {
  const concrete = parsePathPattern(path);
  if (concrete === undefined || concrete.length >= pattern.length) return false;
  return concrete.every((actual, i) => {
    const segment = pattern[i] as PatternSegment;
    if ("any" in segment) return true;
    if ("key" in segment) return "key" in actual && actual.key === segment.key;
    return "index" in actual && actual.index === segment.index;
  });
}
