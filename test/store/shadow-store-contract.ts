import { describe, expect, it } from "vitest";
import { emptyStats, mergeStats, type ShadowStats } from "../../compare/shadow-stats.ts";
import type { ShadowStore } from "../../store/shadow-store.ts";
import type { Fault } from "../support/faulty-dynamo.ts";

/**
 * The contract every shadow store passes, from Node and from inside workerd. `create` gives
 * a store over a fresh table, and a way to make its next write of one item fail.
 */
export interface ShadowStoreFixture {
  create(): Promise<{ store: ShadowStore; failNextWrite(sk: string, fault: Fault): void; writes(): number }>;
}

function batch(compared: number, field?: string): ShadowStats {
  const stats = emptyStats();
  stats.compared = compared;
  stats.controlLatency.set(3, compared);
  stats.candidateLatency.set(5, compared);
  stats.signatures.set(field ?? "", compared);
  if (field) stats.fields.set(field, compared);
  return stats;
}

export function describeShadowStoreContract(name: string, fixture: ShadowStoreFixture): void {
  describe(`${name}: shadow store contract`, () => {
    it("adds up what several isolates flush, exactly", async () => {
      const { store } = await fixture.create();
      const flushes = [batch(3), batch(2, "body:$.a"), batch(5, "body:$.a")];
      const outcomes = await Promise.all(flushes.map((stats) => store.flush("r", stats)));
      expect(outcomes.every((outcome) => outcome.retry === undefined && outcome.lost === 0)).toBe(true);
      const stored = await store.read("r");
      expect(stored).toMatchObject({ compared: 10, fields: { "body:$.a": 7 }, signatures: { "": 3, "body:$.a": 7 } });
      expect(stored.controlLatency).toEqual({ 3: 10 });
      expect(stored.candidateLatency).toEqual({ 5: 10 });
    });

    it("writes one item per flush when every comparison matched, however many there were", async () => {
      const { store, writes } = await fixture.create();
      const before = writes();
      expect(await store.flush("r", batch(250))).toEqual({ retry: undefined, lost: 0 });
      expect(writes() - before).toBe(1);
      expect(await store.read("r")).toMatchObject({ compared: 250, signatures: { "": 250 }, controlLatency: { 3: 250 }, candidateLatency: { 5: 250 } });
    });

    it("hands back a refused stats item whole: counters, exact matches and histograms", async () => {
      const { store, failNextWrite } = await fixture.create();
      failNextWrite("stats", "refused");
      const first = await store.flush("r", batch(4));
      expect(first.lost).toBe(0);
      expect(first.retry).toMatchObject({ compared: 4 });
      expect(first.retry?.signatures.get("")).toBe(4);
      expect(first.retry?.controlLatency.get(3)).toBe(4);
      expect(await store.flush("r", first.retry ?? emptyStats())).toEqual({ retry: undefined, lost: 0 });
      expect(await store.read("r")).toMatchObject({ compared: 4, signatures: { "": 4 }, controlLatency: { 3: 4 }, candidateLatency: { 5: 4 } });
    });

    it("hands back what DynamoDB refused, and sending it again gives exact totals", async () => {
      const { store, failNextWrite } = await fixture.create();
      failNextWrite("field#body:$.a", "refused");
      const first = await store.flush("r", batch(4, "body:$.a"));
      expect(first.lost).toBe(0);
      expect(first.retry?.fields.get("body:$.a")).toBe(4);
      expect(first.retry?.compared).toBe(0); // the stats item itself was written
      expect((await store.read("r")).fields["body:$.a"]).toBeUndefined();

      const next = batch(1, "body:$.a");
      mergeStats(next, first.retry ?? emptyStats());
      expect(await store.flush("r", next)).toEqual({ retry: undefined, lost: 0 });
      expect(await store.read("r")).toMatchObject({ compared: 5, fields: { "body:$.a": 5 } });
    });

    it("drops a write whose outcome is unknown and counts it as lost: never twice", async () => {
      const { store, failNextWrite } = await fixture.create();
      failNextWrite("stats", "lost");
      const outcome = await store.flush("r", batch(6));
      expect(outcome).toEqual({ retry: undefined, lost: 1 });
      // It did apply, and nothing asks to send it again: counted once.
      expect((await store.read("r")).compared).toBe(6);
    });

    it("counts a write that never arrived as lost too, so counts may come out low, never high", async () => {
      const { store, failNextWrite } = await fixture.create();
      failNextWrite("stats", "dropped");
      expect(await store.flush("r", batch(6))).toEqual({ retry: undefined, lost: 1 });
      expect((await store.read("r")).compared).toBe(0);
    });

    it("stores how each header differed with its field, adds it up, and hands it back when refused", async () => {
      const { store, failNextWrite } = await fixture.create();
      const headers = (compared: number) => {
        const stats = batch(compared);
        stats.fields.set("header:x-frame-options", compared);
        stats.headerKinds.set("header:x-frame-options", { missing: compared - 1, extra: 0, value: 1 });
        stats.fields.set("body:$.a", 1);
        return stats;
      };
      await store.flush("r", headers(3));
      failNextWrite("field#header:x-frame-options", "refused");
      const outcome = await store.flush("r", headers(4));
      expect(outcome.retry?.headerKinds.get("header:x-frame-options")).toEqual({ missing: 3, extra: 0, value: 1 });
      expect(await store.flush("r", outcome.retry ?? emptyStats())).toEqual({ retry: undefined, lost: 0 });
      const stored = await store.read("r");
      expect(stored.fields).toEqual({ "header:x-frame-options": 7, "body:$.a": 2 });
      // A body field has no kinds; a header's add up to its count.
      expect(stored.headerKinds).toEqual({ "header:x-frame-options": { missing: 5, extra: 0, value: 2 } });
    });

    it("keeps routes apart", async () => {
      const { store } = await fixture.create();
      await store.flush("a", batch(1));
      await store.flush("b", batch(2));
      expect((await store.read("a")).compared).toBe(1);
      expect((await store.read("b")).compared).toBe(2);
      expect((await store.read("never")).compared).toBe(0);
    });
  });
}
