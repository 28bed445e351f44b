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

export const CreateTokenBody = z.strictObject({
  name: z.string().check(z.trim(), z.minLength(1, "is required: who or what holds the token"), z.maxLength(100)),
  role: z.enum(["viewer", "operator"], "must be 'viewer' or 'operator'"),
  /** Days until it stops working. */
  expiresInDays: z.number().check(z.positive("must be a positive number of days")),
  reason: ReasonSchema,
});

export const RevokeTokenBody = z.strictObject({ reason: ReasonSchema });

export const MintOverrideBody = z.strictObject({
  backend: z.string().check(z.minLength(1, "is required: the backend to force")),
  /** Only on this route; absent: on every route that names the backend. */
  route: z.optional(z.string().check(z.minLength(1))),
  ttlSeconds: z.int().check(z.positive("must be a positive number of seconds")),
  reason: ReasonSchema,
});

export const ShadowResetBody = z.strictObject({ reason: ReasonSchema });

export const StartRolloutBody = z.strictObject({ plan: z.unknown(), reason: ReasonSchema });

export const RolloutActionBody = z.strictObject({ reason: ReasonSchema });
