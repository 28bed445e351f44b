import { describe, expect, it } from "vitest";
import { BUCKETS } from "../../routes/cohort.ts";
import { chooseShadow } from "../../routes/shadow-sampling.ts";
import { compiled } from "./fixtures.ts";

function shadowOf(shadow: Record<string, unknown>) {
  const route = compiled([{ id: "r", match: { path: "/r" }, to: "legacy", shadow: { to: "accounts", ...shadow } }]).routes[0];
  if (!route?.shadow) throw new Error("no shadow");
  return route.shadow;
}

const facts = { method: "GET", servedBy: "legacy", cohortKey: undefined, roll: 0, noiseRoll: BUCKETS - 1 };

describe("chooseShadow", () => {
  it("copies safe methods only, unless the route allows others", () => {
    expect(chooseShadow(shadowOf({}), facts)?.shadow.backend.name).toBe("accounts");
    expect(chooseShadow(shadowOf({}), { ...facts, method: "POST" })).toBeUndefined();
    expect(chooseShadow(shadowOf({ unsafeMethods: true }), { ...facts, method: "POST" })).toBeDefined();
  });

  it("never copies a request the shadow backend serves itself", () => {
    expect(chooseShadow(shadowOf({}), { ...facts, servedBy: "accounts" })).toBeUndefined();
  });

  it("samples by the roll without a cohort key", () => {
    const tenth = shadowOf({ percent: 10 });
    expect(chooseShadow(tenth, { ...facts, roll: 999 })).toBeDefined();
    expect(chooseShadow(tenth, { ...facts, roll: 1000 })).toBeUndefined();
  });

  it("samples sticky per cohort key: a user is copied on every request or on none, about `percent` of users", () => {
    const quarter = shadowOf({ percent: 25 });
    let sampled = 0;
    for (let user = 0; user < 10_000; user++) {
      const first = chooseShadow(quarter, { ...facts, cohortKey: `u${user}`, roll: 0 }) !== undefined;
      const again = chooseShadow(quarter, { ...facts, cohortKey: `u${user}`, roll: BUCKETS - 1 }) !== undefined;
      expect(again).toBe(first);
      if (first) sampled++;
    }
    expect(Math.abs(sampled / 100 - 25)).toBeLessThanOrEqual(1);
  });

  it("learns noise on a share of safe requests only", () => {
    const noisy = shadowOf({ noisePercent: 5, unsafeMethods: true });
    expect(chooseShadow(noisy, { ...facts, noiseRoll: 499 })?.learnNoise).toBe(true);
    expect(chooseShadow(noisy, { ...facts, noiseRoll: 500 })?.learnNoise).toBe(false);
    expect(chooseShadow(noisy, { ...facts, method: "POST", noiseRoll: 0 })?.learnNoise).toBe(false);
  });
});
