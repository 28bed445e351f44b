import { emptyDualWriteCounts, mergeDualWriteCounts, type DualWriteCounts } from "./dual-write-counts.ts";
import { latencyBucket } from "./latency-buckets.ts";

/** How one attempt at a backend ended, as accounting sees it. */
export type AttemptResult =
  /** The backend answered: its status, as the origin sent it. */
  | { readonly kind: "response"; readonly status: number }
  /** cutover answered instead (502 unreachable or bad status, 504 timeout, 413, 405, 400): its status. */
  | { readonly kind: "proxy"; readonly status: number }
  /**
   * The client stopped sending its request body (it broke off, or stalled until the backend's
   * timeout): nobody's failure, counted as 499 (nginx's "client closed request").
   */
  | { readonly kind: "client"; readonly status: 499 };

/** The status a client abort is counted as. */
export const CLIENT_ABORT_STATUS = 499;

/** Which arm served: the default backend, a single-backend route, a split's choice, an override, a fallback. */
export type ArmName = "default" | "single" | "split" | "override" | "fallback";

/**
 * What one isolate counted for one route, backend and minute (or hour): counters that add up
 * across isolates (each flushed with an atomic ADD).
 */
export interface TrafficCounts {
  /** Attempts at this backend. */
  requests: number;
  /** Attempts that then went to the fallback backend (their client was served elsewhere). */
  fellBack: number;
  /** Origin statuses by class: 2xx, 3xx, 4xx, 5xx. */
  readonly status: [number, number, number, number];
  /** Answers cutover made itself, by status; and client aborts, as 499. */
  readonly proxy: Map<number, number>;
  /** Fallbacks taken away from this backend, by trigger (error, timeout, 5xx status, 404). */
  readonly fallbacks: Map<string, number>;
  /** Served requests by arm. */
  readonly arms: Map<ArmName, number>;
  /** Latency to the response head: log-scale bucket → count. */
  readonly latency: Map<number, number>;
  /**
   * Copies of writes this backend got as a route's `dualWrite.to` (never client traffic: not
   * in `requests`), and the writes not copied to it.
   */
  readonly dualWrite: DualWriteCounts;
}

export function emptyCounts(): TrafficCounts {
  return { requests: 0, fellBack: 0, status: [0, 0, 0, 0], proxy: new Map(), fallbacks: new Map(), arms: new Map(), latency: new Map(), dualWrite: emptyDualWriteCounts() };
}

/**
 * Counts one attempt. `fallbackTrigger` is set when this attempt failed over to another
 * backend. `bucket` is `latencyBucket(ms)`, for a caller counting one attempt in several cells.
 */
export function countAttempt(counts: TrafficCounts, result: AttemptResult, ms: number, arm: ArmName, fallbackTrigger: string | undefined, bucket = latencyBucket(ms)): void {
  counts.requests++;
  if (result.kind === "response") {
    const index = Math.floor(result.status / 100) - 2;
    if (index >= 0 && index <= 3) (counts.status[index] as number)++;
  } else {
    add(counts.proxy, result.status, 1);
  }
  if (fallbackTrigger !== undefined) {
    counts.fellBack++;
    add(counts.fallbacks, fallbackTrigger, 1);
  } else {
    add(counts.arms, arm, 1);
  }
  add(counts.latency, bucket, 1);
}

export function mergeCounts(into: TrafficCounts, from: TrafficCounts): void {
  into.requests += from.requests;
  into.fellBack += from.fellBack;
  for (let i = 0; i < 4; i++) (into.status[i] as number) += from.status[i] as number;
  for (const [status, count] of from.proxy) add(into.proxy, status, count);
  for (const [trigger, count] of from.fallbacks) add(into.fallbacks, trigger, count);
  for (const [arm, count] of from.arms) add(into.arms, arm, count);
  for (const [bucket, count] of from.latency) add(into.latency, bucket, count);
  mergeDualWriteCounts(into.dualWrite, from.dualWrite);
}

/** Served requests: attempts that gave the client its answer. */
export function served(counts: TrafficCounts): number {
  return counts.requests - counts.fellBack;
}

/** Failed attempts, as the metrics' error rate counts them: the origin's 5xx and cutover's own 502/504 (never a client abort). */
export function failures(counts: TrafficCounts): number {
  return counts.status[3] + (counts.proxy.get(502) ?? 0) + (counts.proxy.get(504) ?? 0);
}

function add<K>(map: Map<K, number>, key: K, count: number): void {
  map.set(key, (map.get(key) ?? 0) + count);
}
