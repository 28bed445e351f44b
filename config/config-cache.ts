import { raceTimeout, TIMED_OUT } from "../lib/timeout.ts";
import { compileTable, type CompiledTable } from "../routes/compile.ts";
import { DynamoRequestError } from "../store/dynamo-request-error.ts";
import type { ActiveTable, RouteTableSource } from "../store/route-store.ts";

export interface ConfigHealth {
  /** ok: serving the store's active table; degraded: serving the last known good one; unavailable: no table. */
  readonly status: "ok" | "degraded" | "unavailable";
  readonly version: number | undefined;
  /** Milliseconds since the store last confirmed the table in use. */
  readonly ageMs: number | undefined;
  readonly lastError: string | undefined;
}

export interface ConfigCache {
  /**
   * The compiled table to serve with. A cold cache waits for one (bounded) read; a stale one
   * answers at once and refreshes in the background through `waitUntil`. Undefined only
   * while no table was ever loaded.
   */
  snapshot(waitUntil: (promise: Promise<unknown>) => void): Promise<CompiledTable | undefined>;
  /** The same without a promise when a table is loaded (the hot path); undefined when cold. */
  current(waitUntil: (promise: Promise<unknown>) => void): CompiledTable | undefined;
  /** Serve `active` now: a write made through this isolate need not wait for the next read. */
  accept(active: ActiveTable): void;
  health(): ConfigHealth;
}

export interface ConfigCacheOptions {
  readonly source: RouteTableSource;
  /** Age after which the table is re-read (DESIGN: CUTOVER_CONFIG_TTL_MS, default 2000). */
  readonly ttlMs: number;
  /** A read slower than this counts as a failure: a slow store must not hold requests up. */
  readonly readTimeoutMs: number;
  readonly now: () => number;
  readonly onError?: (error: unknown) => void;
}

/**
 * Per-isolate cache of the active route table. The compiled form is reused for as long as
 * the version holds; a failing, slow or invalid store keeps the last known good table
 * serving, and `health()` says so.
 */
export function createConfigCache(options: ConfigCacheOptions): ConfigCache {
  let current: CompiledTable | undefined;
  let confirmedAt = 0;
  let attemptedAt = Number.NEGATIVE_INFINITY;
  let lastError: unknown;
  let inflight: Promise<CompiledTable | undefined> | undefined;

  const accept = (active: ActiveTable) => {
    // Versions only grow (a rollback is a new version too): a read that started before a
    // write this isolate already accepted must not bring the older table back.
    if (current !== undefined && active.version < current.version) return;
    if (current === undefined || current.version !== active.version) current = compileTable(active.table, active.version);
    confirmedAt = options.now();
    lastError = undefined;
  };

  const refresh = (): Promise<CompiledTable | undefined> => {
    attemptedAt = options.now();
    inflight ??= withTimeout(options.source.getActive(), options.readTimeoutMs)
      .then(
        (active) => {
          accept(active);
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

  const currentTable = (waitUntil: (promise: Promise<unknown>) => void): CompiledTable | undefined => {
    if (current === undefined) return undefined;
    const now = options.now();
    if (now - confirmedAt >= options.ttlMs && now - attemptedAt >= Math.min(options.ttlMs, 1000) && !inflight) {
      waitUntil(refresh());
    }
    return current;
  };

  return {
    current: currentTable,
    snapshot(waitUntil) {
      if (current !== undefined) return Promise.resolve(currentTable(waitUntil));
      // Cold, or never loaded: wait for a read, but after a failure do not make every
      // request wait for the store again — retry at most once per TTL meanwhile.
      if (inflight) return inflight;
      if (options.now() - attemptedAt < options.ttlMs) return Promise.resolve(undefined);
      return refresh();
    },
    accept,
    health() {
      return {
        status: current === undefined ? "unavailable" : lastError === undefined ? "ok" : "degraded",
        version: current?.version,
        ageMs: current === undefined ? undefined : options.now() - confirmedAt,
        lastError: lastError === undefined ? undefined : publicError(lastError),
      };
    },
  };
}

/**
 * What /_cutover/health (no token needed) may say about a store error: DynamoDB's message
 * can name the IAM user and account, so only its error code goes out. The full error is in
 * the `config_load_failed` log line.
 */
function publicError(error: unknown): string {
  if (error instanceof DynamoRequestError) return `DynamoDB ${error.code}`;
  return error instanceof Error ? error.message : String(error);
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  const result = await raceTimeout(promise, ms);
  if (result === TIMED_OUT) throw new Error(`route table store did not answer within ${ms} ms`);
  return result;
}
