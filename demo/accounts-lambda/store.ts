import { ConditionalCheckFailedException, CreateTableCommand, DescribeTableCommand, GetItemCommand, PutItemCommand, ScanCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";

export interface Account {
  readonly id: string;
  readonly name: string;
  readonly plan: string;
  readonly balanceCents: number;
}

/**
 * The new accounts service's own store: a DynamoDB table keyed by `id` (in the story, the
 * table the legacy app's records are migrated into). Writes never overwrite a record: a
 * dual-written copy, a retried one and the backfill's copy of the same record meet on its id.
 */
export interface AccountsStore {
  get(id: string): Promise<Account | undefined>;
  list(): Promise<Account[]>;
  /** Stores `account` unless its id is taken; answers the record stored under the id either way. */
  create(account: Account): Promise<{ readonly account: Account; readonly created: boolean }>;
}

export function dynamoAccountsStore(client: DynamoDBClient, table: string): AccountsStore {
  const get = async (id: string) => {
    const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: marshall({ id }), ConsistentRead: true }));
    return Item === undefined ? undefined : (unmarshall(Item) as Account);
  };
  return {
    get,
    async list() {
      const accounts: Account[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await client.send(new ScanCommand({ TableName: table, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start as never } : {}) }));
        accounts.push(...(page.Items ?? []).map((item) => unmarshall(item) as Account));
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return accounts.sort(byId);
    },
    async create(account) {
      try {
        await client.send(new PutItemCommand({ TableName: table, Item: marshall(account), ConditionExpression: "attribute_not_exists(id)" }));
        return { account, created: true };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        return { account: (await get(account.id)) ?? account, created: false };
      }
    },
  };
}

/** Creates the accounts table (on-demand, keyed by `id`) unless it exists. */
export async function ensureAccountsTable(client: DynamoDBClient, table: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: table }));
    return;
  } catch (error) {
    if (!(error instanceof Error) || error.name !== "ResourceNotFoundException") throw error;
  }
  await client.send(new CreateTableCommand({ TableName: table, BillingMode: "PAY_PER_REQUEST", AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }], KeySchema: [{ AttributeName: "id", KeyType: "HASH" }] }));
  for (let attempt = 0; attempt < 50; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    if (Table?.TableStatus === "ACTIVE") return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Numeric ids (the legacy app's) in order, then the others (the new service's UUIDs). */
function byId(a: Account, b: Account): number {
  const [x, y] = [Number(a.id), Number(b.id)];
  if (Number.isInteger(x) && Number.isInteger(y)) return x - y;
  if (Number.isInteger(x) !== Number.isInteger(y)) return Number.isInteger(x) ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
