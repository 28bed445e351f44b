import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import * as z from "zod/mini";
import { concatBytes } from "../lib/bytes.ts";
import { err, ok, type Result } from "../lib/result.ts";
import { sha256Hex } from "../lib/sha256.ts";
import { LegacyEndpointSchema } from "../migration/endpoint-schema.ts";
import type { LegacyEndpoint, SurfaceFormat } from "../migration/legacy-endpoint.ts";
import type { DynamoApi } from "./dynamo-api.ts";
import { DynamoRequestError } from "./dynamo-request-error.ts";
import { queryItems } from "./query-items.ts";

/**
 * The legacy surface (migration/legacy-endpoint.ts) in the cutover table, beside the route
 * table and versioned like it (DESIGN.md "Store"):
 *
 * | pk     | sk                | holds                                                        |
 * |--------|-------------------|--------------------------------------------------------------|
 * | legacy | counter           | the last import number handed out                            |
 * | legacy | v#000000007       | one import: who, when, why, format, file, endpoint count, parent, parts, SHA-256 |
 * | legacy | e#000000007#0000  | its endpoints: gzip JSON (one endpoint a line), parts of at most 300 KB |
 *
 * An import is immutable. Its parts are written first and its `v#` item last, so an import
 * exists once its `v#` item does; the current surface is the newest `v#` item (one Query,
 * newest first, Limit 1): no pointer to move, and a writer that stopped half-way leaves only
 * unreferenced parts and a gap in the numbers. Every write is a conditional put of a new item
 * (retried when unanswered: finding it there means an earlier attempt wrote it). Only
 * control/legacy-surface.ts writes here.
 */
export interface SurfaceInfo {
  readonly version: number;
  /** The import that was current when this one was made (0 for the first). */
  readonly parent: number;
  readonly createdAt: string;
  readonly author: string;
  readonly reason: string;
  readonly format: SurfaceFormat;
  /** The file it was read from, as the importer named it. */
  readonly sourceName?: string;
  readonly endpointCount: number;
}

export interface StoredSurface {
  readonly info: SurfaceInfo;
  readonly endpoints: readonly LegacyEndpoint[];
}

export interface SurfacePut {
  readonly endpoints: readonly LegacyEndpoint[];
  readonly format: SurfaceFormat;
  readonly sourceName?: string;
  readonly author: string;
  readonly reason: string;
  /** The current import the writer based its change on (0: none yet); another one current refuses. */
  readonly expectedVersion: number;
}

export interface LegacySurfaceStore {
  /** The newest import, with its endpoints. */
  latest(): Promise<StoredSurface | undefined>;
  get(version: number): Promise<StoredSurface | undefined>;
  /** Imports, newest first. */
  list(limit: number): Promise<SurfaceInfo[]>;
  /** Stores a new import, if `expectedVersion` is still the newest one. */
  put(request: SurfacePut): Promise<Result<SurfaceInfo, { readonly reason: "stale_version"; readonly latestVersion: number }>>;
}

const PK = "legacy";
const ATTEMPTS = 3;
const pad = (version: number) => String(version).padStart(9, "0");
const StoredInfoSchema = z.object({
  version: z.number(),
  parent: z.number(),
  createdAt: z.string(),
  author: z.string(),
  reason: z.string(),
  format: z.enum(["rails", "rails-expanded", "openapi"]),
  sourceName: z.optional(z.string()),
  endpointCount: z.number(),
  parts: z.number(),
  sha256: z.string(),
});
type StoredInfo = z.infer<typeof StoredInfoSchema>;

