import { countDualWrite, type DualWriteOutcome } from "../accounting/dual-write-counts.ts";
import { countEvidence, emptyEvidence, evidenceOutcome, mergeEvidence, type EvidenceCounts } from "../accounting/evidence-counts.ts";
import { HeavyHitters } from "../accounting/heavy-hitters.ts";
import { latencyBucket } from "../accounting/latency-buckets.ts";
import { pathTemplate } from "../accounting/path-template.ts";
import { countAttempt, emptyCounts, mergeCounts, type ArmName, type AttemptResult, type TrafficCounts } from "../accounting/traffic-counts.ts";
import { userBucket, UNKNOWN_USER } from "../accounting/users.ts";
import type { CellKey, EvidenceKey, InventoryCounts, MetricsStore } from "../store/metrics-store.ts";
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
  /** The route table version that decided it: a split's first attempt is evidence of that version's step. */
  readonly version?: number;
  /** Who sent it, as rollout evidence counts users (`userOf`: the client's address); absent: the unknown user. */
  readonly user?: string;
}

export interface TrafficRecorder {
  /** Counts one client request (never a shadow copy): cheap, in memory, on the request path. */
  record(request: RequestRecord): void;
  /**
   * Counts one write a route's `dualWrite` covers — copied to `backend` (its `to`), or not —
   * in that backend's minute and hour cells of the route: never client traffic.
   */
  recordDualWrite(route: string, backend: string, outcome: DualWriteOutcome): void;
  /** Flushes when due (see Batcher); undefined when the caller has nothing to wait for. Never rejects. */
  flushIfDue(): Promise<void> | undefined;
  /** What waits, was lost or dropped per batcher; templates turned away while the stored ones are at their bound. */
  health(): { readonly minutes: BatcherHealth; readonly hours: BatcherHealth; readonly evidence: BatcherHealth; readonly inventory: BatcherHealth & { readonly unadmittedTemplates: number } };
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
/** Evidence cells (split route × backend × table version, 1.5 KB of user sketches each) waiting at once. */
const MAX_EVIDENCE_CELLS = 1000;
/** Hour cells and the inventory wait this many times longer than minute cells, up to a minute. */
const SLOW_FLUSH_FACTOR = 6;
const SLOW_FLUSH_MAX_MS = 60_000;

/**
 * Per-isolate traffic accounting: per route, backend and minute (and hour), counters that
 * add up across isolates, flushed with atomic ADDs every `flushMs` (worker/batcher.ts, the
 * machinery shadow statistics use too); per split route, backend and table version, the
 * rollout evidence of the split's own choices, with user sketches (flushed like minutes);
 * and the migration map's heavy-hitter path templates of unrouted traffic.
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
  // Rollout gates read evidence: as soon as minutes.
  const evidence = createBatcher<EvidenceCounts>({
    empty: emptyEvidence,
    merge: mergeEvidence,
    send: options.store ? (key, counts) => (options.store as MetricsStore).addEvidence(parseEvidenceKey(key), counts) : undefined,
    maxAgeMs: options.flushMs,
    maxRecords: options.maxRecords,
    maxKeys: MAX_EVIDENCE_CELLS,
    now: options.now,
    onError: options.onError,
  });

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
  /** route → backend → its cell keys; the evidence key of the table version last seen (versions change rarely). */
  let keys = new Map<string, Map<string, { readonly minute: string; readonly hour: string; version: number; evidence: string }>>();
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
    let found = byBackend.get(backend);
    if (found === undefined) byBackend.set(backend, (found = { minute: `m|${minute}|${backend}|${route}`, hour: `h|${hour}|${backend}|${route}`, version: Number.NaN, evidence: "" }));
    return found;
  };
  const evidenceKeyOf = (cellKeys: { version: number; evidence: string }, route: string, backend: string, version: number) => {
    if (cellKeys.version !== version) {
      cellKeys.version = version;
      cellKeys.evidence = `e|${version}|${backend}|${route}`;
    }
    return cellKeys.evidence;
  };

  return {
    record(request) {
      const now = options.now();
      periods(now);
      for (const attempt of request.attempts) {
        const arm: ArmName = attempt === request.attempts[0] ? request.arm : "fallback";
        const cellKeys = keysOf(request.route, attempt.backend);
        const inMinute = minutes.get(cellKeys.minute);
        const bucket = latencyBucket(attempt.ms);
        if (inMinute !== undefined) countAttempt(inMinute, attempt.result, attempt.ms, arm, attempt.fallbackTrigger, bucket);
        const inHour = hours.get(cellKeys.hour);
        if (inHour !== undefined) countAttempt(inHour, attempt.result, attempt.ms, arm, attempt.fallbackTrigger, bucket);
        if (arm === "split" && request.version !== undefined) {
          // Only the split's own choice (never an override's, nor a fallback's second try).
          const outcome = evidenceOutcome(attempt.result, attempt.fallbackTrigger !== undefined);
          const cell = outcome && evidence.get(evidenceKeyOf(cellKeys, request.route, attempt.backend, request.version));
          if (outcome && cell) countEvidence(cell, outcome, bucket, userBucket(request.user ?? UNKNOWN_USER));
        }
      }
      if (request.unrouted !== undefined && inventoryOn) {
        const sketch = inventory.get("inventory");
        if (sketch !== undefined) {
          const entry = sketch.add(pathTemplate(request.unrouted.path));
          entry.detail.methods.add(request.unrouted.method);
          const served = request.attempts.at(-1)?.result;
          // cutover's own answers count as 5xx; a client that broke off, as nothing.
          const index = served?.kind === "response" ? Math.floor(served.status / 100) - 2 : served?.kind === "proxy" ? 3 : -1;
          if (index >= 0 && index <= 3) (entry.detail.status[index] as number)++;
          entry.detail.firstSeen ||= seenAt;
          entry.detail.lastSeen = seenAt;
        }
      }
    },
    recordDualWrite(route, backend, outcome) {
      periods(options.now());
      const cellKeys = keysOf(route, backend);
      const inMinute = minutes.get(cellKeys.minute);
      if (inMinute !== undefined) countDualWrite(inMinute.dualWrite, outcome);
      const inHour = hours.get(cellKeys.hour);
      if (inHour !== undefined) countDualWrite(inHour.dualWrite, outcome);
    },
    flushIfDue() {
      const flushes = [minutes.flushIfDue(), hours.flushIfDue(), evidence.flushIfDue(), inventory.flushIfDue()].filter((flush) => flush !== undefined);
      return flushes.length === 0 ? undefined : Promise.all(flushes).then(() => undefined);
    },
    health: () => ({ minutes: minutes.health(), hours: hours.health(), evidence: evidence.health(), inventory: { ...inventory.health(), unadmittedTemplates } }),
  };
}

/** `e|42|accounts|accounts-read` → its parts. */
function parseEvidenceKey(key: string): EvidenceKey {
  const [, version = "0", backend = "", ...route] = key.split("|");
  return { version: Number(version), backend, route: route.join("|") };
}

/** `m|2026-11-25T17:20|accounts|accounts-read` → its parts. */
function parseCellKey(key: string): CellKey {
  const [resolution, period = "", backend = "", ...route] = key.split("|");
  return { resolution: resolution === "h" ? "h" : "m", period, backend, route: route.join("|") };
}
