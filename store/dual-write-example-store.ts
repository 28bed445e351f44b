import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import * as z from "zod/mini";
import type { DynamoApi } from "./dynamo-api.ts";
import { DynamoRequestError } from "./dynamo-request-error.ts";
import { queryItems } from "./query-items.ts";

/**
 * Examples of dual-write copies that failed or disagreed with legacy's write
 * (worker/dual-write-examples.ts), the newest 20 per route, in a ring of slots:
 *
 * | pk                | sk            | holds                                                                  |
 * |-------------------|---------------|------------------------------------------------------------------------|
 * | dualwrite#<route> | next          | `seq`: how many examples were handed a slot (an atomic ADD), expiresAt |
 * | dualwrite#<route> | ex#00 … ex#19 | example number `seq` in slot (seq - 1) mod 20: `seq`, `at`, `example` (JSON), expiresAt |
 *
 * Storing one is an UpdateItem (ADD 1 to `next`, the new number returned) and a PutItem into
 * its slot on the condition that the slot holds an older example, or an expired one: two
 * isolates storing at once take two slots, a slow writer never puts an older example over a
 * newer one, and a route never has more than 21 items — with no read, no delete and no
 * transaction (the embedded DynamoDB of the tests has none). Every item carries `expiresAt`
 * (14 days, DynamoDB's TTL); reads skip the expired ones, which dynalite never deletes.
 *
 * An example is only an example: a write whose outcome is unknown is not sent again.
 */
export interface DualWriteExample {
  /** When the copy's outcome was known (ISO time). */
  readonly at: string;
  readonly route: string;
  /** The route table version that planned the write. */
  readonly version: number | null;
  /** The new backend (`dualWrite.to`). */
  readonly candidate: string;
  /** `failed`: no answer, or 5xx; `disagreed`: another status than legacy's. */
  readonly outcome: "failed" | "disagreed";
  readonly method: string;
  /** Path and query as sent, redacted as a shadow sample's (compare/scrub-urls.ts `redactTarget`). */
  readonly path: string;
  /** cutover's id for the request, as its log lines carry it. */
  readonly requestId: string;
  readonly legacyStatus: number;
  /** The new backend's status; null when it gave no answer. */
  readonly candidateStatus: number | null;
  /** Why there was no answer: `timeout`, `error: <message>`, `refused: <why>`; null with an answer. */
  readonly candidateError: string | null;
  /** The Idempotency-Key the copy carried. */
  readonly idempotencyKey: string | null;
  /** X-Cutover-Legacy-Id: the id legacy gave the record, when its answer had one. */
  readonly legacyId: string | null;
  /** The start of the new backend's answer (512 bytes), redacted as shadow values are; null without one. */
  readonly candidateBody: string | null;
}

export interface DualWriteExampleStore {
  /** Stores an example as its route's newest, over the oldest of the route's 20. */
  add(example: DualWriteExample): Promise<void>;
  /** A route's examples, newest first: at most `limit` (and 20), none expired. */
  read(route: string, limit?: number): Promise<DualWriteExample[]>;
}

export const MAX_EXAMPLES_PER_ROUTE = 20;
const EXAMPLE_TTL_SECONDS = 14 * 24 * 3600;

const StoredExample = z.object({
  at: z.string(),
  route: z.string(),
  version: z.nullable(z.number()),
  candidate: z.string(),
  outcome: z.enum(["failed", "disagreed"]),
  method: z.string(),
  path: z.string(),
  requestId: z.string(),
  legacyStatus: z.number(),
  candidateStatus: z.nullable(z.number()),
  candidateError: z.nullable(z.string()),
  idempotencyKey: z.nullable(z.string()),
  legacyId: z.nullable(z.string()),
  candidateBody: z.nullable(z.string()),
});

export function createDualWriteExampleStore(options: { client: DynamoApi; tableName: string; now?: () => Date }): DualWriteExampleStore {
  const { client, tableName } = options;
  const now = options.now ?? (() => new Date());
  const nowSeconds = () => Math.floor(now().getTime() / 1000);
  const partition = (route: string) => `dualwrite#${route}`;

  return {
    async add(example) {
      const pk = partition(example.route);
      const at = nowSeconds();
      const expiresAt = at + EXAMPLE_TTL_SECONDS;
      const counter = await client.updateItem({
        TableName: tableName,
        Key: marshall({ pk, sk: "next" }),
        UpdateExpression: "ADD #seq :one SET expiresAt = :expiresAt",
        ExpressionAttributeNames: { "#seq": "seq" },
        ExpressionAttributeValues: marshall({ ":one": 1, ":expiresAt": expiresAt }),
        ReturnValues: "UPDATED_NEW",
      });
      const seq = unmarshall(counter.Attributes ?? {}).seq;
      if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1) throw new Error(`DynamoDB ${tableName}: ${pk} next holds no example number`);
      try {
        await client.putItem({
          TableName: tableName,
          Item: marshall({ pk, sk: slotKey(seq), seq, at: example.at, example: JSON.stringify(example), expiresAt }),
          ConditionExpression: "attribute_not_exists(#seq) OR #seq < :seq OR expiresAt <= :now",
          ExpressionAttributeNames: { "#seq": "seq" },
          ExpressionAttributeValues: marshall({ ":seq": seq, ":now": at }),
        });
      } catch (error) {
        // A newer example is in the slot already (this writer was slow): it stays.
        if (error instanceof DynamoRequestError && error.code === "ConditionalCheckFailedException") return;
        throw error;
      }
    },

    async read(route, limit = MAX_EXAMPLES_PER_ROUTE) {
      const items: Record<string, unknown>[] = [];
      // At most 20 items of a few KB: one page.
      for await (const item of queryItems(client, {
        TableName: tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :slot)",
        ExpressionAttributeValues: marshall({ ":pk": partition(route), ":slot": "ex#" }),
      })) {
        items.push(item);
      }
      return newestExamples(items, nowSeconds(), limit);
    },
  };
}

/** The slot of example number `seq` (from 1): the ring's oldest is overwritten. */
export function slotKey(seq: number): string {
  return `ex#${String((seq - 1) % MAX_EXAMPLES_PER_ROUTE).padStart(2, "0")}`;
}

/** Slot items as stored: the unexpired, readable ones, newest first (by time, then number), at most `limit`. */
export function newestExamples(items: readonly Record<string, unknown>[], nowSeconds: number, limit: number): DualWriteExample[] {
  const kept: { seq: number; example: DualWriteExample }[] = [];
  for (const item of items) {
    if (typeof item.expiresAt === "number" && item.expiresAt <= nowSeconds) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(item.example));
    } catch {
      continue; // a damaged example is skipped, never shown
    }
    const example = StoredExample.safeParse(parsed);
    if (example.success) kept.push({ seq: typeof item.seq === "number" ? item.seq : 0, example: example.data });
  }
  kept.sort((a, b) => (a.example.at === b.example.at ? b.seq - a.seq : a.example.at < b.example.at ? 1 : -1));
  return kept.slice(0, Math.max(0, Math.min(limit, MAX_EXAMPLES_PER_ROUTE))).map((entry) => entry.example);
}
