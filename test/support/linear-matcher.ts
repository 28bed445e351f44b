import type { MatcherEntry, RouteMatcher } from "../../routes/matcher.ts";
import { splitPath, type PatternSegment } from "../../routes/path-pattern.ts";

/**
 * The obvious matcher: test every route, keep the most specific. The reference the trie is
 * checked against, and the baseline of the matcher benchmark.
 */
export function compileLinearMatcher<R>(entries: readonly MatcherEntry<R>[]): RouteMatcher<R> {
  return {
    match(method, host, path) {
      const segments = splitPath(path);
      let best: { rank: number[]; value: R } | undefined;
      for (const entry of entries) {
        if (entry.host !== undefined && entry.host !== host) continue;
        if (entry.methods && !entry.methods.map((m) => m.toUpperCase()).includes(method.toUpperCase())) continue;
        const rank = rankOf(entry.segments, segments);
        if (rank === undefined) continue;
        rank.push(entry.host === undefined ? 0 : 1, entry.methods === undefined ? 0 : 1);
        if (best === undefined || compare(rank, best.rank) > 0) best = { rank, value: entry.value };
      }
      return best?.value;
    },
  };
}

/**
 * Per position: 3 literal, 2 param, 1 wildcard; a pattern that ends exactly with the path
 * gets 4 past its last segment (the end of the path beats a wildcard matching nothing).
 * Undefined when the pattern does not match.
 */
function rankOf(pattern: readonly PatternSegment[], segments: readonly string[]): number[] | undefined {
  const rank: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i] as PatternSegment;
    if (part.kind === "wildcard") {
      rank.push(1);
      return rank;
    }
    const segment = segments[i];
    if (segment === undefined) return undefined;
    if (part.kind === "literal" && part.value !== segment) return undefined;
    if (part.kind === "param" && segment === "") return undefined;
    rank.push(part.kind === "literal" ? 3 : 2);
  }
  if (pattern.length !== segments.length) return undefined;
  rank.push(4);
  return rank;
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
