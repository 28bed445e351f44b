import * as z from "zod/mini";
import { list, openObject } from "./open-object.ts";
import { ReasonSchema } from "./reason.ts";

/** One figure (cost/estimate.ts `Estimate`): a value with its formula and inputs, or unknown and why. */
export const EstimateAnswer = openObject({
  kind: z.enum(["estimate", "unknown"]),
  value: z.nullable(z.number()),
  unit: z.string(),
  formula: z.string(),
  inputs: z.record(z.string(), z.union([z.number(), z.string()])),
  reason: z.optional(z.string()),
});

const Projection = openObject({
  moved: list(z.string()),
  remaining: list(z.string()),
  peakHour: z.nullable(z.string()),
  peakConcurrency: EstimateAnswer,
  dynosNeeded: EstimateAnswer,
  bill: EstimateAnswer,
  saving: EstimateAnswer,
});

/** GET /cost (cost/cost-report.ts `CostReport`): the same document as `cutover cost --json`. */
export const CostAnswer = openObject({
  notice: z.string(),
  currency: z.string(),
  legacyBackend: z.string(),
  from: z.string(),
  until: z.string(),
  windowSeconds: z.number(),
  monthFactor: z.number(),
  legacyBill: EstimateAnswer,
  routes: list(
    openObject({
      route: z.string(),
      served: z.number(),
      legacyServed: z.number(),
      legacy: EstimateAnswer,
      onNew: z.record(z.string(), EstimateAnswer),
      allOnNew: z.record(z.string(), EstimateAnswer),
    }),
  ),
  newBackendsTotal: EstimateAnswer,
  legacyShare: openObject({
    step: z.enum(["hour", "day"]),
    points: list(openObject({ at: z.string(), legacyServed: z.number(), allServed: z.number(), share: EstimateAnswer })),
  }),
  projections: openObject({ now: Projection, afterMigrating: Projection, allMoved: Projection }),
  /** With GET /cost: the stored prices it used (absent from `cutover cost --prices FILE`). */
  prices: z.optional(openObject({ revision: z.int(), updatedAt: z.string(), updatedBy: z.string() })),
});
export type CostAnswer = z.infer<typeof CostAnswer>;

/** PUT /settings/prices (operator, audited): a prices document (cost/prices.ts, prices.schema.json). */
export const PutPricesBody = z.strictObject({
  prices: z.unknown(),
  reason: ReasonSchema,
  /** Refuse (412) unless these are still the stored prices' revision (0: none yet). */
  expectedRevision: z.optional(z.int().check(z.gte(0))),
});
export type PutPricesBody = z.input<typeof PutPricesBody>;

/** GET and PUT /settings/prices: the prices `GET /cost` and the dashboard estimate with. */
export const PricesAnswer = openObject({
  prices: z.record(z.string(), z.unknown()),
  updatedAt: z.string(),
  updatedBy: z.string(),
  reason: z.string(),
  revision: z.int(),
});
export type PricesAnswer = z.infer<typeof PricesAnswer>;
