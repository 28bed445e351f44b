import type * as z from "zod/mini";
import { describeIssues, jsonPath, type ValidationIssue } from "./describe-issues.ts";
import { BUCKETS, toBuckets } from "./cohort.ts";
import { parsePattern, patternShape, withoutTrailingSlash } from "./path-pattern.ts";
import { isPlainObject } from "../lib/plain-object.ts";
import { err, ok, type Result } from "../lib/result.ts";
import { RouteTableSchema, type Route, type RouteTable } from "./schema.ts";
import { claimName } from "../identity/session-fields.ts";
import { REGISTERED_CLAIMS } from "../identity/identity-claims.ts";
import { DEFAULT_DUAL_WRITE_METHODS, SAFE_METHODS } from "./methods.ts";

export type { ValidationIssue };

/**
 * The brand of a table that passed validation here. Not exported: only this file makes a
 * ValidatedRouteTable (test/architecture.test.ts keeps it so). At run time it is an own,
 * non-enumerable property, so that `{ ...table }` (a new table, not validated) copies neither
 * it nor `lazyRoutesKey`; JSON and structuredClone drop it too.
 */
const validatedBrand: unique symbol = Symbol("cutover.validatedRouteTable");
/** Where a table read by `acceptStoredRouteLines` keeps its routes' lazy form (see `lazyRoutesOf`). */
const lazyRoutesKey: unique symbol = Symbol("cutover.lazyRoutes");

/**
 * Declared as a class's accessors, not as plain properties, because TypeScript leaves a
 * class's accessors out of a spread's type: `{ ...validated, routes }` is typed a plain
 * RouteTable, as it is one at run time.
 */
declare abstract class ValidatedMark {
  get [validatedBrand](): true;
  get [lazyRoutesKey](): LazyRoutes | undefined;
}

/**
 * A route table that passed `validateRouteTable`, or that cutover validated before storing it
 * and `acceptStoredTable` (or `acceptStoredRouteLines`) read back: frozen, and what a store
 * publishes (store/route-store.ts PublishRequest). Only this file makes one.
 */
export type ValidatedRouteTable = RouteTable & ValidatedMark;

/** Whether `table` is one this file returned (not a copy or a change made from one). */
export function isValidatedTable(table: RouteTable): table is ValidatedRouteTable {
  return Object.hasOwn(table, validatedBrand);
}

/** Brands `table`, which must not be frozen yet (it is, by the caller, right after). */
function brand<T extends object>(table: T): T & ValidatedMark {
  return Object.defineProperty(table, validatedBrand, { value: true }) as T & ValidatedMark;
}

/**
 * Validates untrusted input (a file, an admin request, a stored item) into a frozen route
 * table, or lists every problem found. A table that fails here is never stored nor served.
 */
export function validateRouteTable(input: unknown): Result<ValidatedRouteTable, readonly ValidationIssue[]> {
  const parsed = RouteTableSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) return err(describeIssues(RouteTableSchema, parsed.error.issues));
  const issues = crossCheck(parsed.data);
  if (issues.length > 0) return err(issues);
  return ok(deepFreeze(brand(parsed.data)));
}

/**
 * A table read back from the store that cutover validated under TABLE_SCHEMA_VERSION before
 * storing it, its bytes verified by their SHA-256: what a version change costs an isolate is
 * a structural check (the shapes the compiler walks, every backend a route names), not the
 * full validation again, which at 10 000 routes took ~100 ms of the isolate's only thread.
 * A hand-edited item fails its checksum; one written under older rules is validated in full.
 * The table and its route list are frozen here (in place: `input` is freshly parsed JSON);
 * each route is deep-frozen when it is first compiled (routes/compile.ts), not all 10 000 up front.
 */
