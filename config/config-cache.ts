import { raceTimeout, sleep, TIMED_OUT } from "../lib/timeout.ts";
import { compileTable, type CompiledTable } from "../routes/compile.ts";
import { DynamoRequestError } from "../store/dynamo-request-error.ts";
import { NoRouteTableError } from "../store/no-route-table-error.ts";
import type { ActiveTable, RouteTableSource } from "../store/route-store.ts";

export interface ConfigHealth {
  /**
   * ok: serving the store's active table; degraded: serving the last known good one (the
   * store fails, or it was last confirmed longer ago than the propagation bound); starting:
   * the store holds no table yet; unavailable: no table at all.
   */
  readonly status: "ok" | "degraded" | "starting" | "unavailable";
  /** The version serving now. */
  readonly version: number | undefined;
  /** A version read and waiting for its `effectiveAt`, if any. */
  readonly pending?: { readonly version: number; readonly effectiveAt: string };
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
  /** Serve `active` (from its `effectiveAt`): a write made through this isolate need not wait for the next read. */
  accept(active: ActiveTable): void;
  /** Ids of revoked tester overrides, as of the last read of the active pointer (they take effect at once). */
  revokedOverrides(): ReadonlySet<string>;
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
  /** Says what happened when the store's active version went backwards (a restore). */
  readonly onRestore?: (from: number, to: number) => void;
}

/** ttl + read timeout + 1 s of clock skew: by then every live isolate has read a change. */
export function propagationBound(ttlMs: number, readTimeoutMs: number): number {
  return ttlMs + readTimeoutMs + 1000;
}

/**
 * Per-isolate cache of the active route table. The compiled form is reused for as long as
 * the version holds; a failing, slow or invalid store keeps the last known good table
 * serving, and `health()` says so.
 *
 * A version with an `effectiveAt` still to come is held back: until then the isolate serves
 * the version it replaces (a cold isolate too, from `ActiveTable.previous`), so that every
 * isolate switches at the same moment. Versions only grow; one that goes backwards (the store
 * was restored from a backup) is followed after a second read confirms it.
 */
export function createConfigCache(options: ConfigCacheOptions): ConfigCache {
  let current: CompiledTable | undefined;
  let pending: { table: CompiledTable; at: number } | undefined;
  let confirmedAt = 0;
  let attemptedAt = Number.NEGATIVE_INFINITY;
  let lastError: unknown;
  let empty = false;
  let inflight: Promise<CompiledTable | undefined> | undefined;
  let revoked: ReadonlySet<string> = new Set();
  // Older than this since the store last confirmed it, the table is reported degraded.
  const bound = propagationBound(options.ttlMs, options.readTimeoutMs);

  const newest = () => pending?.table.version ?? current?.version;

  const install = (active: ActiveTable) => {
    const effectiveAt = active.info?.effectiveAt === undefined ? Number.NEGATIVE_INFINITY : Date.parse(active.info.effectiveAt);
    if (options.now() >= effectiveAt) {
      if (current?.version !== active.version) current = compileTable(active.table, active.version);
      pending = undefined;
      return;
    }
    if (pending?.table.version !== active.version) pending = { table: compileTable(active.table, active.version), at: effectiveAt };
    // Until then, the version it replaces; a cold isolate compiles it from the store's copy.
    if (current === undefined && active.previous) current = compileTable(active.previous.table, active.previous.version);
    if (current === undefined) {
      current = pending.table;
      pending = undefined;
    }
  };

  const accept = (active: ActiveTable) => {
    // Versions only grow (a rollback is a new version too): a read that started before a
    // write this isolate already accepted must not bring the older table back.
    const known = newest();
    if (known !== undefined && active.version < known) return;
    install(active);
    revoked = new Set(active.revokedOverrides);
    confirmedAt = options.now();
    lastError = undefined;
    empty = false;
  };

  /** A read that went backwards: a slow read that lost to a newer write, or a restored store. Read once more. */
  const confirmBackwards = async () => {
    // Past any cache in front of the store: a stale cached pointer must not confirm itself.
    const again = await withTimeout(options.source.getActive({ fresh: true }), options.readTimeoutMs);
    const known = newest();
    if (known === undefined || again.version >= known) return accept(again);
    options.onRestore?.(known, again.version);
    current = undefined;
    pending = undefined;
    install(again);
    revoked = new Set(again.revokedOverrides);
    confirmedAt = options.now();
    lastError = undefined;
  };

  const refresh = (): Promise<CompiledTable | undefined> => {
    attemptedAt = options.now();
    inflight ??= withTimeout(options.source.getActive(), options.readTimeoutMs)
      .then(async (active) => {
        // A newer version was just decoded on this thread; its compilation waits for the next
        // turn, so that requests in between are served rather than held for both.
        const before = newest();
        if (before !== undefined && active.version > before) await sleep(0);
        const known = newest();
        if (known !== undefined && active.version < known) await confirmBackwards();
        else accept(active);
        return current;
      })
      .catch((error: unknown) => {
        lastError = error;
        empty = error instanceof NoRouteTableError;
        options.onError?.(error);
        return current;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };

  const currentTable = (waitUntil: (promise: Promise<unknown>) => void): CompiledTable | undefined => {
    const now = options.now();
    if (pending !== undefined && now >= pending.at) {
      current = pending.table;
      pending = undefined;
    }
    if (current === undefined) return undefined;
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
    revokedOverrides: () => revoked,
    health() {
      const ageMs = current === undefined ? undefined : options.now() - confirmedAt;
      const status = current === undefined ? (empty ? "starting" : "unavailable") : lastError !== undefined || (ageMs ?? 0) > bound ? "degraded" : "ok";
      return {
        status,
        version: current?.version,
        ...(pending ? { pending: { version: pending.table.version, effectiveAt: new Date(pending.at).toISOString() } } : {}),
        ageMs,
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
