import type { MetricFamily, Sample } from "../lib/prometheus-exposition.ts";
import { NOT_COPIED_REASONS, hasDualWrites } from "./dual-write-counts.ts";
import { bucketUpperBoundMs, LATENCY_BUCKETS } from "./latency-buckets.ts";
import { emptyCounts, mergeCounts, served, CLIENT_ABORT_STATUS, type TrafficCounts } from "./traffic-counts.ts";

/**
 * cutover's traffic counts as Prometheus metric families (docs/prometheus.md).
 *
 * cutover stores minute and hour cells, not lifetime totals, so a counter here is the sum of
 * today's hour cells: cumulative since 00:00 UTC. Cells only grow (isolates ADD to them), so
 * each series rises through the day and drops to zero at midnight UTC, which `rate()` and
 * `increase()` take as a counter reset, as they do a restarted process.
 */

/** Every family the endpoint exposes, in the order it writes them. */
export const PROMETHEUS_FAMILY_NAMES = [
  "cutover_requests_total",
  "cutover_served_total",
  "cutover_responses_total",
  "cutover_proxy_errors_total",
  "cutover_fallbacks_total",
  "cutover_dual_write_copies_total",
  "cutover_dual_write_agreement_total",
  "cutover_dual_write_not_copied_total",
  "cutover_request_duration_seconds",
  "cutover_table_version",
  "cutover_info",
] as const;

export type PrometheusFamilyName = (typeof PROMETHEUS_FAMILY_NAMES)[number];

/** Every sample name the endpoint writes (the histogram's as `_bucket` and `_count`): what PromQL may refer to. */
export const PROMETHEUS_SAMPLE_NAMES: readonly string[] = [
  ...PROMETHEUS_FAMILY_NAMES.filter((name) => name !== "cutover_request_duration_seconds"),
  "cutover_request_duration_seconds_bucket",
  "cutover_request_duration_seconds_count",
];

/**
 * Every fourth of the 121 stored latency buckets' bounds (factor 1.4641, 1 ms to 63 s: 30
 * bounds and +Inf). Each is a stored bucket's exact upper bound, so the cumulative counts are
 * exact; all 121 would be 4 times the series for histogram_quantile() precision few panels need.
 */
const BUCKET_STRIDE = 4;
const EXPOSED_BUCKETS: readonly number[] = Array.from({ length: Math.ceil((LATENCY_BUCKETS - 1) / BUCKET_STRIDE) }, (_, i) => i * BUCKET_STRIDE);

/** An exposed bound as an `le` label: the bound in seconds, to 4 significant digits (Grafana shows them as they are). */
export function leLabel(bucket: number): string {
  const bound = bucketUpperBoundMs(bucket);
  return bound === Number.POSITIVE_INFINITY ? "+Inf" : String(Number((bound / 1000).toPrecision(4)));
}

/** Origin status classes, as counted (traffic-counts.ts `status`). */
const STATUS_CLASSES = ["2xx", "3xx", "4xx", "5xx"] as const;
/** What cutover answers itself (worker/attempt.ts): always written, zero or not, so a first error is an increase, not a new series. */
export const PROXY_STATUSES: readonly number[] = [400, 405, 413, CLIENT_ABORT_STATUS, 502, 504];
/** The fallback triggers of routes/schema.ts, written likewise. */
export const FALLBACK_TRIGGERS: readonly string[] = ["error", "timeout", "5xx", "404"];

/** One cell's counts with the route and backend they belong to. */
export interface RouteBackendCounts {
  readonly route: string;
  readonly backend: string;
  readonly counts: TrafficCounts;
}

export interface PrometheusInput {
  /** Today's hour cells, of every route (routes since removed included). */
  readonly cells: readonly RouteBackendCounts[];
  /** The active table's version and default backend; undefined while there is none. */
  readonly table: { readonly version: number; readonly defaultBackend: string } | undefined;
}

const SINCE_MIDNIGHT = "Cumulative since 00:00 UTC today (the sum of today's hour cells): it starts again at zero at midnight UTC, which rate() and increase() take as a counter reset.";

