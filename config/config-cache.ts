import type { Snapshot } from "./snapshot.ts";
import { toSnapshot } from "./snapshot.ts";
import type { RouteTableSource } from "./store.ts";

export interface ConfigHealth {
  readonly status: "ok" | "degraded" | "unavailable";
  readonly version: number | undefined;
  /** Milliseconds since the table in use was last confirmed by the store. */
  readonly ageMs: number | undefined;
  readonly lastError: string | undefined;
}

export interface ConfigCache {
  /**
   * The snapshot to serve with. A cold cache waits for one read; a stale one answers at once
   * and refreshes in the background (through `waitUntil`). Undefined only when no table was
   * ever loaded.
   */
  snapshot(waitUntil: (promise: Promise<unknown>) => void): Promise<Snapshot | undefined>;
  health(): ConfigHealth;
}

export interface ConfigCacheOptions {
  readonly source: RouteTableSource;
  /** Age after which the table is re-read (DESIGN: CUTOVER_CONFIG_TTL_MS, default 2000). */
  readonly ttlMs: number;
  readonly now: () => number;
  readonly onError?: (error: unknown) => void;
}

/** Per-isolate cache of the active table; the compiled form is reused while the version holds. */
export function createConfigCache(options: ConfigCacheOptions): ConfigCache {
  let current: Snapshot | undefined;
  let confirmedAt = 0;
  let lastError: unknown;
  let inflight: Promise<Snapshot | undefined> | undefined;

  const refresh = (): Promise<Snapshot | undefined> => {
    inflight ??= options.source
      .getActive()
      .then(
        (active) => {
          if (current === undefined || current.version !== active.version) current = toSnapshot(active);
          confirmedAt = options.now();
          lastError = undefined;
          return current;
        },
        (error: unknown) => {
          lastError = error;
          options.onError?.(error);
          return current;
        },
      )
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };

  return {
    snapshot(waitUntil) {
      if (current === undefined) return refresh();
      if (options.now() - confirmedAt >= options.ttlMs) waitUntil(refresh());
      return Promise.resolve(current);
    },
    health() {
      return {
        status: current === undefined ? "unavailable" : lastError === undefined ? "ok" : "degraded",
        version: current?.version,
        ageMs: current === undefined ? undefined : options.now() - confirmedAt,
        lastError: lastError === undefined ? undefined : String(lastError instanceof Error ? lastError.message : lastError),
      };
    },
  };
}
