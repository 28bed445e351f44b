import { HeavyHitters } from "../accounting/heavy-hitters.ts";
import { latencyBucket } from "../accounting/latency-buckets.ts";
import { pathTemplate } from "../accounting/path-template.ts";
import { countAttempt, emptyCounts, mergeCounts, type ArmName, type AttemptResult, type TrafficCounts } from "../accounting/traffic-counts.ts";
import type { CellKey, InventoryCounts, MetricsStore } from "../store/metrics-store.ts";
import { createBatcher, type BatcherHealth } from "./batcher.ts";

/** One attempt of a client request at one backend. */
export interface AttemptRecord {
  readonly backend: string;
  readonly result: AttemptResult;
  /** To the response head (0 when cutover answered without sending). */
  readonly ms: number;
  /** Set when this attempt failed over to the fallback backend. */
  readonly fallbackTrigger?: string;
}

export interface RequestRecord {
  readonly route: string;
  /** How the backend that served was chosen. */
  readonly arm: ArmName;
  readonly attempts: readonly AttemptRecord[];
  /** For a request no route matched: its path and method, for the migration map. */
  readonly unrouted?: { readonly path: string; readonly method: string };
}

export interface TrafficRecorder {
  /** Counts one client request (never a shadow copy): cheap, in memory, on the request path. */
  record(request: RequestRecord): void;
  /** Flushes when due (see Batcher); undefined when the caller has nothing to wait for. Never rejects. */
  flushIfDue(): Promise<void> | undefined;
  /** What waits, was lost or dropped per batcher; templates turned away while the stored ones are at their bound. */
  health(): { readonly minutes: BatcherHealth; readonly hours: BatcherHealth; readonly inventory: BatcherHealth & { readonly unadmittedTemplates: number } };
}

type Inventory = HeavyHitters<Omit<InventoryCounts, "count">>;
const freshDetail = (): Omit<InventoryCounts, "count"> => ({ methods: new Set<string>(), status: [0, 0, 0, 0], firstSeen: "", lastSeen: "" });
const emptyInventory = (): Inventory => new HeavyHitters(INVENTORY_CAPACITY, freshDetail);

/** Adds `count` sightings of `template` with their details to a sketch. */
function addSightings(sketch: Inventory, template: string, counts: InventoryCounts): void {
  const target = sketch.add(template, counts.count).detail;
  for (const method of counts.methods) target.methods.add(method);
  counts.status.forEach((count, i) => ((target.status[i] as number) += count));
  if (!target.firstSeen || (counts.firstSeen && counts.firstSeen < target.firstSeen)) target.firstSeen = counts.firstSeen;
  if (counts.lastSeen > target.lastSeen) target.lastSeen = counts.lastSeen;
}

/** Templates watched per isolate between flushes (Space-Saving), and written per flush at most. */
const INVENTORY_CAPACITY = 256;
const INVENTORY_WRITES = 50;
/** Cells (route × backend × minute, and × hour) waiting at once: a store outage cannot grow memory past it. */
const MAX_CELLS = 5000;
/** Hour cells and the inventory wait this many times longer than minute cells, up to a minute. */
const SLOW_FLUSH_FACTOR = 6;
const SLOW_FLUSH_MAX_MS = 60_000;

/**
 * Per-isolate traffic accounting: per route, backend and minute (and hour), counters that
 * add up across isolates, flushed with atomic ADDs every `flushMs` (worker/batcher.ts, the
 * machinery shadow statistics use too); and the migration map's heavy-hitter path templates
 * of unrouted traffic.
 */
