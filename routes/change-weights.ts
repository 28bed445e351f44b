import { err, ok, type Result } from "../lib/result.ts";
import type { RouteTable } from "./schema.ts";
import { validateRouteTable, type ValidationIssue } from "./validate.ts";

export type WeightsChangeError =
  | { readonly reason: "unknown_route"; readonly route: string }
  | { readonly reason: "invalid"; readonly issues: readonly ValidationIssue[] };

/**
 * The everyday flip: `table` with route `routeId` sending traffic by `weights`. A single
 * backend at 100 is written as that backend's name. The result is validated like any table.
 */
export function changeWeights(
  table: RouteTable,
  routeId: string,
  weights: Readonly<Record<string, number>>,
): Result<{ table: RouteTable; before: RouteTable["routes"][number]["to"] }, WeightsChangeError> {
  const index = table.routes.findIndex((route) => route.id === routeId);
  const route = table.routes[index];
  if (route === undefined) return err({ reason: "unknown_route", route: routeId });
  const entries = Object.entries(weights);
  const only = entries.length === 1 ? entries[0] : undefined;
  const to = only && only[1] === 100 ? only[0] : { ...weights };
  const routes = table.routes.map((existing, i) => (i === index ? { ...existing, to } : existing));
  const validated = validateRouteTable({ ...table, routes });
  if (!validated.ok) return err({ reason: "invalid", issues: validated.error });
  return ok({ table: validated.value, before: route.to });
}
