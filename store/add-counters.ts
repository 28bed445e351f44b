import { marshall } from "@aws-sdk/util-dynamodb";
import type { DynamoApi } from "./dynamo-api.ts";
import { DynamoRequestError } from "./dynamo-request-error.ts";

/**
 * One UpdateItem that adds `counters` atomically (ADD), sets `set` and, only where the item has
 * none yet, `setIfAbsent`: how isolates add up counts in one item without reading it.
 */
export async function addCounters(
  client: DynamoApi,
  tableName: string,
  item: {
    readonly pk: string;
    readonly sk: string;
    readonly counters: Readonly<Record<string, number>>;
    readonly set?: Readonly<Record<string, unknown>>;
    readonly setIfAbsent?: Readonly<Record<string, unknown>>;
    /** String sets to add members to (DynamoDB SS). */
    readonly addToSets?: Readonly<Record<string, readonly string[]>>;
    /** Number sets to add members to (DynamoDB NS): a union, so the same members added twice count once. */
    readonly addToNumberSets?: Readonly<Record<string, readonly number[]>>;
    /** Only update an item that exists already (a refusal is ConditionalCheckFailedException). */
    readonly onlyIfExists?: boolean;
  },
): Promise<{ created: boolean }> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const adds: string[] = [];
  const sets: string[] = [];
  let n = 0;
  const name = (attribute: string) => {
    const placeholder = `#n${n++}`;
    names[placeholder] = attribute;
    return placeholder;
  };
  for (const [attribute, value] of Object.entries(item.counters)) {
    if (value === 0) continue;
    adds.push(`${name(attribute)} :v${n}`);
    values[`:v${n}`] = value;
  }
  for (const [attribute, members] of [...Object.entries(item.addToSets ?? {}), ...Object.entries(item.addToNumberSets ?? {})]) {
    // DynamoDB has no empty set.
    if (members.length === 0) continue;
    adds.push(`${name(attribute)} :v${n}`);
    values[`:v${n}`] = new Set<string | number>(members);
  }
  for (const [attribute, value] of Object.entries(item.set ?? {})) {
    sets.push(`${name(attribute)} = :v${n}`);
    values[`:v${n}`] = value;
  }
  for (const [attribute, value] of Object.entries(item.setIfAbsent ?? {})) {
    const placeholder = name(attribute);
    sets.push(`${placeholder} = if_not_exists(${placeholder}, :v${n})`);
    values[`:v${n}`] = value;
  }
  if (adds.length === 0 && sets.length === 0) return { created: false };
  // The item existed when any attribute this update touches had a value before it.
  const { Attributes } = await client.updateItem({
    TableName: tableName,
    Key: marshall({ pk: item.pk, sk: item.sk }),
    UpdateExpression: [sets.length ? `SET ${sets.join(", ")}` : "", adds.length ? `ADD ${adds.join(", ")}` : ""].join(" ").trim(),
    ...(item.onlyIfExists ? { ConditionExpression: "attribute_exists(pk)" } : {}),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: marshall(values),
    ReturnValues: "UPDATED_OLD",
  });
  return { created: Attributes === undefined || Object.keys(Attributes).length === 0 };
}

/**
 * Whether a failed counter write may be sent again: DynamoDB answered with an error, so it did
 * not apply. Without an answer (a timeout, a reset) it may have applied: sending it again could
 * count it twice, so it is dropped and counted as lost.
 */
export function wasRefused(error: unknown): boolean {
  return error instanceof DynamoRequestError && error.status >= 400;
}
