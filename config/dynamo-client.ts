import { DynamoDBClient } from "@aws-sdk/client-dynamodb";

export interface DynamoConnection {
  readonly region: string;
  /** Only for a local DynamoDB (dynalite): http://127.0.0.1:4567. */
  readonly endpoint?: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * A DynamoDB client for the Worker and the CLI. One attempt per call on the request path:
 * the config cache bounds and retries reads itself, and a write is retried by its author.
 */
export function createDynamoClient(connection: DynamoConnection, maxAttempts = 1): DynamoDBClient {
  return new DynamoDBClient({
    region: connection.region,
    endpoint: connection.endpoint || undefined,
    credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey },
    maxAttempts,
  });
}
