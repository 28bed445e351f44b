import { describe, expect, it } from "vitest";
import { compileBackend } from "../../routes/compile.ts";
import { legacyOnlyHeaders, legacyOnlyPlan, planRequest as plan, type PlanInput, type RequestPlan } from "../../routes/plan.ts";
import type { CompiledTable } from "../../routes/compile.ts";
import { compiled, tableOf } from "./fixtures.ts";
import { compileTable } from "../../routes/compile.ts";

const table = compiled(
  [
    { id: "split", match: { path: "/split/:id" }, to: { legacy: 50, accounts: 50 }, sticky: "cookie:session", fallback: "legacy" },
    { id: "single", match: { path: "/single" }, to: "accounts", fallback: { to: "legacy", on: ["404"] } },
    { id: "self-fallback", match: { path: "/self" }, to: "legacy", fallback: "legacy" },
    { id: "shadowed", match: { path: "/shadowed" }, to: "legacy", shadow: { to: "billing", noisePercent: 0 } },
  ],
  42,
);

function input(rawPath: string, extra: Partial<PlanInput> = {}): PlanInput {
  return { method: "GET", host: "shop.example.com", rawPath, headers: new Headers(), clientIp: undefined, override: undefined, roll: () => 0, mintCohort: () => "minted-cohort-000000000", ...extra };
}

function planRequest(compiled: CompiledTable, request: PlanInput): RequestPlan {
  const result = plan(compiled, request);
  if (!result.ok) throw new Error(result.error.detail);
  return result.value;
}