export function acceptStoredTable(input: unknown): Result<ValidatedRouteTable, readonly ValidationIssue[]> {
  if (!isPlainObject(input)) return err([{ path: "$", message: "must be an object" }]);
  const issues = storedHeaderIssues(input);
  if (!Array.isArray(input.routes)) return err([...issues, { path: "$.routes", message: "must be an array" }]);
  const backends = isPlainObject(input.backends) ? input.backends : {};
  input.routes.forEach((route: unknown, index) => issues.push(...storedRouteIssues(route, `$.routes[${index}]`, backends)));
  if (issues.length > 0) return err(issues);
  Object.freeze(input.routes);
  return ok(Object.freeze(brand(input)) as unknown as ValidatedRouteTable);
}

/**
 * What the matcher needs of a route before anything else is read: its id and `match`, taken
 * from the route's stored line without parsing the route (routes/table-lines.ts).
 */
export interface RouteKey {
  readonly id: string;
  readonly path: string;
  readonly methods: readonly string[] | undefined;
  readonly host: string | undefined;
}

/** A stored table's routes as keys, each route parsed (and checked) when it is first asked for. */
export interface LazyRoutes {
  readonly keys: readonly RouteKey[];
  /** Route `index`, parsed and checked on first use; throws if its line is not a route this table can serve. */
  route(index: number): Route;
}

/** A stored table as routes/table-lines.ts reads its layout, before anything is checked. */
export interface StoredRouteLines {
  /** The table's fields other than its routes. */
  readonly head: unknown;
  /** Each route's key, read from its line. */
  readonly keys: readonly RouteKey[];
  /** Route `index` as stored, parsed and not checked; throws when its line is not JSON. */
  parse(index: number): unknown;
}

/**
 * `acceptStoredTable` for a table read in routes/table-lines.ts' layout, without parsing its
 * routes: its other fields are checked now; each route is parsed, given the structural check,
 * compared with its key and frozen the first time it is asked for, by the compiler when a
 * request first matches it, or all at once when something reads `routes` (the admin API, a
 * publish). `refuse` makes what a route that cannot be served throws then.
 */
export function acceptStoredRouteLines(lines: StoredRouteLines, refuse: (issues: readonly ValidationIssue[]) => Error): Result<ValidatedRouteTable, readonly ValidationIssue[]> {
  const { head, keys } = lines;
  if (!isPlainObject(head)) return err([{ path: "$", message: "must be an object" }]);
  const issues = storedHeaderIssues(head);
  if (issues.length > 0) return err(issues);
  const backends = head.backends as Record<string, unknown>;

  const parsed: (Route | undefined)[] = new Array(keys.length);
  const route = (index: number): Route => {
    const known = parsed[index];
    if (known !== undefined) return known;
    const at = `$.routes[${index}]`;
    let value: unknown;
    try {
      value = lines.parse(index);
    } catch (error) {
      throw refuse([{ path: at, message: `not JSON (${String(error)})` }]);
    }
    const problems = storedRouteIssues(value, at, backends);
    if (problems.length === 0 && !sameKey(value as Route, keys[index] as RouteKey)) problems.push({ path: at, message: "its line's id and match disagree with the route (a hand-edited item)" });
    if (problems.length > 0) throw refuse(problems);
    return (parsed[index] = deepFreeze(value as Route));
  };
  let routes: readonly Route[] | undefined;
  for (const value of Object.values(head)) deepFreeze(value);
  Object.defineProperty(head, "routes", { enumerable: true, get: () => (routes ??= Object.freeze(keys.map((_, index) => route(index)))) });
  Object.defineProperty(head, lazyRoutesKey, { value: { keys, route } satisfies LazyRoutes });
  return ok(Object.freeze(brand(head)) as unknown as ValidatedRouteTable);
}

/** The routes of a table `acceptStoredRouteLines` read, each parsed on first use; undefined for a table parsed whole. */
export function lazyRoutesOf(table: RouteTable): LazyRoutes | undefined {
  return isValidatedTable(table) ? table[lazyRoutesKey] : undefined;
}

function sameKey(route: Route, key: RouteKey): boolean {
  const match = route.match as unknown;
  return (
    route.id === key.id &&
    isPlainObject(match) &&
    match.path === key.path &&
    match.host === key.host &&
    (Array.isArray(match.methods) ? match.methods.length === key.methods?.length && match.methods.every((method, i) => method === key.methods?.[i]) : key.methods === undefined)
  );
}

