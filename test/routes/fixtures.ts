import { compileTable, type CompiledTable } from "../../routes/compile.ts";
import type { RouteTable } from "../../routes/schema.ts";
import { validateRouteTable } from "../../routes/validate.ts";

/** A validated table over three made-up origins, with `routes`. */
export function tableOf(routes: unknown[], extra: Record<string, unknown> = {}): RouteTable {
  const result = validateRouteTable({
    backends: { legacy: { url: "https://legacy.example.com" }, accounts: { url: "https://accounts.example.com" }, billing: { url: "https://billing.example.com" } },
    default: "legacy",
    routes,
    ...extra,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
}

export function compiled(routes: unknown[], version = 1): CompiledTable {
  return compileTable(tableOf(routes), version);
}
