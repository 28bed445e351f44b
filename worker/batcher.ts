import { sleep } from "../lib/timeout.ts";

/** What one flush of one key came to: counts DynamoDB refused (safe to send again), writes whose fate is unknown. */
export interface SendOutcome<T> {
  readonly retry: T | undefined;
  readonly lost: number;
}

export interface BatcherHealth {
  readonly pendingKeys: number;
  readonly lostWrites: number;
  readonly droppedKeys: number;
}

export interface Batcher<T> {
  /** This isolate's unflushed batch for `key` (created empty); undefined when the memory bound is reached. */
  get(key: string): T | undefined;
  /**
   * Sends the batches once the flush interval has passed since the last flush; before that,
   * the first caller waits for it (one waiting flush per isolate) so that counts reach the
   * store within an interval even when traffic stops. Undefined when this caller has
   * nothing to wait for (most requests: no waitUntil then). Never rejects.
   */
  flushIfDue(): Promise<void> | undefined;
  /** Keys pending, writes lost (unknown outcome) and counts dropped at the memory bound, since the isolate started. */
  health(): BatcherHealth;
}

/**
 * The platform ends a request's waitUntil work 30 s after its response: a waiting flush
 * never waits longer than this, so it does run (a longer interval is cut to it).
 */
export const MAX_WAIT_MS = 20_000;

/**
 * Per-isolate counters flushed to the store in the background: the machinery shadow
 * statistics and traffic accounting share. A batch is taken out before it is sent, so
 * concurrent flushes never send the same counts twice; what the store refused is merged
 * back for the next flush; what had an unknown outcome is dropped and counted, never sent
 * twice. At most `maxKeys` keys wait at once (a store outage cannot grow memory without bound):
 * past that, new keys are refused and counted as dropped.
 */
export function createBatcher<T>(options: {
  readonly empty: () => T;
  readonly merge: (into: T, from: T) => void;
  readonly send: ((key: string, batch: T) => Promise<SendOutcome<T>>) | undefined;
  readonly flushMs: number;
  readonly maxKeys?: number;
  readonly now: () => number;
  readonly onError: (error: unknown) => void;
}): Batcher<T> {
  let pending = new Map<string, T>();
  let lastFlush = options.now();
  let scheduled: { promise: Promise<void>; at: number } | undefined;
  let lostWrites = 0;
  let droppedKeys = 0;
  const maxKeys = options.maxKeys ?? Number.POSITIVE_INFINITY;

  const get = (key: string): T | undefined => {
    let found = pending.get(key);
    if (found === undefined) {
      if (pending.size >= maxKeys) {
        droppedKeys++;
        return undefined;
      }
      pending.set(key, (found = options.empty()));
    }
    return found;
  };

  const flush = async () => {
    const send = options.send;
    if (!send || pending.size === 0) return;
    lastFlush = options.now();
    const batch = pending;
    pending = new Map();
    await Promise.all(
      [...batch].map(async ([key, counts]) => {
        try {
          const outcome = await send(key, counts);
          if (outcome.retry !== undefined) {
            const into = get(key);
            if (into !== undefined) options.merge(into, outcome.retry);
            options.onError(new Error(`DynamoDB refused some counters of ${key}; retrying at the next flush`));
          }
          if (outcome.lost > 0) {
            lostWrites += outcome.lost;
            options.onError(new Error(`${outcome.lost} counter writes of ${key} had an unknown outcome and were dropped`));
          }
        } catch (error) {
          options.onError(error);
        }
      }),
    );
  };

  return {
    get,
    flushIfDue() {
      if (!options.send || pending.size === 0) return undefined;
      const now = options.now();
      const wait = Math.min(lastFlush + options.flushMs - now, MAX_WAIT_MS);
      if (wait <= 0) return flush();
      // One waiting flush per isolate. If the request holding it was cut off (the platform
      // ends waitUntil work after 30 s), it never settles: start another.
      if (scheduled === undefined || now - scheduled.at > options.flushMs + 30_000) {
        // The slot frees as the wait ends, not when the send does: counts recorded while
        // that send is in flight schedule the next flush.
        const promise: Promise<void> = sleep(wait).then(() => {
          if (scheduled?.promise === promise) scheduled = undefined;
          return flush();
        });
        scheduled = { promise, at: now };
        // Only the request that schedules the flush waits for it: every other request's
        // context can end as soon as its own counts are recorded.
        return promise;
      }
      return undefined;
    },
    health: () => ({ pendingKeys: pending.size, lostWrites, droppedKeys }),
  };
}

/** Hands a due (or waiting) flush to the request's waitUntil; most requests have none to hand over. */
export function flushLater(waitUntil: (promise: Promise<unknown>) => void, recorder: { flushIfDue(): Promise<void> | undefined }): void {
  const flush = recorder.flushIfDue();
  if (flush !== undefined) waitUntil(flush);
}
