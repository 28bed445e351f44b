import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { concatBytes, sameBytes } from "../lib/bytes.ts";
import { canonicalJson } from "../lib/canonical-json.ts";
import { err, ok } from "../lib/result.ts";
import { TABLE_SCHEMA_VERSION } from "../routes/schema.ts";
import type { ValidatedRouteTable } from "../routes/validate.ts";
import type { DynamoApi } from "./dynamo-api.ts";
import { DynamoRequestError } from "./dynamo-request-error.ts";
import { InvalidRouteTableError } from "./invalid-route-table-error.ts";
import { NoRouteTableError } from "./no-route-table-error.ts";
import { queryItems } from "./query-items.ts";
import { MAX_CHAIN_ROUTES, MAX_CHAIN_VERSIONS, type ActiveTable, type AuditEntry, type AuditRecord, type ChainedVersion, type PublishRequest, type Published, type RouteTableStore, type SkippedVersion, type VersionInfo } from "./route-store.ts";
import { parseStoredInfo, publicInfo, type StoredInfo } from "./stored-info.ts";
import type { EdgeCache } from "./edge-cache.ts";
import { decodeTable, encodeTable } from "./table-codec.ts";

/**
 * The route table in one DynamoDB table (DESIGN.md "Store"):
 *
 * | pk      | sk                  | holds                                                |
 * |---------|---------------------|------------------------------------------------------|
 * | routes  | active              | the active version number and its VersionInfo        |
 * | routes  | counter             | the last version number handed out                   |
 * | routes  | v#000000042         | VersionInfo of an immutable version                  |
 * | routes  | t#000000042#0000    | its table: gzip JSON, in parts of at most 300 KB     |
 * | audit   | <iso time>#v000000042 | one change: who, when, why, before/after           |
 *
 * Writes are conditional (a version or table item is never overwritten; the active pointer
 * moves only from the version the writer read), and need no TransactWriteItems. Every write
 * survives a failing store: writes that are safe to repeat are retried, and after an
 * activation whose answer was lost the active pointer is read again to learn what happened.
 */
export interface DynamoStoreOptions {
  readonly client: DynamoApi;
  readonly tableName: string;
  readonly now?: () => Date;
  /** Largest table part, below DynamoDB's 400 KB item limit. */
  readonly partBytes?: number;
  /** Pause between attempts of a write that is retried (ms, times the attempt number). */
  readonly retryDelayMs?: number;
  /**
   * For the Worker's serving reads (`getActive`): a cache shared by the isolates of a data
   * centre. The active pointer is kept `activeSeconds` (so DynamoDB is read about once per
   * that per colo, not per isolate), immutable version items and tables a day, keyed by
   * version and checksum. The admin API reads without it.
   */
  readonly edgeCache?: { readonly cache: EdgeCache; readonly activeSeconds: number };
}

/** Tester overrides revoked at once, at most (each lasts a day at most: rotating the secret ends them all). */
const MAX_REVOKED_OVERRIDES = 500;

/** The revocations of an active pointer that still matter at `now` (a token of that id could still be valid). */
function liveRevocations(info: StoredInfo, now: Date): { id: string; until: number }[] {
  return (info.revokedOverrides ?? []).filter((entry) => entry.until * 1000 > now.getTime());
}

/** Whether a version serves at `at`: its `effectiveAt` passed, or it has none (a rollback, the first table). */
function inEffect(info: StoredInfo, at: number): boolean {
  return info.effectiveAt === undefined || Date.parse(info.effectiveAt) <= at;
}

/** Immutable items (a version's info, its table) stay this long in the edge cache. */
const IMMUTABLE_SECONDS = 86_400;

const ROUTES = "routes";
const AUDIT = "audit";
const ATTEMPTS = 3;
const pad = (version: number) => String(version).padStart(9, "0");
const versionKey = (version: number) => `v#${pad(version)}`;
const partKey = (version: number, part: number) => `t#${pad(version)}#${String(part).padStart(4, "0")}`;

