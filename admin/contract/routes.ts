import * as z from "zod/mini";
import { list, openObject } from "./open-object.ts";
import { ReasonSchema } from "./reason.ts";
import { RouteTableAnswer } from "./route-table-answer.ts";

/** PUT /routes (with `If-Match: "<version>"`). The table is validated on its own, for issues under `$.table`. */
export const PutRoutesBody = z.strictObject({ table: z.unknown(), reason: ReasonSchema });
export type PutRoutesBody = z.input<typeof PutRoutesBody>;

/** POST /routes/:id/weights: the everyday flip. */
export const WeightsBody = z.strictObject({
  weights: z.record(z.string(), z.number()),
  reason: ReasonSchema,
  /** Refuse the change if the active version is no longer this one (else it applies to the latest). */
  expectedVersion: z.optional(z.int().check(z.gte(0))),
});
export type WeightsBody = z.input<typeof WeightsBody>;

/** POST /rollback: an earlier table, active again as a new version (default: the previous one). */
export const RollbackBody = z.strictObject({
  toVersion: z.optional(z.int().check(z.gte(1))),
  reason: ReasonSchema,
});
export type RollbackBody = z.input<typeof RollbackBody>;

/** POST /routes/:id/rollback. */
export const RouteRollbackBody = z.strictObject({
  /** The version whose definition of the route comes back (default: the newest earlier one where it differed). */
  toVersion: z.optional(z.int().check(z.gte(1))),
  reason: ReasonSchema,
});
export type RouteRollbackBody = z.input<typeof RouteRollbackBody>;

/** Who made a version, when, why, and from which version (store/route-store.ts `VersionInfo`). */
export const VersionInfo = openObject({
  version: z.int(),
  /** The version active when this one was made (0 for the first). */
  parent: z.int(),
  createdAt: z.string(),
  author: z.string(),
  reason: z.string(),
  /** apply, weights, rollback, route-rollback, shadow-reset, rollout, … */
  action: z.string(),
  /** For a rollback: the version whose table was restored. */
  restoredFrom: z.optional(z.int()),
  routeCount: z.int(),
  activatedAt: z.optional(z.string()),
  /** When every isolate starts serving it; absent: at once. */
  effectiveAt: z.optional(z.string()),
});
export type VersionInfo = z.infer<typeof VersionInfo>;

/** GET /routes (and GET /versions/:n): a version with its table. */
export const RoutesAnswer = openObject({ version: z.int(), info: z.nullable(VersionInfo), table: RouteTableAnswer });
export type RoutesAnswer = z.infer<typeof RoutesAnswer>;

/** PUT /routes, POST /routes/:id/weights: the version a change made active. */
export const Activated = openObject({
  version: z.int(),
  info: z.optional(VersionInfo),
  /** The table was already active: no version was made. */
  unchanged: z.optional(z.boolean()),
  /** When every isolate starts serving it (absent: at once). */
  effectiveAt: z.optional(z.string()),
  /** What could not be recorded though the version is live. */
  warnings: z.optional(list(z.string())),
});
export type Activated = z.infer<typeof Activated>;

/** POST /rollback: the new version and the one whose table it restored. */
export const RollbackAnswer = z.extend(Activated, { restoredFrom: z.int() });
export type RollbackAnswer = z.infer<typeof RollbackAnswer>;

/** POST /routes/:id/rollback. */
export const RouteRollbackAnswer = z.extend(RollbackAnswer, { route: z.string() });
export type RouteRollbackAnswer = z.infer<typeof RouteRollbackAnswer>;
