import { shadowEpoch, shadowStatsId } from "./shadow-epoch.ts";
import { compileRules, type CompareRules } from "../compare/compare-responses.ts";
import { compileRedaction, type Redaction } from "../compare/secret-names.ts";
import { BODY_LIMITS, signedBodyLimit } from "./body-policy.ts";
import { BUCKETS, parseSticky, toBuckets, type Sticky } from "./cohort.ts";
import { compileMatcher, type RouteMatcher } from "./matcher.ts";
import { DEFAULT_PATH_POLICY, type PathPolicy } from "./path-policy.ts";
import type { Refusal } from "./refusal.ts";
import { DEFAULT_DUAL_WRITE_METHODS } from "./methods.ts";
import { lazyRoutesOf } from "./table-lines.ts";
import type { Backend, DualWrite, FallbackTrigger, Route, RouteTable, Shadow } from "./schema.ts";
import { deepFreeze } from "./validate.ts";
import { DEFAULT_IDENTITY_TTL_SECONDS } from "../identity/identity-claims.ts";

/** Heroku's router gives up after 30 s, so a legacy app never needs longer. */
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_UPLOAD_IDLE_TIMEOUT_MS = 60_000;

/**
 * A backend as the request path uses it (Envoy's cluster): everything the request path
 * needs is resolved here, once per version, so that a request never looks a backend up by name.
 */
export interface CompiledBackend {
  readonly name: string;
  readonly config: Backend;
  /** To the response head once the request body is sent (`timeoutMs`, default 30 s). */
  readonly timeoutMs: number;
  /** Longest a client may send none of its body (`uploadIdleTimeoutMs`, default 60 s). */
  readonly uploadIdleTimeoutMs: number;
  /** When its signature covers the body: the most it takes and the 413 for more. */
  readonly signedBody: { readonly bytes: number; readonly refusal: Refusal } | undefined;
  /** Methods it answers, when not all (S3: GET and HEAD), and the 405 for the others. */
  readonly methods: { readonly allowed: ReadonlySet<string>; readonly refusal: Refusal } | undefined;
  /**
   * The signed-in user it is told of (X-Cutover-Identity): never on the table's default
   * backend, whatever the table says (validation refuses it there too), so that no path —
   * a fallback, a shadow's control, a noise call — hands legacy a token.
   */
  readonly identity: { readonly fields: readonly string[]; readonly ttlSeconds: number } | undefined;
}

/** The app's session cookie, read at the edge (`session`: for `session:FIELD` cohorts and identity). */
export interface CompiledSession {
  readonly cookie: string;
  readonly keyDigest: "sha1" | "sha256";
}

/** One backend's share of a split: buckets `[previous upTo, upTo)` of the 10 000. */
export interface SplitRange {
  readonly backend: string;
  readonly upTo: number;
}

export interface CompiledFallback {
  readonly backend: CompiledBackend;
  readonly on: ReadonlySet<FallbackTrigger>;
  readonly unsafeMethods: boolean;
}

/** A route's mirror policy: whom to copy to, how often, and how to compare and redact. */
export interface CompiledShadow {
  readonly backend: CompiledBackend;
  readonly config: Shadow;
  /** Sampled buckets out of 10 000, and the key the sampling hashes under. */
  readonly shareBuckets: number;
  readonly sampleKey: string;
  /** Where its comparisons are counted: the route and its shadow epoch (routes/shadow-epoch.ts). */
  readonly statsId: string;
  /** Buckets out of 10 000 of shadowed requests also sent to the control twice (noise). */
  readonly noiseBuckets: number;
  readonly unsafeMethods: boolean;
  /** Cap of the request copy and of each response compared. */
  readonly maxBodyBytes: number;
  readonly rules: CompareRules;
  readonly redaction: Redaction;
  /**
   * The backend the route's fallback sends a 404 to, if it falls back on 404 (read-through):
   * a copy the candidate answers 404 where that backend answered is not a difference a user
   * would see (the fallback would have answered them), so it is not compared — the records the
   * backfill has not copied yet are the fallback rate's business (`cutover migration progress`).
   */
  readonly notFoundFallsBackTo: string | undefined;
}

/**
 * A route's dual writes (a data migration's first stage): the writes another backend served
 * are then sent to `backend` too (worker/dual-write.ts).
 */
export interface CompiledDualWrite {
  readonly backend: CompiledBackend;
  /** Upper-case methods copied (default POST, PUT, PATCH, DELETE). */
  readonly methods: ReadonlySet<string>;
  /** Largest request body copied: it is held in memory to be sent twice. */
  readonly maxBodyBytes: number;
}

/** `x-cutover-route`, `-backend`, `-version`: the response headers that say who answered. */
export type ResponseHeaderList = readonly (readonly [string, string])[];