export function createDynamoStore(options: DynamoStoreOptions): RouteTableStore {
  const { client, tableName } = options;
  const now = options.now ?? (() => new Date());
  const partBytes = options.partBytes ?? 300_000;
  const retryDelayMs = options.retryDelayMs ?? 50;
  /**
   * Tables and version items read, by version: the active one and the chain that leads to it
   * (`ActiveTable.ancestors`). Both are immutable (but for a version item's `activatedAt`, which
   * the chain does not use), so an unchanged poll costs one small GetItem, and a poll during a
   * storm of changes reads only the versions it has not seen.
   */
  const memo = new Map<number, ValidatedRouteTable>();
  const infos = new Map<number, StoredInfo>();

  /** A read or an idempotent write, tried again when DynamoDB refused it or did not answer. */
  const retried = async <T>(call: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (attempt >= ATTEMPTS || (error instanceof DynamoRequestError && error.code === "ConditionalCheckFailedException")) throw error;
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * attempt));
      }
    }
  };

  const getItem = async (pk: string, sk: string) => {
    const result = await retried(() => client.getItem({ TableName: tableName, Key: marshall({ pk, sk }), ConsistentRead: true }));
    return result.Item ? unmarshall(result.Item) : undefined;
  };
  const activeItem = async () => {
    const item = await getItem(ROUTES, "active");
    return item ? parseStoredInfo(item, `DynamoDB ${tableName} active item`) : undefined;
  };

  const edge = options.edgeCache;
  /** An item through the edge cache: a hit skips DynamoDB; a damaged entry is a miss. */
  const throughEdge = async <T>(key: string, seconds: number, read: () => Promise<Record<string, unknown> | undefined>, parse: (item: Record<string, unknown>) => T): Promise<T | undefined> => {
    if (edge === undefined) {
      const item = await read();
      return item === undefined ? undefined : parse(item);
    }
    const cached = await edge.cache.get(key).catch(() => undefined);
    if (cached !== undefined) {
      try {
        return parse(JSON.parse(new TextDecoder().decode(cached)) as Record<string, unknown>);
      } catch {
        // a damaged entry: read the store
      }
    }
    const item = await read();
    if (item === undefined) return undefined;
    const parsed = parse(item);
    await edge.cache.put(key, new TextEncoder().encode(JSON.stringify(item)), seconds).catch(() => undefined);
    return parsed;
  };
  /**
   * The active pointer as the serving path reads it: with an edge cache, one isolate per data
   * centre refreshes it from DynamoDB when it is `activeSeconds` old, holding a short lease
   * so that the other isolates polling at that moment keep the entry they have instead of all
   * reading DynamoDB at once; past twice that age (the refresher failed), any isolate reads.
   */
  const servingActiveItem = async () => {
    const parse = (item: Record<string, unknown>) => parseStoredInfo(item, `DynamoDB ${tableName} active item`);
    if (edge === undefined) return activeItem();
    const key = `${tableName}/active`;
    const nowMs = now().getTime();
    const cached = await edge.cache.get(key).catch(() => undefined);
    let entry: { item: Record<string, unknown>; at: number } | undefined;
    try {
      entry = cached === undefined ? undefined : (JSON.parse(new TextDecoder().decode(cached)) as { item: Record<string, unknown>; at: number });
    } catch {
      entry = undefined;
    }
    const age = entry === undefined ? Number.POSITIVE_INFINITY : nowMs - entry.at;
    if (entry !== undefined && age < edge.activeSeconds * 1000) return parse(entry.item);
    if (entry !== undefined && age < 2 * edge.activeSeconds * 1000) {
      // The lease names its holder: of the isolates that found none at the same moment, only
      // the one whose token is read back (the last writer) refreshes; the others keep the entry.
      const lease = `${key}/lease`;
      if ((await edge.cache.get(lease).catch(() => undefined)) !== undefined) return parse(entry.item);
      const token = crypto.getRandomValues(new Uint8Array(8));
      await edge.cache.put(lease, token, 1).catch(() => undefined);
      const holder = await edge.cache.get(lease).catch(() => undefined);
      if (holder !== undefined && !sameBytes(holder, token)) return parse(entry.item);
    }
    const item = await getItem(ROUTES, "active");
    if (item === undefined) return undefined;
    await edge.cache.put(key, new TextEncoder().encode(JSON.stringify({ item, at: now().getTime() })), 10 * edge.activeSeconds).catch(() => undefined);
    return parse(item);
  };

  const readTable = async (info: StoredInfo): Promise<ValidatedRouteTable> => {
    const cached = memo.get(info.version);
    if (cached) return cached;
    const source = `DynamoDB ${tableName} version ${info.version}`;
    const edgeKey = `${tableName}/table/${info.version}/${info.sha256}`;
    if (edge !== undefined) {
      const bytes = await edge.cache.get(edgeKey).catch(() => undefined);
      // The checksum is verified on decoding: a damaged entry is read from the store instead.
      const table = bytes === undefined ? undefined : await decodeTable(bytes, info.sha256, source, info.schema).catch(() => undefined);
      if (table !== undefined) {
        remember(info.version, table);
        return table;
      }
    }
    const chunks: Uint8Array[] = [];
    const parts = queryItems(client, {
      TableName: tableName,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
      ExpressionAttributeValues: marshall({ ":pk": ROUTES, ":prefix": `t#${pad(info.version)}#` }),
      ConsistentRead: true,
    });
    for await (const item of parts) chunks.push(item.data as Uint8Array);
    if (chunks.length !== info.parts) {
      throw new InvalidRouteTableError(source, [{ path: "$", message: `expected ${info.parts} stored parts, found ${chunks.length}` }]);
    }
    const bytes = concatBytes(chunks);
    const table = await decodeTable(bytes, info.sha256, source, info.schema);
    remember(info.version, table);
    if (edge !== undefined) await edge.cache.put(edgeKey, bytes, IMMUTABLE_SECONDS).catch(() => undefined);
    return table;
  };
  const remember = (version: number, table: ValidatedRouteTable) => {
    memo.set(version, table);
    // A poll needs the active version and its chain; each load keeps only those (`keepOnly`).
    while (memo.size > MAX_CHAIN_VERSIONS + 2) memo.delete(Math.min(...memo.keys()));
  };
  const keepOnly = (versions: ReadonlySet<number>) => {
    for (const version of memo.keys()) if (!versions.has(version)) memo.delete(version);
    for (const version of infos.keys()) if (!versions.has(version)) infos.delete(version);
  };

  const versionInfo = async (version: number) => {
    const item = await getItem(ROUTES, versionKey(version));
    return item ? parseStoredInfo(item, `DynamoDB ${tableName} version ${version}`) : undefined;
  };
  const servingVersionInfo = (version: number) =>
    throughEdge(`${tableName}/version/${version}`, IMMUTABLE_SECONDS, () => getItem(ROUTES, versionKey(version)), (item) => parseStoredInfo(item, `DynamoDB ${tableName} version ${version}`));

  /** A version item of the chain: from memory when this isolate read it before (as a version or as the active pointer). */
  const chainInfo = async (version: number): Promise<StoredInfo | undefined> => {
    const known = infos.get(version);
    if (known !== undefined) return known;
    const info = await servingVersionInfo(version);
    if (info !== undefined) infos.set(version, info);
    return info;
  };

  /**
   * The versions before `info` still waiting for their `effectiveAt` at `at`, newest first,
   * down to the newest one in effect (ActiveTable.ancestors). Version items are walked one by
   * one (by `parent`: a version whose activation lost a race is not in the chain); their
   * tables are read together.
   */
  const ancestorsOf = async (info: StoredInfo, at: number): Promise<ChainedVersion[]> => {
    const chain: StoredInfo[] = [];
    let routes = 0;
    for (let parent = info.parent; parent !== 0 && chain.length < MAX_CHAIN_VERSIONS; ) {
      const ancestor = await chainInfo(parent);
      if (ancestor === undefined) break;
      routes += ancestor.routeCount;
      if (routes > MAX_CHAIN_ROUTES && chain.length > 0) break;
      chain.push(ancestor);
      if (inEffect(ancestor, at)) break;
      parent = ancestor.parent;
    }
    return Promise.all(chain.map(async (ancestor) => ({ version: ancestor.version, table: await readTable(ancestor), ...(ancestor.effectiveAt === undefined ? {} : { effectiveAt: ancestor.effectiveAt }) })));
  };

  /** The active table, and while its `effectiveAt` is still to come, the chain of versions before it (ActiveTable.ancestors). */
  const load = async (info: StoredInfo): Promise<ActiveTable> => {
    const at = now().getTime();
    infos.set(info.version, info);
    const [table, ancestors] = await Promise.all([readTable(info), inEffect(info, at) ? [] : ancestorsOf(info, at)]);
    const revoked = liveRevocations(info, now()).map((entry) => entry.id);
    const active: ActiveTable = { version: info.version, table, info: publicInfo(info), ...(revoked.length > 0 ? { revokedOverrides: revoked } : {}) };
    keepOnly(new Set([info.version, ...ancestors.map((ancestor) => ancestor.version)]));
    return ancestors.length > 0 ? { ...active, ancestors } : active;
  };

  const putNew = async (item: Record<string, unknown>): Promise<void> => {
    await client.putItem({ TableName: tableName, Item: marshall(item, { removeUndefinedValues: true }), ConditionExpression: "attribute_not_exists(pk)" });
  };
  /** A write that only adds an item is safe to try again: finding it there means an earlier attempt wrote it. */
  const putNewRetried = async (item: Record<string, unknown>): Promise<void> => {
    try {
      await retried(() => putNew(item));
    } catch (error) {
      if (!(error instanceof DynamoRequestError && error.code === "ConditionalCheckFailedException")) throw error;
    }
  };

  const writeAudit = (record: AuditRecord & { readonly at: string; readonly key: string }) =>
    putNewRetried({ pk: AUDIT, sk: `${record.at}#${record.key}`, at: record.at, actor: record.actor, action: record.action, reason: record.reason, ...(record.before === undefined ? {} : { before: record.before }), ...(record.after === undefined ? {} : { after: record.after }), ...(record.details === undefined ? {} : { details: record.details }) });

  /**
   * Moves the active pointer from `expected` to `info`, unless someone else moved it first,
   * carrying the override deny-list of the pointer it replaces (`carried`: as read; the
   * condition on its revision makes a revocation made meanwhile fail this write, which then
   * carries the new list). When an attempt's answer is lost, the pointer is read again: it
   * tells whether that attempt took effect (the pointer is ours), did not (still `expected`:
   * try again), or lost to another writer.
   */
  const activate = async (info: StoredInfo & { activatedAt: string }, expected: number, carried: StoredInfo | undefined): Promise<{ revoked: string[] } | number> => {
    let from = carried;
    for (let attempt = 1; ; attempt++) {
      const revision = from?.revokedRevision;
      const revoked = from === undefined ? [] : liveRevocations(from, now());
      try {
        await client.putItem({
          TableName: tableName,
          Item: marshall({ pk: ROUTES, sk: "active", ...info, ...(revision === undefined ? {} : { revokedRevision: revision, revokedOverrides: revoked }) }, { removeUndefinedValues: true }),
          ConditionExpression:
            expected === 0 ? "attribute_not_exists(pk)" : `version = :expected AND ${revision === undefined ? "attribute_not_exists(revokedRevision)" : "revokedRevision = :revision"}`,
          ExpressionAttributeValues: expected === 0 ? undefined : marshall(revision === undefined ? { ":expected": expected } : { ":expected": expected, ":revision": revision }),
        });
        return { revoked: revoked.map((entry) => entry.id) };
      } catch (error) {
        if (!(error instanceof DynamoRequestError)) throw error;
        const current = await activeItem();
        if (current?.version === info.version) return { revoked: liveRevocations(current, now()).map((entry) => entry.id) }; // an earlier attempt took effect
        if ((current?.version ?? 0) !== expected) return current?.version ?? 0;
        // Still ours to replace: an unanswered attempt, or a revocation made meanwhile (carry it).
        const revokedMeanwhile = current?.revokedRevision !== from?.revokedRevision;
        from = current;
        if (attempt >= ATTEMPTS && !revokedMeanwhile) throw error;
        if (attempt >= ATTEMPTS * 2) throw error;
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * attempt));
      }
    }
  };

  return {
    async getActive(options = {}) {
      const info = options.fresh ? await activeItem() : await servingActiveItem();
      if (options.fresh && info !== undefined && edge !== undefined) {
        await edge.cache.put(`${tableName}/active`, new TextEncoder().encode(JSON.stringify({ item: { pk: ROUTES, sk: "active", ...info }, at: now().getTime() })), 10 * edge.activeSeconds).catch(() => undefined);
      }
      if (!info) throw new NoRouteTableError(`DynamoDB table ${tableName}`);
      return load(info);
    },

    async activeVersion() {
      return (await activeItem())?.version ?? 0;
    },

    async activeInfo() {
      const info = await activeItem();
      return info ? publicInfo(info) : undefined;
    },

    async getVersion(version) {
      const [info, active] = await Promise.all([versionInfo(version), activeItem()]);
      if (!info) return undefined;
      // A version whose activation lost a race never served: it is not history. The active
      // version and its parent did serve, whether or not their activation time was recorded.
      const served = info.activatedAt !== undefined || active?.version === version || active?.parent === version;
      return served ? { version: info.version, table: await readTable(info), info: publicInfo(info) } : undefined;
    },

    async listVersions({ limit, before }) {
      const active = await activeItem();
      const versions: VersionInfo[] = [];
      const unserved = new Map<number, StoredInfo>();
      const servedParents = new Set<number>(active ? [active.version, active.parent] : []);
      const items = queryItems(client, {
        TableName: tableName,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
        ExpressionAttributeValues: marshall({ ":pk": ROUTES, ":from": "v#", ":to": before === undefined ? "v#~" : versionKey(before - 1) }),
        ScanIndexForward: false,
        Limit: limit,
        ConsistentRead: true,
      });
      for await (const item of items) {
        const info = parseStoredInfo(item, `DynamoDB ${tableName} versions`);
        if (info.activatedAt !== undefined || servedParents.has(info.version)) {
          versions.push(publicInfo(info));
          servedParents.add(info.parent);
        } else {
          unserved.set(info.version, info);
        }
        if (versions.length === limit) break;
      }
      // Numbers between listed versions that never served: a writer that lost the race to
      // activate, or one that stopped before writing its version.
      const skipped: SkippedVersion[] = [];
      for (let i = 0; i + 1 < versions.length; i++) {
        const newer = versions[i] as VersionInfo;
        const older = versions[i + 1] as VersionInfo;
        for (let number = newer.version - 1; number > older.version; number--) {
          skipped.push({
            version: number,
            reason: unserved.has(number)
              ? `written by ${unserved.get(number)?.author} but never activated: another change was activated first`
              : "handed out to a change that did not complete (a failed or refused write)",
          });
        }
      }
      return { versions, skipped };
    },

    async listAudit({ limit }) {
      const result = await retried(() =>
        client.query({
          TableName: tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: marshall({ ":pk": AUDIT }),
          ScanIndexForward: false,
          Limit: limit,
          ConsistentRead: true,
        }),
      );
      return (result.Items ?? []).map((item) => {
        const { pk: _pk, sk, ...entry } = unmarshall(item);
        return { id: String(sk), ...entry } as AuditEntry;
      });
    },

    async revokeOverride(id, until) {
      for (let attempt = 1; ; attempt++) {
        const current = await activeItem();
        if (current === undefined) throw new NoRouteTableError(`DynamoDB table ${tableName}`);
        const kept = liveRevocations(current, now()).filter((entry) => entry.id !== id);
        if (kept.length >= MAX_REVOKED_OVERRIDES) throw new Error(`${MAX_REVOKED_OVERRIDES} tester overrides are revoked already: rotate CUTOVER_OVERRIDE_SECRET instead, which ends them all`);
        const revision = current.revokedRevision;
        try {
          await client.updateItem({
            TableName: tableName,
            Key: marshall({ pk: ROUTES, sk: "active" }),
            UpdateExpression: "SET revokedOverrides = :list, revokedRevision = :next",
            ConditionExpression: `version = :version AND ${revision === undefined ? "attribute_not_exists(revokedRevision)" : "revokedRevision = :revision"}`,
            ExpressionAttributeValues: marshall({ ":list": [...kept, { id, until: Math.ceil(until) }], ":next": (revision ?? 0) + 1, ":version": current.version, ...(revision === undefined ? {} : { ":revision": revision }) }),
          });
          return;
        } catch (error) {
          // Another activation or revocation came first: read again and add to what it wrote.
          if (!(error instanceof DynamoRequestError) || attempt >= ATTEMPTS * 2) throw error;
          await new Promise((resolve) => setTimeout(resolve, retryDelayMs * attempt));
        }
      }
    },

    async recordAudit(record) {
      const at = now().toISOString();
      await writeAudit({ ...record, at, key: crypto.randomUUID().slice(0, 8) });
    },

    async publish(request: PublishRequest) {
      const current = await activeItem();
      const activeVersion = current?.version ?? 0;
      // A change that changes nothing makes no version: the active one is the answer (this
      // also makes a retried request whose first attempt succeeded come back the same way).
      // A stored table that cannot be read (or whose routes cannot all be parsed) differs from any
      // table: it must never stand in the way of replacing it.
      if (current !== undefined && (await readTable(current).then((table) => canonicalJson(table) === canonicalJson(request.table)).catch(() => false))) {
        const revoked = liveRevocations(current, now()).map((entry) => entry.id);
        return ok({ version: current.version, table: request.table, info: publicInfo(current), unchanged: true, ...(revoked.length > 0 ? { revokedOverrides: revoked } : {}) });
      }
      if (activeVersion !== request.expectedVersion) return err({ reason: "stale_version", activeVersion });

      // 1. A fresh version number: an atomic counter, so two writers never share one. A retry
      // after a lost answer may skip a number; `listVersions` explains such gaps.
      const counter = await retried(() =>
        client.updateItem({
          TableName: tableName,
          Key: marshall({ pk: ROUTES, sk: "counter" }),
          UpdateExpression: "ADD #last :one",
          ExpressionAttributeNames: { "#last": "last" },
          ExpressionAttributeValues: marshall({ ":one": 1 }),
          ReturnValues: "UPDATED_NEW",
        }),
      );
      const version = Number(unmarshall(counter.Attributes ?? {}).last);

      // 2. The immutable version: table parts first, then the version item naming them.
      const encoded = await encodeTable(request.table);
      const parts = Math.max(1, Math.ceil(encoded.bytes.byteLength / partBytes));
      for (let part = 0; part < parts; part++) {
        await putNewRetried({ pk: ROUTES, sk: partKey(version, part), data: encoded.bytes.subarray(part * partBytes, (part + 1) * partBytes) });
      }
      const createdAt = now();
      const info: StoredInfo = {
        version,
        parent: activeVersion,
        createdAt: createdAt.toISOString(),
        author: request.author,
        reason: request.reason,
        action: request.action,
        ...(request.restoredFrom === undefined ? {} : { restoredFrom: request.restoredFrom }),
        ...(request.delayMs && activeVersion !== 0 ? { effectiveAt: new Date(createdAt.getTime() + request.delayMs).toISOString() } : {}),
        routeCount: request.table.routes.length,
        parts,
        sha256: encoded.sha256,
        // Every published table passed validation (PublishRequest.table's type): it is read back with a structural check alone.
        schema: TABLE_SCHEMA_VERSION,
      };
      await putNewRetried({ pk: ROUTES, sk: versionKey(version), ...info });

      // 3. Activate, only if nobody else did since we read the active version.
      const activatedAt = now().toISOString();
      const outcome = await activate({ ...info, activatedAt }, activeVersion, current);
      if (typeof outcome === "number") return err({ reason: "stale_version", activeVersion: outcome });

      // 4. Bookkeeping: mark the version as one that served (listings and rollbacks show only
      // those) and record the change. The change is live now: a failure here is reported.
      const recorded = await Promise.allSettled([
        retried(() =>
          client.updateItem({
            TableName: tableName,
            Key: marshall({ pk: ROUTES, sk: versionKey(version) }),
            UpdateExpression: "SET activatedAt = :at",
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeValues: marshall({ ":at": activatedAt }),
          }),
        ),
        writeAudit({
          at: info.createdAt,
          key: `v${pad(version)}`,
          actor: request.author,
          action: request.action,
          reason: request.reason,
          before: activeVersion,
          after: version,
          details: request.details,
        }),
      ]);
      const [marked, audited] = recorded;
      const warnings: string[] = [];
      if (marked?.status === "rejected") warnings.push(`version ${version} is live, but its activation time could not be recorded: ${String(marked.reason)}`);
      if (audited?.status === "rejected") warnings.push(`version ${version} is live, but its audit entry could not be recorded: ${String(audited.reason)}`);

      remember(version, request.table);
      const published: Published = { version, table: request.table, info: publicInfo({ ...info, activatedAt }), ...(outcome.revoked.length > 0 ? { revokedOverrides: outcome.revoked } : {}) };
      return ok(warnings.length === 0 ? published : { ...published, warnings });
    },
  };
}
