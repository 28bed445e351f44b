import { canonicalJson } from "../lib/canonical-json.ts";
import { endpointKey, type LegacyEndpoint } from "./legacy-endpoint.ts";

/** One difference between two imports of the legacy surface, as plain data (like routes/diff-tables.ts). */
export type SurfaceChange =
  | { readonly kind: "endpoint-added" | "endpoint-removed"; readonly key: string; readonly endpoint: LegacyEndpoint }
  | { readonly kind: "endpoint-changed"; readonly key: string; readonly fields: readonly { readonly field: string; readonly before: unknown; readonly after: unknown }[] };

/**
 * What changed from one import to the next, endpoint by endpoint: an endpoint is its method
 * and pattern (`GET /users/:id`); the same endpoint with another action, name, constraints
 * or source is changed. Order: added, changed and removed, each in the order of its import.
 */
export function diffSurfaces(before: readonly LegacyEndpoint[], after: readonly LegacyEndpoint[]): SurfaceChange[] {
  const old = new Map(before.map((endpoint) => [endpointKey(endpoint), endpoint]));
  const kept = new Set(after.map(endpointKey));
  const added: SurfaceChange[] = [];
  const changed: SurfaceChange[] = [];
  for (const endpoint of after) {
    const key = endpointKey(endpoint);
    const previous = old.get(key);
    if (previous === undefined) {
      added.push({ kind: "endpoint-added", key, endpoint });
      continue;
    }
    const fields = [...new Set([...Object.keys(previous), ...Object.keys(endpoint)])]
      .map((field) => ({ field, before: (previous as unknown as Record<string, unknown>)[field], after: (endpoint as unknown as Record<string, unknown>)[field] }))
      .filter((change) => canonicalJson(change.before) !== canonicalJson(change.after));
    if (fields.length > 0) changed.push({ kind: "endpoint-changed", key, fields });
  }
  const removed: SurfaceChange[] = before.filter((endpoint) => !kept.has(endpointKey(endpoint))).map((endpoint) => ({ kind: "endpoint-removed", key: endpointKey(endpoint), endpoint }));
  return [...added, ...changed, ...removed];
}