/** A route prepared for the request path (Envoy's RouteAction): everything derivable per version. */
export interface CompiledRoute {
  readonly id: string;
  readonly route: Route;
  /** The pattern ends with `*`: the rest of the path is forwarded as it came. */
  readonly wildcard: boolean;
  /** The pattern ends with `/` (`/docs/`): its requests are forwarded in that form. */
  readonly slashEnd: boolean;
  /** Cumulative bucket ranges; a single backend is one range up to 10 000. */
  readonly split: readonly { readonly backend: CompiledBackend; readonly upTo: number }[];
  /**
   * `to` is a map of weights (a split, even when one backend has all of them, as at a
   * rollout's bake): its requests are the split's choice, and their evidence counts.
   */
  readonly weighted: boolean;
  /** Backends a tester may force on this route: those in `to` (even at weight 0) and the shadow. */
  readonly candidates: ReadonlyMap<string, CompiledBackend>;
  readonly sticky: Sticky;
  readonly fallback: CompiledFallback | undefined;
  readonly shadow: CompiledShadow | undefined;
  readonly dualWrite: CompiledDualWrite | undefined;
  /** The response headers for each backend that may answer on this route (split, override, fallback). */
  readonly responseHeaders: ReadonlyMap<string, ResponseHeaderList>;
}

export interface CompiledTable {
  readonly version: number;
  readonly table: RouteTable;
  /** How request paths are normalized and refused (the table's `paths`, with defaults). */
  readonly paths: PathPolicy;
  /** X-Forwarded-For: the client address alone, or appended to the incoming chain. */
  readonly forwardedFor: "replace" | "append";
  /** Client header names with `_`: sent on ("keep", the default) or all dropped. */
  readonly underscoreHeaders: "drop" | "keep";
  readonly backends: ReadonlyMap<string, CompiledBackend>;
  readonly defaultBackend: CompiledBackend;
  /** The response headers of requests no route matches. */
  readonly defaultHeaders: ResponseHeaderList;
  readonly matcher: RouteMatcher<CompiledRoute>;
  /** Every route compiled (requests compile only the routes they match): for tools and tests. */
  readonly routes: readonly CompiledRoute[];
  readonly session: CompiledSession | undefined;
}

const DEFAULT_FALLBACK_TRIGGERS: readonly FallbackTrigger[] = ["error", "timeout"];

/**
 * Compiles a validated route table. Call once per table version; the result serves every
 * request of that version. Throws only on a table that did not pass `validateRouteTable`
 * (a route's own parts are compiled on its first match, so that is where they would throw;
 * the proxy then serves the default plan and logs `routing_failed`).
 */
export function compileTable(table: RouteTable, version: number): CompiledTable {
  const backends = new Map(Object.entries(table.backends).map(([name, backend]) => [name, compileBackend(name, backend, name === table.default)]));
  const resolve = (name: string): CompiledBackend => {
    const backend = backends.get(name);
    if (backend === undefined) throw new Error(`Backend '${name}' is not in route table version ${version}`);
    return backend;
  };
  const paths: PathPolicy = { ...DEFAULT_PATH_POLICY, ...table.paths };
  // The trie is laid out now from the routes' patterns alone; each route is parsed (in a
  // stored table's line layout, routes/table-lines.ts) and compiled the first time a request
  // matches it. A version change at 10 000 routes then costs the isolate 10 000 keys, not
  // 10 000 routes' objects, split ranges, header lists and shadow policies, most never used.
  const lazy = lazyRoutesOf(table);
  const keys: readonly { readonly path: string; readonly methods?: readonly string[] | undefined; readonly host?: string | undefined }[] = lazy?.keys ?? table.routes.map((route) => route.match);
  const routeAt = lazy === undefined ? (index: number) => deepFreeze(table.routes[index] as Route) : lazy.route;
  const compiled: (CompiledRoute | undefined)[] = new Array(keys.length);
  const compileAt = (index: number): CompiledRoute => {
    const known = compiled[index];
    if (known !== undefined) return known;
    const route = routeAt(index);
    const epoch = shadowEpoch(table, route);
    const pattern = route.match.path;
    return (compiled[index] = compileRoute(route, table.default, table.defaultSticky, resolve, String(version), {
      wildcard: pattern.endsWith("/*"),
      // Under trailingSlash "either", /docs/ and /docs are one pattern; the route keeps its form.
      slashEnd: paths.trailingSlash === "either" && pattern !== "/" && pattern.endsWith("/"),
      shadowStatsId: epoch === undefined ? undefined : shadowStatsId(route.id, epoch),
    }));
  };
  const trie = compileMatcher(
    keys.map((key, index) => ({ pattern: key.path, methods: key.methods, host: key.host, value: index })),
    { trailingSlash: paths.trailingSlash },
  );
  let all: readonly CompiledRoute[] | undefined;
  return {
    version,
    table,
    paths,
    forwardedFor: table.forwardedFor ?? "replace",
    underscoreHeaders: table.underscoreHeaders ?? "keep",
    backends,
    defaultBackend: resolve(table.default),
    defaultHeaders: responseHeaders(DEFAULT_ROUTE_ID, table.default, String(version)),
    matcher: {
      match(method, host, path) {
        const index = trie.match(method, host, path);
        return index === undefined ? undefined : compileAt(index);
      },
    },
    get routes() {
      return (all ??= keys.map((_, index) => compileAt(index)));
    },
    session: table.session && readsSession(table) ? { cookie: table.session.cookie, keyDigest: table.session.keyDigest ?? "sha1" } : undefined,
  };
}

