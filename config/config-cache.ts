import { raceTimeout, sleep, TIMED_OUT } from "../lib/timeout.ts";
import { compileTable, type CompiledTable } from "../routes/compile.ts";
import type { RouteTable } from "../routes/schema.ts";
import { DynamoRequestError } from "../store/dynamo-request-error.ts";
import { NoRouteTableError } from "../store/no-route-table-error.ts";
import { MAX_CHAIN_VERSIONS, type ActiveTable, type RouteTableSource } from "../store/route-store.ts";

export interface ConfigHealth {
  /**
   * ok: serving the store's active table; degraded: serving the last known good one (the
   * store fails, or it was last confirmed longer ago than the propagation bound); starting:
   * the store holds no table yet; unavailable: no table at all.
   */
  readonly status: "ok" | "degraded" | "starting" | "unavailable";
  /** The version serving now. */
  readonly version: number | undefined;
  /**
   * The newest version read and waiting for its `effectiveAt`, if any, and how many versions
   * wait (this one included): each takes effect at its own moment.
   */
  readonly pending?: { readonly version: number; readonly effectiveAt: string; readonly waiting: number };
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
  /**
   * Serve `active` (from its `effectiveAt`, after the versions still waiting before it): a write
   * made through this isolate need not wait for the next read.
   */
  accept(active: ActiveTable): void;
  /**
   * Reads the store now when the table was last confirmed longer ago than the propagation
   * bound, or none is loaded (bounded by the read timeout): what health reports then is the
   * store's state, not how long the isolate was idle (an idle isolate does not refresh).
   */
  confirm(): Promise<void>;
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

/** A version read and not served yet: compiled when it becomes the one to serve, not before. */
interface Waiting {
  readonly version: number;
  readonly table: RouteTable;
  /** Its `effectiveAt` (epoch ms); -Infinity: at once (a rollback, the first table). */
  readonly at: number;
}

const momentOf = (effectiveAt: string | undefined) => (effectiveAt === undefined ? Number.NEGATIVE_INFINITY : Date.parse(effectiveAt));

/**
 * Per-isolate cache of the active route table. The compiled form is reused for as long as
 * the version holds; a failing, slow or invalid store keeps the last known good table
 * serving, and `health()` says so.
 *
 * Whatever the rate of changes, the isolate serves the newest version whose `effectiveAt` has
 * passed: a read brings the active version and the chain of versions before it still inside
 * the propagation bound (`ActiveTable.ancestors`), and the cache switches to each as its
 * moment passes, so that every isolate switches at the same moments (a cold isolate too). A
 * newer read or a write through this isolate (`accept`) joins the chain; it never replaces the
 * versions waiting before it. A version in effect at once (a rollback) ends the chain: the
 * versions before it never serve. Versions only grow; one that goes backwards (the store was
 * restored from a backup) is followed after a second read confirms it.
 */
export function createConfigCache(options: ConfigCacheOptions): ConfigCache {
  let current: CompiledTable | undefined;
  /** Versions newer than `current`, oldest first, each waiting for its moment (at most MAX_CHAIN_VERSIONS). */
  let waiting: readonly Waiting[] = [];
  /** The earliest moment in `waiting`: until then the hot path compares one number. */
  let nextAt = Number.POSITIVE_INFINITY;
  let confirmedAt = 0;
  let attemptedAt = Number.NEGATIVE_INFINITY;
  let lastError: unknown;
  let empty = false;
  let inflight: Promise<CompiledTable | undefined> | undefined;
  let revoked: ReadonlySet<string> = new Set();
  // Older than this since the store last confirmed it, the table is reported degraded.
  const bound = propagationBound(options.ttlMs, options.readTimeoutMs);

  const newest = () => waiting.at(-1)?.version ?? current?.version;

  /** Serves the newest waiting version whose moment has passed, and forgets the ones before it. */
  const advance = (now: number) => {
    if (now < nextAt) return;
    let due = waiting.length - 1;
    while (due >= 0 && (waiting[due] as Waiting).at > now) due--;
    const chosen = waiting[due];
    if (chosen !== undefined && current?.version !== chosen.version) current = compileTable(chosen.table, chosen.version);
    waiting = waiting.slice(due + 1);
    nextAt = Math.min(...waiting.map((version) => version.at));
  };

  /**
   * Adds versions to the chain (those newer than the one serving), then serves the one due.
   * `read`: they come from the store (a chain that reaches the version in effect, unless cut short).
   */
  const join = (versions: readonly Waiting[], read: boolean) => {
    const serving = current?.version ?? 0;
    const chain = new Map(waiting.map((version) => [version.version, version]));
    for (const version of versions) if (version.version > serving) chain.set(version.version, version);
    // Beyond the cap (changes far faster than the bound allows) the oldest are dropped: this
    // isolate keeps its table until the oldest one kept takes effect.
    waiting = [...chain.values()].sort((a, b) => a.version - b.version).slice(-MAX_CHAIN_VERSIONS);
    nextAt = Math.min(...waiting.map((version) => version.at));
    advance(options.now());
    // A cold isolate whose chain read reaches no version in effect (it was cut short) serves
    // the oldest it read. One that only wrote a change (accept) serves nothing early: its next
    // request reads the store, chain and all.
    const oldest = waiting[0];
    if (read && current === undefined && oldest !== undefined) {
      current = compileTable(oldest.table, oldest.version);
      waiting = waiting.slice(1);
      nextAt = Math.min(...waiting.map((version) => version.at));
    }
  };

  const install = (active: ActiveTable, read: boolean) =>
    join(
      [
        { version: active.version, table: active.table, at: momentOf(active.info?.effectiveAt) },
        ...(active.ancestors ?? []).map((ancestor) => ({ version: ancestor.version, table: ancestor.table, at: momentOf(ancestor.effectiveAt) })),
      ],
      read,
    );

  /** A read of the store (`read`), or a write made through this isolate. */
  const take = (active: ActiveTable, read: boolean) => {
    // Versions only grow (a rollback is a new version too): a read that started before a
    // write this isolate already accepted must not bring the older table back.
    const known = newest();
    if (known !== undefined && active.version < known) return;
    install(active, read);
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
    if (known === undefined || again.version >= known) return take(again, true);
    options.onRestore?.(known, again.version);
    current = undefined;
    waiting = [];
    nextAt = Number.POSITIVE_INFINITY;
    install(again, true);
    revoked = new Set(again.revokedOverrides);
    confirmedAt = options.now();
    lastError = undefined;
  };

  const refresh = (): Promise<CompiledTable | undefined> => {
    attemptedAt = options.now();
    inflight ??= withTimeout(options.source.getActive(), options.readTimeoutMs)
      .then(async (active) => {
        // A newer version was just decoded on this thread; its compilation (when it is due)
        // waits for the next turn, so that requests in between are served rather than held for both.
        const before = newest();
        if (before !== undefined && active.version > before) await sleep(0);
        const known = newest();
        if (known !== undefined && active.version < known) await confirmBackwards();
        else take(active, true);
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
    advance(now);
    if (current === undefined) return undefined;
    if (now - confirmedAt >= options.ttlMs && now - attemptedAt >= Math.min(options.ttlMs, 1000) && !inflight) {
      waitUntil(refresh());
    }
    return current;
  };

  const snapshot = (waitUntil: (promise: Promise<unknown>) => void): Promise<CompiledTable | undefined> => {
    if (current !== undefined) return Promise.resolve(currentTable(waitUntil));
    // Cold, or never loaded: wait for a read, but after a failure do not make every
    // request wait for the store again — retry at most once per TTL meanwhile.
    if (inflight) return inflight;
    if (options.now() - attemptedAt < options.ttlMs) return Promise.resolve(undefined);
    return refresh();
  };

  return {
    current: currentTable,
    snapshot,
    accept: (active) => take(active, false),
    async confirm() {
      if (current === undefined) {
        await snapshot(() => {});
        return;
      }
      const now = options.now();
      if (now - confirmedAt <= bound) return;
      // At most one read at a time, and after a failure at most one a second: health is public.
      if (inflight) await inflight;
      else if (now - attemptedAt >= Math.min(options.ttlMs, 1000)) await refresh();
    },
    revokedOverrides: () => revoked,
    health() {
      const now = options.now();
      advance(now);
      const ageMs = current === undefined ? undefined : now - confirmedAt;
      const status = current === undefined ? (empty ? "starting" : "unavailable") : lastError !== undefined || (ageMs ?? 0) > bound ? "degraded" : "ok";
      const last = waiting.at(-1);
      return {
        status,
        version: current?.version,
        ...(last ? { pending: { version: last.version, effectiveAt: new Date(last.at).toISOString(), waiting: waiting.length } } : {}),
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
