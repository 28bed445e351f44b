import { marshall } from "@aws-sdk/util-dynamodb";
import type { EvidenceCounts } from "../accounting/evidence-counts.ts";
import type { TrafficCounts } from "../accounting/traffic-counts.ts";
import { addCounters, wasRefused } from "./add-counters.ts";
import type { DynamoApi } from "./dynamo-api.ts";
import { DynamoRequestError } from "./dynamo-request-error.ts";
import { queryItems } from "./query-items.ts";
import { evidenceFromAttributes, evidenceToAttributes, fromAttributes, toAttributes } from "./traffic-attributes.ts";

/**
 * Traffic counters in the cutover table (DESIGN.md "Traffic accounting"):
 *
 * | pk              | sk                              | holds                                         |
 * |-----------------|---------------------------------|-----------------------------------------------|
 * | metrics#<route> | m#2026-11-25T17:20#<backend>    | one minute of one backend: requests, statuses, proxy errors, fallbacks, arms, latency buckets |
 * | metrics-day#2026-11-25 | 17#<route>#<backend>      | the same for one hour; one partition per day holds every route, so that a day of the whole table is one query |
 * | inventory       | <path template>                 | unrouted traffic: count, methods, statuses, first and last seen |
 * | inventory       | ~created#2026-11-25             | how many templates were first stored that day (the bound on stored templates) |
 * | evidence#<route> | v#000000042#<backend>          | rollout evidence: a split's requests to one backend under one table version, with user sketches (number sets, merged by ADD) |
 *
 * Every counter is an atomic ADD; items carry `expiresAt` (DynamoDB's TTL removes them, and
 * readers skip expired ones since TTL deletes late).
 */
export type Resolution = "m" | "h";

export interface CellKey {
  readonly resolution: Resolution;
  readonly route: string;
  /** `2026-11-25T17:20` (a minute) or `2026-11-25T17` (an hour), UTC. */
  readonly period: string;
  readonly backend: string;
}

export interface Cell extends CellKey {
  readonly counts: TrafficCounts;
}

/** Where an evidence cell belongs: a route's split, one of its backends, under one table version. */
export interface EvidenceKey {
  readonly route: string;
  readonly version: number;
  readonly backend: string;
}

export interface EvidenceCell extends EvidenceKey {
  readonly counts: EvidenceCounts;
}

export interface InventoryCounts {
  count: number;
  readonly methods: Set<string>;
  readonly status: [number, number, number, number];
  firstSeen: string;
  lastSeen: string;
}

export interface InventoryItem {
  readonly template: string;
  readonly count: number;
  readonly methods: readonly string[];
  readonly status: readonly [number, number, number, number];
  readonly firstSeen: string;
  readonly lastSeen: string;
}

export interface MetricsStore {
  /** Adds one cell's counts; what DynamoDB refused comes back to retry, unknown outcomes as lost. */
  add(key: CellKey, counts: TrafficCounts): Promise<{ retry: TrafficCounts | undefined; lost: number }>;
  /** A route's minutes from `since` to `until` (minute strings, inclusive). */
  minutes(route: string, since: string, until: string): Promise<Cell[]>;
  /**
   * Every route's hours of one day (`2026-11-25`), or one route's. `consistent`: a strongly
   * consistent read (twice the read units), for readers that must never see a count go back,
   * such as a Prometheus scrape, which takes any decrease for a counter reset.
   */
  hours(day: string, route?: string, options?: { readonly consistent?: boolean }): Promise<Cell[]>;
  /**
   * Adds one evidence cell (ADD: counters add up, user sketches are set unions, so a write
   * applied twice adds no user twice); what DynamoDB refused comes back to retry.
   */
  addEvidence(key: EvidenceKey, counts: EvidenceCounts): Promise<{ retry: EvidenceCounts | undefined; lost: number }>;
  /** A route's evidence cells of some table versions (one query over their range), every backend. */
  evidence(route: string, versions: readonly number[]): Promise<EvidenceCell[]>;
  /**
   * Adds counts of path templates, busiest first; the ones DynamoDB refused come back.
   * Templates stored already are always counted. New ones are stored only within this
   * isolate's allowance — `maxNewTemplatesPerMinute`, and no more than the stored templates'
   * bound leaves room for — given to the busiest new ones: `unadmitted` says how many new
   * ones were turned away. So traffic made up to fill the map (a random path per request)
   * takes minutes per isolate to do it, not one flush.
   */
  addInventory(entries: ReadonlyMap<string, InventoryCounts>): Promise<{ retry: Map<string, InventoryCounts> | undefined; lost: number; unadmitted: number }>;
  /** Every template seen and not expired, busiest first. */
  inventory(): Promise<InventoryItem[]>;
  /** Templates first stored within the retention period: at least as many as are stored. */
  storedTemplates(): Promise<number>;
}

