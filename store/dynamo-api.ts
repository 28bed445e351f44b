// Types only: the SDK's attribute shapes, which @aws-sdk/util-dynamodb's marshall produces.
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { signAws, type AwsCredentials } from "../aws/sign.ts";
import { fromBase64, toBase64 } from "../lib/base64.ts";
import { DynamoRequestError } from "./dynamo-request-error.ts";

export type AttributeMap = Record<string, AttributeValue>;

export interface DynamoApi {
  getItem(input: { TableName: string; Key: AttributeMap; ConsistentRead?: boolean }): Promise<{ Item?: AttributeMap }>;
  putItem(input: {
    TableName: string;
    Item: AttributeMap;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: AttributeMap;
  }): Promise<unknown>;
  updateItem(input: {
    TableName: string;
    Key: AttributeMap;
    UpdateExpression: string;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: AttributeMap;
    ReturnValues?: "NONE" | "UPDATED_OLD" | "UPDATED_NEW" | "ALL_NEW";
  }): Promise<{ Attributes?: AttributeMap }>;
  query(input: {
    TableName: string;
    KeyConditionExpression: string;
    ExpressionAttributeValues?: AttributeMap;
    ExclusiveStartKey?: AttributeMap;
    ScanIndexForward?: boolean;
    Limit?: number;
    ConsistentRead?: boolean;
    Select?: "COUNT" | "ALL_ATTRIBUTES";
  }): Promise<{ Items?: AttributeMap[]; LastEvaluatedKey?: AttributeMap; Count?: number }>;
}

export interface DynamoConnection {
  readonly region: string;
  /** Only for a local DynamoDB (dynalite): http://127.0.0.1:4567. */
  readonly endpoint?: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/**
 * The four DynamoDB operations cutover uses (GetItem, PutItem, UpdateItem, Query) over the
 * DynamoDB JSON protocol, signed with SigV4. One attempt per call: the config cache bounds
 * and retries reads itself, a write is retried by its author.
 *
 * Why not @aws-sdk/client-dynamodb in the Worker: measured, the SDK made up some 165 KB of
 * the minified bundle and took it over the 100 KB gzip budget (bench/RESULTS.md); these four
 * calls are a small, stable protocol. The CLI still uses the SDK for CreateTable.
 */
/**
 * Every call is small (DynamoDB answers in milliseconds); one that takes this long is not
 * going to answer. Short enough that an admin call over a hanging store answers 503 within
 * about 3 s (admin/app.ts), long enough for a cold TLS connection.
 */
const CALL_TIMEOUT_MS = 2_500;

export function createDynamoApi(connection: DynamoConnection): DynamoApi {
  const url = connection.endpoint ? `${connection.endpoint.replace(/\/+$/, "")}/` : `https://dynamodb.${connection.region}.amazonaws.com/`;
  const credentials: AwsCredentials = {
    accessKeyId: connection.accessKeyId,
    secretAccessKey: connection.secretAccessKey,
    ...(connection.sessionToken ? { sessionToken: connection.sessionToken } : {}),
  };

  async function call<T>(operation: string, input: unknown): Promise<T> {
    const body = JSON.stringify(input, (_key, value: unknown) => (value instanceof Uint8Array ? toBase64(value) : value));
    const headers = new Headers({ "content-type": "application/x-amz-json-1.0", "x-amz-target": `DynamoDB_20120810.${operation}` });
    const signed = await signAws({
      method: "POST",
      url,
      signedHeaders: Object.fromEntries(headers),
      body,
      region: connection.region,
      service: "dynamodb",
      credentials,
    });
    for (const [name, value] of signed) headers.set(name, value);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
      text = await response.text();
    } catch (error) {
      // No answer from DynamoDB: whether the call took effect is unknown (status 0).
      throw new DynamoRequestError("NetworkError", `DynamoDB ${operation}: ${error instanceof Error ? error.message : String(error)}`, 0);
    }
    let parsed: Record<string, unknown>;
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      throw new DynamoRequestError("InvalidResponse", `DynamoDB ${operation} answered ${response.status} with a body that is not JSON`, response.status);
    }
    if (!response.ok) {
      const code = String(parsed.__type ?? "UnknownError").split("#").pop() ?? "UnknownError";
      const message = String(parsed.message ?? parsed.Message ?? `DynamoDB ${operation} answered ${response.status}`);
      throw new DynamoRequestError(code, message, response.status);
    }
    return decodeBinary(parsed) as T;
  }

  return {
    getItem: (input) => call("GetItem", input),
    putItem: (input) => call("PutItem", input),
    updateItem: (input) => call("UpdateItem", input),
    query: (input) => call("Query", input),
  };
}

/** `{ "B": "<base64>" }` → bytes, at any depth (items, maps, lists). */
function decodeBinary(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeBinary);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = key === "B" && typeof inner === "string" ? fromBase64(inner) : decodeBinary(inner);
  return out;
}
