import { compileRules, type CompareRules } from "../compare/compare-responses.ts";
import { BUCKETS, parseSticky, type Sticky } from "./cohort.ts";
import { compileMatcher, type RouteMatcher } from "./matcher.ts";
import { parsePattern } from "./path-pattern.ts";
import type { Backend, FallbackTrigger, Route, RouteTable, Shadow } from "./schema.ts";

/** One backend's share of a split: buckets `[from, upTo)` of the 10 000. */
export interface SplitRange {
  readonly backend: string;
  readonly upTo: number;
}

export interface CompiledFallback {
  readonly to: string;
  readonly on: ReadonlySet<FallbackTrigger>;
  readonly unsafeMethods: boolean;
}

/** A route prepared for the request path: everything derivable per version is derived here. */
export interface CompiledRoute {
  readonly id: string;
  readonly route: Route;
  /** Cumulative bucket ranges; a single backend is one range up to 10 000. */
  readonly split: readonly SplitRange[];
  /** Backends a tester may force on this route: those in `to` (even at weight 0) and the shadow. */
  readonly candidates: ReadonlySet<string>;
  readonly sticky: Sticky;
  readonly fallback: CompiledFallback | undefined;
  readonly shadow: Shadow | undefined;
  /** How the shadow's responses are compared (its `ignore` rules over the defaults). */
  readonly shadowRules: CompareRules | undefined;
}

export interface CompiledTable {
  readonly table: RouteTable;
  readonly backends: ReadonlyMap<string, Backend>;
  readonly defaultBackend: string;
  readonly matcher: RouteMatcher<CompiledRoute>;
  readonly routes: readonly CompiledRoute[];
}

export const DEFAULT_FALLBACK_TRIGGERS: readonly FallbackTrigger[] = ["error", "timeout"];

/**
 * Compiles a validated route table. Call once per table version; the result serves every
 * request of that version. Throws only on a table that did not pass `validateRouteTable`.
 */
export function compileTable(table: RouteTable): CompiledTable {
  const routes = table.routes.map((route) => compileRoute(route, table.default));
  const matcher = compileMatcher(
    routes.map((compiled) => {
      const segments = parsePattern(compiled.route.match.path);
      if (!segments.ok) throw new Error(`Route ${compiled.id}: path ${segments.error}`);
      return {
        segments: segments.value,
        methods: compiled.route.match.methods,
        host: compiled.route.match.host,
        value: compiled,
      };
    }),
  );
  return {
    table,
    backends: new Map(Object.entries(table.backends)),
    defaultBackend: table.default,
    matcher,
    routes,
  };
}

function compileRoute(route: Route, defaultBackend: string): CompiledRoute {
  const fallback =
    route.fallback === undefined
      ? undefined
      : typeof route.fallback === "string"
        ? { to: route.fallback, on: new Set(DEFAULT_FALLBACK_TRIGGERS), unsafeMethods: false }
        : {
            to: route.fallback.to,
            on: new Set(route.fallback.on ?? DEFAULT_FALLBACK_TRIGGERS),
            unsafeMethods: route.fallback.unsafeMethods ?? false,
          };
  const weights = typeof route.to === "string" ? { [route.to]: 100 } : route.to;
  const candidates = new Set(Object.keys(weights));
  if (route.shadow) candidates.add(route.shadow.to);
  return {
    id: route.id,
    route,
    split: splitRanges(weights, defaultBackend),
    candidates,
    sticky: parseSticky(route.sticky),
    fallback,
    shadow: route.shadow,
    shadowRules: route.shadow ? compileRules(route.shadow.ignore) : undefined,
  };
}

/**
 * Lays the weights out over the buckets: new backends first from bucket 0, in the order the
 * table names them, and the default (legacy) backend last. With one new backend, raising its
 * weight only grows its range into legacy's: users move from legacy to new, never back. With
 * several, raising one shifts the ranges after it, so some users move between new backends
 * (legacy users still only move forward).
 */
export function splitRanges(weights: Readonly<Record<string, number>>, defaultBackend: string): SplitRange[] {
  const names = Object.keys(weights).filter((name) => name !== defaultBackend);
  if (defaultBackend in weights) names.push(defaultBackend);
  const ranges: SplitRange[] = [];
  let upTo = 0;
  for (const name of names) {
    const share = toBuckets(weights[name] ?? 0);
    if (share === 0) continue;
    upTo += share;
    ranges.push({ backend: name, upTo });
  }
  // The schema guarantees a sum of 100; make the last range close the space exactly.
  const last = ranges.at(-1);
  if (last && upTo !== BUCKETS) ranges[ranges.length - 1] = { backend: last.backend, upTo: BUCKETS };
  return ranges;
}

/** A weight in percent (steps of 0.01) as a count of buckets. */
export function toBuckets(percent: number): number {
  return Math.round(percent * 100);
}
