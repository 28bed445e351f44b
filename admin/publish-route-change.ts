import { publishRouteChange as publishOne } from "../control/publish.ts";
import type { Route, RouteTable } from "../routes/schema.ts";
import type { ValidationIssue } from "../routes/validate.ts";
import type { ChangeAction, Published, RouteTableStore } from "../store/route-store.ts";

export type RouteChangeOutcome =
  | { readonly ok: true; readonly published: Published; readonly before: Route; readonly after: Route }
  | { readonly ok: false; readonly reason: "no_table" }
  | { readonly ok: false; readonly reason: "refused"; readonly message: string }
  | { readonly ok: false; readonly reason: "invalid"; readonly issues: readonly ValidationIssue[] }
  | { readonly ok: false; readonly reason: "stale_version"; readonly activeVersion: number };

/**
 * The rollout controller's form of a one-route change, over control/publish.ts (the one
 * publish loop). It goes once the rollout transitions move to control/ too.
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
  const outcome = await publishOne({ store }, { ...request, change: (route, table) => {
    const after = request.change(route, table);
    return typeof after === "string" ? { code: "refused", message: after } : after;
  } });
  if (outcome.ok) return { ok: true, published: outcome.published, before: outcome.result.before, after: outcome.result.after };
  if (outcome.reason === "no_table") return outcome;
  if (outcome.reason === "stale_version") return { ok: false, reason: "stale_version", activeVersion: outcome.activeVersion };
  const { refusal } = outcome;
  if (refusal.issues !== undefined) return { ok: false, reason: "invalid", issues: refusal.issues };
  return { ok: false, reason: "refused", message: refusal.message };
}
