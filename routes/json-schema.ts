import * as z from "zod/mini";
import { RouteTableSchema } from "./schema.ts";

/**
 * The route table's JSON Schema, for editors. It checks each field's shape; the rules that
 * span fields (backend references, weight sums, ties) are checked by `validateRouteTable`.
 */
export function routeTableJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(RouteTableSchema, { io: "input", target: "draft-2020-12" }),
    $id: "https://github.com/cutover/cutover/route-table.schema.json",
    title: "cutover route table",
  };
}
