import { splitPath } from "./path-pattern.ts";

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
 *
 * A route that lists GET also takes HEAD (RFC 9110 §9.3.2: HEAD is GET without a body),
 * unless a route at the same place lists HEAD itself. With `trailingSlash: "either"`, a
 * request path's trailing slash may be read as the end of the path (`/a/1/` matches
 * `/a/:id`); patterns are then written without one (the compiler strips it).
 */
export interface RouteMatcher<R> {
  match(method: string, host: string, path: string): R | undefined;
}

export interface MatcherEntry<R> {
  /** A pattern validation accepted (`parsePattern`): split here, on the first lookup that needs it. */
  readonly pattern: string;
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
  /**
   * The entries below this node until a lookup first reaches it, and where in each one's
   * pattern this node's segment starts (patterns are read segment by segment, never split).
   */
  pending: { readonly entries: MatcherEntry<R>[]; readonly starts: number[] } | undefined;
  readonly depth: number;
}

const newNode = <R>(depth: number): TrieNode<R> => ({ literals: undefined, param: undefined, end: undefined, rest: undefined, pending: { entries: [], starts: [] }, depth });

export interface MatcherOptions {
  /** `either`: a request's trailing slash may end the path; `exact` (default): it is one more segment. */
  readonly trailingSlash?: "either" | "exact";
}

/**
 * Builds the trie lazily: a node hands its entries down to its children the first time a
 * lookup reaches it, so a new table version costs an isolate only the entries list, and each
 * request the nodes on its own path the first time (at 10 000 routes, ~6 ms of building the
 * whole trie on a version change becomes a fraction of a millisecond per new path). Lookups
 * give the same answers as a trie built whole.
 */
export function compileMatcher<R>(entries: readonly MatcherEntry<R>[], options: MatcherOptions = {}): RouteMatcher<R> {
  const root = newNode<R>(0);
  // Every pattern's first segment starts after its leading '/'.
  root.pending = { entries: [...entries], starts: new Array<number>(entries.length).fill(1) };
  const lenient = options.trailingSlash === "either";
  return {
    match(method, host, path) {
      const upper = method.toUpperCase();
      return find(root, splitPath(path), 0, upper, host, lenient);
    },
  };
}

/**
 * Hands a node's pending entries to its children (created pending), and orders the candidates
 * that end here. A pattern's segment is a literal, `:name` (a literal never starts with ':'),
 * or `*`, the last (a literal never holds '*'); -1 marks a pattern that ended above. Under
 * trailingSlash "either", `/docs/` is the pattern `/docs` (the root pattern `/` stays).
 */
function expand<R>(node: TrieNode<R>, lenient: boolean): void {
  const pending = node.pending;
  if (pending === undefined) return;
  node.pending = undefined;
  const { entries, starts } = pending;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as MatcherEntry<R>;
    const pattern = entry.pattern;
    const start = starts[i] as number;
    const ended = start < 0 || (lenient && node.depth > 0 && start === pattern.length);
    const slash = ended ? -1 : pattern.indexOf("/", start);
    const segment = ended ? "" : pattern.slice(start, slash < 0 ? undefined : slash);
    if (ended || segment === "*") {
      const candidate: Candidate<R> = {
        methods: entry.methods ? new Set(entry.methods.map((m) => m.toUpperCase())) : undefined,
        host: entry.host,
        value: entry.value,
      };
      if (ended) (node.end ??= []).push(candidate);
      else (node.rest ??= []).push(candidate);
      continue;
    }
    let next: TrieNode<R> | undefined;
    if (segment.startsWith(":")) {
      next = node.param ??= newNode(node.depth + 1);
    } else {
      node.literals ??= new Map();
      next = node.literals.get(segment);
      if (!next) node.literals.set(segment, (next = newNode(node.depth + 1)));
    }
    next.pending?.entries.push(entry);
    next.pending?.starts.push(slash < 0 ? -1 : slash + 1);
  }
  sortCandidates(node);
}

/** Host-specific candidates first, then method-specific ones; else table order (stable sort). */
function sortCandidates<R>(node: TrieNode<R>): void {
  const bySpecificity = (a: Candidate<R>, b: Candidate<R>) =>
    Number(a.host === undefined) - Number(b.host === undefined) || Number(a.methods === undefined) - Number(b.methods === undefined);
  node.end?.sort(bySpecificity);
  node.rest?.sort(bySpecificity);
}

function find<R>(node: TrieNode<R>, segments: string[], index: number, method: string, host: string, lenient: boolean): R | undefined {
  if (node.pending !== undefined) expand(node, lenient);
  // A trailing slash ends the path too when the policy says so (never the root's).
  const atSlashEnd = lenient && index > 0 && index === segments.length - 1 && segments[index] === "";
  if (index === segments.length || atSlashEnd) {
    const hit = node.end && pick(node.end, method, host);
    if (hit !== undefined) return hit;
  }
  if (index < segments.length) {
    const segment = segments[index] as string;
    const literal = node.literals?.get(segment);
    if (literal) {
      const hit = find(literal, segments, index + 1, method, host, lenient);
      if (hit !== undefined) return hit;
    }
    if (node.param && segment !== "") {
      const hit = find(node.param, segments, index + 1, method, host, lenient);
      if (hit !== undefined) return hit;
    }
  }
  return node.rest && pick(node.rest, method, host);
}

/**
 * The first candidate that takes `method` (upper case) from `host`, candidates being sorted
 * host-specific first, then method-specific. For a HEAD, a route listing GET counts as
 * listing HEAD, after one that lists HEAD itself with the same host specificity, and before
 * one that takes every method.
 */
function pick<R>(candidates: Candidate<R>[], method: string, host: string): R | undefined {
  let implied: Candidate<R> | undefined;
  for (const candidate of candidates) {
    if (candidate.host !== undefined && candidate.host !== host) continue;
    if (implied !== undefined && (implied.host === undefined) !== (candidate.host === undefined)) break;
    if (candidate.methods === undefined) return (implied ?? candidate).value;
    if (candidate.methods.has(method)) return candidate.value;
    if (implied === undefined && method === "HEAD" && candidate.methods.has("GET")) implied = candidate;
  }
  return implied?.value;
}