export function createLegacySurfaceStore(options: { readonly client: DynamoApi; readonly tableName: string; readonly now?: () => Date; readonly partBytes?: number }): LegacySurfaceStore {
  const { client, tableName } = options;
  const now = options.now ?? (() => new Date());
  const partBytes = options.partBytes ?? 300_000;

  const putNew = async (item: Record<string, unknown>): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.putItem({ TableName: tableName, Item: marshall(item, { removeUndefinedValues: true }), ConditionExpression: "attribute_not_exists(pk)" });
        return;
      } catch (error) {
        if (error instanceof DynamoRequestError && error.code === "ConditionalCheckFailedException") {
          if (attempt > 1) return; // an earlier, unanswered attempt wrote it
          throw error;
        }
        if (attempt >= ATTEMPTS) throw error;
      }
    }
  };

  const parseInfo = (item: Record<string, unknown>): StoredInfo => {
    const parsed = StoredInfoSchema.safeParse(item);
    if (!parsed.success) throw new Error(`DynamoDB ${tableName}: the legacy surface item ${String(item.sk)} is damaged (${parsed.error.message})`);
    return parsed.data;
  };
  const publicInfo = ({ parts: _parts, sha256: _sha, ...info }: StoredInfo): SurfaceInfo => info;

  const read = async (info: StoredInfo): Promise<StoredSurface> => {
    const chunks: Uint8Array[] = [];
    for await (const item of queryItems(client, { TableName: tableName, KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)", ExpressionAttributeValues: marshall({ ":pk": PK, ":prefix": `e#${pad(info.version)}#` }), ConsistentRead: true })) {
      chunks.push(item.data as Uint8Array);
    }
    const bytes = concatBytes(chunks);
    const source = `DynamoDB ${tableName} legacy surface ${info.version}`;
    if (chunks.length !== info.parts || (await sha256Hex(bytes)) !== info.sha256) throw new Error(`${source}: its stored parts are missing or damaged`);
    const lines = new TextDecoder().decode(await gzip(bytes, new DecompressionStream("gzip"))).split("\n").filter((line) => line !== "");
    const endpoints = lines.map((line, index) => {
      const parsed = LegacyEndpointSchema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`${source}: endpoint ${index} is damaged (${parsed.error.message})`);
      return parsed.data;
    });
    return { info: publicInfo(info), endpoints };
  };

  const newestInfo = async (): Promise<StoredInfo | undefined> => {
    for await (const item of queryItems(client, { TableName: tableName, KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)", ExpressionAttributeValues: marshall({ ":pk": PK, ":prefix": "v#" }), ScanIndexForward: false, Limit: 1, ConsistentRead: true })) {
      return parseInfo(item);
    }
    return undefined;
  };

  return {
    async latest() {
      const info = await newestInfo();
      return info === undefined ? undefined : read(info);
    },

    async get(version) {
      const result = await client.getItem({ TableName: tableName, Key: marshall({ pk: PK, sk: `v#${pad(version)}` }), ConsistentRead: true });
      return result.Item === undefined ? undefined : read(parseInfo(unmarshall(result.Item)));
    },

    async list(limit) {
      const infos: SurfaceInfo[] = [];
      for await (const item of queryItems(client, { TableName: tableName, KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)", ExpressionAttributeValues: marshall({ ":pk": PK, ":prefix": "v#" }), ScanIndexForward: false, Limit: limit, ConsistentRead: true })) {
        infos.push(publicInfo(parseInfo(item)));
        if (infos.length >= limit) break;
      }
      return infos;
    },

    async put(request) {
      const current = (await newestInfo())?.version ?? 0;
      if (current !== request.expectedVersion) return err({ reason: "stale_version", latestVersion: current });
      const counter = await client.updateItem({
        TableName: tableName,
        Key: marshall({ pk: PK, sk: "counter" }),
        UpdateExpression: "ADD #last :one",
        ExpressionAttributeNames: { "#last": "last" },
        ExpressionAttributeValues: marshall({ ":one": 1 }),
        ReturnValues: "UPDATED_NEW",
      });
      const version = Number(unmarshall(counter.Attributes ?? {}).last);
      const bytes = await gzip(new TextEncoder().encode(request.endpoints.map((endpoint) => `${JSON.stringify(endpoint)}\n`).join("")), new CompressionStream("gzip"));
      const parts = Math.max(1, Math.ceil(bytes.byteLength / partBytes));
      for (let part = 0; part < parts; part++) await putNew({ pk: PK, sk: `e#${pad(version)}#${String(part).padStart(4, "0")}`, data: bytes.subarray(part * partBytes, (part + 1) * partBytes) });
      const info: StoredInfo = {
        version,
        parent: current,
        createdAt: now().toISOString(),
        author: request.author,
        reason: request.reason,
        format: request.format,
        ...(request.sourceName === undefined ? {} : { sourceName: request.sourceName }),
        endpointCount: request.endpoints.length,
        parts,
        sha256: await sha256Hex(bytes),
      };
      await putNew({ pk: PK, sk: `v#${pad(version)}`, ...info });
      return ok(publicInfo(info));
    },
  };
}

async function gzip(input: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  void writer.write(input as Uint8Array<ArrayBuffer>).then(() => writer.close(), () => {});
  return new Uint8Array(await new Response(stream.readable).arrayBuffer());
}
