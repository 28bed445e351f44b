import { describe, expect, it } from "vitest";
import { burndownVersions, legacyBurndown } from "../../migration/burndown.ts";
import type { LegacyEndpoint } from "../../migration/legacy-endpoint.ts";
import { compiled } from "../routes/fixtures.ts";

const endpoint = (method: string, pattern: string): LegacyEndpoint => ({ method, pattern, source: pattern, action: "", kind: "action" });

/** A made-up legacy app of five endpoints. */
const SURFACE = [endpoint("GET", "/users/:id"), endpoint("POST", "/users"), endpoint("GET", "/orders/:id"), endpoint("*", "/reports/:id"), endpoint("GET", "/pricing")];

/** Three versions of the table: the users' reads move legacy → split → new, orders are shadowed then split, the users' writes get a route last. */
const V1 = compiled([{ id: "users-read", match: { path: "/users/:id", methods: ["GET"] }, to: "legacy" }], 1);
const V2 = compiled(
  [
    { id: "users-read", match: { path: "/users/:id", methods: ["GET"] }, to: { legacy: 90, accounts: 10 } },
    { id: "orders", match: { path: "/orders/*" }, to: "legacy", shadow: { to: "billing" } },
    { id: "reports", match: { path: "/reports/:id", methods: ["GET"] }, to: "legacy" },
  ],
  2,
);
const V3 = compiled(
  [
    { id: "users-read", match: { path: "/users/:id", methods: ["GET"] }, to: "accounts" },
    { id: "users-write", match: { path: "/users", methods: ["POST"] }, to: "accounts" },
    { id: "orders", match: { path: "/orders/*" }, to: { legacy: 50, billing: 50 } },
    { id: "reports", match: { path: "/reports/:id", methods: ["GET"] }, to: "legacy" },
  ],
  3,
);

describe("the legacy surface's burndown", () => {
  it("counts the endpoints at each stage per version, unrouted ones as legacy", () => {
    const points = legacyBurndown(SURFACE, [
      { at: "2026-11-01T00:00:00.000Z", table: V1 },
      { at: "2026-11-02T00:00:00.000Z", table: V2 },
      { at: "2026-11-03T00:00:00.000Z", table: V3 },
    ]);
    expect(points).toEqual([
      // Only GET /users/:id is routed, to legacy; the four others go to the default backend.
      { at: "2026-11-01T00:00:00.000Z", version: 1, counts: { legacy: 5, "dual-write": 0, shadow: 0, split: 0, "read-through": 0, new: 0 }, unrouted: 4 },
      // An endpoint of every method is covered by the route for its GETs (reports, at legacy); POST /users by none.
      { at: "2026-11-02T00:00:00.000Z", version: 2, counts: { legacy: 3, "dual-write": 0, shadow: 1, split: 1, "read-through": 0, new: 0 }, unrouted: 2 },
      { at: "2026-11-03T00:00:00.000Z", version: 3, counts: { legacy: 2, "dual-write": 0, shadow: 0, split: 1, "read-through": 0, new: 2 }, unrouted: 1 },
    ]);
  });

  it("has no point without versions, and counts nothing for an empty surface", () => {
    expect(legacyBurndown(SURFACE, [])).toEqual([]);
    expect(legacyBurndown([], [{ at: "2026-11-01T00:00:00.000Z", table: V3 }])).toEqual([{ at: "2026-11-01T00:00:00.000Z", version: 3, counts: { legacy: 0, "dual-write": 0, shadow: 0, split: 0, "read-through": 0, new: 0 }, unrouted: 0 }]);
  });
});

describe("the versions a burndown shows", () => {
  const since = Date.parse("2026-11-10T00:00:00.000Z");
  /** Newest first, as the store lists them. */
  const listed = [
    { version: 5, createdAt: "2026-11-12T09:59:58.000Z", effectiveAt: "2026-11-12T10:00:00.000Z" },
    { version: 4, createdAt: "2026-11-11T00:00:00.000Z" },
    { version: 3, createdAt: "2026-11-09T23:59:59.000Z", effectiveAt: "2026-11-10T00:00:01.000Z" },
    { version: 2, createdAt: "2026-11-05T00:00:00.000Z" },
    { version: 1, createdAt: "2026-11-01T00:00:00.000Z" },
  ];

  it("takes those that began serving in the window, oldest first, and the one serving at its start, placed at the start", () => {
    expect(burndownVersions(listed, since, 100)).toEqual([
      { version: 2, at: "2026-11-10T00:00:00.000Z" },
      // Written before the window, served from within it.
      { version: 3, at: "2026-11-10T00:00:01.000Z" },
      { version: 4, at: "2026-11-11T00:00:00.000Z" },
      { version: 5, at: "2026-11-12T10:00:00.000Z" },
    ]);
  });

  it("keeps the newest `cap` of the window and then nothing before it; with nothing new in the window, the one serving all along", () => {
    expect(burndownVersions(listed, since, 2)).toEqual([
      { version: 4, at: "2026-11-11T00:00:00.000Z" },
      { version: 5, at: "2026-11-12T10:00:00.000Z" },
    ]);
    expect(burndownVersions(listed.slice(3), since, 100)).toEqual([{ version: 2, at: "2026-11-10T00:00:00.000Z" }]);
    expect(burndownVersions([], since, 100)).toEqual([]);
  });
});
