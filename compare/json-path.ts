/**
 * JSON paths as differences are addressed: `$.accounts[2].balance`. A pattern (in `ignore`
 * and `redact` rules) may use `[*]` for any index, `.*` for any key and `..name` for a key at
 * any depth, and matches everything beneath it: `$.meta` covers `$.meta.requestId`.
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

/** One step of a path: a key, an index, any one key or index, or (patterns only) any number of steps. */
export type PatternSegment = { readonly key: string } | { readonly index: number } | { readonly any: true } | { readonly deep: true };

/** Parses `$.a[*].b`, `$..b` (the forms the route table schema admits); undefined for anything else. */
export function parsePathPattern(pattern: string): PatternSegment[] | undefined {
  if (!pattern.startsWith("$")) return undefined;
  const segments: PatternSegment[] = [];
  const token = /\.\.([A-Za-z_$][A-Za-z0-9_$-]*)|\.([A-Za-z_$][A-Za-z0-9_$-]*)|\.\*|\[(\d+)\]|\[\*\]|\[("(?:[^"\\]|\\.)*")\]/y;
  token.lastIndex = 1;
  while (token.lastIndex < pattern.length) {
    const match = token.exec(pattern);
    if (!match) return undefined;
    if (match[1] !== undefined) segments.push({ deep: true }, { key: match[1] });
    else if (match[2] !== undefined) segments.push({ key: match[2] });
    else if (match[3] !== undefined) segments.push({ index: Number(match[3]) });
    else if (match[4] !== undefined) segments.push({ key: JSON.parse(match[4]) as string });
    else segments.push({ any: true });
  }
  return segments;
}

/** The concrete segments of a path (no wildcards in it). */
export function pathSegments(path: string): readonly PatternSegment[] | undefined {
  return parsePathPattern(path);
}

function stepMatches(segment: PatternSegment, actual: PatternSegment): boolean {
  if ("any" in segment) return true;
  if ("key" in segment) return "key" in actual && actual.key === segment.key;
  if ("index" in segment) return "index" in actual && actual.index === segment.index;
  return false;
}

/**
 * How `pattern` can be laid over the start of `concrete`: the lengths of concrete prefixes it
 * matches whole, and whether `concrete` ran out while the pattern still had steps (so a value
 * at `concrete` may contain what the pattern names).
 */
function overlay(pattern: readonly PatternSegment[], concrete: readonly PatternSegment[], p = 0, c = 0): { matchedPrefix: boolean; ranOut: boolean } {
  if (p === pattern.length) return { matchedPrefix: true, ranOut: false };
  const segment = pattern[p] as PatternSegment;
  if ("deep" in segment) {
    // Zero or more steps: try every place the rest of the pattern could start.
    let ranOut = c === concrete.length;
    for (let skip = c; skip <= concrete.length; skip++) {
      const rest = overlay(pattern, concrete, p + 1, skip);
      if (rest.matchedPrefix) return { matchedPrefix: true, ranOut: true };
      ranOut ||= rest.ranOut;
    }
    return { matchedPrefix: false, ranOut };
  }
  if (c === concrete.length) return { matchedPrefix: false, ranOut: true };
  if (!stepMatches(segment, concrete[c] as PatternSegment)) return { matchedPrefix: false, ranOut: false };
  return overlay(pattern, concrete, p + 1, c + 1);
}

/** Whether `path` (a concrete path) is `pattern` or lies beneath it. */
export function pathMatches(pattern: readonly PatternSegment[], path: string | readonly PatternSegment[]): boolean {
  const concrete = typeof path === "string" ? parsePathPattern(path) : path;
  return concrete !== undefined && overlay(pattern, concrete).matchedPrefix;
}

/** Whether a value at `path` may contain something `pattern` names (path is the pattern's ancestor). */
export function pathContains(path: string | readonly PatternSegment[], pattern: readonly PatternSegment[]): boolean {
  const concrete = typeof path === "string" ? parsePathPattern(path) : path;
  if (concrete === undefined) return false;
  const laid = overlay(pattern, concrete);
  return laid.ranOut && !laid.matchedPrefix;
}

/** `$` followed by the segments, in the form differences are addressed. */
export function formatPath(segments: readonly PatternSegment[]): string {
  let path = "$";
  for (const segment of segments) {
    if ("key" in segment) path = childPath(path, segment.key);
    else if ("index" in segment) path = childPath(path, segment.index);
    else path += "any" in segment ? "[*]" : "..";
  }
  return path;
}
