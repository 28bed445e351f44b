import { err, ok, type Result } from "../lib/result.ts";
import type { Route, RouteTable } from "../routes/schema.ts";
import { findRoute } from "../routes/table-lines.ts";
import { isValidatedTable, validateRouteTable, type ValidatedRouteTable, type ValidationIssue } from "../routes/validate.ts";
import { didYouMean } from "../lib/nearest.ts";
import { routeIds } from "../routes/table-lines.ts";
import { NoRouteTableError } from "../store/no-route-table-error.ts";
import type { ActiveTable, ChangeAction, Published, RouteTableStore, VersionInfo } from "../store/route-store.ts";

/** How often a change is made again on a newer table when another change landed first (unless it is pinned to a version). */
const RETRIES = 3;

/** What a change sees of the active version: its number and parent at once, its table when asked (a rollback need not read it). */
export interface Current {
  /** 0: the store holds no table yet (only a change pinned to version 0, the first table, sees that). */
  readonly version: number;
  readonly info: VersionInfo | undefined;
  /** The active version's table (read once, then kept). */
  table(): Promise<RouteTable>;
}

/** A change that can be made: the new table (validated here), and what the audit entry and the answer say of it. */
export interface Proposal<T> {
  /** A ValidatedRouteTable (a PUT's table, checked first to name its fields; a stored version restored) is published as it is; a RouteTable made by the change is validated first. */
  readonly table: ValidatedRouteTable | RouteTable;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly restoredFrom?: number;
  /** The change's own answer, returned with the published version. */
  readonly result: T;
}

/** Why a change was not made: a stable code for scripts (the admin API maps it to a status) and a sentence for people. */
export interface Refusal {
  readonly code: string;
  readonly message: string;
  readonly issues?: readonly ValidationIssue[];
  readonly extra?: Readonly<Record<string, unknown>>;
}

export type PublishOutcome<T> =
  | { readonly ok: true; readonly published: Published; readonly result: T }
  | { readonly ok: false; readonly reason: "no_table" }
  | { readonly ok: false; readonly reason: "refused"; readonly refusal: Refusal }
  | { readonly ok: false; readonly reason: "stale_version"; readonly activeVersion: number; readonly basedOn: number };

export interface ChangeRequest<T> {
  /** Makes the change on the active version, or says why not. Called again on a newer version after a lost race. */
  readonly change: (current: Current) => Promise<Result<Proposal<T>, Refusal>> | Result<Proposal<T>, Refusal>;
  readonly author: string;
  readonly reason: string;
  readonly action: ChangeAction;
  /** Milliseconds until isolates serve it (the propagation bound); 0 or absent: at once (a rollback). */
  readonly delayMs?: number;
  /** Refuse unless this version is the active one (the caller's read); absent: made again on whatever is newest. */
  readonly expectedVersion?: number;
  /** Absent `expectedVersion`, whether a lost race makes the change again on the newer table (default true). */
  readonly retry?: boolean;
}

/** Where changes are written, and who is told at once (the isolate's own config cache). */
export interface PublishDeps {
  readonly store: RouteTableStore;
  readonly accept?: (published: Published) => void;
}

/**
 * The one place a route table changes (DESIGN.md "Folders": control/): read the active
 * version, make the change on it, validate the result, write it conditionally on the version
 * read, and when another change landed first, make it again on that one (a few times) unless
 * it was pinned to a version. The store records the audit entry with the version it writes;
 * the isolate's cache is told at once. A change that changes nothing makes no version.
 */
export async function publishChange<T>(deps: PublishDeps, request: ChangeRequest<T>): Promise<PublishOutcome<T>> {
  for (let attempt = 0; ; attempt++) {
    const info = await deps.store.activeInfo();
    const version = info?.version ?? 0;
    if (info === undefined && request.expectedVersion !== 0) return { ok: false, reason: "no_table" };
    if (request.expectedVersion !== undefined && request.expectedVersion !== version) {
      return { ok: false, reason: "stale_version", activeVersion: version, basedOn: request.expectedVersion };
    }
    let table: Promise<RouteTable> | undefined;
    const current: Current = {
      version,
      info,
      // The version read, not "whatever is active now": the change is made on what was read.
      table: () =>
        (table ??= deps.store.getVersion(version).then((active) => {
          if (active === undefined) throw new NoRouteTableError(`version ${version}`);
          return active.table;
        })),
    };
    const proposed = await request.change(current);
    if (!proposed.ok) return { ok: false, reason: "refused", refusal: proposed.error };
    // A table validated already (a PUT checks the caller's table first, to name its fields) is not validated twice.
    const validated = isValidatedTable(proposed.value.table) ? ok(proposed.value.table) : validateRouteTable(proposed.value.table);
    if (!validated.ok) return { ok: false, reason: "refused", refusal: { code: "invalid_table", message: `The resulting table is invalid: ${validated.error.map((i) => `${i.path}: ${i.message}`).join("; ")}`, issues: validated.error } };
    const written = await deps.store.publish({
      table: validated.value,
      expectedVersion: version,
      author: request.author,
      reason: request.reason,
      action: request.action,
      ...(proposed.value.details === undefined ? {} : { details: proposed.value.details }),
      ...(proposed.value.restoredFrom === undefined ? {} : { restoredFrom: proposed.value.restoredFrom }),
      ...(request.delayMs ? { delayMs: request.delayMs } : {}),
    });
    if (written.ok) {
      if (!written.value.unchanged) deps.accept?.(written.value);
      return { ok: true, published: written.value, result: proposed.value.result };
    }
    if (request.expectedVersion !== undefined || request.retry === false || attempt >= RETRIES) {
      return { ok: false, reason: "stale_version", activeVersion: written.error.activeVersion, basedOn: version };
    }
  }
}

/**
 * One route changed by `change` (given the route as it is in the active table; a Refusal
 * refuses), everything else as it is: the everyday form of a change (a rollout step, a
 * shadow reset, a route restored). Answers the route before and after.
 */
export function publishRouteChange(
  deps: PublishDeps,
  request: Omit<ChangeRequest<{ before: Route; after: Route }>, "change"> & {
    readonly routeId: string;
    readonly change: (route: Route, table: RouteTable) => Route | Refusal;
    readonly details?: Readonly<Record<string, unknown>>;
  },
): Promise<PublishOutcome<{ before: Route; after: Route }>> {
  return publishChange(deps, {
    ...request,
    change: async (current) => {
      const table = await current.table();
      const before = findRoute(table, request.routeId);
      if (before === undefined) return err(unknownRouteRefusal(request.routeId, current.version, table));
      const after = request.change(before, table);
      if ("code" in after) return err(after);
      return ok({ table: { ...table, routes: table.routes.map((route) => (route.id === request.routeId ? after : route)) }, details: { route: request.routeId, ...request.details }, result: { before, after } });
    },
  });
}

/** `unknown_route`, with the nearest id and the routes there are. */
export function unknownRouteRefusal(routeId: string, version: number, table: RouteTable): Refusal {
  const ids = routeIds(table);
  return { code: "unknown_route", message: `No route '${routeId}' in version ${version}${didYouMean(routeId, ids)}. Routes: ${ids.join(", ") || "none"}.` };
}

/** Reads the active table, or undefined when the store holds none yet. */
export async function activeOrNone(store: Pick<RouteTableStore, "getActive">): Promise<ActiveTable | undefined> {
  try {
    return await store.getActive();
  } catch (error) {
    if (error instanceof NoRouteTableError) return undefined;
    throw error;
  }
}
