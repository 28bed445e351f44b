import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoApi } from "./dynamo-api.ts";
import { queryItems } from "./query-items.ts";

/**
 * Admin tokens stored in the cutover table, one item each under `pk = token`, keyed by the
 * SHA-256 of the token (the token itself is shown once, to its creator, and never stored).
 * Revoking sets `revokedAt`; `expiresAt` (epoch seconds) lets DynamoDB's TTL remove expired
 * ones, and readers check it themselves, since TTL deletes late (and dynalite never).
 */
export interface StoredToken {
  /** The first 12 hex digits of the hash: enough to name it, useless to sign in with. */
  readonly id: string;
  readonly name: string;
  readonly role: "viewer" | "operator";
  readonly createdAt: string;
  readonly createdBy: string;
  readonly expiresAt: string;
  readonly revokedAt?: string;
}

export interface TokenStore {
  create(token: { hash: string; name: string; role: "viewer" | "operator"; createdBy: string; expiresAt: Date }): Promise<StoredToken>;
  /** The token with this hash, if it exists, is not revoked and has not expired. */
  find(hash: string, now: Date): Promise<StoredToken | undefined>;
  list(): Promise<StoredToken[]>;
  /** Revokes the token whose id (hash prefix) this is; undefined when there is none. */
  revoke(id: string, now: Date): Promise<StoredToken | undefined>;
}

const PK = "token";
const ID_LENGTH = 12;

export function createTokenStore(options: { client: DynamoApi; tableName: string }): TokenStore {
  const { client, tableName } = options;
  const toToken = (item: Record<string, unknown>): StoredToken => ({
    id: String(item.sk).slice(0, ID_LENGTH),
    name: String(item.name),
    role: item.role === "operator" ? "operator" : "viewer",
    createdAt: String(item.createdAt),
    createdBy: String(item.createdBy),
    expiresAt: new Date(Number(item.expiresAt) * 1000).toISOString(),
    ...(typeof item.revokedAt === "string" ? { revokedAt: item.revokedAt } : {}),
  });
  const all = async () => {
    const items: Record<string, unknown>[] = [];
    for await (const item of queryItems(client, { TableName: tableName, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: marshall({ ":pk": PK }), ConsistentRead: true })) items.push(item);
    return items;
  };
  return {
    async create(token) {
      const item = {
        pk: PK,
        sk: token.hash,
        name: token.name,
        role: token.role,
        createdAt: new Date().toISOString(),
        createdBy: token.createdBy,
        expiresAt: Math.floor(token.expiresAt.getTime() / 1000),
      };
      await client.putItem({ TableName: tableName, Item: marshall(item), ConditionExpression: "attribute_not_exists(pk)" });
      return toToken(item);
    },
    async find(hash, now) {
      const result = await client.getItem({ TableName: tableName, Key: marshall({ pk: PK, sk: hash }), ConsistentRead: true });
      if (!result.Item) return undefined;
      const item = unmarshall(result.Item);
      if (item.revokedAt !== undefined || Number(item.expiresAt) * 1000 <= now.getTime()) return undefined;
      return toToken(item);
    },
    async list() {
      return (await all()).map(toToken).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
    },
    async revoke(id, now) {
      const item = (await all()).find((candidate) => String(candidate.sk).startsWith(id));
      if (item === undefined || id.length < 6) return undefined;
      const revokedAt = now.toISOString();
      await client.updateItem({
        TableName: tableName,
        Key: marshall({ pk: PK, sk: String(item.sk) }),
        UpdateExpression: "SET revokedAt = if_not_exists(revokedAt, :at)",
        ExpressionAttributeValues: marshall({ ":at": revokedAt }),
      });
      return toToken({ ...item, revokedAt: item.revokedAt ?? revokedAt });
    },
  };
}
