import { describe, expect, it } from "vitest";
import { compileBackend } from "../../routes/compile.ts";
import { legacyOnlyPlan, planRequest, type PlanInput } from "../../routes/plan.ts";
import { compiled } from "./fixtures.ts";

const table = compiled(
  [
    { id: "split", match: { path: "/split/:id" }, to: { legacy: 50, accounts: 50 }, sticky: "cookie:session", fallback: "legacy" },
    { id: "single", match: { path: "/single" }, to: "accounts", fallback: { to: "legacy", on: ["404"] } },
    { id: "self-fallback", match: { path: "/self" }, to: "legacy", fallback: "legacy" },
    { id: "shadowed", match: { path: "/shadowed" }, to: "legacy", shadow: { to: "billing", noisePercent: 0 } },
  ],
  42,
);

function input(path: string, extra: Partial<PlanInput> = {}): PlanInput {
  return { method: "GET", host: "shop.example.com", path, headers: new Headers(), clientIp: undefined, override: undefined, roll: () => 0, ...extra };
}

describe("planRequest", () => {
  it("sends what no route matches to the default backend", () => {
    const plan = planRequest(table, input("/elsewhere"));
    expect(plan).toMatchObject({ routeId: "(default)", route: undefined, arm: "default", fallback: undefined, shadow: undefined, version: "42" });
    expect(plan.backend.name).toBe("legacy");
    expect(plan.responseHeaders).toEqual([
      ["x-cutover-route", "(default)"],
      ["x-cutover-backend", "legacy"],
      ["x-cutover-version", "42"],
    ]);
  });

  it("chooses a split's backend by the cohort key, the same on every request", () => {
    const headers = new Headers({ cookie: "session=alice" });
    const first = planRequest(table, input("/split/1", { headers, roll: () => 0 }));
    const again = planRequest(table, input("/split/2", { headers, roll: () => 9999 }));
    expect(first.arm).toBe("split");
    expect(again.backend).toBe(first.backend);
  });

  it("rolls the dice without a cohort key", () => {
    expect(planRequest(table, input("/split/1", { roll: () => 0 })).backend.name).toBe("accounts");
    expect(planRequest(table, input("/split/1", { roll: () => 9999 })).backend.name).toBe("legacy");
  });

  it("carries the route's fallback with its backend resolved, but never a fallback to the backend already chosen", () => {
    const single = planRequest(table, input("/single"));
    expect(single.fallback?.backend.name).toBe("legacy");
    expect([...(single.fallback?.on ?? [])]).toEqual(["404"]);
    expect(planRequest(table, input("/self")).fallback).toBeUndefined();
    expect(planRequest(table, input("/split/1", { roll: () => 9999 })).fallback).toBeUndefined();
  });

  it("honours a verified override for a backend of the route", () => {
    const plan = planRequest(table, input("/split/1", { override: "accounts", roll: () => 9999 }));
    expect(plan).toMatchObject({ arm: "override", backend: { name: "accounts" } });
    expect(plan.responseHeaders).toContainEqual(["x-cutover-backend", "accounts"]);
  });

  it("decides the shadow copy with the route's compiled rules", () => {
    const plan = planRequest(table, input("/shadowed"));
    expect(plan.shadow).toMatchObject({ learnNoise: false, shadow: { backend: { name: "billing" }, maxBodyBytes: 1024 * 1024 } });
    expect(planRequest(table, input("/shadowed", { method: "POST" })).shadow).toBeUndefined();
  });

  it("plans everything to CUTOVER_LEGACY_URL when there is no table", () => {
    const plan = legacyOnlyPlan(compileBackend("legacy", { url: "https://legacy.example.com" }));
    expect(plan).toMatchObject({ routeId: "(default)", version: "none", backend: { name: "legacy", timeoutMs: 30_000 } });
  });
});
