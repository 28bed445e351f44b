import { emptyStats, mergeStats, type ShadowStats } from "../compare/shadow-stats.ts";
import { sleep } from "../lib/timeout.ts";
import type { ShadowStore } from "../store/shadow-store.ts";

export interface ShadowRecorder {
  /** This isolate's unflushed counters for a route. */
  stats(route: string): ShadowStats;
  /**
   * Claims a slot for one shadow copy, or says no when too many are in flight: a slow
   * candidate must not pile up work (and memory) in the isolate. Release with `finish`.
   */
  tryStart(route: string): boolean;
  finish(): void;
  /**
   * Sends the counters to the store once the flush interval has passed since the last flush;
   * before that, the first caller waits for it (one waiting flush per isolate) so that counts
   * reach the store within an interval even when traffic stops. Never throws.
   */
  flushIfDue(): Promise<void>;
}

/**
 * Aggregates shadow results in the isolate and flushes them in batches. A batch is taken out
 * before it is sent, so concurrent flushes never send the same counts twice; what the store
 * could not take is put back for the next flush.
 */
export function createShadowRecorder(options: {
  store: ShadowStore | undefined;
  flushMs: number;
  /** Shadow copies allowed in flight at once in the isolate (default 32). */
  maxInflight?: number;
  now: () => number;
  onError: (error: unknown) => void;
}): ShadowRecorder {
  let pending = new Map<string, ShadowStats>();
  let lastFlush = options.now();
  const stats = (route: string) => {
    let found = pending.get(route);
    if (!found) pending.set(route, (found = emptyStats()));
    return found;
  };
  let scheduled: { promise: Promise<void>; at: number } | undefined;
  let inflight = 0;
  const maxInflight = options.maxInflight ?? 32;
  const flush = async () => {
    const store = options.store;
    if (!store || pending.size === 0) return;
    lastFlush = options.now();
    const batch = pending;
    pending = new Map();
    await Promise.all(
      [...batch].map(async ([route, routeStats]) => {
        try {
          const outcome = await store.flush(route, routeStats);
          if (outcome.retry) {
            mergeStats(stats(route), outcome.retry);
            options.onError(new Error(`DynamoDB refused some shadow counters of route ${route}; retrying at the next flush`));
          }
          if (outcome.lost > 0) options.onError(new Error(`${outcome.lost} shadow counter writes of route ${route} had an unknown outcome and were dropped`));
        } catch (error) {
          options.onError(error);
        }
      }),
    );
  };
  return {
    stats,
    tryStart(route) {
      if (inflight >= maxInflight) {
        stats(route).shed++;
        return false;
      }
      inflight++;
      return true;
    },
    finish() {
      inflight--;
    },
    async flushIfDue() {
      if (!options.store || pending.size === 0) return;
      const now = options.now();
      const wait = lastFlush + options.flushMs - now;
      if (wait <= 0) return flush();
      // One waiting flush per isolate. If the request holding it was cut off (the platform
      // ends waitUntil work after 30 s), it never settles: start another.
      if (scheduled === undefined || now - scheduled.at > options.flushMs + 30_000) {
        const promise = sleep(wait)
          .then(flush)
          .finally(() => {
            if (scheduled?.promise === promise) scheduled = undefined;
          });
        scheduled = { promise, at: now };
        // Only the request that schedules the flush waits for it: every other request's
        // context (and its buffers) can end as soon as its own comparison is recorded.
        return promise;
      }
    },
  };
}
