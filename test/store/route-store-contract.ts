import { describe, expect, it } from "vitest";
import { InvalidRouteTableError } from "../../store/invalid-route-table-error.ts";
import { NoRouteTableError } from "../../store/no-route-table-error.ts";
import type { RouteTableSource, RouteTableStore } from "../../store/route-store.ts";
import { validateRouteTable, type ValidatedRouteTable } from "../../routes/validate.ts";
import { generateTable } from "../../fixtures/big-table.ts";

/**
 * The contract every route table source passes: the static source, and the DynamoDB store
 * from Node and from inside workerd. `seed` makes a source holding `raw` exactly as given
 * (possibly invalid), or nothing when `raw` is undefined.
 */
export interface SourceFixture {
  seed(raw: unknown): Promise<RouteTableSource>;
}

export const sampleTable = {
  backends: { legacy: { url: "https://my-app.herokuapp.com" }, accounts: { url: "https://abc.lambda-url.us-east-1.on.aws", timeoutMs: 10_000 } },
  default: "legacy",
  routes: [{ id: "accounts-read", match: { path: "/api/accounts/:id", methods: ["GET"] }, to: { legacy: 90, accounts: 10 }, sticky: "cookie:sid" }],
};

export function valid(raw: unknown): ValidatedRouteTable {
  const result = validateRouteTable(raw);
  if (!result.ok) throw new Error(`test table invalid: ${JSON.stringify(result.error)}`);
  return result.value;
}

export function describeSourceContract(name: string, fixture: SourceFixture): void {
  describe(`${name}: route table source contract`, () => {
    it("returns the stored table, validated and frozen, with a version", async () => {
      const active = await (await fixture.seed(sampleTable)).getActive();
      expect(active.version).toBeGreaterThan(0);
      expect(active.table).toEqual(valid(sampleTable));
      expect(Object.isFrozen(active.table.routes)).toBe(true);
    });

    it("refuses a stored table that fails validation, naming the reason", async () => {
      const source = await fixture.seed({ ...sampleTable, default: "heroku" });
      const failure = await source.getActive().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(InvalidRouteTableError);
      expect((failure as InvalidRouteTableError).issues).toContainEqual({ path: "$.default", message: expect.stringContaining("unknown backend 'heroku'") });
    });

    it("says when it holds no table at all", async () => {
      await expect((await fixture.seed(undefined)).getActive()).rejects.toBeInstanceOf(NoRouteTableError);
    });

    it("round-trips a 10 000-route table", async () => {
      const big = generateTable(10_000);
      const active = await (await fixture.seed(big)).getActive();
      expect(active.table.routes).toHaveLength(10_000);
      expect(active.table).toEqual(valid(big));
    });
  });
}

/** A fresh, empty store, and a way to open a second instance over the same stored data. */
export interface StoreFixture {
  create(): Promise<{ store: RouteTableStore; reopen(): RouteTableStore }>;
}

