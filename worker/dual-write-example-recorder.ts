import { createIntervalGate } from "../lib/interval-gate.ts";
import type { DualWriteExample, DualWriteExampleStore } from "../store/dual-write-example-store.ts";

/** At most one example per route this often in an isolate: the rest of a failing route's copies are only counted. */
export const EXAMPLE_INTERVAL_MS = 10_000;

/** The isolate's examples of dual-write copies that went wrong: one per route and interval, stored off the response path. */
export interface DualWriteExampleRecorder {
  /** Whether a copy of `route` that went wrong may be kept as an example now (true once per route per interval). */
  tryTake(route: string): boolean;
  /** Stores an example. Never throws: a store failure is reported to `onError`, and the example lost. */
  keep(example: DualWriteExample): Promise<void>;
}

export function createDualWriteExampleRecorder(options: { store: DualWriteExampleStore; intervalMs?: number; now: () => number; onError: (error: unknown) => void }): DualWriteExampleRecorder {
  const gate = createIntervalGate({ intervalMs: options.intervalMs ?? EXAMPLE_INTERVAL_MS });
  return {
    tryTake: (route) => gate.tryPass(route, options.now()),
    async keep(example) {
      try {
        await options.store.add(example);
      } catch (error) {
        options.onError(error);
      }
    },
  };
}

