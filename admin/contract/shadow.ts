import * as z from "zod/mini";
import { Percentiles } from "./metrics.ts";
import { list, openObject } from "./open-object.ts";
import { ReasonSchema } from "./reason.ts";

/** POST /shadow/:route/reset. */
export const ShadowResetBody = z.strictObject({ reason: ReasonSchema });
export type ShadowResetBody = z.input<typeof ShadowResetBody>;

/**
 * `ready`: enough comparisons matched in status and body. Security headers the candidate drops
 * or changes are judged apart (`cutover shadow report --check` fails on either).
 */
const ShadowVerdict = openObject({ ready: z.boolean(), summary: z.string(), securityHeaders: list(z.string()) });
/** The whole current epoch, or its last hours. */
const ShadowWindow = z.union([z.literal("epoch"), openObject({ since: z.string() })]);
const ReportOptions = openObject({ minComparisons: z.number(), threshold: z.number(), noiseRate: z.number() });

/** GET /shadow: every shadowed route's match rate and verdict. */
export const ShadowListingAnswer = openObject({
  version: z.int(),
  window: ShadowWindow,
  options: ReportOptions,
  routes: list(
    openObject({
      route: z.string(),
      shadowTo: z.string(),
      epoch: z.string(),
      compared: z.number(),
      /** Percent of attempts that matched in status and body; null before any comparison. */
      matchRate: z.nullable(z.number()),
      candidateErrors: z.number(),
      /** The most frequent status or body difference. */
      topDifference: z.nullable(z.string()),
      /** How many header names differed (judged apart from the match rate). */
      headersDiffering: z.number(),
      firstAt: z.nullable(z.string()),
      verdict: ShadowVerdict,
    }),
  ),
});
export type ShadowListingAnswer = z.infer<typeof ShadowListingAnswer>;

/** One way the candidate's answer differed from the control's (compare/difference.ts). */
const Difference = openObject({ field: z.string(), kind: z.string(), control: z.optional(z.unknown()), candidate: z.optional(z.unknown()) });

/** One header that differed, by name (compare/shadow-report.ts `HeaderDifference`). */
const HeaderDifference = openObject({
  name: z.string(),
  /** On the security list (compare/header-rules.ts). */
  security: z.boolean(),
  /** Comparisons in which it differed. */
  count: z.number(),
  /** How: sent by the control only, by the candidate only, with another value (0 for counters stored before these were kept). */
  missing: z.number(),
  extra: z.number(),
  changed: z.number(),
  example: z.nullable(z.extend(Difference, { method: z.string(), path: z.string() })),
});

/** GET /shadow?route=ID: one route's report (compare/shadow-report.ts `ShadowReport`), with its shadow and epoch. */
export const ShadowReportAnswer = openObject({
  route: z.string(),
  shadowTo: z.string(),
  epoch: z.string(),
  window: ShadowWindow,
  options: ReportOptions,
  compared: z.number(),
  matched: z.number(),
  mismatched: z.number(),
  matchRate: z.nullable(z.number()),
  tooLarge: z.number(),
  candidateErrors: z.number(),
  /** Copies skipped because the isolate had too many in flight. */
  shed: z.number(),
  noise: list(openObject({ field: z.string(), count: z.number() })),
  /** Status and body fields that differed, each with its most recent example and the request that produced it (method and redacted path). */
  differences: list(openObject({ field: z.string(), count: z.number(), example: z.nullable(z.extend(Difference, { method: z.string(), path: z.string() })) })),
  /** Headers that differed, by name, judged apart from the match rate: flagged security headers first. */
  headers: list(HeaderDifference),
  latency: openObject({ control: Percentiles, candidate: Percentiles }),
  /** The newest mismatch kept (redacted): the request and each difference, side by side. */
  latestSample: z.nullable(
    openObject({
      at: z.string(),
      method: z.string(),
      path: z.string(),
      controlStatus: z.number(),
      candidateStatus: z.number(),
      controlMs: z.number(),
      candidateMs: z.number(),
      differences: list(Difference),
    }),
  ),
  firstAt: z.nullable(z.string()),
  lastAt: z.nullable(z.string()),
  verdict: ShadowVerdict,
});
export type ShadowReportAnswer = z.infer<typeof ShadowReportAnswer>;

/** POST /shadow/:route/reset: the version with the route's new epoch. */
export const ShadowResetAnswer = openObject({ version: z.int(), route: z.string(), epoch: z.string(), effectiveAt: z.nullable(z.string()) });
export type ShadowResetAnswer = z.infer<typeof ShadowResetAnswer>;
