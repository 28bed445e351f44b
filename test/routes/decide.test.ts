import { describe, expect, it } from "vitest";
import { BUCKETS } from "../../routes/cohort.ts";
import { compileTable, splitRanges, type CompiledRoute } from "../../routes/compile.ts";
import { decide } from "../../routes/decide.ts";
import { validateRouteTable } from "../../routes/validate.ts";

function route(to: unknown, extra: Record<string, unknown> = {}): CompiledRoute {
  const result = validateRouteTable({
    backends: { legacy: { url: "https://a.example.com" }, accounts: { url: "https://b.example.com" }, billing: { url: "https://c.example.com" } },
    default: "legacy",
    routes: [{ id: "accounts-read", match: { path: "/api/accounts/:id" }, to, ...extra }],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  const compiled = compileTable(result.value, 1).routes[0];
  if (!compiled) throw new Error("no route");
  return compiled;
}

const noOverride = { override: undefined, roll: 0 };

describe("splitRanges", () => {
  it.each([
    [{ legacy: 75, accounts: 25 }, [{ backend: "accounts", upTo: 2500 }, { backend: "legacy", upTo: 10000 }]],
    [{ accounts: 25, legacy: 75 }, [{ backend: "accounts", upTo: 2500 }, { backend: "legacy", upTo: 10000 }]],
    [{ legacy: 100, accounts: 0 }, [{ backend: "legacy", upTo: 10000 }]],
    [{ legacy: 50, accounts: 30, billing: 20 }, [{ backend: "accounts", upTo: 3000 }, { backend: "billing", upTo: 5000 }, { backend: "legacy", upTo: 10000 }]],
    [{ accounts: 0.01, legacy: 99.99 }, [{ backend: "accounts", upTo: 1 }, { backend: "legacy", upTo: 10000 }]],
  ])("%o → %o", (weights, expected) => {
    expect(splitRanges(weights, "legacy")).toEqual(expected);
  });
});

describe("decide", () => {
  it("sends a single-backend route to that backend", () => {
    expect(decide(route("accounts"), { ...noOverride, cohortKey: "alice" })).toMatchObject({ backend: { name: "accounts" }, reason: "single" });
  });

  it("calls a weights map with all its weight on one backend a split (a rollout's bake: its requests are evidence)", () => {
    expect(decide(route({ legacy: 0, accounts: 100 }), { ...noOverride, cohortKey: "alice" })).toMatchObject({ backend: { name: "accounts" }, reason: "split", bucket: expect.any(Number) });
  });

  it("keeps each key on its backend when the new backend's weight rises: users only move from legacy to new", () => {
    const steps = [0, 1, 10, 25, 50, 75, 99, 100].map((weight) => route({ legacy: 100 - weight, accounts: weight }));
    for (let user = 0; user < 5000; user++) {
      const key = `user-${user}`;
      let wasNew = false;
      for (const step of steps) {
        const isNew = decide(step, { ...noOverride, cohortKey: key }).backend.name === "accounts";
        if (wasNew) expect(isNew, `${key} flapped back to legacy`).toBe(true);
        wasNew = isNew;
      }
      expect(wasNew).toBe(true);
    }
  });

  it.each([1, 10, 25, 50, 90])("puts within 1 %% of 10 000 keys on the new side at weight %i", (weight) => {
    const split = route({ legacy: 100 - weight, accounts: weight });
    let onNew = 0;
    for (let user = 0; user < 10_000; user++) {
      if (decide(split, { ...noOverride, cohortKey: `session-${user}` }).backend.name === "accounts") onNew++;
    }
    expect(Math.abs(onNew / 100 - weight)).toBeLessThanOrEqual(1);
  });

  it("rolls the dice when there is no cohort key", () => {
    const split = route({ legacy: 50, accounts: 50 });
    expect(decide(split, { override: undefined, cohortKey: undefined, roll: 0 })).toMatchObject({ backend: { name: "accounts" }, reason: "split", bucket: 0 });
    expect(decide(split, { override: undefined, cohortKey: undefined, roll: BUCKETS - 1 })).toMatchObject({ backend: { name: "legacy" } });
  });

  it("honours an override for a backend of the route, including a 0 % one and the shadow", () => {
    const dark = route({ legacy: 100, accounts: 0 }, { shadow: { to: "billing" } });
    expect(decide(dark, { ...noOverride, cohortKey: "a", override: "accounts" })).toMatchObject({ backend: { name: "accounts" }, reason: "override" });
    expect(decide(dark, { ...noOverride, cohortKey: "a", override: "billing" })).toMatchObject({ backend: { name: "billing" }, reason: "override" });
  });

  it("ignores an override for a backend the route does not use", () => {
    expect(decide(route("legacy"), { ...noOverride, cohortKey: "a", override: "accounts" }).backend.name).toBe("legacy");
  });
});
