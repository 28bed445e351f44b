import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { concatBytes } from "../lib/bytes.ts";
import { err, ok } from "../lib/result.ts";
import type { RouteTable } from "../routes/schema.ts";
import type { DynamoApi } from "./dynamo-api.ts";
import { DynamoRequestError } from "./dynamo-request-error.ts";
import { InvalidRouteTableError } from "./invalid-route-table-error.ts";
import { NoRouteTableError } from "./no-route-table-error.ts";
import { queryItems } from "./query-items.ts";
import type { ActiveTable, AuditEntry, PublishRequest, RouteTableStore, VersionInfo } from "./route-store.ts";
import { parseStoredInfo, publicInfo, type StoredInfo } from "./stored-info.ts";
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
 * moves only from the version the writer read), and need no TransactWriteItems.
 */
export interface DynamoStoreOptions {
  readonly client: DynamoApi;
  readonly tableName: string;
  readonly now?: () => Date;
  /** Largest table part, below DynamoDB's 400 KB item limit. */
  readonly partBytes?: number;
}

const ROUTES = "routes";
const AUDIT = "audit";
const pad = (version: number) => String(version).padStart(9, "0");
const versionKey = (version: number) => `v#${pad(version)}`;
const partKey = (version: number, part: number) => `t#${pad(version)}#${String(part).padStart(4, "0")}`;

