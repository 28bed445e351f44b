import type { RouteTable } from "../routes/schema.ts";
import { alignColumns } from "./table-output.ts";

/** `legacy 90 % · accounts 10 %` */
export function formatWeights(weights: Readonly<Record<string, number>>): string {
  return Object.entries(weights)
    .map(([name, weight]) => `${name} ${weight} %`)
    .join(" · ");
}

/** One line per route: id, methods and path, where it goes. */
export function describeRoutes(table: RouteTable): string {
  const rows = table.routes.map((route) => {
    const match = `${route.match.methods?.join(",") ?? "*"} ${route.match.host ?? ""}${route.match.path}`;
    const target = typeof route.to === "string" ? route.to : formatWeights(route.to);
    const notes = [
      typeof route.to === "string" ? undefined : `sticky ${route.sticky ?? table.defaultSticky ?? "ip"}`,
      route.fallback === undefined ? undefined : `fallback ${typeof route.fallback === "string" ? route.fallback : route.fallback.to}`,
      route.shadow === undefined ? undefined : `shadow → ${route.shadow.to}`,
    ].filter((note) => note !== undefined);
    return [route.id, match, `→ ${target}`, notes.join(", ")];
  });
  rows.push(["(default)", "everything else", `→ ${table.default}`, ""]);
  return alignColumns(rows);
}
