import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";

/**
 * Creates cutover's DynamoDB table (pk/sk strings, on-demand billing, TTL on `expiresAt`)
 * unless it exists; waits until it is ACTIVE. For `cutover init`: needs CreateTable, which
 * the Worker's own credentials never have.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<"created" | "exists"> {
  let outcome: "created" | "exists" = "created";
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
        ],
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    outcome = "exists";
  }
  let active = false;
  for (let attempt = 0; attempt < 1200 && !active; attempt++) {
    const description = await client.send(new DescribeTableCommand({ TableName: tableName }));
    active = description.Table?.TableStatus === "ACTIVE";
    if (!active) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!active) throw new Error(`DynamoDB table ${tableName} did not become ACTIVE within a minute`);
  try {
    await client.send(
      new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true } }),
    );
  } catch (error) {
    // Already enabled (ValidationException: "TimeToLive is already enabled"), or a local
    // DynamoDB without TTL (dynalite: UnknownOperationException): readers filter on
    // expiresAt anyway. Anything else, such as AccessDenied, is a real failure.
    const name = error instanceof Error ? error.name : "";
    const message = error instanceof Error ? error.message : "";
    if (!(name === "UnknownOperationException" || /already enabled/i.test(message) || /UnknownOperation/.test(message))) throw error;
  }
  return outcome;
}
