import { emptyStats, mergeStats, type ShadowStats } from "../compare/shadow-stats.ts";
import type { ShadowStore } from "../store/shadow-store.ts";
import { createBatcher, type BatcherHealth } from "./batcher.ts";
import { createCopyBudget, type CopyLease } from "./copy-budget.ts";

export interface ShadowRecorder {
  /** This isolate's unflushed counters for a route's shadow epoch (`CompiledShadow.statsId`). */
  stats(statsId: string): ShadowStats;
  /**
   * Claims a slot for one shadow copy, or says no (and counts the copy as shed) when too many
   * copies or too many bytes are in flight: a slow candidate or large bodies must not pile up
   * work and memory in the isolate. Taken before anything is teed; release the lease on every exit.
   */
  tryStart(statsId: string): ShadowLease | undefined;
  /** Copies and body bytes in flight now. */
  inflight(): { readonly copies: number; readonly bytes: number };
  /** Sends the counters that are due to the store (see `Batcher`; `budgetMs`: the caller's time left). Never throws. */
  flushIfDue(budgetMs?: number): Promise<void> | undefined;
  /** What waits to be flushed, what was lost, what is in flight: for health. */
  health(): BatcherHealth & { readonly inflight: { copies: number; bytes: number } };
}

/** One shadow copy's claim on the isolate: a slot, and the body bytes it holds (of the shadow's own budget). */
export type ShadowLease = CopyLease;

/** Shadow bodies held in an isolate at once (of its 128 MB): the sum of every copy's bytes. */
export const DEFAULT_SHADOW_BUDGET_BYTES = 32 * 1024 * 1024;

/**
 * Aggregates shadow results in the isolate and flushes them in batches (worker/batcher.ts):
 * one write per route and flush when its comparisons matched (store/shadow-store.ts). Bounds
 * the copies and bytes in flight.
 */
export function createShadowRecorder(options: {
  store: ShadowStore | undefined;
  /** How long a route's counts are coalesced while the isolate keeps serving, and how many at most (see Batcher). */
  maxAgeMs: number;
  maxRecords?: number;
  /** Shadow copies allowed in flight at once in the isolate (default 32). */
  maxInflight?: number;
  /** Body bytes all shadow copies of the isolate may hold at once (default 32 MiB). */
  maxBytes?: number;
  now: () => number;
  onError: (error: unknown) => void;
}): ShadowRecorder {
  const batcher = createBatcher<ShadowStats>({
    empty: emptyStats,
    merge: mergeStats,
    send: options.store ? (route, stats) => (options.store as ShadowStore).flush(route, stats) : undefined,
    maxAgeMs: options.maxAgeMs,
    maxRecords: options.maxRecords,
    // Routes with a shadow: a few per table; a bound all the same.
    maxKeys: 1000,
    now: options.now,
    onError: options.onError,
  });
  /** A route's counters; past the memory bound, a scratch batch that is never sent. */
  const stats = (route: string) => batcher.get(route) ?? emptyStats();
  const budget = createCopyBudget({ maxInflight: options.maxInflight ?? 32, maxBytes: options.maxBytes ?? DEFAULT_SHADOW_BUDGET_BYTES });
  return {
    stats,
    tryStart(route) {
      const lease = budget.tryStart();
      if (lease === undefined) stats(route).shed++;
      return lease;
    },
    inflight: budget.inflight,
    flushIfDue: (budgetMs) => batcher.flushIfDue(budgetMs),
    health: () => ({ ...batcher.health(), inflight: budget.inflight() }),
  };
}