describe("planRequest", () => {
  it("sends what no route matches to the default backend", () => {
    const chosen = planRequest(table, input("/elsewhere"));
    expect(chosen).toMatchObject({ routeId: "(default)", route: undefined, arm: "default", fallback: undefined, shadow: undefined, version: "42" });
    expect(chosen.backend.name).toBe("legacy");
    expect(chosen.responseHeaders).toEqual([
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
    const chosen = planRequest(table, input("/split/1", { override: { backend: "accounts", route: undefined }, roll: () => 9999 }));
    expect(chosen).toMatchObject({ arm: "override", backend: { name: "accounts" } });
    expect(chosen.responseHeaders).toContainEqual(["x-cutover-backend", "accounts"]);
  });

  it("decides the shadow copy with the route's compiled rules", () => {
    const chosen = planRequest(table, input("/shadowed"));
    expect(chosen.shadow).toMatchObject({ learnNoise: false, shadow: { backend: { name: "billing" }, maxBodyBytes: 1024 * 1024 } });
    expect(planRequest(table, input("/shadowed", { method: "POST" })).shadow).toBeUndefined();
  });

  describe("the cutover cohort", () => {
    const cohorts = compileTable(
      tableOf(
        [
          { id: "split", match: { path: "/split" }, to: { legacy: 50, accounts: 50 } },
          { id: "sampled", match: { path: "/sampled" }, to: "legacy", shadow: { to: "billing", percent: 10 } },
          { id: "all-shadowed", match: { path: "/all-shadowed" }, to: "legacy", shadow: { to: "billing" } },
          { id: "single", match: { path: "/single" }, to: "accounts" },
          { id: "by-ip", match: { path: "/by-ip" }, to: { legacy: 50, accounts: 50 }, sticky: "ip" },
          { id: "by-user", match: { path: "/by-user" }, to: { legacy: 50, accounts: 50 }, sticky: "session:user_id" },
        ],
        { defaultSticky: "cutover", session: { type: "rails", cookie: "_app_session" } },
      ),
      3,
    );
    const VALID = "AbCdEfGhIjKlMnOpQrSt-_";

    it("makes one for a visitor without one, decides by it and hands it back, where a split or a sampled shadow used it", () => {
      for (const path of ["/split", "/sampled"]) {
        const chosen = planRequest(cohorts, input(path));
        expect(chosen, path).toMatchObject({ cohortKey: "minted-cohort-000000000", newCohort: "minted-cohort-000000000" });
      }
      const split = planRequest(cohorts, input("/split", { roll: () => 0 }));
      expect(planRequest(cohorts, input("/split", { roll: () => 9999 })).backend).toBe(split.backend);
      expect(planRequest(cohorts, input("/split", { headers: new Headers({ cookie: "cutover_cohort=minted-cohort-000000000" }) })).backend).toBe(split.backend);
    });

    it("sets none where the route used none: one backend, a shadow of everything, another sticky, no route", () => {
      let minted = 0;
      const counting = (path: string) => planRequest(cohorts, input(path, { clientIp: "198.51.100.7", mintCohort: () => `minted-${++minted}` }));
      expect(counting("/single").newCohort).toBeUndefined();
      expect(counting("/all-shadowed").newCohort).toBeUndefined();
      expect(counting("/by-ip")).toMatchObject({ cohortKey: "198.51.100.7", newCohort: undefined });
      const unrouted = counting("/elsewhere");
      expect([unrouted.cohortKey, unrouted.newCohort]).toEqual([undefined, undefined]);
      // Nor is one minted (16 random bytes per request) where no cohort matters.
      expect(minted).toBe(0);
    });

    it("reads a visitor's own cohort back and sets nothing, and replaces one cutover did not make", () => {
      expect(planRequest(cohorts, input("/split", { headers: new Headers({ cookie: `cutover_cohort=${VALID}` }) }))).toMatchObject({ cohortKey: VALID, newCohort: undefined });
      expect(planRequest(cohorts, input("/split", { headers: new Headers({ cookie: "cutover_cohort=forged" }) }))).toMatchObject({ cohortKey: "minted-cohort-000000000", newCohort: "minted-cohort-000000000" });
    });

    it("keys session:FIELD by the user when the session names one, by the cutover cohort otherwise", () => {
      const sessionField = (field: string) => (field === "user_id" ? "42" : undefined);
      expect(planRequest(cohorts, input("/by-user", { sessionField }))).toMatchObject({ cohortKey: "session:42", newCohort: undefined });
      expect(planRequest(cohorts, input("/by-user", { sessionField: () => undefined }))).toMatchObject({ cohortKey: "minted-cohort-000000000", newCohort: "minted-cohort-000000000" });
      expect(planRequest(cohorts, input("/by-user"))).toMatchObject({ cohortKey: "minted-cohort-000000000" });
    });
  });

  it("plans everything to CUTOVER_LEGACY_URL when there is no table", () => {
    const legacy = compileBackend("legacy", { url: "https://legacy.example.com" });
    expect(legacyOnlyPlan(legacy, "//a/../b", legacyOnlyHeaders(legacy))).toMatchObject({
      ok: true,
      value: { path: "/b", routeId: "(default)", version: "none", backend: { name: "legacy", timeoutMs: 30_000 } },
    });
    expect(legacyOnlyPlan(legacy, "/a%2Fb", legacyOnlyHeaders(legacy))).toMatchObject({ ok: false, error: { reason: "encoded_slash" } });
  });

  it("matches the path the policy normalized, and forwards it in the route pattern's form", () => {
    const paths = compiled([
      { id: "item", match: { path: "/api/accounts/:id" }, to: "accounts" },
      { id: "dir", match: { path: "/docs/" }, to: "billing" },
      { id: "files", match: { path: "/files/*" }, to: "billing" },
    ]);
    for (const raw of ["/api/accounts/1", "//api/accounts/1", "/api//accounts/1", "/api/accounts/1/", "/api/x/../accounts/1", "/api/%61ccounts/1"]) {
      expect(planRequest(paths, input(raw)), raw).toMatchObject({ routeId: "item", path: "/api/accounts/1" });
    }
    expect(planRequest(paths, input("/docs"))).toMatchObject({ routeId: "dir", path: "/docs/" });
    expect(planRequest(paths, input("/files/a/"))).toMatchObject({ routeId: "files", path: "/files/a/" });
    expect(planRequest(paths, input("/elsewhere/"))).toMatchObject({ routeId: "(default)", path: "/elsewhere/" });
  });

  it("refuses what the path policy refuses, before matching", () => {
    expect(plan(table, input("/api/accounts;x=1/1"))).toMatchObject({ ok: false, error: { reason: "path_parameters", knob: "pathParameters" } });
  });
});
