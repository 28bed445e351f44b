const MAX_TIMER_MS = 2 ** 31 - 1;

/** What `raceTimeout` resolves to when the time ran out first. */
export const TIMED_OUT: unique symbol = Symbol("timed out");

/** Waits `ms` milliseconds: workerd's `scheduler.wait` where there is one (cheaper), else a timer. */
export function sleep(ms: number): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { wait(ms: number): Promise<void> } }).scheduler;
  if (scheduler) return scheduler.wait(ms);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * `promise`'s value, or TIMED_OUT when it has not settled within `ms`. The promise is not
 * cancelled: the caller decides what to do with a late result (cancel a body, abort a fetch).
 * The one timeout race of the code base: idle bodies, store reads and admin calls use it (a
 * shadow copy's body reads end through its deadline's signal instead). The timer is cleared
 * as soon as the race is decided: a sleep left running would keep the race, and the value it
 * settled with, alive for the whole timeout — for the shadow's body reads, which raced a 25 s
 * sleep, tens of megabytes for the garbage collector to walk (`bench/shadow-tails.ts`).
 */
export async function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  // Past 2^31 - 1 ms (24.8 days) timers fire at once: that long is no limit.
  if (!Number.isFinite(ms) || ms > MAX_TIMER_MS) return promise;
  if (ms <= 0) return TIMED_OUT;
  const timer: { id?: ReturnType<typeof setTimeout> } = {};
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer.id = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer.id as ReturnType<typeof setTimeout>);
  }
}