/**
 * Whether anything in the table needs the app's session: a `session:FIELD` cohort or a
 * backend (other than the default) with `identity`. A table that only names its session
 * cookie costs requests no decryption.
 */
function readsSession(table: RouteTable): boolean {
  const bySession = (sticky: string | undefined) => sticky?.startsWith("session:") === true;
  if (table.routes.some((route) => bySession(route.sticky ?? table.defaultSticky))) return true;
  return Object.entries(table.backends).some(([name, backend]) => name !== table.default && backend.identity !== undefined);
}

/** A backend alone (also for CUTOVER_LEGACY_URL when there is no table at all, `isDefault` then). */
export function compileBackend(name: string, config: Backend, isDefault = true): CompiledBackend {
  return {
    name,
    config,
    timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    uploadIdleTimeoutMs: config.uploadIdleTimeoutMs ?? DEFAULT_UPLOAD_IDLE_TIMEOUT_MS,
    signedBody: signedBodyLimit(config),
    methods:
      config.type === "s3"
        ? {
            allowed: new Set(["GET", "HEAD"]),
            refusal: { status: 405, code: "method_not_allowed", title: "405 Method Not Allowed", detail: "Static files answer GET and HEAD only.", headers: { allow: "GET, HEAD" } },
          }
        : undefined,
    identity: config.identity && !isDefault ? { fields: config.identity.fields, ttlSeconds: config.identity.ttlSeconds ?? DEFAULT_IDENTITY_TTL_SECONDS } : undefined,
  };
}

/** The route id requests no route matches are counted and labelled under. */
export const DEFAULT_ROUTE_ID = "(default)";

export function responseHeaders(routeId: string, backend: string, version: string): ResponseHeaderList {
  return [
    ["x-cutover-route", routeId],
    ["x-cutover-backend", backend],
    ["x-cutover-version", version],
  ];
}

function compileRoute(
  route: Route,
  defaultBackend: string,
  defaultSticky: string | undefined,
  resolve: (name: string) => CompiledBackend,
  version: string,
  shape: { readonly wildcard: boolean; readonly slashEnd: boolean; readonly shadowStatsId: string | undefined },
): CompiledRoute {
  const fallback =
    route.fallback === undefined
      ? undefined
      : typeof route.fallback === "string"
        ? { backend: resolve(route.fallback), on: new Set(DEFAULT_FALLBACK_TRIGGERS), unsafeMethods: false }
        : {
            backend: resolve(route.fallback.to),
            on: new Set(route.fallback.on ?? DEFAULT_FALLBACK_TRIGGERS),
            unsafeMethods: route.fallback.unsafeMethods ?? false,
          };
  const weights = typeof route.to === "string" ? { [route.to]: 100 } : route.to;
  const candidates = new Map(Object.keys(weights).map((name) => [name, resolve(name)]));
  if (route.shadow) candidates.set(route.shadow.to, resolve(route.shadow.to));
  const answering = new Set([...candidates.keys(), ...(fallback ? [fallback.backend.name] : [])]);
  return {
    id: route.id,
    route,
    wildcard: shape.wildcard,
    slashEnd: shape.slashEnd,
    split: splitRanges(weights, defaultBackend).map((range) => ({ backend: resolve(range.backend), upTo: range.upTo })),
    weighted: typeof route.to !== "string",
    candidates,
    sticky: parseSticky(route.sticky, defaultSticky),
    fallback,
    shadow: route.shadow ? compileShadow(route.id, route.shadow, resolve, shape.shadowStatsId ?? route.id, fallback?.on.has("404") ? fallback.backend.name : undefined) : undefined,
    dualWrite: route.dualWrite ? compileDualWrite(route.dualWrite, resolve) : undefined,
    responseHeaders: new Map([...answering].map((name) => [name, responseHeaders(route.id, name, version)])),
  };
}

function compileShadow(routeId: string, shadow: Shadow, resolve: (name: string) => CompiledBackend, statsId: string, notFoundFallsBackTo: string | undefined): CompiledShadow {
  return {
    backend: resolve(shadow.to),
    config: shadow,
    shareBuckets: toBuckets(shadow.percent ?? 100),
    sampleKey: `${routeId}#shadow`,
    statsId,
    noiseBuckets: toBuckets(shadow.noisePercent ?? 5),
    unsafeMethods: shadow.unsafeMethods === true,
    maxBodyBytes: shadow.maxBodyBytes ?? BODY_LIMITS.shadowBytes,
    rules: compileRules(shadow.ignore),
    redaction: compileRedaction(shadow.redact),
    notFoundFallsBackTo,
  };
}

function compileDualWrite(dualWrite: DualWrite, resolve: (name: string) => CompiledBackend): CompiledDualWrite {
  return {
    backend: resolve(dualWrite.to),
    methods: new Set((dualWrite.methods ?? DEFAULT_DUAL_WRITE_METHODS).map((method) => method.toUpperCase())),
    maxBodyBytes: dualWrite.maxBodyBytes ?? BODY_LIMITS.dualWriteBytes,
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
