import * as z from "zod/mini";
import { InvalidRouteTableError } from "./invalid-route-table-error.ts";
import type { VersionInfo } from "./route-store.ts";

/** A version item as read back from DynamoDB: checked, since anything may have written it. */
const StoredInfoSchema = z.object({
  version: z.int().check(z.gte(1)),
  parent: z.int().check(z.gte(0)),
  createdAt: z.string(),
  author: z.string(),
  reason: z.string(),
  action: z.enum(["apply", "weights", "rollback", "route-rollback", "shadow-reset", "rollout", "decommission"]),
  restoredFrom: z.optional(z.int().check(z.gte(1))),
  routeCount: z.int().check(z.gte(0)),
  /** Set once the version became active; a version that never did is not history. */
  activatedAt: z.optional(z.string()),
  effectiveAt: z.optional(z.string()),
  parts: z.int().check(z.gte(1)),
  sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  /** The TABLE_SCHEMA_VERSION cutover validated the table under before storing it; absent when it did not. */
  schema: z.optional(z.int()),
  /**
   * On the active pointer only: tester overrides revoked by id, each until the last moment a
   * token of that id could still be valid (its longest lifetime after revocation). Every
   * activation carries the list forward; `revokedRevision` counts its changes, so that an
   * activation and a revocation never overwrite each other.
   */
  revokedOverrides: z.optional(z.array(z.object({ id: z.string(), until: z.number() }))),
  revokedRevision: z.optional(z.int()),
});

export type StoredInfo = z.infer<typeof StoredInfoSchema>;

export function parseStoredInfo(item: Record<string, unknown>, source: string): StoredInfo {
  const parsed = StoredInfoSchema.safeParse(item);
  if (parsed.success) return parsed.data;
  throw new InvalidRouteTableError(
    source,
    parsed.error.issues.map((issue) => ({ path: `$.${issue.path.join(".")}`, message: `stored item: ${issue.message}` })),
  );
}

export function publicInfo(info: StoredInfo): VersionInfo {
  const { parts: _parts, sha256: _sha256, schema: _schema, revokedOverrides: _revoked, revokedRevision: _revision, ...rest } = info;
  return rest;
}
