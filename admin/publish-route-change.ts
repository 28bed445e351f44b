import { findRoute } from "../routes/table-lines.ts";
import type { Route, RouteTable } from "../routes/schema.ts";
import { validateRouteTable, type ValidationIssue } from "../routes/validate.ts";
import { NoRouteTableError } from "../store/no-route-table-error.ts";
import type { ActiveTable, ChangeAction, Published, RouteTableStore } from "../store/route-store.ts";

/** How often a one-route change is re-applied on a newer table when another change landed first. */
const RETRIES = 3;

export type RouteChangeOutcome =
  | { readonly ok: true; readonly published: Published; readonly before: Route; readonly after: Route }
  | { readonly ok: false; readonly reason: "no_table" }
  | { readonly ok: false; readonly reason: "unknown_route"; readonly active: ActiveTable }
  | { readonly ok: false; readonly reason: "refused"; readonly message: string }
  | { readonly ok: false; readonly reason: "invalid"; readonly issues: readonly ValidationIssue[] }
  | { readonly ok: false; readonly reason: "stale_version"; readonly activeVersion: number };

/**
 * Writes a new version in which one route is changed by `change` (given the route as it is in
 * the active table; a string refuses the change with that message), on the latest table:
 * when another change lands first, it is re-applied on that one (a few times), unless
 * `expectedVersion` pins the version it must be based on. Validated like any table.
 */
export async function publishRouteChange(
  store: RouteTableStore,
  request: {
    readonly routeId: string;
    readonly change: (route: Route, table: RouteTable) => Route | string;
    readonly author: string;
    readonly reason: string;
    readonly action: ChangeAction;
    readonly delayMs?: number;
    readonly expectedVersion?: number;
    readonly details?: Readonly<Record<string, unknown>>;
  },
): Promise<RouteChangeOutcome> {
  for (let attempt = 0; ; attempt++) {
    let active: ActiveTable;
    try {
      active = await store.getActive();
    } catch (error) {
      if (error instanceof NoRouteTableError) return { ok: false, reason: "no_table" };
      throw error;
    }
    if (request.expectedVersion !== undefined && request.expectedVersion !== active.version) return { ok: false, reason: "stale_version", activeVersion: active.version };
    const before = findRoute(active.table, request.routeId);
    if (before === undefined) return { ok: false, reason: "unknown_route", active };
    const after = request.change(before, active.table);
    if (typeof after === "string") return { ok: false, reason: "refused", message: after };
    const validated = validateRouteTable({ ...active.table, routes: active.table.routes.map((route) => (route.id === request.routeId ? after : route)) });
    if (!validated.ok) return { ok: false, reason: "invalid", issues: validated.error };
    const result = await store.publish({
      table: validated.value,
      expectedVersion: active.version,
      author: request.author,
      reason: request.reason,
      action: request.action,
      details: { route: request.routeId, ...request.details },
      ...(request.delayMs ? { delayMs: request.delayMs } : {}),
    });
    if (result.ok) return { ok: true, published: result.value, before, after: validated.value.routes.find((route) => route.id === request.routeId) as Route };
    if (request.expectedVersion !== undefined || attempt >= RETRIES) return { ok: false, reason: "stale_version", activeVersion: result.error.activeVersion };
  }
}
