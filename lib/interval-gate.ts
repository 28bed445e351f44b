/**
 * At most one pass per key per interval: what lets an isolate store an example of something
 * that may happen thousands of times a second (a dual-write copy failing) while only counting
 * the rest. Pure: the time is an argument.
 */
export interface IntervalGate {
  /** Whether `key` may pass at `now` (ms): true at most once per `intervalMs` for each key. */
  tryPass(key: string, now: number): boolean;
}

export function createIntervalGate(options: {
  readonly intervalMs: number;
  /** Keys remembered at once (routes: a few per table); past it the oldest is forgotten, so it passes again early. */
  readonly maxKeys?: number;
}): IntervalGate {
  const maxKeys = options.maxKeys ?? 1000;
  /** When each key last passed; a Map keeps insertion order, so the first entry is the oldest. */
  const passedAt = new Map<string, number>();
  return {
    tryPass(key, now) {
      const last = passedAt.get(key);
      // A clock that went backwards (another isolate's, a test's) must not close the gate for good.
      if (last !== undefined && now - last < options.intervalMs && now >= last) return false;
      passedAt.delete(key);
      passedAt.set(key, now);
      if (passedAt.size > maxKeys) passedAt.delete(passedAt.keys().next().value as string);
      return true;
    },
  };
}
