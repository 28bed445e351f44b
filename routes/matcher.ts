import { splitPath, type PatternSegment } from "./path-pattern.ts";

/**
 * A route matcher compiled once per route table version: a trie of path segments, so a
 * lookup costs the depth of the path, not the number of routes.
 *
 * Specificity is decided segment by segment from the left: at the first segment where two
 * patterns differ, a literal beats `:param`, which beats `*`. The trie is walked in that
 * order (literal child, then param child, then the wildcard) and the first complete match
 * wins, so the result is the most specific route, deterministically. Among routes with the
 * same pattern, one that names the request's host beats one that does not, then one that
 * lists methods beats one that takes every method; `validateRouteTable` refuses the ties
 * that remain (same pattern, same host, both listing a common method or both listing none).
 */
export interface RouteMatcher<R> {
  match(method: string, host: string, path: string): R | undefined;
}

export interface MatcherEntry<R> {
  readonly segments: readonly PatternSegment[];
  /** Upper-case methods; undefined matches every method. */
  readonly methods: readonly string[] | undefined;
  readonly host: string | undefined;
  readonly value: R;
}

interface Candidate<R> {
  readonly methods: ReadonlySet<string> | undefined;
  readonly host: string | undefined;
  readonly value: R;
}

interface TrieNode<R> {
  literals: Map<string, TrieNode<R>> | undefined;
  param: TrieNode<R> | undefined;
  /** Routes whose pattern ends exactly here. */
  end: Candidate<R>[] | undefined;
  /** Routes whose pattern ends here with `*`. */
  rest: Candidate<R>[] | undefined;
}

const newNode = <R>(): TrieNode<R> => ({ literals: undefined, param: undefined, end: undefined, rest: undefined });

export function compileMatcher<R>(entries: readonly MatcherEntry<R>[]): RouteMatcher<R> {
  const root = newNode<R>();
  for (const entry of entries) insert(root, entry);
  sortCandidates(root);
  return {
    match(method, host, path) {
      return find(root, splitPath(path), 0, method, host);
    },
  };
}

function insert<R>(root: TrieNode<R>, entry: MatcherEntry<R>): void {
  let node = root;
  let wildcard = false;
  for (const segment of entry.segments) {
    if (segment.kind === "literal") {
      node.literals ??= new Map();
      let next = node.literals.get(segment.value);
      if (!next) node.literals.set(segment.value, (next = newNode()));
      node = next;
    } else if (segment.kind === "param") {
      node = node.param ??= newNode();
    } else {
      wildcard = true;
    }
  }
  const candidate: Candidate<R> = {
    methods: entry.methods ? new Set(entry.methods.map((m) => m.toUpperCase())) : undefined,
    host: entry.host,
    value: entry.value,
  };
  if (wildcard) (node.rest ??= []).push(candidate);
  else (node.end ??= []).push(candidate);
}

/** Host-specific candidates first, then method-specific ones; else table order (stable sort). */
function sortCandidates<R>(node: TrieNode<R>): void {
  const bySpecificity = (a: Candidate<R>, b: Candidate<R>) =>
    Number(a.host === undefined) - Number(b.host === undefined) || Number(a.methods === undefined) - Number(b.methods === undefined);
  node.end?.sort(bySpecificity);
  node.rest?.sort(bySpecificity);
  node.literals?.forEach((child) => sortCandidates(child));
  if (node.param) sortCandidates(node.param);
}

function find<R>(node: TrieNode<R>, segments: string[], index: number, method: string, host: string): R | undefined {
  if (index === segments.length) {
    const hit = node.end && pick(node.end, method, host);
    if (hit !== undefined) return hit;
  } else {
    const segment = segments[index] as string;
    const literal = node.literals?.get(segment);
    if (literal) {
      const hit = find(literal, segments, index + 1, method, host);
      if (hit !== undefined) return hit;
    }
    if (node.param && segment !== "") {
      const hit = find(node.param, segments, index + 1, method, host);
      if (hit !== undefined) return hit;
    }
  }
  return node.rest && pick(node.rest, method, host);
}

function pick<R>(candidates: Candidate<R>[], method: string, host: string): R | undefined {
  for (const candidate of candidates) {
    if (candidate.host !== undefined && candidate.host !== host) continue;
    if (candidate.methods && !candidate.methods.has(method) && !candidate.methods.has(method.toUpperCase())) continue;
    return candidate.value;
  }
  return undefined;
}
