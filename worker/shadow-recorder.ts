import { emptyStats, mergeStats, type ShadowStats } from "../compare/shadow-stats.ts";
import { sleep } from "../lib/timeout.ts";
import type { ShadowStore } from "../store/shadow-store.ts";

export interface ShadowRecorder {
  /** This isolate's unflushed counters for a route. */
  stats(route: string): ShadowStats;
  /**
   * Claims a slot for one shadow copy, or says no (and counts the copy as shed) when too many
   * copies or too many bytes are in flight: a slow candidate or large bodies must not pile up
   * work and memory in the isolate. Taken before anything is teed; release the lease on every exit.
   */
  tryStart(route: string): ShadowLease | undefined;
  /** Copies and body bytes in flight now. */
  inflight(): { readonly copies: number; readonly bytes: number };
  /**
   * Sends the counters to the store once the flush interval has passed since the last flush;
   * before that, the first caller waits for it (one waiting flush per isolate) so that counts
   * reach the store within an interval even when traffic stops. Never throws.
   */
  flushIfDue(): Promise<void>;
}

/** One shadow copy's claim on the isolate: a slot, and the body bytes it holds. */
export interface ShadowLease {
  /** Takes `bytes` more from the isolate's shadow byte budget; false (and nothing taken) when it is spent. */
  take(bytes: number): boolean;
  /** Frees the slot and every byte taken. Safe to call more than once. */
  release(): void;
}

/** Shadow bodies held in an isolate at once (of its 128 MB): the sum of every copy's bytes. */
export const DEFAULT_SHADOW_BUDGET_BYTES = 32 * 1024 * 1024;

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
  /** Body bytes all shadow copies of the isolate may hold at once (default 32 MiB). */
  maxBytes?: number;
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
  let bytes = 0;
  const maxInflight = options.maxInflight ?? 32;
  const maxBytes = options.maxBytes ?? DEFAULT_SHADOW_BUDGET_BYTES;
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
      if (inflight >= maxInflight || bytes >= maxBytes) {
        stats(route).shed++;
        return undefined;
      }
      inflight++;
      let held = 0;
      let released = false;
      return {
        take(more) {
          if (released || bytes + more > maxBytes) return false;
          bytes += more;
          held += more;
          return true;
        },
        release() {
          if (released) return;
          released = true;
          inflight--;
          bytes -= held;
        },
      };
    },
    inflight: () => ({ copies: inflight, bytes }),
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