/** acceptStoredTable's check of a table's fields other than its routes. */
export function storedHeaderIssues(input: Record<string, unknown>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const backends = isPlainObject(input.backends) ? input.backends : undefined;
  if (backends === undefined || Object.keys(backends).length === 0) issues.push({ path: "$.backends", message: "must name at least one backend" });
  if (typeof input.default !== "string" || backends === undefined || !Object.hasOwn(backends, input.default)) issues.push({ path: "$.default", message: `unknown backend '${String(input.default)}'` });
  if (input.paths !== undefined && !isPlainObject(input.paths)) issues.push({ path: "$.paths", message: "must be an object" });
  return issues;
}

/** acceptStoredTable's check of one route (at `at`): the shapes the compiler walks, every backend it names. */
export function storedRouteIssues(route: unknown, at: string, backends: Record<string, unknown>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const refer = (name: unknown, path: string) => {
    if (typeof name !== "string" || !Object.hasOwn(backends, name)) issues.push({ path, message: `unknown backend '${String(name)}'` });
  };
  if (!isPlainObject(route) || typeof route.id !== "string" || !isPlainObject(route.match) || typeof route.match.path !== "string" || !route.match.path.startsWith("/")) {
    return [{ path: at, message: "must have an id and a match.path starting with '/'" }];
  }
  if (typeof route.to === "string") refer(route.to, `${at}.to`);
  else if (isPlainObject(route.to) && Object.keys(route.to).length > 0) for (const name of Object.keys(route.to)) refer(name, `${at}.to.${name}`);
  else issues.push({ path: `${at}.to`, message: "must name at least one backend" });
  if (route.fallback !== undefined) refer(isPlainObject(route.fallback) ? route.fallback.to : route.fallback, `${at}.fallback`);
  if (route.shadow !== undefined) refer(isPlainObject(route.shadow) ? route.shadow.to : undefined, `${at}.shadow.to`);
  if (route.dualWrite !== undefined) refer(isPlainObject(route.dualWrite) ? route.dualWrite.to : undefined, `${at}.dualWrite.to`);
  return issues;
}

/** `path: message` lines, for logs and command-line output. */
export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((issue) => `${issue.path}: ${issue.message}`).join("\n");
}

type ParsedTable = z.infer<typeof RouteTableSchema>;

function crossCheck(table: ParsedTable): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const backends = new Set(Object.keys(table.backends));
  const refer = (name: string, path: PropertyKey[]) => {
    if (!backends.has(name)) {
      issues.push({ path: jsonPath(path), message: `unknown backend '${name}' (known: ${[...backends].join(", ") || "none"})` });
    }
  };

  if (backends.size === 0) issues.push({ path: "$.backends", message: "must name at least one backend" });
  refer(table.default, ["default"]);
  issues.push(...sessionIssues(table), ...backendKindIssues(table));

  const ids = new Map<string, number>();
  const shapes = new Map<string, { index: number; methods: readonly string[] | undefined }[]>();
  table.routes.forEach((route, index) => {
    const at = (...rest: PropertyKey[]) => ["routes", index, ...rest];
    const firstIndex = ids.get(route.id);
    if (firstIndex !== undefined) {
      issues.push({ path: jsonPath(at("id")), message: `duplicate route id '${route.id}' (also routes[${firstIndex}])` });
    } else {
      ids.set(route.id, index);
    }

    const pattern = parsePattern(route.match.path);
    if (!pattern.ok) {
      issues.push({ path: jsonPath(at("match", "path")), message: `bad pattern '${route.match.path}': ${pattern.error}` });
    } else {
      // Under trailingSlash "either" (the default), /docs/ and /docs match the same requests.
      const segments = table.paths?.trailingSlash === "exact" ? pattern.value : withoutTrailingSlash(pattern.value);
      const key = `${route.match.host ?? ""} ${patternShape(segments)}`;
      const same = shapes.get(key) ?? [];
      for (const other of same) {
        if (methodsOverlap(other.methods, route.match.methods)) {
          issues.push({
            path: jsonPath(at("match")),
            message: `ties with routes[${other.index}] ('${table.routes[other.index]?.id}'): same path pattern, host and methods, so neither is more specific`,
          });
        }
      }
      same.push({ index, methods: route.match.methods });
      shapes.set(key, same);
    }

    if (typeof route.to === "string") {
      refer(route.to, at("to"));
    } else {
      const names = Object.keys(route.to);
      if (names.length === 0) issues.push({ path: jsonPath(at("to")), message: "must name at least one backend" });
      let sum = 0;
      for (const name of names) {
        const weight = route.to[name] ?? 0;
        refer(name, at("to", name));
        if (Math.abs(weight * 100 - toBuckets(weight)) > 1e-6) {
          issues.push({ path: jsonPath(at("to", name)), message: `weight ${weight} is not a multiple of 0.01` });
        }
        sum += toBuckets(weight);
      }
      if (names.length > 0 && sum !== BUCKETS) {
        issues.push({ path: jsonPath(at("to")), message: `weights sum to ${sum / 100}, they must sum to 100` });
      }
    }

    if (route.fallback !== undefined) {
      const to = typeof route.fallback === "string" ? route.fallback : route.fallback.to;
      refer(to, typeof route.fallback === "string" ? at("fallback") : at("fallback", "to"));
    }
    if (route.shadow !== undefined) refer(route.shadow.to, at("shadow", "to"));
    if (route.dualWrite !== undefined) issues.push(...dualWriteIssues(route, table.default, backends, at));
    if (route.sticky?.startsWith("session:") && table.session === undefined) issues.push({ path: jsonPath(at("sticky")), message: NO_SESSION });
  });
  return issues;
}

