/**
 * The backfill of a data migration, for the demo accounts: copies every record of the legacy
 * store into the new service's table, a few at a time, while traffic flows. In the story it
 * read Postgres and wrote DynamoDB; here it reads the legacy app's own list (its store) and
 * writes the accounts table of the local stack's DynamoDB.
 *
 * Every copy is a conditional put: a record the new store has already — written by a dual
 * write, or by an earlier run of this script — is never overwritten, so the backfill can run
 * at any time, stop and start again. Its progress shows in `cutover migration progress`: the
 * read-through fallback rate falls to zero as it goes.
 *
 *   node demo/backfill.ts --legacy http://127.0.0.1:4001 --dynamodb http://127.0.0.1:PORT [--rate 50]
 *
 * (`npm start` prints both URLs: the demo legacy app and the local DynamoDB.)
 */
import { parseArgs } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { dynamoAccountsStore, type Account } from "./accounts-lambda/store.ts";

export interface BackfillOptions {
  /** The legacy app's origin (its list is the legacy store here). */
  readonly legacy: string;
  readonly dynamodbEndpoint: string;
  readonly table?: string;
  /** Records copied per second at most. */
  readonly perSecond?: number;
  readonly onProgress?: (done: { readonly copied: number; readonly present: number; readonly total: number }) => void;
}

/** Copies what the new store lacks; answers how many it copied and how many were there already. */
export async function backfill(options: BackfillOptions): Promise<{ copied: number; present: number; total: number }> {
  const response = await fetch(new URL("/api/accounts", options.legacy));
  if (!response.ok) throw new Error(`the legacy app answered ${response.status} to GET /api/accounts`);
  const { accounts } = (await response.json()) as { accounts: Account[] };
  const client = new DynamoDBClient({ region: "us-east-1", endpoint: options.dynamodbEndpoint, credentials: { accessKeyId: "AKIDCUTOVERDEV", secretAccessKey: "cutover-dev-secret" } });
  const store = dynamoAccountsStore(client, options.table ?? "accounts");
  const gapMs = 1000 / (options.perSecond ?? 50);
  const done = { copied: 0, present: 0, total: accounts.length };
  for (const account of accounts) {
    const started = Date.now();
    const { created } = await store.create(account);
    if (created) done.copied++;
    else done.present++;
    options.onProgress?.(done);
    const wait = gapMs - (Date.now() - started);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  client.destroy();
  return done;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { legacy: { type: "string" }, dynamodb: { type: "string" }, table: { type: "string" }, rate: { type: "string" } } });
  if (values.legacy === undefined || values.dynamodb === undefined) {
    console.error("usage: node demo/backfill.ts --legacy http://127.0.0.1:4001 --dynamodb http://127.0.0.1:PORT [--table accounts] [--rate 50]");
    process.exit(2);
  }
  const result = await backfill({
    legacy: values.legacy,
    dynamodbEndpoint: values.dynamodb,
    ...(values.table ? { table: values.table } : {}),
    ...(values.rate ? { perSecond: Number(values.rate) } : {}),
    onProgress: (done) => process.stderr.write(`\r${done.copied + done.present} of ${done.total} (${done.copied} copied, ${done.present} there already)`),
  });
  process.stderr.write("\n");
  console.log(`Backfill done: ${result.copied} copied, ${result.present} there already, of ${result.total}.`);
}
