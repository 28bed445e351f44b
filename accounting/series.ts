import { dualWritePoint, hasDualWrites, type DualWritePoint } from "./dual-write-counts.ts";
import { histogramMean, histogramPercentile } from "./latency-buckets.ts";
import { emptyCounts, failures, mergeCounts, served, type TrafficCounts } from "./traffic-counts.ts";

/** One backend's traffic over one step of time, as the metrics API and the dashboard show it. */
export interface SeriesPoint {
  /** Start of the step, ISO. */
  readonly at: string;
  readonly requests: number;
  /** Requests this backend answered (attempts minus those that fell back elsewhere). */
  readonly served: number;
  readonly status: { readonly "2xx": number; readonly "3xx": number; readonly "4xx": number; readonly "5xx": number };
  /** Answers cutover made itself, by status (502, 504, 413, 400, 405); and 499: the client stopped sending its body (nobody's failure). */
  readonly proxyErrors: Readonly<Record<string, number>>;
  /** Fallbacks taken away from this backend, by trigger. */
  readonly fallbacks: Readonly<Record<string, number>>;
  /** Served requests by arm (split, single, override, fallback, default). */
  readonly arms: Readonly<Record<string, number>>;
  /** (5xx + cutover's 502/504) / requests; null without requests. */
  readonly errorRate: number | null;
  /** Percentiles, and the mean (requests × mean is the backend's busy time). */
  readonly latencyMs: { readonly p50: number | null; readonly p95: number | null; readonly p99: number | null; readonly mean: number | null };
  /** Only where something was counted: copies of writes this backend got as a route's `dualWrite.to`, and writes not copied to it. */
  readonly dualWrite?: DualWritePoint;
}

/** Counts with their period (`2026-11-25T17:20` or `2026-11-25T17`) and backend. */
export interface PeriodCounts {
  readonly period: string;
  readonly backend: string;
  readonly counts: TrafficCounts;
}

/** Cells grouped per backend into steps of `stepMs`, oldest first. */
export function toSeries(cells: readonly PeriodCounts[], stepMs: number): Record<string, SeriesPoint[]> {
  const grouped = new Map<string, Map<number, TrafficCounts>>();
  for (const cell of cells) {
    const at = Date.parse(cell.period.length === 13 ? `${cell.period}:00Z` : `${cell.period}Z`);
    const step = at - (at % stepMs);
    mergeCounts(entryOf(entryOf(grouped, cell.backend, () => new Map()), step, emptyCounts), cell.counts);
  }
  const out: Record<string, SeriesPoint[]> = {};
  for (const [backend, steps] of grouped) {
    out[backend] = [...steps].sort(([a], [b]) => a - b).map(([step, counts]) => point(new Date(step).toISOString(), counts));
  }
  return out;
}

/** The derived figures of some counts. */
export function point(at: string, counts: TrafficCounts): SeriesPoint {
  return {
    at,
    requests: counts.requests,
    served: served(counts),
    status: { "2xx": counts.status[0], "3xx": counts.status[1], "4xx": counts.status[2], "5xx": counts.status[3] },
    proxyErrors: Object.fromEntries([...counts.proxy].map(([status, count]) => [String(status), count])),
    fallbacks: Object.fromEntries(counts.fallbacks),
    arms: Object.fromEntries(counts.arms),
    errorRate: counts.requests === 0 ? null : round(failures(counts) / counts.requests),
    latencyMs: { p50: histogramPercentile(counts.latency, 50), p95: histogramPercentile(counts.latency, 95), p99: histogramPercentile(counts.latency, 99), mean: histogramMean(counts.latency) },
    ...(hasDualWrites(counts.dualWrite) ? { dualWrite: dualWritePoint(counts.dualWrite) } : {}),
  };
}

/** All the counts of each backend added up (for a window's totals). */
export function totals(cells: readonly PeriodCounts[]): Map<string, TrafficCounts> {
  const out = new Map<string, TrafficCounts>();
  for (const cell of cells) mergeCounts(entryOf(out, cell.backend, emptyCounts), cell.counts);
  return out;
}

/** The value at `key`, set to `fresh()` first when there is none. */
function entryOf<K, V>(map: Map<K, V>, key: K, fresh: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = fresh()));
  return value;
}

/**
 * The share of requests served by new backends — any backend but the table's default (the
 * legacy app) — in [0, 1], or null without traffic.
 */
export function migratedShare(byBackend: ReadonlyMap<string, TrafficCounts>, legacy: string): number | null {
  let all = 0;
  let moved = 0;
  for (const [backend, counts] of byBackend) {
    if (backend === "(cutover)") continue;
    const count = served(counts);
    all += count;
    if (backend !== legacy) moved += count;
  }
  return all === 0 ? null : round(moved / all);
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** `30s`, `15m`, `2h`, `7d` → milliseconds; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)([smhd])$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as "s" | "m" | "h" | "d"];
}

/** The period string of a time at a resolution: a minute `2026-11-25T17:20`, an hour `2026-11-25T17`. */
export function periodOf(ms: number, resolution: "m" | "h"): string {
  return new Date(ms).toISOString().slice(0, resolution === "m" ? 16 : 13);
}
