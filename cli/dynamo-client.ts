import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoConnection } from "../store/dynamo-api.ts";

/**
 * The AWS SDK's DynamoDB client, for the CLI and tools (`cutover init` creates the table with
 * it). The Worker uses the four calls of `createDynamoApi` instead, which keep its bundle small.
 */
export function createDynamoClient(connection: DynamoConnection, maxAttempts = 1): DynamoDBClient {
  return new DynamoDBClient({
    region: connection.region,
    endpoint: connection.endpoint || undefined,
    credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey, sessionToken: connection.sessionToken },
    maxAttempts,
  });
}