/** The contract of a store that keeps versions and an audit log. */
export function describeStoreContract(name: string, fixture: StoreFixture): void {
  describe(`${name}: versioned store contract`, () => {
    const v1 = valid(sampleTable);
    const v2 = valid({ ...sampleTable, routes: [{ ...sampleTable.routes[0], to: { legacy: 50, accounts: 50 } }] });
    const v3 = valid({ ...sampleTable, routes: [] });
    const change = (table: ValidatedRouteTable, expectedVersion: number, reason = "test") => ({
      table,
      expectedVersion,
      author: "alice",
      reason,
      action: "apply" as const,
    });

    it("starts empty, then activates each published version", async () => {
      const { store, reopen } = await fixture.create();
      expect(await store.activeVersion()).toBe(0);
      await expect(store.getActive()).rejects.toBeInstanceOf(NoRouteTableError);

      const first = await store.publish(change(v1, 0, "first"));
      if (!first.ok) throw new Error("publish failed");
      expect(first.value.info).toMatchObject({ parent: 0, author: "alice", reason: "first", action: "apply", routeCount: 1 });
      const active = await reopen().getActive();
      expect(active.version).toBe(first.value.version);
      expect(active.table).toEqual(v1);
      expect(active.info).toEqual(first.value.info);

      const second = await store.publish(change(v2, first.value.version));
      if (!second.ok) throw new Error("publish failed");
      expect(second.value.version).toBeGreaterThan(first.value.version);
      expect(second.value.info?.parent).toBe(first.value.version);
      expect((await reopen().getActive()).table).toEqual(v2);
    });

    it("refuses a write based on a stale version and loses nothing", async () => {
      const { store, reopen } = await fixture.create();
      const first = await store.publish(change(v1, 0));
      if (!first.ok) throw new Error("publish failed");
      const second = await store.publish(change(v2, first.value.version));
      if (!second.ok) throw new Error("publish failed");

      const stale = await store.publish(change(v3, first.value.version));
      expect(stale).toEqual({ ok: false, error: { reason: "stale_version", activeVersion: second.value.version } });
      expect((await reopen().getActive()).table).toEqual(v2);
      expect((await reopen().getVersion(first.value.version))?.table).toEqual(v1);
    });

    it("lets exactly one of two concurrent writers win", async () => {
      const { store, reopen } = await fixture.create();
      const base = await store.publish(change(v1, 0));
      if (!base.ok) throw new Error("publish failed");
      const other = reopen();
      const results = await Promise.all([store.publish(change(v2, base.value.version, "a")), other.publish(change(v3, base.value.version, "b"))]);
      const winners = results.filter((result) => result.ok);
      expect(winners).toHaveLength(1);
      const winner = winners[0];
      if (!winner?.ok) throw new Error("no winner");
      const active = await reopen().getActive();
      expect(active.version).toBe(winner.value.version);
      expect(active.table).toEqual(winner.value.table);
      const loser = results.find((result) => !result.ok);
      expect(loser).toMatchObject({ ok: false, error: { reason: "stale_version", activeVersion: winner.value.version } });
      // The loser's version never served: it is not history, and cannot be rolled back to;
      // the number it took is explained.
      const listing = await reopen().listVersions({ limit: 10 });
      expect(listing.versions.map((info) => info.version)).toEqual([winner.value.version, base.value.version]);
      expect(listing.skipped.map((gap) => gap.reason)).toEqual(listing.skipped.map(() => expect.stringMatching(/never activated|did not complete/)));
    });

    it("keeps every version readable and lists them newest first", async () => {
      const { store } = await fixture.create();
      const versions: number[] = [];
      let expected = 0;
      for (const table of [v1, v2, v3]) {
        const result = await store.publish(change(table, expected));
        if (!result.ok) throw new Error("publish failed");
        versions.push((expected = result.value.version));
      }
      expect((await store.getVersion(versions[0] as number))?.table).toEqual(v1);
      expect((await store.getVersion(versions[1] as number))?.table).toEqual(v2);
      expect(await store.getVersion(999_999)).toBeUndefined();
      const list = async (options: { limit: number; before?: number }) => (await store.listVersions(options)).versions.map((info) => info.version);
      expect(await list({ limit: 10 })).toEqual([...versions].reverse());
      expect(await list({ limit: 2 })).toEqual([versions[2], versions[1]]);
      expect(await list({ limit: 10, before: versions[2] })).toEqual([versions[1], versions[0]]);
      expect((await store.listVersions({ limit: 10 })).skipped).toEqual([]);
    });

    it("records an audit entry for every write: who, when, why, before and after", async () => {
      const { store } = await fixture.create();
      const first = await store.publish(change(v1, 0, "seed"));
      if (!first.ok) throw new Error("publish failed");
      const second = await store.publish({
        table: v2,
        expectedVersion: first.value.version,
        author: "bob",
        reason: "10 % to accounts",
        action: "weights",
        details: { route: "accounts-read", before: { legacy: 90, accounts: 10 }, after: { legacy: 50, accounts: 50 } },
      });
      if (!second.ok) throw new Error("publish failed");
      const audit = await store.listAudit({ limit: 10 });
      expect(audit).toHaveLength(2);
      expect(audit[0]).toMatchObject({
        actor: "bob",
        action: "weights",
        reason: "10 % to accounts",
        before: first.value.version,
        after: second.value.version,
        details: { route: "accounts-read", after: { legacy: 50, accounts: 50 } },
      });
      expect(audit[1]).toMatchObject({ actor: "alice", action: "apply", reason: "seed", before: 0, after: first.value.version });
      expect(Date.parse(audit[0]?.at ?? "")).not.toBeNaN();
    });

    it("makes no version for a change that changes nothing", async () => {
      const { store } = await fixture.create();
      const first = await store.publish(change(v1, 0));
      if (!first.ok) throw new Error("publish failed");
      const again = await store.publish(change(v1, first.value.version, "same again"));
      expect(again).toMatchObject({ ok: true, value: { version: first.value.version, unchanged: true } });
      // A retry whose first attempt already took effect gets the same answer, not a 412.
      expect(await store.publish(change(v1, 0, "retried"))).toMatchObject({ ok: true, value: { version: first.value.version, unchanged: true } });
      expect((await store.listVersions({ limit: 10 })).versions).toHaveLength(1);
      expect(await store.listAudit({ limit: 10 })).toHaveLength(1);
    });

    it("records operator actions other than table changes in the audit log", async () => {
      const { store } = await fixture.create();
      await store.recordAudit({ actor: "olivia", action: "token-create", reason: "CI deploys", details: { name: "ci", role: "operator" } });
      expect(await store.listAudit({ limit: 1 })).toMatchObject([{ actor: "olivia", action: "token-create", reason: "CI deploys", details: { name: "ci" } }]);
    });

    it("stores and activates a 10 000-route table", async () => {
      const { store, reopen } = await fixture.create();
      const big = valid(generateTable(10_000));
      const result = await store.publish(change(big, 0));
      if (!result.ok) throw new Error("publish failed");
      expect((await reopen().getActive()).table).toEqual(big);
    });
  });
}
