import { sleep } from "../lib/timeout.ts";

/** What one flush of one key came to: counts DynamoDB refused (safe to send again), writes whose fate is unknown. */
export interface SendOutcome<T> {
  readonly retry: T | undefined;
  readonly lost: number;
}

export interface BatcherHealth {
  readonly pendingKeys: number;
  /** Records (requests, comparisons) waiting in those keys. */
  readonly pendingRecords: number;
  /** How long the oldest waiting key has waited, in ms (0 with none). */
  readonly oldestMs: number;
  readonly lostWrites: number;
  readonly droppedKeys: number;
}

export interface Batcher<T> {
  /** This isolate's unflushed batch for `key` (created empty), counting one record; undefined when the memory bound is reached. */
  get(key: string): T | undefined;
  /**
   * Sends the keys that are due (old or full enough), and makes sure a watcher will send the
   * rest in time even if no request follows (see createBatcher). Undefined when this caller
   * has nothing to wait for (most requests: no waitUntil then). Never rejects.
   * `budgetMs`: how long the caller's context may still run background work (default: a
   * whole watcher's life); a watcher it starts ends within it.
   */
  flushIfDue(budgetMs?: number): Promise<void> | undefined;
  /** Keys and records pending, writes lost (unknown outcome) and counts dropped at the memory bound, since the isolate started. */
  health(): BatcherHealth;
}

/**
 * The platform ends a request's waitUntil work 30 s after its response: a watcher never
 * waits longer than this, so that it does run to its end.
 */
export const MAX_WAIT_MS = 20_000;
/** A record finding the running watcher this close to its end starts the next one. */
const HANDOVER_MS = 10_000;

/**
 * Per-isolate counters flushed to the store in the background: the machinery shadow
 * statistics and traffic accounting share. Counts are coalesced per key (one write per key
 * and flush): a key is sent once its first record is `maxAgeMs` old or it holds
 * `maxRecords` records, so a busy isolate writes each key once per `maxAgeMs` whatever its
 * traffic.
 *
 * A request can hold background work only ~30 s, so a key's age alone cannot be trusted to
 * come due: a **watcher** (a request's waitUntil, at most MAX_WAIT_MS) sends keys as they come
 * due, and at its end sends everything still pending unless a later watcher runs on. A
 * record that finds the running watcher within HANDOVER_MS of its end starts the next one.
 * So while traffic continues a key waits up to `maxAgeMs` (which may exceed the 30 s), and
 * when it stops, what is pending reaches the store within MAX_WAIT_MS of the last record;
 * what the store refuses at a watcher's very end waits for the next request's watcher.
 *
 * A batch is taken out before it is sent, so concurrent flushes never send the same counts
 * twice; what the store refused is merged back to wait another `maxAgeMs`; what had an
 * unknown outcome is dropped and counted, never sent twice. At most `maxKeys` keys wait at
 * once (a store outage cannot grow memory without bound): past that, new keys are refused
 * and counted as dropped. `maxAgeMs: 0` sends every key at every call, with no watcher
 * (tests and benchmarks drive the clock).
 */
