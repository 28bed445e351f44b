import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoApi } from "./dynamo-api.ts";

type QueryInput = Omit<Parameters<DynamoApi["query"]>[0], "ExclusiveStartKey">;

/**
 * The items a Query matches, unmarshalled, page after page; `break` stops reading further
 * pages. With `Limit`, pages are that size, not the total.
 */
export async function* queryItems(client: DynamoApi, input: QueryInput): AsyncGenerator<Record<string, unknown>> {
  let startKey: Parameters<DynamoApi["query"]>[0]["ExclusiveStartKey"];
  do {
    const page = await client.query({ ...input, ExclusiveStartKey: startKey });
    for (const item of page.Items ?? []) yield unmarshall(item);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}