const DAY_SECONDS = 86_400;
/** Path templates stored at most (a soft bound: each isolate may overshoot it by what others stored since its last reading). */
export const MAX_STORED_TEMPLATES = 2000;
/**
 * New path templates one isolate stores per minute at most: an endpoint that is new to the
 * map shows up within minutes, while an attacker's random paths fill the map no faster than
 * this times the isolates they reach.
 */
export const MAX_NEW_TEMPLATES_PER_MINUTE = 20;
const MINUTE_MS = 60_000;
/** How often an isolate re-reads how many templates are stored. */
const STORED_CHECK_MS = 60_000;
const CREATED = "~created#";
/** Versions in sort keys: nine digits, so that they sort as numbers. */
const versionKey = (version: number) => `v#${String(version).padStart(9, "0")}#`;

export function createMetricsStore(options: {
  readonly client: DynamoApi;
  readonly tableName: string;
  /** How long counters are kept (default 14 days). */
  readonly retentionDays?: number;
  /** Path templates stored at most (default MAX_STORED_TEMPLATES). */
  readonly maxTemplates?: number;
  /** New path templates this isolate stores per minute at most (default MAX_NEW_TEMPLATES_PER_MINUTE). */
  readonly maxNewTemplatesPerMinute?: number;
  readonly now?: () => Date;
}): MetricsStore {
  const { client, tableName } = options;
  const now = options.now ?? (() => new Date());
  const retentionDays = options.retentionDays ?? 14;
  const maxTemplates = options.maxTemplates ?? MAX_STORED_TEMPLATES;
  const expiresAt = () => Math.floor(now().getTime() / 1000) + retentionDays * DAY_SECONDS;
  const maxNewPerMinute = options.maxNewTemplatesPerMinute ?? MAX_NEW_TEMPLATES_PER_MINUTE;
  /** This isolate's last reading of the stored templates, and how many it stored since. */
  let stored = { count: 0, checkedAt: Number.NEGATIVE_INFINITY };
  /** New templates this isolate stored, or holds an allowance for, in the current minute. */
  let newTemplates = { minute: Number.NaN, used: 0 };

  const storedTemplates = async () => {
    const today = now().getTime();
    const from = new Date(today - retentionDays * DAY_SECONDS * 1000).toISOString().slice(0, 10);
    let count = 0;
    for await (const item of queryItems(client, {
      TableName: tableName,
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
      ExpressionAttributeValues: marshall({ ":pk": "inventory", ":from": `${CREATED}${from}`, ":to": `${CREATED}${new Date(today).toISOString().slice(0, 10)}` }),
    })) {
      count += typeof item.count === "number" ? item.count : 0;
    }
    return count;
  };

  /** The unexpired items of a partition between two sort keys, as cells. */
  const read = async (range: { pk: string; from: string; to: string }, keyOf: (item: Record<string, unknown>) => CellKey, consistent = false): Promise<Cell[]> => {
    const cells: Cell[] = [];
    const nowSeconds = Math.floor(now().getTime() / 1000);
    const items = queryItems(client, {
      TableName: tableName,
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
      ExpressionAttributeValues: marshall({ ":pk": range.pk, ":from": range.from, ":to": range.to }),
      ...(consistent ? { ConsistentRead: true } : {}),
    });
    for await (const item of items) {
      if (typeof item.expiresAt === "number" && item.expiresAt <= nowSeconds) continue;
      cells.push({ ...keyOf(item), counts: fromAttributes(item) });
    }
    return cells;
  };

  return {
    async add(key, counts) {
      const place =
        key.resolution === "m"
          ? { pk: `metrics#${key.route}`, sk: `m#${key.period}#${key.backend}` }
          : { pk: `metrics-day#${key.period.slice(0, 10)}`, sk: `${key.period.slice(11, 13)}#${key.route}#${key.backend}` };
      try {
        await addCounters(client, tableName, { ...place, counters: toAttributes(counts), set: { expiresAt: expiresAt(), route: key.route, backend: key.backend } });
        return { retry: undefined, lost: 0 };
      } catch (error) {
        return wasRefused(error) ? { retry: counts, lost: 0 } : { retry: undefined, lost: 1 };
      }
    },

    async minutes(route, since, until) {
      return read({ pk: `metrics#${route}`, from: `m#${since}`, to: `m#${until}~` }, (item) => ({ resolution: "m", route, period: String(item.sk).slice(2, 18), backend: String(item.backend) }));
    },

    async hours(day, route, options) {
      const cells = await read(
        { pk: `metrics-day#${day}`, from: "00#", to: "23#~" },
        (item) => ({ resolution: "h", route: String(item.route), period: `${day}T${String(item.sk).slice(0, 2)}`, backend: String(item.backend) }),
        options?.consistent === true,
      );
      return route === undefined ? cells : cells.filter((cell) => cell.route === route);
    },

    async addEvidence(key, counts) {
      const { counters, numberSets } = evidenceToAttributes(counts);
      try {
        await addCounters(client, tableName, {
          pk: `evidence#${key.route}`,
          sk: `${versionKey(key.version)}${key.backend}`,
          counters,
          addToNumberSets: numberSets,
          set: { expiresAt: expiresAt(), route: key.route, backend: key.backend, version: key.version },
        });
        return { retry: undefined, lost: 0 };
      } catch (error) {
        return wasRefused(error) ? { retry: counts, lost: 0 } : { retry: undefined, lost: 1 };
      }
    },

    async evidence(route, versions) {
      if (versions.length === 0) return [];
      const wanted = new Set(versions);
      const cells: EvidenceCell[] = [];
      const nowSeconds = Math.floor(now().getTime() / 1000);
      for await (const item of queryItems(client, {
        TableName: tableName,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
        ExpressionAttributeValues: marshall({ ":pk": `evidence#${route}`, ":from": versionKey(Math.min(...versions)), ":to": `${versionKey(Math.max(...versions))}~` }),
      })) {
        if (typeof item.expiresAt === "number" && item.expiresAt <= nowSeconds) continue;
        const version = Number(String(item.sk).slice(2, 11));
        if (!wanted.has(version)) continue;
        cells.push({ route, version, backend: String(item.backend), counts: evidenceFromAttributes(item) });
      }
      return cells;
    },

    async addInventory(entries) {
      if (now().getTime() - stored.checkedAt >= STORED_CHECK_MS) {
        try {
          stored = { count: await storedTemplates(), checkedAt: now().getTime() };
        } catch {
          // Keep the last reading; with none yet, new templates are admitted.
        }
      }
      const minute = Math.floor(now().getTime() / MINUTE_MS);
      if (newTemplates.minute !== minute) newTemplates = { minute, used: 0 };
      const thisMinute = newTemplates;
      const allowance = Math.max(0, Math.min(maxNewPerMinute - thisMinute.used, maxTemplates - stored.count));
      // Taken now, so that a flush running beside this one cannot spend it too.
      thisMinute.used += allowance;
      let retry: Map<string, InventoryCounts> | undefined;
      let lost = 0;
      let created = 0;
      /** Adds one template's counts; true when `onlyIfExists` found it not stored. */
      const write = async ([template, counts]: readonly [string, InventoryCounts], onlyIfExists: boolean): Promise<boolean> => {
        try {
          const outcome = await addCounters(client, tableName, {
            pk: "inventory",
            sk: template,
            counters: { count: counts.count, s2: counts.status[0], s3: counts.status[1], s4: counts.status[2], s5: counts.status[3] },
            addToSets: { methods: [...counts.methods] },
            set: { lastSeen: counts.lastSeen, expiresAt: expiresAt() },
            setIfAbsent: { firstSeen: counts.firstSeen },
            onlyIfExists,
          });
          if (outcome.created) created++;
        } catch (error) {
          if (onlyIfExists && error instanceof DynamoRequestError && error.code === "ConditionalCheckFailedException") return true;
          if (wasRefused(error)) (retry ??= new Map()).set(template, counts);
          else lost++;
        }
        return false;
      };
      // The busiest `allowance` entries may create their item at once (at most that many can
      // be new); the others only count where their item exists. Which of those were new is
      // known only then: the busiest of them take what is left of the allowance.
      const ordered = [...entries];
      const absent = await Promise.all(ordered.map((entry, index) => write(entry, index >= allowance)));
      const notStored = ordered.filter((_entry, index) => absent[index]);
      const admitted = notStored.slice(0, allowance - created);
      await Promise.all(admitted.map((entry) => write(entry, false)));
      const unadmitted = notStored.length - admitted.length;
      if (newTemplates === thisMinute) thisMinute.used -= allowance - created;
      if (created > 0) {
        stored = { ...stored, count: stored.count + created };
        // Best effort: a count missed here lets the bound be overshot by that many templates.
        await addCounters(client, tableName, { pk: "inventory", sk: `${CREATED}${now().toISOString().slice(0, 10)}`, counters: { count: created }, set: { expiresAt: expiresAt() } }).catch(() => undefined);
      }
      return { retry, lost, unadmitted };
    },

    storedTemplates,

    async inventory() {
      const nowSeconds = Math.floor(now().getTime() / 1000);
      const found: InventoryItem[] = [];
      for await (const item of queryItems(client, { TableName: tableName, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: marshall({ ":pk": "inventory" }) })) {
        if ((typeof item.expiresAt === "number" && item.expiresAt <= nowSeconds) || String(item.sk).startsWith(CREATED)) continue;
        const num = (value: unknown) => (typeof value === "number" ? value : 0);
        found.push({
          template: String(item.sk),
          count: num(item.count),
          methods: item.methods instanceof Set ? [...(item.methods as Set<string>)].sort() : [],
          status: [num(item.s2), num(item.s3), num(item.s4), num(item.s5)],
          firstSeen: String(item.firstSeen ?? ""),
          lastSeen: String(item.lastSeen ?? ""),
        });
      }
      return found.sort((a, b) => b.count - a.count);
    },
  };
}

