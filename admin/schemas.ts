import * as z from "zod/mini";

/** Every write says why; the reason lands in the audit log. */
export const ReasonSchema = z.string().check(z.trim(), z.minLength(1, "is required: say why"), z.maxLength(500));

export const PutRoutesBody = z.strictObject({ table: z.unknown(), reason: ReasonSchema });

export const WeightsBody = z.strictObject({
  weights: z.record(z.string(), z.number()),
  reason: ReasonSchema,
  /** Refuse the change if the active version is no longer this one (else it applies to the latest). */
  expectedVersion: z.optional(z.int().check(z.gte(0))),
});

export const RollbackBody = z.strictObject({
  toVersion: z.optional(z.int().check(z.gte(1))),
  reason: ReasonSchema,
});

export const RouteRollbackBody = z.strictObject({
  /** The version whose definition of the route comes back (default: the newest earlier one where it differed). */
  toVersion: z.optional(z.int().check(z.gte(1))),
  reason: ReasonSchema,
});
