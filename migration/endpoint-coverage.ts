import { samplePath } from "../accounting/path-template.ts";
import type { CompiledTable } from "../routes/compile.ts";
import type { LegacyEndpoint } from "./legacy-endpoint.ts";
import { routeStage, type RouteStage } from "./route-stage.ts";

/** The route that serves an endpoint's requests under one table, and that route's stage. */
export interface EndpointCoverage {
  readonly route: string;
  readonly stage: RouteStage;
}

/**
 * Which route of `table` covers an endpoint: the one the table's matcher picks for a concrete
 * path of its pattern (parameters `1`, the rest `x`: the sample the inventory uses) and its
 * method (GET for an endpoint of every method), at that route's stage (route-stage.ts).
 * Undefined when no route matches: its requests go to the default backend. One answer for the
 * migration map (the active table) and the burndown (every version of the window).
 */
export function endpointCoverage(endpoint: Pick<LegacyEndpoint, "method" | "pattern">, table: CompiledTable): EndpointCoverage | undefined {
  const method = endpoint.method === "*" ? "GET" : endpoint.method;
  const route = table.matcher.match(method, "", samplePath(endpoint.pattern.replace(/\/:[^/]+/g, "/:id")));
  return route === undefined ? undefined : { route: route.id, stage: routeStage(route.route, table.table.default) };
}
