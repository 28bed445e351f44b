import { validateRouteTable } from "../routes/validate.ts";
import { InvalidRouteTableError } from "./invalid-route-table-error.ts";
import { NoRouteTableError } from "./no-route-table-error.ts";
import type { ActiveTable, RouteTableSource } from "./route-store.ts";

/**
 * A route table given at deploy time: the `CUTOVER_ROUTES` Worker variable (a JSON string,
 * or an object when written as a TOML table in wrangler.toml). Read-only; its version is 1.
 */
export function createStaticSource(value: unknown, name = "CUTOVER_ROUTES"): RouteTableSource {
  const active = parse(value, name);
  return {
    getActive: () => active,
  };
}

function parse(value: unknown, name: string): Promise<ActiveTable> {
  try {
    if (value === undefined || value === null || value === "") throw new NoRouteTableError(name);
    const input = typeof value === "string" ? JSON.parse(value) : value;
    const result = validateRouteTable(input);
    if (!result.ok) throw new InvalidRouteTableError(name, result.error);
    return Promise.resolve({ version: 1, table: result.value });
  } catch (error) {
    const failure = error instanceof SyntaxError ? new Error(`${name} is not valid JSON: ${error.message}`, { cause: error }) : error;
    const rejected = Promise.reject(failure);
    rejected.catch(() => {}); // observed by whoever calls getActive
    return rejected;
  }
}
