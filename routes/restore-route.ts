import { canonicalJson } from "../lib/canonical-json.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { Route, RouteTable } from "./schema.ts";
import { validateRouteTable, type ValidationIssue } from "./validate.ts";

/**
 * One route as it was in `source` (an earlier version), in `current`, leaving every other
 * route as it is now: the route's definition comes back (or goes away, if `source` did not
 * have it), with any backend it needs that `current` lacks. Validated like any table.
 */
export function restoreRoute(
  current: RouteTable,
  routeId: string,
  source: RouteTable,
): Result<{ table: RouteTable; before: Route | undefined; after: Route | undefined }, { reason: "unchanged" } | { reason: "invalid"; issues: readonly ValidationIssue[] }> {
  const before = current.routes.find((route) => route.id === routeId);
  const after = source.routes.find((route) => route.id === routeId);
  if (canonicalJson(before) === canonicalJson(after)) return err({ reason: "unchanged" });
  let routes: Route[];
  if (after === undefined) routes = current.routes.filter((route) => route.id !== routeId);
  else if (before === undefined) routes = [...current.routes, after];
  else routes = current.routes.map((route) => (route.id === routeId ? after : route));
  const backends = { ...current.backends };
  if (after !== undefined) {
    for (const name of referencedBackends(after)) if (!(name in backends) && source.backends[name]) backends[name] = source.backends[name];
  }
  const validated = validateRouteTable({ ...current, backends, routes });
  if (!validated.ok) return err({ reason: "invalid", issues: validated.error });
  return ok({ table: validated.value, before, after });
}

function referencedBackends(route: Route): string[] {
  const names = typeof route.to === "string" ? [route.to] : Object.keys(route.to);
  if (route.fallback) names.push(typeof route.fallback === "string" ? route.fallback : route.fallback.to);
  if (route.shadow) names.push(route.shadow.to);
  return names;
}
