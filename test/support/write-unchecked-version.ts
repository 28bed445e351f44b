import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { isPlainObject } from "../../lib/plain-object.ts";
import { sha256Hex } from "../../lib/sha256.ts";
import { TABLE_SCHEMA_VERSION, type RouteTable } from "../../routes/schema.ts";
import { tableLines } from "../../routes/table-lines.ts";
import type { DynamoApi } from "../../store/dynamo-api.ts";

/** What the store splits a table into (store/dynamo-store.ts `partBytes`). */
const PART_BYTES = 300_000;

/**
 * A route table's stored bytes, for any value, valid or not: laid out one route per line as
 * cutover writes it (`lines`, routes/table-lines.ts), or as one line of JSON as releases before
 * that layout and hand-made items do (`whole`); gzip-compressed, with their SHA-256.
 */
export async function encodeUnchecked(table: unknown, layout: "lines" | "whole" = "lines"): Promise<{ bytes: Uint8Array; sha256: string }> {
  // tableLines lays out any JSON object: a damaged table comes out as cutover would have laid it out.
  const text = layout === "lines" ? tableLines(table as RouteTable) : JSON.stringify(table);
  const bytes = new Uint8Array(await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
  return { bytes, sha256: await sha256Hex(bytes) };
}

export interface UncheckedVersionOptions {
  /**
   * Whether the version item carries TABLE_SCHEMA_VERSION, the stamp cutover puts on every
   * version it publishes, so that readers check only the table's structure. Default false:
   * an older release's item, or a hand-made one, which readers validate in full.
   */
  readonly stamped?: boolean;
  readonly layout?: "lines" | "whole";
  readonly author?: string;
  readonly reason?: string;
}

/**
 * Writes `table` (anything, valid or not) as a new version straight into the store's DynamoDB
 * items, laid out as store/dynamo-store.ts lays them out (the version counter, the table's
 * parts, the version item, the active pointer), and activates it: what a hand edit, another
 * tool or an older release leaves behind. It is how a test stores a table that did not pass
 * validation, since RouteTableStore.publish takes only a ValidatedRouteTable. No condition,
 * no audit entry, no retry: one writer, in a test. Answers the version number.
 */
export async function writeUncheckedVersion(store: { readonly client: DynamoApi; readonly tableName: string }, table: unknown, options: UncheckedVersionOptions = {}): Promise<number> {
  const { client, tableName } = store;
  const key = (sk: string) => marshall({ pk: "routes", sk });
  const activeItem = (await client.getItem({ TableName: tableName, Key: key("active"), ConsistentRead: true })).Item;
  const active = activeItem === undefined ? undefined : unmarshall(activeItem);
  const counter = await client.updateItem({
    TableName: tableName,
    Key: key("counter"),
    UpdateExpression: "ADD #last :one",
    ExpressionAttributeNames: { "#last": "last" },
    ExpressionAttributeValues: marshall({ ":one": 1 }),
    ReturnValues: "UPDATED_NEW",
  });
  const version = Number(unmarshall(counter.Attributes ?? {}).last);
  const padded = String(version).padStart(9, "0");

  const { bytes, sha256 } = await encodeUnchecked(table, options.layout);
  const parts = Math.max(1, Math.ceil(bytes.byteLength / PART_BYTES));
  for (let part = 0; part < parts; part++) {
    const data = bytes.subarray(part * PART_BYTES, (part + 1) * PART_BYTES);
    await client.putItem({ TableName: tableName, Item: marshall({ pk: "routes", sk: `t#${padded}#${String(part).padStart(4, "0")}`, data }) });
  }
  const at = new Date().toISOString();
  const routes = isPlainObject(table) && Array.isArray(table.routes) ? table.routes.length : 0;
  const info = {
    version,
    parent: typeof active?.version === "number" ? active.version : 0,
    createdAt: at,
    activatedAt: at,
    author: options.author ?? "hand-edit",
    reason: options.reason ?? "written without cutover",
    action: "apply",
    routeCount: routes,
    parts,
    sha256,
    ...(options.stamped ? { schema: TABLE_SCHEMA_VERSION } : {}),
  };
  await client.putItem({ TableName: tableName, Item: marshall({ pk: "routes", sk: `v#${padded}`, ...info }) });
  // The override deny-list moves with the active pointer, as the store's own activations carry it.
  const carried = active?.revokedRevision === undefined ? {} : { revokedRevision: active.revokedRevision, revokedOverrides: active.revokedOverrides };
  await client.putItem({ TableName: tableName, Item: marshall({ pk: "routes", sk: "active", ...info, ...carried }, { removeUndefinedValues: true }) });
  return version;
}
