import { acceptStoredRouteLines, formatIssues, lazyRoutesOf, type RouteKey, type ValidatedRouteTable, type ValidationIssue } from "./validate.ts";
import { isPlainObject } from "../lib/plain-object.ts";
import type { Result } from "../lib/result.ts";
import type { Route, RouteTable } from "./schema.ts";

export { lazyRoutesOf, type LazyRoutes, type RouteKey } from "./validate.ts";

/**
 * The text a route table is stored as: JSON that any release or tool reads whole, laid out
 * with the table's other fields on the first line and one route per line after it, each
 * route's `id` and `match` first. An isolate taking a new version then reads 10 000 routes'
 * ids and patterns with one regular expression per line, and parses a route's JSON the first
 * time a request matches it (`acceptStoredLines`), instead of building ~100 000 objects on
 * its only thread. Tools that need one route or the ids use `findRoute` and `routeIds`, which
 * parse no other route. JSON.stringify escapes every line break inside strings, so a line break
 * in this text is always one of the layout's.
 */
export function tableLines(table: RouteTable): string {
  // Not a table at all (a damaged one a test writes, test/support/write-unchecked-version.ts): kept as it is.
  if (!isPlainObject(table) || !Array.isArray(table.routes)) return JSON.stringify(table);
  const { routes, ...rest } = table as Record<string, unknown> & { routes: unknown[] };
  const head = JSON.stringify(rest);
  const lines = routes.map((route: unknown) => {
    // JSON.stringify gives undefined for undefined and functions, which JSON writes as null in an array.
    if (!isPlainObject(route) || !isPlainObject(route.match)) return `\n${JSON.stringify(route) ?? "null"}`;
    const { id, match, ...more } = route;
    return `\n${JSON.stringify({ id, match: { path: match.path, methods: match.methods, host: match.host, ...match }, ...more })}`;
  });
  return `${head.slice(0, -1)}${head === "{}" ? "" : ","}"routes":[${lines.join(",")}\n]}`;
}

/**
 * A route line's start as `tableLines` writes it: id, then match with path, methods and host
 * in that order and nothing else. Stored strings here never hold a quote or a backslash (the
 * schema's patterns for ids, paths, methods and hosts exclude both), so none is escaped.
 */
const ROUTE_KEY = /^\{"id":"([^"\\]+)","match":\{"path":"(\/[^"\\]*)"(?:,"methods":\[("[^"\\]+"(?:,"[^"\\]+")*)\])?(?:,"host":"([^"\\]+)")?\}[,}]/;

/**
 * A table read back that cutover validated before storing it (see `acceptStoredTable`), in
 * `tableLines`' layout: each route's key is read from its line here, and `acceptStoredRouteLines`
 * (routes/validate.ts) checks the table's other fields now and each route on first use, by the
 * compiler when a request first matches it, or all at once when something reads `routes` (the
 * admin API, a publish). Undefined when the text is not in that layout (a table an older
 * release stored): parse it whole instead.
 */
export function acceptStoredLines(
  text: string,
  refuse: (issues: readonly ValidationIssue[]) => Error = (issues) => new Error(`stored route cannot be served:\n${formatIssues(issues)}`),
): Result<ValidatedRouteTable, readonly ValidationIssue[]> | undefined {
  if (!text.endsWith("\n]}")) return undefined;
  const lines = text.split("\n");
  const first = lines[0] as string;
  if (!first.endsWith('"routes":[')) return undefined;
  let head: unknown;
  try {
    head = JSON.parse(`${first}]}`);
  } catch {
    return undefined;
  }
  const count = lines.length - 2;
  const keys: RouteKey[] = new Array(count);
  for (let index = 0; index < count; index++) {
    const line = lines[index + 1] as string;
    const match = ROUTE_KEY.exec(line);
    if (match === null || line.endsWith(",") !== index < count - 1) return undefined;
    keys[index] = { id: match[1] as string, path: match[2] as string, methods: match[3]?.slice(1, -1).split('","'), host: match[4] };
  }
  const parse = (index: number): unknown => {
    const line = lines[index + 1] as string;
    return JSON.parse(index < count - 1 ? line.slice(0, -1) : line);
  };
  return acceptStoredRouteLines({ head, keys, parse }, refuse);
}

/** The table's route ids, in order, without parsing the routes of a stored table. */
export function routeIds(table: RouteTable): string[] {
  const lazy = lazyRoutesOf(table);
  return lazy === undefined ? table.routes.map((route) => route.id) : lazy.keys.map((key) => key.id);
}

/** The route with `id`, parsing only that one of a stored table. */
export function findRoute(table: RouteTable, id: string): Route | undefined {
  const lazy = lazyRoutesOf(table);
  if (lazy === undefined) return table.routes.find((route) => route.id === id);
  const index = lazy.keys.findIndex((key) => key.id === id);
  return index < 0 ? undefined : lazy.route(index);
}
