import * as z from "zod/mini";
import { describeIssues, type ValidationIssue } from "../routes/describe-issues.ts";
import { err, ok, type Result } from "../lib/result.ts";

/**
 * The prices `cutover cost` estimates with (docs/cost.md): the legacy app's monthly bill
 * (dynos and add-ons) and, per new backend, what AWS charges per request. Prices are the
 * operator's to check against their own bill; docs/prices.example.json holds public list
 * prices as a start.
 */

const described = <T extends z.ZodMiniType>(schema: T, description: string) => schema.check(z.describe(description)) as T;
const money = (description: string) => described(z.number().check(z.gte(0)), description);
const positive = (description: string) => described(z.number().check(z.gt(0)), description);

const DynoSchema = z.strictObject({
  type: described(z.string().check(z.minLength(1)), "The dyno type, as Heroku names it: standard-1x, standard-2x, performance-m…"),
  count: described(z.int().check(z.gte(0)), "How many web dynos run now."),
  monthlyPrice: money("Price of one dyno for a month (Heroku caps per-second billing at this)."),
  concurrency: positive(
    "Requests one dyno serves at once at the latencies measured (Puma: workers × threads at most; a Rails app bound by the GVL gets nearer the workers). Divides the peak busy time into dynos.",
  ),
});

const AddOnSchema = z.strictObject({
  name: described(z.string().check(z.minLength(1)), "What it is: Heroku Postgres standard-0, Heroku Data for Redis…"),
  monthlyPrice: money("Its price for a month."),
});

const LegacySchema = z.strictObject({
  backend: z.optional(described(z.string().check(z.minLength(1)), "The legacy backend's name in the route table (default: the table's default backend).")),
  dyno: DynoSchema,
  addOns: z.optional(described(z.array(AddOnSchema), "Add-ons billed with the app; they stay on the bill until removed, whatever the traffic.")),
});

const LambdaSchema = z.strictObject({
  memoryMb: described(z.int().check(z.gte(128), z.lte(10_240)), "The function's memory setting, in MB."),
  pricePerGbSecond: money("Duration price per GB-second (us-east-1 x86: 0.0000166667; arm64: 0.0000133334)."),
  pricePerMillionRequests: money("Request price per million invocations (0.20)."),
  overheadMs: z.optional(
    money("Part of the latency measured at the edge that Lambda does not bill (the network between Cloudflare and AWS); default 0, which counts all of it: an upper bound."),
  ),
});

const DynamoSchema = z.strictObject({
  readUnitsPerRequest: money("Read request units one request uses on average (an eventually consistent read of ≤ 4 KB is half a unit)."),
  writeUnitsPerRequest: money("Write request units one request uses on average (a write of ≤ 1 KB is one unit)."),
  pricePerMillionReadUnits: money("On-demand price per million read request units (us-east-1: 0.125)."),
  pricePerMillionWriteUnits: money("On-demand price per million write request units (us-east-1: 0.625)."),
});

const NewBackendSchema = z.strictObject({
  lambda: LambdaSchema,
  apiGateway: z.optional(z.strictObject({ pricePerMillionRequests: money("API Gateway price per million requests (HTTP API: 1.00; REST API: 3.50). Leave out for a function URL.") })),
  dynamodb: z.optional(DynamoSchema),
});

/** The price settings document (validated once, then read-only). */
export const PricesSchema = z.strictObject({
  $schema: z.optional(z.string()),
  currency: z.optional(described(z.string().check(z.regex(/^[A-Z]{3}$/)), "ISO 4217 code of every price here (default USD).")),
  note: z.optional(z.string()),
  legacy: LegacySchema,
  backends: described(z.record(z.string(), NewBackendSchema), "Per new backend (as the route table names it): what a request costs there."),
});
export type Prices = Readonly<z.infer<typeof PricesSchema>>;
export type NewBackendPrices = z.infer<typeof NewBackendSchema>;

/** Checks a prices document; the issues name the field and the reason. */
export function validatePrices(input: unknown): Result<Prices, readonly ValidationIssue[]> {
  const parsed = z.safeParse(PricesSchema, input, { reportInput: true });
  return parsed.success ? ok(parsed.data) : err(describeIssues(PricesSchema, parsed.error.issues));
}

/** The prices document's JSON Schema, for editors (`"$schema": "./prices.schema.json"`). */
export function pricesJsonSchema(): Record<string, unknown> {
  return { ...z.toJSONSchema(PricesSchema, { io: "input", target: "draft-2020-12" }), title: "cutover prices" };
}
