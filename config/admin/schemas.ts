import { z } from "zod";

/** Every write says why; the reason lands in the audit log. */
export const ReasonSchema = z.string().trim().min(1, "is required: say why").max(500);

export const PutRoutesBody = z.strictObject({ table: z.unknown(), reason: ReasonSchema });

export const WeightsBody = z.strictObject({
  weights: z.record(z.string(), z.number()),
  reason: ReasonSchema,
  /** Refuse the change if the active version is no longer this one (else it applies to the latest). */
  expectedVersion: z.int().min(0).optional(),
});

export const RollbackBody = z.strictObject({
  toVersion: z.int().positive().optional(),
  reason: ReasonSchema,
});
