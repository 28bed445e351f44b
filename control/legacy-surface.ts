import { canonicalJson } from "../lib/canonical-json.ts";
import { err, ok, type Result } from "../lib/result.ts";
import { diffSurfaces } from "../migration/diff-surfaces.ts";
import type { LegacyEndpoint, SurfaceFormat } from "../migration/legacy-endpoint.ts";
import type { LegacySurfaceStore, SurfaceInfo } from "../store/legacy-surface-store.ts";
import type { RouteTableStore } from "../store/route-store.ts";

/** What an import did. */
export interface SurfaceImported {
  readonly info: SurfaceInfo;
  /** The endpoints were those of the newest import already: no import was made. */
  readonly unchanged: boolean;
  readonly added: number;
  readonly removed: number;
  readonly changed: number;
  /** Bookkeeping that failed though the import is stored (its audit entry). */
  readonly warnings?: readonly string[];
}

/**
 * Stores an import of the legacy surface (the one write path of the `legacy` item family,
 * store/legacy-surface-store.ts), audited like a table change: who, when, why, the imports
 * before and after, and how many endpoints it added, removed and changed. The same
 * endpoints as the newest import make no new one (a retried import comes back the same way).
 */
export async function importLegacySurface(
  deps: { readonly surfaces: LegacySurfaceStore; readonly store: RouteTableStore },
  request: {
    readonly endpoints: readonly LegacyEndpoint[];
    readonly format: SurfaceFormat;
    readonly sourceName?: string;
    readonly actor: string;
    readonly reason: string;
    /** Refuse unless this is still the newest import (0: none yet); absent: on top of whatever is. */
    readonly expectedVersion?: number;
  },
): Promise<Result<SurfaceImported, { readonly reason: "stale_version"; readonly latestVersion: number }>> {
  const latest = await deps.surfaces.latest();
  const latestVersion = latest?.info.version ?? 0;
  if (request.expectedVersion !== undefined && request.expectedVersion !== latestVersion) return err({ reason: "stale_version", latestVersion });
  const changes = diffSurfaces(latest?.endpoints ?? [], request.endpoints);
  const count = (kind: string) => changes.filter((change) => change.kind === kind).length;
  const summary = { added: count("endpoint-added"), removed: count("endpoint-removed"), changed: count("endpoint-changed") };
  if (latest !== undefined && canonicalJson(latest.endpoints) === canonicalJson(request.endpoints)) return ok({ info: latest.info, unchanged: true, ...summary });

  const put = await deps.surfaces.put({
    endpoints: request.endpoints,
    format: request.format,
    ...(request.sourceName === undefined ? {} : { sourceName: request.sourceName }),
    author: request.actor,
    reason: request.reason,
    expectedVersion: latestVersion,
  });
  if (!put.ok) return put;
  const info = put.value;
  try {
    await deps.store.recordAudit({
      actor: request.actor,
      action: "legacy-import",
      reason: request.reason,
      details: { surfaceBefore: latestVersion, surfaceAfter: info.version, format: info.format, ...(info.sourceName === undefined ? {} : { sourceName: info.sourceName }), endpoints: info.endpointCount, ...summary },
    });
  } catch (error) {
    return ok({ info, unchanged: false, ...summary, warnings: [`legacy surface ${info.version} is stored, but its audit entry could not be recorded: ${String(error)}`] });
  }
  return ok({ info, unchanged: false, ...summary });
}
