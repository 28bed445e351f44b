import * as z from "zod/mini";
import { list, openObject } from "./open-object.ts";

const count = z.number();
const nullableNumber = z.nullable(z.number());
const counts = z.record(z.string(), count);

/** p50, p95 and p99 in milliseconds; null where there is nothing to measure. */
export const Percentiles = openObject({ p50: nullableNumber, p95: nullableNumber, p99: nullableNumber });

/** Requests by status class of the origin's answer. */
export const StatusClasses = openObject({ "2xx": count, "3xx": count, "4xx": count, "5xx": count });

/**
 * A route's dual writes to one new backend over one step (accounting/dual-write-counts.ts):
 * `sent` = `succeeded` + `rejected` + `failed` = `agreed` + `disagreed` + `failed`.
 */
export const DualWritePoint = openObject({
  /** Copies sent (each write once, never retried). */
  sent: count,
  /** The new backend answered 2xx. */
  succeeded: count,
  /** It answered 3xx or 4xx. */
  rejected: count,
  /** It answered 5xx, timed out, was unreachable, or the copy could not be signed. */
  failed: count,
  /** It answered (not failed) the status code the served backend did. */
  agreed: count,
  /** It answered (not failed) another status code. */
  disagreed: count,
  /** Writes not copied, by reason: too_large, over_budget, incomplete_body, legacy_refused, legacy_redirected, legacy_failed. */
  notCopied: counts,
  /** succeeded / sent; null without copies. */
  successRate: nullableNumber,
  /** agreed / sent; null without copies. */
  agreementRate: nullableNumber,
});
export type DualWritePoint = z.infer<typeof DualWritePoint>;

/** One backend's traffic over one step (accounting/series.ts `SeriesPoint`). */
export const SeriesPoint = openObject({
  /** Start of the step, ISO. */
  at: z.string(),
  requests: count,
  /** Requests this backend answered (attempts minus those that fell back elsewhere). */
  served: count,
  status: StatusClasses,
  /** Answers cutover made itself, by status (502, 504, 413, 400, 405, 499). */
  proxyErrors: counts,
  /** Fallbacks taken away from this backend, by trigger. */
  fallbacks: counts,
  /** Served requests by arm (split, single, override, fallback, default). */
  arms: counts,
  /** (5xx + cutover's 502/504) / requests; null without requests. */
  errorRate: nullableNumber,
  /** Percentiles, and the mean (absent from Workers before issue 25: cost estimates call it unknown). */
  latencyMs: z.extend(Percentiles, { mean: z.optional(nullableNumber) }),
  /** Only on a route's `dualWrite.to` backend, where something was counted: its copies of writes another backend served (never in `requests`). */
  dualWrite: z.optional(DualWritePoint),
});
export type SeriesPoint = z.infer<typeof SeriesPoint>;

/** GET /metrics without `route`: every route's totals per backend over the window. */
export const MetricsOverviewAnswer = openObject({
  since: z.string(),
  defaultBackend: z.nullable(z.string()),
  routes: list(openObject({ route: z.string(), backends: z.record(z.string(), SeriesPoint) })),
});
export type MetricsOverviewAnswer = z.infer<typeof MetricsOverviewAnswer>;

/** GET /metrics?route=ID: one route's series and totals, per backend. */
export const RouteMetricsAnswer = openObject({
  route: z.string(),
  since: z.string(),
  /** `1m`, `5m`, `60m`. */
  step: z.string(),
  series: z.record(z.string(), list(SeriesPoint)),
  totals: z.record(z.string(), SeriesPoint),
});
export type RouteMetricsAnswer = z.infer<typeof RouteMetricsAnswer>;

/** GET /inventory: the migration map, busiest template first. */
export const InventoryAnswer = openObject({
  stored: count,
  maxStored: count,
  templates: list(
    openObject({
      template: z.string(),
      count,
      methods: list(z.string()),
      status: StatusClasses,
      firstSeen: z.string(),
      lastSeen: z.string(),
      /** The route that matches it now, if any. */
      coveredBy: z.nullable(z.string()),
    }),
  ),
});
export type InventoryAnswer = z.infer<typeof InventoryAnswer>;

const share = openObject({ share: nullableNumber, requests: count });

/** GET /progress: the share served by backends other than the default (legacy) one. */
export const ProgressAnswer = openObject({
  legacyBackend: z.string(),
  /** `last24h` and `last<days>d`. */
  share: z.record(z.string(), nullableNumber),
  daily: list(z.extend(share, { day: z.string() })),
  hourly: list(z.extend(share, { at: z.string() })),
  routes: list(z.extend(share, { route: z.string() })),
});
export type ProgressAnswer = z.infer<typeof ProgressAnswer>;
