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
 * The one timeout race of the code base: upstream heads, body reads and store reads use it.
 */
export async function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  if (!Number.isFinite(ms)) return promise;
  if (ms <= 0) return TIMED_OUT;
  return Promise.race([promise, sleep(ms).then((): typeof TIMED_OUT => TIMED_OUT)]);
}
