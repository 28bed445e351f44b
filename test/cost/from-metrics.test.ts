import { describe, expect, it } from "vitest";
import { candidateBackends, hourTraffic, measuredWindow, routeTraffic } from "../../cost/from-metrics.ts";

const point = (at: string, requests: number, mean: number | null | undefined) => ({ at, requests, served: requests - 1, latencyMs: mean === undefined ? {} : { mean } });

describe("cost's inputs from the admin API's metrics", () => {
  it("takes a route's totals per backend, a missing or null mean as unknown", () => {
    expect(routeTraffic("accounts", { legacy: point("2026-12-01T00:00:00Z", 10, 40), accounts: point("2026-12-01T00:00:00Z", 5, null), old: point("2026-12-01T00:00:00Z", 3, undefined) }, ["accounts"])).toEqual({
      route: "accounts",
      backends: { legacy: { requests: 10, served: 9, meanMs: 40 }, accounts: { requests: 5, served: 4, meanMs: null }, old: { requests: 3, served: 2, meanMs: null } },
      candidates: ["accounts"],
    });
    expect(routeTraffic("idle", {}).candidates).toEqual([]);
  });

  it("flattens a route's hourly series, one cell per backend and hour", () => {
    expect(hourTraffic("accounts", { legacy: [point("2026-12-01T00:00:00.000Z", 4, 20), point("2026-12-01T01:00:00.000Z", 6, 30)], accounts: [point("2026-12-01T01:00:00.000Z", 2, undefined)] })).toEqual([
      { at: "2026-12-01T00:00:00.000Z", route: "accounts", backend: "legacy", requests: 4, served: 3, meanMs: 20 },
      { at: "2026-12-01T01:00:00.000Z", route: "accounts", backend: "legacy", requests: 6, served: 5, meanMs: 30 },
      { at: "2026-12-01T01:00:00.000Z", route: "accounts", backend: "accounts", requests: 2, served: 1, meanMs: null },
    ]);
  });

  it("names where a route is moving: what it sends, shadows or dual-writes to, legacy left out, once each", () => {
    expect(candidateBackends({ id: "a", to: { legacy: 90, accounts: 10 }, shadow: { to: "accounts-v2" }, dualWrite: { to: "accounts" } }, "legacy")).toEqual(["accounts", "accounts-v2"]);
    expect(candidateBackends({ id: "b", to: "legacy" }, "legacy")).toEqual([]);
    expect(candidateBackends({ id: "c", to: "orders" }, "legacy")).toEqual(["orders"]);
  });

  it("measures from the first hour with traffic when the deployment is younger than the window, else from the window's start", () => {
    const since = "2026-11-20T00:00:00.000Z";
    const until = "2026-12-04T00:00:00.000Z";
    const cell = (at: string, requests: number) => ({ at, route: "r", backend: "legacy", requests, served: requests, meanMs: 10 });
    expect(measuredWindow(since, until, [cell("2026-12-02T05:00:00.000Z", 3), cell("2026-12-01T07:00:00.000Z", 1), cell("2026-11-30T00:00:00.000Z", 0)])).toEqual({ from: "2026-12-01T07:00:00.000Z", until });
    expect(measuredWindow(since, until, [cell("2026-11-19T00:00:00.000Z", 2)])).toEqual({ from: since, until });
    expect(measuredWindow(since, until, [])).toEqual({ from: since, until });
  });
});
