import { canonicalJson } from "../lib/canonical-json.ts";
import type { RouteTable } from "./schema.ts";

/** One difference between two route tables, as plain data (rendered by `cutover routes plan`). */
export type TableChange =
  | { readonly kind: "default"; readonly before: string; readonly after: string }
  | { readonly kind: "backend-added" | "backend-removed"; readonly name: string; readonly value: unknown }
  | { readonly kind: "backend-changed"; readonly name: string; readonly fields: readonly FieldChange[] }
  | { readonly kind: "route-added" | "route-removed"; readonly id: string; readonly value: unknown }
  | { readonly kind: "route-changed"; readonly id: string; readonly fields: readonly FieldChange[] }
  | { readonly kind: "route-order"; readonly before: readonly string[]; readonly after: readonly string[] };

export interface FieldChange {
  readonly field: string;
  readonly before: unknown;
  readonly after: unknown;
}

/** What applying `after` over `before` would change. Empty when they are the same table. */
export function diffTables(before: RouteTable, after: RouteTable): TableChange[] {
  const changes: TableChange[] = [];
  if (before.default !== after.default) changes.push({ kind: "default", before: before.default, after: after.default });

  for (const [name, value] of Object.entries(after.backends)) {
    const old = before.backends[name];
    if (old === undefined) changes.push({ kind: "backend-added", name, value });
    else {
      const fields = fieldChanges(old, value);
      if (fields.length > 0) changes.push({ kind: "backend-changed", name, fields });
    }
  }
  for (const [name, value] of Object.entries(before.backends)) {
    if (!(name in after.backends)) changes.push({ kind: "backend-removed", name, value });
  }

  const oldRoutes = new Map(before.routes.map((route) => [route.id, route]));
  const newIds = new Set(after.routes.map((route) => route.id));
  for (const route of after.routes) {
    const old = oldRoutes.get(route.id);
    if (old === undefined) changes.push({ kind: "route-added", id: route.id, value: route });
    else {
      const fields = fieldChanges(old, route);
      if (fields.length > 0) changes.push({ kind: "route-changed", id: route.id, fields });
    }
  }
  for (const route of before.routes) {
    if (!newIds.has(route.id)) changes.push({ kind: "route-removed", id: route.id, value: route });
  }

  // Order does not change matching (specificity does), but it is part of the document.
  const kept = before.routes.map((route) => route.id).filter((id) => newIds.has(id));
  const keptAfter = after.routes.map((route) => route.id).filter((id) => oldRoutes.has(id));
  if (kept.join("\n") !== keptAfter.join("\n")) changes.push({ kind: "route-order", before: kept, after: keptAfter });
  return changes;
}

function fieldChanges(before: object, after: object): FieldChange[] {
  const fields = new Set([...Object.keys(before), ...Object.keys(after)]);
  const changes: FieldChange[] = [];
  for (const field of fields) {
    const old = (before as Record<string, unknown>)[field];
    const next = (after as Record<string, unknown>)[field];
    if (canonicalJson(old) !== canonicalJson(next)) changes.push({ field, before: old, after: next });
  }
  return changes;
}