/** The families of one scrape, every family in PROMETHEUS_FAMILY_NAMES' order. */
export function prometheusFamilies(input: PrometheusInput): MetricFamily[] {
  const pairs = sumByRouteAndBackend(input.cells);
  const of = (each: (counts: TrafficCounts, labels: Record<string, string>) => readonly Sample[]): Sample[] =>
    pairs.flatMap(({ route, backend, counts }) => each(counts, { route, backend }));
  const one = (name: string, labels: Record<string, string>, value: number): Sample => ({ name, labels, value });
  const byName: Record<PrometheusFamilyName, Omit<MetricFamily, "name">> = {
    cutover_requests_total: {
      type: "counter",
      help: `Attempts cutover sent to the backend for the route (a request that fell back counts at both backends). ${SINCE_MIDNIGHT}`,
      samples: of((counts, labels) => [one("cutover_requests_total", labels, counts.requests)]),
    },
    cutover_served_total: {
      type: "counter",
      help: `Requests the backend answered for the route (attempts minus those that fell back elsewhere). ${SINCE_MIDNIGHT}`,
      samples: of((counts, labels) => [one("cutover_served_total", labels, served(counts))]),
    },
    cutover_responses_total: {
      type: "counter",
      help: `The backend's answers by status class, as the origin sent them (cutover's own answers are in cutover_proxy_errors_total). ${SINCE_MIDNIGHT}`,
      samples: of((counts, labels) => STATUS_CLASSES.map((statusClass, i) => one("cutover_responses_total", { ...labels, class: statusClass }, counts.status[i] ?? 0))),
    },
    cutover_proxy_errors_total: {
      type: "counter",
      help: `Answers cutover made itself instead of the backend's, by status: 400 bad path, 405, 413 body too large, 502 unreachable or unforwardable, 504 timeout; 499 the client stopped sending its body. ${SINCE_MIDNIGHT}`,
      samples: of((counts, labels) =>
        [...new Set([...PROXY_STATUSES, ...counts.proxy.keys()])].sort((a, b) => a - b).map((status) => one("cutover_proxy_errors_total", { ...labels, status: String(status) }, counts.proxy.get(status) ?? 0)),
      ),
    },
    cutover_fallbacks_total: {
      type: "counter",
      help: `Requests taken away from the backend to the route's fallback, by trigger (error, timeout, 5xx, 404). ${SINCE_MIDNIGHT}`,
      samples: of((counts, labels) =>
        [...new Set([...FALLBACK_TRIGGERS, ...counts.fallbacks.keys()])].map((trigger) => one("cutover_fallbacks_total", { ...labels, trigger }, counts.fallbacks.get(trigger) ?? 0)),
      ),
    },
    cutover_dual_write_copies_total: {
      type: "counter",
      help: `Copies of writes the backend got as the route's dualWrite.to, by its answer: succeeded (2xx), rejected (3xx, 4xx), failed (5xx, timeout, unreachable). Only for backends that got copies. ${SINCE_MIDNIGHT}`,
      samples: of((counts, labels) =>
        hasDualWrites(counts.dualWrite)
          ? (["succeeded", "rejected", "failed"] as const).map((outcome) => one("cutover_dual_write_copies_total", { ...labels, outcome }, counts.dualWrite[outcome]))
          : [],
      ),
    },
    cutover_dual_write_agreement_total: {
      type: "counter",
      help: `Copies the backend answered (not failed), by whether its status code was the one the serving backend gave: agreed, disagreed. ${SINCE_MIDNIGHT}`,
      samples: of((counts, labels) =>
        hasDualWrites(counts.dualWrite) ? (["agreed", "disagreed"] as const).map((result) => one("cutover_dual_write_agreement_total", { ...labels, result }, counts.dualWrite[result])) : [],
      ),
    },
    cutover_dual_write_not_copied_total: {
      type: "counter",
      help: `Writes the route's dualWrite covers that were not copied to the backend, by reason (too_large, over_budget, incomplete_body, legacy_refused, legacy_redirected, legacy_failed). ${SINCE_MIDNIGHT}`,
      samples: of((counts, labels) =>
        hasDualWrites(counts.dualWrite) ? NOT_COPIED_REASONS.map((reason) => one("cutover_dual_write_not_copied_total", { ...labels, reason }, counts.dualWrite.notCopied.get(reason) ?? 0)) : [],
      ),
    },
    cutover_request_duration_seconds: {
      type: "histogram",
      help: `Time from cutover's call to the backend to the response head, per attempt, in log-scale buckets (no _sum: cutover keeps bucket counts only). ${SINCE_MIDNIGHT}`,
      samples: of(histogramSamples),
    },
    cutover_table_version: {
      type: "gauge",
      help: "The active route table's version.",
      samples: input.table === undefined ? [] : [one("cutover_table_version", {}, input.table.version)],
    },
    cutover_info: {
      type: "gauge",
      help: "Always 1; default_backend is the active table's default (legacy) backend, for the share on the others.",
      samples: input.table === undefined ? [] : [one("cutover_info", { default_backend: input.table.defaultBackend }, 1)],
    },
  };
  return PROMETHEUS_FAMILY_NAMES.map((name) => ({ name, ...byName[name] }));
}

/** Cumulative buckets at the exposed bounds, +Inf, and _count (the same number). */
function histogramSamples(counts: TrafficCounts, labels: Record<string, string>): Sample[] {
  const samples: Sample[] = [];
  const ordered = [...counts.latency].sort(([a], [b]) => a - b);
  let next = 0;
  let cumulative = 0;
  for (const bound of EXPOSED_BUCKETS) {
    for (; next < ordered.length && (ordered[next]?.[0] ?? 0) <= bound; next++) cumulative += ordered[next]?.[1] ?? 0;
    samples.push({ name: "cutover_request_duration_seconds_bucket", labels: { ...labels, le: leLabel(bound) }, value: cumulative });
  }
  for (; next < ordered.length; next++) cumulative += ordered[next]?.[1] ?? 0;
  samples.push({ name: "cutover_request_duration_seconds_bucket", labels: { ...labels, le: "+Inf" }, value: cumulative });
  samples.push({ name: "cutover_request_duration_seconds_count", labels, value: cumulative });
  return samples;
}

/** The cells added up per route and backend, sorted by route, then backend. */
function sumByRouteAndBackend(cells: readonly RouteBackendCounts[]): RouteBackendCounts[] {
  const byKey = new Map<string, RouteBackendCounts>();
  for (const cell of cells) {
    const key = JSON.stringify([cell.route, cell.backend]);
    let entry = byKey.get(key);
    if (entry === undefined) byKey.set(key, (entry = { route: cell.route, backend: cell.backend, counts: emptyCounts() }));
    mergeCounts(entry.counts, cell.counts);
  }
  return [...byKey.values()].sort((a, b) => (a.route === b.route ? compare(a.backend, b.backend) : compare(a.route, b.route)));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
