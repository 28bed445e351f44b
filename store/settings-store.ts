import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoApi } from "./dynamo-api.ts";
import { DynamoRequestError } from "./dynamo-request-error.ts";

/**
 * Settings beside the route table, one item each under `pk = settings` (DESIGN.md "Store"):
 *
 * | pk       | sk           | holds                                                              |
 * |----------|--------------|--------------------------------------------------------------------|
 * | settings | prices       | the prices `GET /cost` estimates with (cost/prices.ts), who set them and why |
 * | settings | decommission | legacy's switch-off: the versions, the grace period, the last keep-warm call |
 *
 * A setting is a JSON document with a revision; every write is conditional on the revision
 * read (0: none yet), so two writers never both win. Only control/ writes here.
 */
export interface StoredSetting<T> {
  readonly value: T;
  readonly revision: number;
  readonly updatedAt: string;
}

export type SettingName = "prices" | "decommission";

export interface SettingsStore {
  get<T>(name: SettingName): Promise<StoredSetting<T> | undefined>;
  /** Stores `value` as revision `expected + 1` if the stored one is still `expected`; false when another writer got there first. */
  put<T>(name: SettingName, value: T, expected: number, at: string): Promise<boolean>;
}

const PK = "settings";

export function createSettingsStore(options: { client: DynamoApi; tableName: string }): SettingsStore {
  const { client, tableName } = options;
  return {
    async get<T>(name: SettingName) {
      const { Item } = await client.getItem({ TableName: tableName, Key: marshall({ pk: PK, sk: name }), ConsistentRead: true });
      if (Item === undefined) return undefined;
      const item = unmarshall(Item);
      if (typeof item.value !== "string" || typeof item.revision !== "number") return undefined;
      return { value: JSON.parse(item.value) as T, revision: item.revision, updatedAt: String(item.updatedAt) };
    },

    async put(name, value, expected, at) {
      try {
        await client.putItem({
          TableName: tableName,
          Item: marshall({ pk: PK, sk: name, value: JSON.stringify(value), revision: expected + 1, updatedAt: at }),
          ...(expected === 0 ? { ConditionExpression: "attribute_not_exists(pk)" } : { ConditionExpression: "revision = :expected", ExpressionAttributeValues: marshall({ ":expected": expected }) }),
        });
        return true;
      } catch (error) {
        if (error instanceof DynamoRequestError && error.code === "ConditionalCheckFailedException") return false;
        throw error;
      }
    },
  };
}
