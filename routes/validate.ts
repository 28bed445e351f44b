import type * as z from "zod/mini";
import { describeIssues, jsonPath, type ValidationIssue } from "./describe-issues.ts";
import { BUCKETS, toBuckets } from "./cohort.ts";
import { parsePattern, patternShape, withoutTrailingSlash } from "./path-pattern.ts";
import { isPlainObject } from "../lib/plain-object.ts";
import { err, ok, type Result } from "../lib/result.ts";
import { RouteTableSchema, type RouteTable } from "./schema.ts";

export type { ValidationIssue };

/**
 * Validates untrusted input (a file, an admin request, a stored item) into a frozen route
 * table, or lists every problem found. A table that fails here is never stored nor served.
 */
export function validateRouteTable(input: unknown): Result<RouteTable, readonly ValidationIssue[]> {
  const parsed = RouteTableSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) return err(describeIssues(RouteTableSchema, parsed.error.issues));
  const issues = crossCheck(parsed.data);
  if (issues.length > 0) return err(issues);
  return ok(markValidated(deepFreeze(parsed.data)));
}

/** Tables that came out of validation in this isolate (or were stored after it): what a store may stamp as validated. */
const validatedTables = new WeakSet<RouteTable>();
/** Marks a table as validated: only for acceptStoredTable and its line-by-line form (routes/table-lines.ts). */
export const markValidated = (table: RouteTable) => (validatedTables.add(table), table);

/** Whether `table` passed `validateRouteTable` (or `acceptStoredTable`) under the current rules. */
export function wasValidated(table: RouteTable): boolean {
  return validatedTables.has(table);
}

/**
 * A table read back from the store that cutover validated under TABLE_SCHEMA_VERSION before
 * storing it, its bytes verified by their SHA-256: what a version change costs an isolate is
 * a structural check (the shapes the compiler walks, every backend a route names), not the
 * full validation again, which at 10 000 routes took ~100 ms of the isolate's only thread.
 * A hand-edited item fails its checksum; one written under older rules is validated in full.
 * The table and its route list are frozen here; each route is deep-frozen when it is first
 * compiled (routes/compile.ts), not all 10 000 up front.
 */
export function acceptStoredTable(input: unknown): Result<RouteTable, readonly ValidationIssue[]> {
  if (!isPlainObject(input)) return err([{ path: "$", message: "must be an object" }]);
  const issues = storedHeaderIssues(input);
  if (!Array.isArray(input.routes)) return err([...issues, { path: "$.routes", message: "must be an array" }]);
  const backends = isPlainObject(input.backends) ? input.backends : {};
  input.routes.forEach((route: unknown, index) => issues.push(...storedRouteIssues(route, `$.routes[${index}]`, backends)));
  if (issues.length > 0) return err(issues);
  Object.freeze(input.routes);
  return ok(markValidated(Object.freeze(input) as unknown as RouteTable));
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
  });
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