export function createBatcher<T>(options: {
  readonly empty: () => T;
  readonly merge: (into: T, from: T) => void;
  readonly send: ((key: string, batch: T) => Promise<SendOutcome<T>>) | undefined;
  readonly maxAgeMs: number;
  readonly maxRecords?: number;
  readonly maxKeys?: number;
  /** A watcher's life (default MAX_WAIT_MS) and when the next one starts (HANDOVER_MS before its end): for tests. */
  readonly watchMs?: number;
  readonly handoverMs?: number;
  readonly now: () => number;
  readonly onError: (error: unknown) => void;
}): Batcher<T> {
  /**
   * In creation order (a sent key is deleted, a new batch goes to the end): the first is the
   * oldest. `records` counts what the batch holds; `fresh`, what was recorded into it since it
   * was last sent (what `maxRecords` bounds: counts the store refused wait out their age).
   */
  const pending = new Map<string, { batch: T; since: number; records: number; fresh: number }>();
  /** Keys that reached `maxRecords`. */
  const full = new Set<string>();
  /** End times of the watchers running now. */
  const watchers = new Set<number>();
  let lostWrites = 0;
  let droppedKeys = 0;
  let records = 0;
  const maxKeys = options.maxKeys ?? Number.POSITIVE_INFINITY;
  const maxRecords = options.maxRecords ?? Number.POSITIVE_INFINITY;
  const maxAgeMs = options.maxAgeMs;
  const watchMs = options.watchMs ?? MAX_WAIT_MS;
  const handoverMs = options.handoverMs ?? HANDOVER_MS;

  const entryOf = (key: string) => {
    let found = pending.get(key);
    if (found === undefined) {
      if (pending.size >= maxKeys) {
        droppedKeys++;
        return undefined;
      }
      pending.set(key, (found = { batch: options.empty(), since: options.now(), records: 0, fresh: 0 }));
    }
    return found;
  };

  const get = (key: string): T | undefined => {
    const found = entryOf(key);
    if (found === undefined) return undefined;
    records++;
    found.records++;
    if (++found.fresh >= maxRecords) full.add(key);
    return found.batch;
  };

  /** Takes `keys` out of pending and sends them; refusals come back to wait another `maxAgeMs`. */
  const flush = async (keys: readonly string[]) => {
    const send = options.send;
    if (!send || keys.length === 0) return;
    const taken: [string, T, number][] = [];
    for (const key of keys) {
      const entry = pending.get(key);
      if (entry === undefined) continue;
      pending.delete(key);
      full.delete(key);
      records -= entry.records;
      taken.push([key, entry.batch, entry.records]);
    }
    await Promise.all(
      taken.map(async ([key, batch, held]) => {
        try {
          const outcome = await send(key, batch);
          if (outcome.retry !== undefined) {
            // Back with what it held, to wait out another age (not sent again at once).
            const into = entryOf(key);
            if (into !== undefined) {
              options.merge(into.batch, outcome.retry);
              into.records += held;
              records += held;
            }
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

  /** Keys due now: full ones, and the oldest ones past `maxAgeMs`. */
  const dueKeys = (now: number): string[] => {
    const due = [...full];
    for (const [key, entry] of pending) {
      if (now - entry.since < maxAgeMs) break;
      if (!full.has(key)) due.push(key);
    }
    return due;
  };

  /** Sends keys as they come due until `end`, then everything left unless a later watcher runs on. `end` is in `watchers`. */
  const watch = async (end: number) => {
    try {
      while (pending.size > 0) {
        const now = options.now();
        if (now >= end) {
          // Nobody after this watcher would send what is left: send it all now.
          if (Math.max(...watchers) <= end) await flush([...pending.keys()]);
          return;
        }
        const due = dueKeys(now);
        if (due.length > 0) {
          await flush(due);
          continue;
        }
        const oldest = pending.values().next().value?.since ?? now;
        await sleep(Math.max(1, Math.min(oldest + maxAgeMs, end) - now));
      }
    } finally {
      watchers.delete(end);
    }
  };

  return {
    get,
    flushIfDue(budgetMs = watchMs) {
      if (!options.send || pending.size === 0) return undefined;
      const now = options.now();
      if (maxAgeMs <= 0) return flush([...pending.keys()]);
      const due = dueKeys(now);
      // One watcher at a time, and the next one when the running one is about to end (or was
      // cut off by the platform: its end has long passed, and it is forgotten).
      for (const end of watchers) if (end < now - watchMs) watchers.delete(end);
      const covered = watchers.size > 0 && Math.max(...watchers) > now + handoverMs;
      if (due.length === 0 && covered) return undefined;
      const end = now + Math.max(0, Math.min(watchMs, budgetMs));
      if (!covered) watchers.add(end);
      return (async () => {
        if (due.length > 0) await flush(due);
        if (!covered) return watch(end);
        // Counts the store refused just now, with no watcher left to send them (the one that
        // covered this call has ended): this request watches them, within its own time.
        if (pending.size > 0 && watchers.size === 0) {
          watchers.add(end);
          await watch(end);
        }
      })();
    },
    health: () => {
      const oldest = pending.values().next().value?.since;
      return { pendingKeys: pending.size, pendingRecords: records, oldestMs: oldest === undefined ? 0 : options.now() - oldest, lostWrites, droppedKeys };
    },
  };
}

/** Hands a due flush (or a new watcher) to the request's waitUntil; most requests have none to hand over. */
export function flushLater(waitUntil: (promise: Promise<unknown>) => void, recorder: { flushIfDue(): Promise<void> | undefined }): void {
  const flush = recorder.flushIfDue();
  if (flush !== undefined) waitUntil(flush);
}
