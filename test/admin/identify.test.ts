import { describe, expect, inject, it } from "vitest";
import { createIdentifier, FAILED_LOOKUPS_PER_MINUTE } from "../../admin/identify.ts";
import { parseTokens } from "../../admin/tokens.ts";
import { newTokenValue } from "../../control/tokens.ts";
import { hashToken } from "../../lib/admin-token.ts";
import { createDynamoClient } from "../../cli/dynamo-client.ts";
import { ensureTable } from "../../cli/ensure-table.ts";
import { createDynamoApi } from "../../store/dynamo-api.ts";
import { createTokenStore } from "../../store/token-store.ts";
import { faultyDynamo } from "../support/faulty-dynamo.ts";

const connection = { endpoint: inject("dynamoEndpoint"), region: "us-east-1", accessKeyId: "local", secretAccessKey: "local" };

/** An identifier over a real token store (dynalite) whose reads are counted, and a clock the test moves. */
async function identifierOverStore() {
  const tableName = `cutover-test-${crypto.randomUUID()}`;
  await ensureTable(createDynamoClient(connection, 3), tableName);
  const faulty = faultyDynamo(createDynamoApi(connection));
  const store = createTokenStore({ client: faulty.client, tableName });
  let now = Date.parse("2026-12-07T12:00:00Z");
  const registry = parseTokens(JSON.stringify({ [await hashToken("bootstrap-token-of-any-form")]: { name: "boot", role: "operator" } }));
  const identifier = createIdentifier({ registry: () => registry, store, now: () => now });
  return { identifier, store, reads: () => faulty.calls.filter((call) => call.operation === "getItem").length, advance: (ms: number) => (now += ms), fail: faulty.fail, now: () => now };
}

describe("identifying a bearer or sign-in token", () => {
  it("knows bootstrap tokens of any form in memory, and stored tokens from the store", async () => {
    const { identifier, store, reads, now } = await identifierOverStore();
    expect(await identifier.identify("bootstrap-token-of-any-form")).toEqual({ principal: { name: "boot", role: "operator" } });
    expect(reads()).toBe(0);
    const token = newTokenValue();
    await store.create({ hash: await hashToken(token), name: "ci", role: "viewer", createdBy: "boot", expiresAt: new Date(now() + 86_400_000) });
    expect(await identifier.identify(token)).toEqual({ principal: { name: "ci", role: "viewer" } });
    expect(reads()).toBe(1);
  });

  it("never reads the store for a value that is not of the form cutover issues", async () => {
    const { identifier, reads } = await identifierOverStore();
    for (const value of ["anything", "cut_short", `cut_${"a".repeat(33)}`, `xyz_${"a".repeat(32)}`, `cut_${"a".repeat(31)}!`]) {
      expect(await identifier.identify(value), value).toEqual({ unknown: true });
    }
    expect(reads()).toBe(0);
  });

  it("remembers an unknown token for a minute: the same value again costs no read", async () => {
    const { identifier, reads, advance } = await identifierOverStore();
    const made = newTokenValue();
    for (let i = 0; i < 5; i++) expect(await identifier.identify(made)).toEqual({ unknown: true });
    expect(reads()).toBe(1);
    advance(61_000);
    await identifier.identify(made);
    expect(reads()).toBe(2);
  });

  it("stops looking up unknown tokens after a minute's worth of failures, until the minute is over; bootstrap tokens still work", async () => {
    const { identifier, reads, advance } = await identifierOverStore();
    for (let i = 0; i < FAILED_LOOKUPS_PER_MINUTE; i++) expect(await identifier.identify(newTokenValue())).toEqual({ unknown: true });
    expect(reads()).toBe(FAILED_LOOKUPS_PER_MINUTE);
    const limited = await identifier.identify(newTokenValue());
    expect(limited).toMatchObject({ limited: true });
    expect((limited as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
    expect(reads()).toBe(FAILED_LOOKUPS_PER_MINUTE);
    expect(await identifier.identify("bootstrap-token-of-any-form")).toEqual({ principal: { name: "boot", role: "operator" } });
    advance(60_000);
    expect(await identifier.identify(newTokenValue())).toEqual({ unknown: true });
    expect(reads()).toBe(FAILED_LOOKUPS_PER_MINUTE + 1);
  });

  it("lets a store failure through to the caller (who answers generically) and does not remember it as unknown", async () => {
    const { identifier, store, reads, fail, now } = await identifierOverStore();
    const token = newTokenValue();
    await store.create({ hash: await hashToken(token), name: "ci", role: "viewer", createdBy: "boot", expiresAt: new Date(now() + 86_400_000) });
    fail("getItem", "refused");
    await expect(identifier.identify(token)).rejects.toThrow();
    expect(await identifier.identify(token)).toEqual({ principal: { name: "ci", role: "viewer" } });
    expect(reads()).toBe(2);
  });
});