/**
 * A route's `dualWrite` copies the writes another backend served to a new one: so its `to` is
 * a known backend, not the default (legacy) one, and not the only backend the route sends to
 * (there would be no other backend's write to copy). It copies writes only (a read is
 * compared with `shadow`), at least one the route matches, and never to a backend that gets
 * every write as a shadow copy already: a write would reach it twice.
 */
function dualWriteIssues(route: ParsedTable["routes"][number], defaultBackend: string, backends: ReadonlySet<string>, at: (...rest: PropertyKey[]) => PropertyKey[]): ValidationIssue[] {
  const dualWrite = route.dualWrite;
  if (dualWrite === undefined) return [];
  const issues: ValidationIssue[] = [];
  const to = dualWrite.to;
  if (!backends.has(to)) {
    issues.push({ path: jsonPath(at("dualWrite", "to")), message: `unknown backend '${to}' (known: ${[...backends].join(", ") || "none"})` });
  } else if (to === defaultBackend) {
    issues.push({ path: jsonPath(at("dualWrite", "to")), message: `'${to}' is the table's default backend: dual writes copy the legacy app's writes to a new backend, not to legacy` });
  }
  const sendsTo = typeof route.to === "string" ? [route.to] : Object.keys(route.to).filter((name) => (route.to as Record<string, number>)[name] !== 0);
  if (sendsTo.length > 0 && sendsTo.every((name) => name === to)) {
    issues.push({ path: jsonPath(at("dualWrite", "to")), message: `the route sends every request to '${to}' already: there is no other backend's write to copy (remove dualWrite, or send the route to legacy)` });
  }
  const methods = (dualWrite.methods ?? []).map((method) => method.toUpperCase());
  methods.forEach((method, index) => {
    if (SAFE_METHODS.has(method)) issues.push({ path: jsonPath(at("dualWrite", "methods", index)), message: `${method} is a read, not a write: dual writes copy writes (compare reads with shadow)` });
  });
  const copied = methods.length > 0 ? methods : DEFAULT_DUAL_WRITE_METHODS;
  const matched = route.match.methods?.map((method) => method.toUpperCase());
  if (matched !== undefined && !copied.some((method) => matched.includes(method))) {
    issues.push({ path: jsonPath(at("dualWrite", "methods")), message: `the route matches only ${matched.join(", ")}: none of the methods it would copy (${copied.join(", ")})` });
  }
  if (route.shadow?.to === to && route.shadow.unsafeMethods === true) {
    issues.push({ path: jsonPath(at("dualWrite", "to")), message: `the route's shadow copies writes to '${to}' too (unsafeMethods): each write would reach it twice` });
  }
  return issues;
}