export function createDynamoStore(options: DynamoStoreOptions): RouteTableStore {
  const { client, tableName } = options;
  const now = options.now ?? (() => new Date());
  const partBytes = options.partBytes ?? 300_000;
  /** The last table read, by version: an unchanged poll costs one small GetItem. */
  let memo: ActiveTable | undefined;

  const getItem = async (pk: string, sk: string) => {
    const result = await client.getItem({ TableName: tableName, Key: marshall({ pk, sk }), ConsistentRead: true });
    return result.Item ? unmarshall(result.Item) : undefined;
  };

  const readTable = async (info: StoredInfo): Promise<RouteTable> => {
    const chunks: Uint8Array[] = [];
    const parts = queryItems(client, {
      TableName: tableName,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
      ExpressionAttributeValues: marshall({ ":pk": ROUTES, ":prefix": `t#${pad(info.version)}#` }),
      ConsistentRead: true,
    });
    for await (const item of parts) chunks.push(item.data as Uint8Array);
    const source = `DynamoDB ${tableName} version ${info.version}`;
    if (chunks.length !== info.parts) {
      throw new InvalidRouteTableError(source, [{ path: "$", message: `expected ${info.parts} stored parts, found ${chunks.length}` }]);
    }
    return decodeTable(concatBytes(chunks), info.sha256, source);
  };

  const load = async (info: StoredInfo): Promise<ActiveTable> => ({ version: info.version, table: await readTable(info), info: publicInfo(info) });

  return {
    async getActive() {
      const active = await getItem(ROUTES, "active");
      if (!active) throw new NoRouteTableError(`DynamoDB table ${tableName}`);
      const info = parseStoredInfo(active, `DynamoDB ${tableName} active item`);
      if (memo?.version === info.version) return memo;
      memo = await load(info);
      return memo;
    },

    async activeVersion() {
      const active = await getItem(ROUTES, "active");
      return active ? Number(active.version) : 0;
    },

    async activeInfo() {
      const active = await getItem(ROUTES, "active");
      return active ? publicInfo(parseStoredInfo(active, `DynamoDB ${tableName} active item`)) : undefined;
    },

    async getVersion(version) {
      const item = await getItem(ROUTES, versionKey(version));
      if (!item) return undefined;
      const info = parseStoredInfo(item, `DynamoDB ${tableName} version ${version}`);
      // A version whose activation lost a race never served: it is not history.
      return info.activatedAt === undefined ? undefined : load(info);
    },

    async listVersions({ limit, before }) {
      const versions: VersionInfo[] = [];
      const items = queryItems(client, {
        TableName: tableName,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
        ExpressionAttributeValues: marshall({ ":pk": ROUTES, ":from": "v#", ":to": before === undefined ? "v#~" : versionKey(before - 1) }),
        ScanIndexForward: false,
        Limit: limit,
      });
      for await (const item of items) {
        const info = parseStoredInfo(item, `DynamoDB ${tableName} versions`);
        // Versions that never served are skipped, so more than one page may be needed.
        if (info.activatedAt !== undefined) versions.push(publicInfo(info));
        if (versions.length === limit) break;
      }
      return versions;
    },

    async listAudit({ limit }) {
      const result = await client.query({
        TableName: tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: marshall({ ":pk": AUDIT }),
        ScanIndexForward: false,
        Limit: limit,
      });
      return (result.Items ?? []).map((item) => {
        const { pk: _pk, sk, ...entry } = unmarshall(item);
        return { id: String(sk), ...entry } as AuditEntry;
      });
    },

    async publish(request: PublishRequest) {
      const current = await getItem(ROUTES, "active");
      const activeVersion = current ? Number(current.version) : 0;
      if (activeVersion !== request.expectedVersion) return err({ reason: "stale_version", activeVersion });

      // 1. A fresh version number: an atomic counter, so two writers never share one.
      const counter = await client.updateItem({
        TableName: tableName,
        Key: marshall({ pk: ROUTES, sk: "counter" }),
        UpdateExpression: "ADD #last :one",
        ExpressionAttributeNames: { "#last": "last" },
        ExpressionAttributeValues: marshall({ ":one": 1 }),
        ReturnValues: "UPDATED_NEW",
      });
      const version = Number(unmarshall(counter.Attributes ?? {}).last);

      // 2. The immutable version: table parts first, then the version item naming them.
      const encoded = await encodeTable(request.table);
      const parts = Math.max(1, Math.ceil(encoded.bytes.byteLength / partBytes));
      for (let part = 0; part < parts; part++) {
        const data = encoded.bytes.subarray(part * partBytes, (part + 1) * partBytes);
        await putNew({ pk: ROUTES, sk: partKey(version, part), data });
      }
      const info: StoredInfo = {
        version,
        parent: activeVersion,
        createdAt: now().toISOString(),
        author: request.author,
        reason: request.reason,
        action: request.action,
        ...(request.restoredFrom === undefined ? {} : { restoredFrom: request.restoredFrom }),
        routeCount: request.table.routes.length,
        parts,
        sha256: encoded.sha256,
      };
      await putNew({ pk: ROUTES, sk: versionKey(version), ...info });

      // 3. Activate, only if nobody else did since we read the active version.
      const activatedAt = now().toISOString();
      try {
        await client.putItem({
          TableName: tableName,
          Item: marshall({ pk: ROUTES, sk: "active", ...info, activatedAt }),
          ConditionExpression: activeVersion === 0 ? "attribute_not_exists(pk)" : "version = :expected",
          ExpressionAttributeValues: activeVersion === 0 ? undefined : marshall({ ":expected": activeVersion }),
        });
      } catch (error) {
        if (error instanceof DynamoRequestError && error.code === "ConditionalCheckFailedException") {
          const latest = await getItem(ROUTES, "active");
          return err({ reason: "stale_version", activeVersion: latest ? Number(latest.version) : 0 });
        }
        throw error;
      }

      // 4. Mark the version as one that served (listings and rollbacks show only those), and
      // record the change. The change is live now: a failure here is reported, not raised.
      const recorded = await Promise.allSettled([
        client.updateItem({
          TableName: tableName,
          Key: marshall({ pk: ROUTES, sk: versionKey(version) }),
          UpdateExpression: "SET activatedAt = :at",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeValues: marshall({ ":at": activatedAt }),
        }),
        withRetries(() =>
          putNew({
            pk: AUDIT,
            sk: `${info.createdAt}#v${pad(version)}`,
            at: info.createdAt,
            actor: request.author,
            action: request.action,
            reason: request.reason,
            before: activeVersion,
            after: version,
            ...(request.details === undefined ? {} : { details: request.details }),
          }),
        ),
      ]);
      const problems = recorded.filter((result) => result.status === "rejected").map((result) => String((result as PromiseRejectedResult).reason));

      memo = { version, table: request.table, info: publicInfo({ ...info, activatedAt }) };
      return ok(problems.length === 0 ? memo : { ...memo, recordingProblems: problems });
    },
  };

  async function putNew(item: Record<string, unknown>): Promise<void> {
    await client.putItem({
      TableName: tableName,
      Item: marshall(item, { removeUndefinedValues: true }),
      ConditionExpression: "attribute_not_exists(pk)",
    });
  }
}

/** A write that only adds an item is safe to try again. */
async function withRetries<T>(write: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      const exists = error instanceof DynamoRequestError && error.code === "ConditionalCheckFailedException";
      if (exists) return undefined as T; // written by an earlier attempt whose answer was lost
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}