export function createTrafficRecorder(options: {
  store: MetricsStore | undefined;
  /** How long a minute cell's counts wait at most before they are written, and how many at most (see Batcher). */
  flushMs: number;
  maxRecords?: number;
  /** The migration map of unrouted traffic (default on): off once it is mapped saves its writes. */
  inventory?: boolean;
  now: () => number;
  onError: (error: unknown) => void;
}): TrafficRecorder {
  const inventoryOn = options.inventory ?? true;
  const cells = (maxAgeMs: number) =>
    createBatcher<TrafficCounts>({
      empty: emptyCounts,
      merge: mergeCounts,
      send: options.store ? (key, counts) => (options.store as MetricsStore).add(parseCellKey(key), counts) : undefined,
      maxAgeMs,
      maxRecords: options.maxRecords,
      maxKeys: MAX_CELLS,
      now: options.now,
      onError: options.onError,
    });
  // Minutes feed live metrics and rollout gates; hours (the migration share, the dashboard's
  // busy routes) and the inventory can be later, and are written that much less often.
  const slowFlushMs = Math.min(options.flushMs * SLOW_FLUSH_FACTOR, SLOW_FLUSH_MAX_MS);
  const minutes = cells(options.flushMs);
  const hours = cells(slowFlushMs);
  let unadmittedTemplates = 0;
  const inventory = createBatcher<Inventory>({
    empty: emptyInventory,
    merge: (into, from) => {
      for (const entry of from.top()) addSightings(into, entry.key, { count: entry.count, ...entry.detail });
    },
    send: options.store
      ? async (_key, sketch) => {
          // What is certain of each count: a key that took a slot over inherited the count it replaced.
          const entries = new Map(
            sketch
              .top(INVENTORY_WRITES)
              .filter((entry) => entry.count > entry.error)
              .map((entry) => [entry.key, { count: entry.count - entry.error, ...entry.detail }]),
          );
          const outcome = await (options.store as MetricsStore).addInventory(entries);
          unadmittedTemplates += outcome.unadmitted;
          if (outcome.retry === undefined) return { retry: undefined, lost: outcome.lost };
          const retry = emptyInventory();
          for (const [template, counts] of outcome.retry) addSightings(retry, template, counts);
          return { retry, lost: outcome.lost };
        }
      : undefined,
    maxAgeMs: slowFlushMs,
    maxKeys: 1,
    now: options.now,
    onError: options.onError,
  });

  // The period strings, and the cell keys built from them, change once a minute: made
  // then, not per request (a string made once keeps its hash; a fresh one is hashed anew).
  let minuteStart = Number.NaN;
  let minute = "";
  let hour = "";
  let seenAt = "";
  let keys = new Map<string, Map<string, readonly [minute: string, hour: string]>>();
  const periods = (now: number) => {
    if (!(now >= minuteStart && now < minuteStart + 60_000)) {
      minuteStart = now - (now % 60_000);
      const iso = new Date(minuteStart).toISOString();
      minute = iso.slice(0, 16);
      hour = iso.slice(0, 13);
      seenAt = `${minute}Z`;
      keys = new Map();
    }
  };
  const keysOf = (route: string, backend: string) => {
    let byBackend = keys.get(route);
    if (byBackend === undefined) keys.set(route, (byBackend = new Map()));
    let pair = byBackend.get(backend);
    if (pair === undefined) byBackend.set(backend, (pair = [`m|${minute}|${backend}|${route}`, `h|${hour}|${backend}|${route}`]));
    return pair;
  };

  return {
    record(request) {
      const now = options.now();
      periods(now);
      for (const attempt of request.attempts) {
        const arm: ArmName = attempt === request.attempts[0] ? request.arm : "fallback";
        const [minuteKey, hourKey] = keysOf(request.route, attempt.backend);
        const inMinute = minutes.get(minuteKey);
        const bucket = latencyBucket(attempt.ms);
        if (inMinute !== undefined) countAttempt(inMinute, attempt.result, attempt.ms, arm, attempt.fallbackTrigger, bucket);
        const inHour = hours.get(hourKey);
        if (inHour !== undefined) countAttempt(inHour, attempt.result, attempt.ms, arm, attempt.fallbackTrigger, bucket);
      }
      if (request.unrouted !== undefined && inventoryOn) {
        const sketch = inventory.get("inventory");
        if (sketch !== undefined) {
          const entry = sketch.add(pathTemplate(request.unrouted.path));
          entry.detail.methods.add(request.unrouted.method);
          const served = request.attempts.at(-1)?.result;
          const index = served?.kind === "response" ? Math.floor(served.status / 100) - 2 : 3;
          if (index >= 0 && index <= 3) (entry.detail.status[index] as number)++;
          entry.detail.firstSeen ||= seenAt;
          entry.detail.lastSeen = seenAt;
        }
      }
    },
    flushIfDue() {
      const flushes = [minutes.flushIfDue(), hours.flushIfDue(), inventory.flushIfDue()].filter((flush) => flush !== undefined);
      return flushes.length === 0 ? undefined : Promise.all(flushes).then(() => undefined);
    },
    health: () => ({ minutes: minutes.health(), hours: hours.health(), inventory: { ...inventory.health(), unadmittedTemplates } }),
  };
}

/** `m|2026-11-25T17:20|accounts|accounts-read` → its parts. */
function parseCellKey(key: string): CellKey {
  const [resolution, period = "", backend = "", ...route] = key.split("|");
  return { resolution: resolution === "h" ? "h" : "m", period, backend, route: route.join("|") };
}