/** Fields that say how to reach an origin: a static answer has none. */
const ORIGIN_FIELDS = ["url", "timeoutMs", "uploadIdleTimeoutMs", "stripPrefix", "addPrefix", "auth", "indexDocument", "query", "idleTimeoutMs", "identity"] as const;
const STATIC_FIELDS = ["status", "body", "contentType"] as const;

/**
 * A backend with an origin (http, s3) has a `url` and none of a static answer's fields; a
 * static answer (cutover answers itself) has no origin's fields, and nothing is copied to it
 * (a shadow or a dual write to an answer that never changes compares nothing and stores nothing).
 */
function backendKindIssues(table: ParsedTable): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const statics = new Set<string>();
  for (const [name, backend] of Object.entries(table.backends)) {
    const at = (field: string) => jsonPath(["backends", name, field]);
    if (backend.type === "static") {
      statics.add(name);
      for (const field of ORIGIN_FIELDS) if (backend[field] !== undefined) issues.push({ path: at(field), message: "a static backend is an answer cutover gives itself: it has no origin (leave this out)" });
    } else {
      if (backend.url === undefined) issues.push({ path: at("url"), message: "is required: the origin requests are sent to, such as https://my-app.herokuapp.com" });
      for (const field of STATIC_FIELDS) if (backend[field] !== undefined) issues.push({ path: at(field), message: `only a backend of type 'static' has ${field}` });
    }
  }
  table.routes.forEach((route, index) => {
    if (route.shadow !== undefined && statics.has(route.shadow.to)) issues.push({ path: jsonPath(["routes", index, "shadow", "to"]), message: `'${route.shadow.to}' is a static answer: there is nothing to compare a copy with` });
    if (route.dualWrite !== undefined && statics.has(route.dualWrite.to)) issues.push({ path: jsonPath(["routes", index, "dualWrite", "to"]), message: `'${route.dualWrite.to}' is a static answer: it stores no write` });
  });
  return issues;
}

const NO_SESSION = "needs the table's session (the app's session cookie: { \"type\": \"rails\", \"cookie\": \"_app_session\" }) to read the signed-in user from";

/**
 * The table-level checks of the signed-in user at the edge: a `session:FIELD` default sticky
 * and every backend's `identity` need the table's `session`; the default (legacy) backend never
 * gets an identity token (it has the session itself, and a token it could pass on would be
 * one more credential to leak); each field becomes a claim of its own, none of the token's.
 */
function sessionIssues(table: ParsedTable): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (table.defaultSticky?.startsWith("session:") && table.session === undefined) issues.push({ path: "$.defaultSticky", message: NO_SESSION });
  for (const [name, backend] of Object.entries(table.backends)) {
    const identity = backend.identity;
    if (identity === undefined) continue;
    const at = (...rest: PropertyKey[]) => jsonPath(["backends", name, "identity", ...rest]);
    if (name === table.default) {
      issues.push({ path: at(), message: `'${name}' is the table's default backend: it never receives X-Cutover-Identity (only new backends do; the legacy app reads its own session)` });
    }
    if (table.session === undefined) issues.push({ path: at(), message: NO_SESSION });
    const claims = new Map<string, string>();
    identity.fields.forEach((field, index) => {
      const claim = claimName(field);
      const other = claims.get(claim);
      if (REGISTERED_CLAIMS.has(claim)) issues.push({ path: at("fields", index), message: `'${field}' would be the token's own claim '${claim}'` });
      else if (other !== undefined) issues.push({ path: at("fields", index), message: `'${field}' and '${other}' would both be claim '${claim}'` });
      else claims.set(claim, field);
    });
  }
  return issues;
}

/** Routes of one pattern and host tie when both take every method or both list a common one. */
function methodsOverlap(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const upper = new Set(a.map((m) => m.toUpperCase()));
  return b.some((m) => upper.has(m.toUpperCase()));
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
