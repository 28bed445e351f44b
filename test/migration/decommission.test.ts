import { describe, expect, it } from "vitest";
import { decommissionCheck, type DecommissionInput } from "../../migration/decommission.ts";

/** What holds legacy up, one kind at a time, and the day nothing does. */
const point = (served: number, fallbacks: Record<string, number> = {}) => ({ served, fallbacks });
const done: DecommissionInput = {
  legacy: "legacy",
  routes: [{ id: "accounts", match: { path: "/accounts/*" }, to: "accounts" }],
  traffic: [{ route: "accounts", backends: { accounts: point(900) } }],
  rollouts: [{ route: "accounts", status: "succeeded", stepLabel: "100 %" }],
  endpoints: [
    { method: "GET", pattern: "/accounts/:id", state: "covered", route: "accounts", stage: "new" },
    { method: "GET", pattern: "/reports/yearly", state: "unseen" },
  ],
  windowDays: 14,
};

describe("decommissionCheck", () => {
  it("lets legacy go when everything is migrated or unused: the unused endpoints are retired with it", () => {
    expect(decommissionCheck(done)).toEqual({ ready: true, holds: [], retired: ["GET /reports/yearly"] });
  });

  it("holds for an endpoint still on legacy, covered at an earlier stage or seen but unrouted", () => {
    const verdict = decommissionCheck({
      ...done,
      endpoints: [
        { method: "POST", pattern: "/orders", state: "covered", route: "orders", stage: "split" },
        { method: "GET", pattern: "/admin/jobs", state: "seen" },
      ],
    });
    expect(verdict.ready).toBe(false);
    expect(verdict.holds).toEqual([
      { kind: "endpoint", subject: "POST /orders", detail: "covered by route orders at stage split, not yet migrated" },
      { kind: "endpoint", subject: "GET /admin/jobs", detail: "unrouted: its traffic goes to legacy (route it, or retire it on purpose)" },
    ]);
  });

  it("holds without an imported route list: nothing says which endpoints exist", () => {
    expect(decommissionCheck({ ...done, endpoints: undefined }).holds.map((h) => h.kind)).toEqual(["no-surface"]);
  });

  it("holds for a route that splits, shadows to, or falls back to legacy", () => {
    const verdict = decommissionCheck({
      ...done,
      routes: [
        { id: "orders", match: { path: "/orders/*" }, to: { legacy: 90, orders: 10 } },
        { id: "search", match: { path: "/search" }, to: "search", fallback: { to: "legacy", on: ["404"] } },
        { id: "feed", match: { path: "/feed" }, to: "feed", shadow: { to: "legacy" } },
      ],
    });
    expect(verdict.holds.map((h) => [h.subject, h.detail])).toEqual([
      ["orders", "at split 10 % → orders: legacy still serves it"],
      ["search", "falls back to legacy: remove the fallback once it no longer fires"],
      ["feed", "shadows to legacy"],
    ]);
  });

  it("holds for legacy traffic in the window, the default route's included, and for fallbacks to legacy that fired", () => {
    const verdict = decommissionCheck({
      ...done,
      traffic: [
        { route: "(default)", backends: { legacy: point(3) } },
        { route: "accounts", backends: { accounts: point(900, { "404": 1 }), legacy: point(1) } },
      ],
    });
    expect(verdict.holds).toEqual([
      { kind: "legacy-traffic", subject: "(default)", detail: "legacy served 3 requests in the last 14 days (no route matched them)" },
      { kind: "legacy-traffic", subject: "accounts", detail: "legacy served 1 request in the last 14 days" },
      { kind: "fallback", subject: "accounts", detail: "the fallback to legacy fired 1 time in the last 14 days" },
    ]);
  });

  it("holds for a fallback named alone, a data migration's stages, and fires under a route since removed", () => {
    const verdict = decommissionCheck({
      ...done,
      routes: [
        { id: "accounts", match: { path: "/accounts/*" }, to: "accounts", fallback: "legacy" },
        { id: "orders", match: { path: "/orders" }, to: "legacy", dualWrite: { to: "orders" } },
      ],
      traffic: [
        { route: "accounts", backends: { accounts: point(900) } },
        { route: "old-search", backends: { search: point(10, { "404": 2 }) } },
      ],
    });
    expect(verdict.holds).toEqual([
      { kind: "route", subject: "accounts", detail: "falls back to legacy: remove the fallback once it no longer fires" },
      { kind: "route", subject: "orders", detail: "at dual-write → orders: legacy still serves it" },
      { kind: "fallback", subject: "old-search", detail: "the fallback to legacy fired 2 times in the last 14 days" },
    ]);
  });

  it("does not count fallbacks to another new backend", () => {
    const verdict = decommissionCheck({
      ...done,
      routes: [{ id: "accounts", match: { path: "/accounts/*" }, to: "accounts", fallback: "accounts-v1" }],
      traffic: [{ route: "accounts", backends: { accounts: point(900, { "5xx": 4 }) } }],
    });
    expect(verdict).toMatchObject({ ready: true, holds: [] });
  });

  it("holds while a rollout runs or is paused, not once it ended", () => {
    const rollouts = [
      { route: "a", status: "running", stepLabel: "10 %" },
      { route: "b", status: "paused", stepLabel: "pause" },
      { route: "c", status: "rolled_back", stepLabel: "50 %" },
      { route: "d", status: "aborted", stepLabel: "1 %" },
    ];
    expect(decommissionCheck({ ...done, rollouts }).holds).toEqual([
      { kind: "rollout", subject: "a", detail: "a rollout is running (10 %)" },
      { kind: "rollout", subject: "b", detail: "a rollout is paused (pause)" },
    ]);
  });
});
