import { err, ok, type Result } from "../lib/result.ts";
import { validatePrices, type Prices } from "../cost/prices.ts";
import type { ValidationIssue } from "../routes/describe-issues.ts";
import type { RouteTableStore } from "../store/route-store.ts";
import type { SettingsStore } from "../store/settings-store.ts";
import { logEvent } from "../lib/log.ts";

/** The stored prices (`settings/prices`), who set them and why. */
export interface StoredPrices {
  readonly prices: Prices;
  readonly updatedAt: string;
  readonly updatedBy: string;
  readonly reason: string;
  readonly revision: number;
}

/** The prices `GET /cost` and the dashboard estimate with, or undefined before any are set. */
export async function storedPrices(settings: SettingsStore): Promise<StoredPrices | undefined> {
  const stored = await settings.get<Omit<StoredPrices, "revision">>("prices");
  return stored === undefined ? undefined : { ...stored.value, revision: stored.revision };
}

/**
 * Sets the prices (a whole document, validated: the issues name each field), audited like a
 * table change. Conditional on the revision read: two operators never both win; the loser
 * gets `stale` and reads again.
 */
export async function setPrices(
  deps: { readonly settings: SettingsStore; readonly store: Pick<RouteTableStore, "recordAudit">; readonly now: () => number },
  request: { readonly input: unknown; readonly actor: string; readonly reason: string; readonly expectedRevision?: number },
): Promise<Result<StoredPrices, { readonly code: "invalid_prices"; readonly issues: readonly ValidationIssue[] } | { readonly code: "stale_revision"; readonly revision: number }>> {
  const checked = validatePrices(request.input);
  if (!checked.ok) return err({ code: "invalid_prices", issues: checked.error });
  const current = await deps.settings.get("prices");
  const revision = current?.revision ?? 0;
  if (request.expectedRevision !== undefined && request.expectedRevision !== revision) return err({ code: "stale_revision", revision });
  const updatedAt = new Date(deps.now()).toISOString();
  const value = { prices: checked.value, updatedAt, updatedBy: request.actor, reason: request.reason };
  if (!(await deps.settings.put("prices", value, revision, updatedAt))) return err({ code: "stale_revision", revision: (await deps.settings.get("prices"))?.revision ?? revision });
  try {
    await deps.store.recordAudit({ actor: request.actor, action: "prices-set", reason: request.reason, details: { revision: revision + 1, currency: checked.value.currency ?? "USD", backends: Object.keys(checked.value.backends).join(", ") } });
  } catch (error) {
    logEvent("error", "recording_failed", { action: "prices-set", error });
  }
  return ok({ ...value, revision: revision + 1 });
}
