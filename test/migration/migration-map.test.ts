import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../cli/wrangler-dev.ts";
import { endpointKey } from "../../migration/legacy-endpoint.ts";
import { migrationMap, type TrafficTemplate } from "../../migration/migration-map.ts";
import { readLegacySurface } from "../../migration/read-legacy-surface.ts";
import { routeStage } from "../../migration/route-stage.ts";
import { matchTemplate } from "../../migration/template-match.ts";
import { compiled } from "../routes/fixtures.ts";

const DAY = 86_400_000;
const NOW = Date.parse("2026-11-25T12:00:00Z");
const ago = (days: number) => new Date(NOW - days * DAY).toISOString();
const shop = readLegacySurface(readFileSync(path.join(PROJECT_ROOT, "fixtures", "legacy-surface", "rails-shop.txt"), "utf8")).endpoints;

describe("a template matched to an endpoint", () => {
  it.each([
    ["/users/:id", "/users/:id", "cb"],
    ["/users/search", "/users/:id", "cb"],
    ["/users/search", "/users/search", "cc"],
    ["/blog/articles", "/blog/*", "ca"],
    ["/sidekiq", "/sidekiq/*", "ca"],
    ["/users/:id/", "/users/:id", "cb"],
    ["/", "/", ""],
    ["/a/b/c/d/e/f/g/h/*", "/a/b/c/d/e/f/g/h/:id/i", "cccccccca"],
  ])("%s by %s: %s", (template, pattern, score) => {
    expect(matchTemplate(template, { pattern })).toBe(score);
  });

  it.each([
    ["/users/:id", "/users/new"],
    ["/users", "/users/:id"],
    ["/users/:id/orders", "/users/:id"],
    ["/users.json", "/users"],
    ["/", "/users"],
  ])("%s is not %s", (template, pattern) => {
    expect(matchTemplate(template, { pattern })).toBeUndefined();
  });

  it("takes a format extension where the route did, and a template's parameter where the literal would be one", () => {
    expect(matchTemplate("/users.json", { pattern: "/users", format: true })).toBe("c");
    expect(matchTemplate("/users.json/x", { pattern: "/users/:id", format: true })).toBeUndefined();
    expect(matchTemplate("/pages/:token", { pattern: "/pages/averyveryverylongpagenameindeed" })).toBe("cc");
  });
});

describe("a route's stage", () => {
  it.each([
    [{ to: "legacy" }, "legacy", 0, "legacy"],
    [{ to: "legacy", shadow: { to: "accounts" } }, "shadow", 0, "shadow → accounts"],
    [{ to: { legacy: 90, accounts: 10 } }, "split", 10, "split 10 % → accounts"],
    [{ to: { legacy: 0, accounts: 100 } }, "new", 100, "new (accounts)"],
    [{ to: "accounts" }, "new", 100, "new (accounts)"],
    [{ to: { legacy: 100, accounts: 0 }, shadow: { to: "accounts" } }, "shadow", 0, "shadow → accounts"],
    // A data migration's stages (rollout/route-at-step.ts writes them).
    [{ to: "legacy", dualWrite: { to: "accounts" } }, "dual-write", 0, "dual-write → accounts"],
    [{ to: "legacy", shadow: { to: "accounts" }, dualWrite: { to: "accounts" } }, "shadow", 0, "shadow → accounts, writes copied to accounts"],
    [{ to: { legacy: 90, accounts: 10 }, dualWrite: { to: "accounts" } }, "split", 10, "split 10 % → accounts, writes copied to accounts"],
    [{ to: "accounts", fallback: { to: "legacy", on: ["404"], unsafeMethods: true } }, "read-through", 100, "read-through (accounts)"],
    // A fallback on errors alone is a safety net, not a read-through.
    [{ to: "accounts", fallback: "legacy" }, "new", 100, "new (accounts)"],
    [{ to: "accounts", fallback: { to: "legacy", on: ["5xx"] } }, "new", 100, "new (accounts)"],
    // Reading through to another new backend is not legacy's business.
    [{ to: "accounts", fallback: { to: "accounts-v1", on: ["404"] } }, "new", 100, "new (accounts)"],
  ] as const)("%j is %s", (route, stage, percent, label) => {
    expect(routeStage(route as never, "legacy")).toEqual({ stage, percent, label });
  });
});

describe("the migration map", () => {
  const table = compiled([
    { id: "orders", match: { path: "/users/:uid/orders/:id", methods: ["GET"] }, to: { legacy: 90, accounts: 10 }, sticky: "none" },
    { id: "api", match: { path: "/api/v1/*" }, to: "billing" },
    { id: "products", match: { path: "/products/:id" }, to: "legacy", shadow: { to: "accounts" } },
  ]);
  const templates: TrafficTemplate[] = [
    { template: "/users/:id", count: 40, methods: ["GET", "PATCH"], lastSeen: ago(1) },
    { template: "/users/:id/orders/search", count: 7, methods: ["GET"], lastSeen: ago(2) },
    { template: "/pricing.json", count: 3, methods: ["GET"], lastSeen: ago(0.5) },
    { template: "/blog/articles/:id", count: 12, methods: ["GET", "HEAD"], lastSeen: ago(3) },
    { template: "/sidekiq/queues/default", count: 2, methods: ["GET", "POST"], lastSeen: ago(1) },
    { template: "/reports/:id", count: 5, methods: ["GET"], lastSeen: ago(20) },
    { template: "/wp-login.php", count: 90, methods: ["GET", "POST"], lastSeen: ago(0.1) },
    { template: "/session", count: 4, methods: ["POST", "PUT"], lastSeen: ago(1) },
  ];
  const map = migrationMap({ endpoints: shop, table, templates, now: NOW, windowMs: 14 * DAY });
  const standing = (key: string) => map.endpoints.find((entry) => endpointKey(entry.endpoint) === key)?.standing;

  it("says which route covers an endpoint, at what stage", () => {
    expect(standing("GET /users/:user_id/orders/:id")).toEqual({ state: "covered", route: "orders", stage: { stage: "split", percent: 10, label: "split 10 % → accounts" } });
    expect(standing("POST /api/v1/invoices")).toMatchObject({ state: "covered", route: "api", stage: { stage: "new" } });
    expect(standing("GET /products/:id")).toMatchObject({ state: "covered", route: "products", stage: { stage: "shadow" } });
    // The orders route lists GET only: the collection's POST is not covered by it.
    expect(standing("POST /users/:user_id/orders")).toMatchObject({ state: "unseen" });
    // The literal `search` is more specific than the route's `:id`... but the matcher picks the route: it is covered.
    expect(standing("GET /users/:user_id/orders/search")).toMatchObject({ state: "covered", route: "orders" });
  });

  it("says which unrouted endpoints traffic reached, per method, through the most specific endpoint", () => {
    expect(standing("GET /users/:id")).toEqual({ state: "seen", requests: 40, lastSeen: ago(1), templates: ["/users/:id"] });
    expect(standing("PATCH /users/:id")).toMatchObject({ state: "seen", requests: 40 });
    expect(standing("PUT /users/:id")).toMatchObject({ state: "unseen", days: 14, lastSeen: null });
    expect(standing("GET /pricing")).toMatchObject({ state: "seen", templates: ["/pricing.json"] });
    expect(standing("GET /blog/articles/:id")).toMatchObject({ state: "seen", requests: 12 });
    expect(standing("* /sidekiq/*")).toMatchObject({ state: "seen", requests: 2 });
    expect(standing("POST /session")).toMatchObject({ state: "seen" });
  });

  it("says how long an endpoint has not been seen: the window, or since older traffic", () => {
    expect(standing("GET /reports/:year")).toEqual({ state: "unseen", days: 20, lastSeen: ago(20) });
    expect(standing("GET /admin/accounts")).toEqual({ state: "unseen", days: 14, lastSeen: null });
  });

  it("lists traffic no endpoint explains, by method", () => {
    expect(map.unexplained).toEqual([
      { template: "/wp-login.php", methods: ["GET", "POST"], count: 90, lastSeen: ago(0.1), coveredBy: null },
      { template: "/session", methods: ["PUT"], count: 4, lastSeen: ago(1), coveredBy: null },
    ]);
  });

  it("counts each state", () => {
    const { summary } = map;
    expect(summary.endpoints).toBe(shop.length);
    expect(summary.covered + summary.seen + summary.unseen).toBe(shop.length);
    expect(summary).toMatchObject({ seen: 6, unexplained: 2, byStage: { split: 2, new: 5, shadow: 1 } });
  });

  it("with a shorter window, older traffic is not seen any more, and without a table nothing is covered", () => {
    const week = migrationMap({ endpoints: shop, table: undefined, templates, now: NOW, windowMs: 2 * DAY });
    const at = (key: string) => week.endpoints.find((entry) => endpointKey(entry.endpoint) === key)?.standing;
    expect(at("GET /blog/articles/:id")).toEqual({ state: "unseen", days: 3, lastSeen: ago(3) });
    expect(at("GET /users/:id")).toMatchObject({ state: "seen" });
    expect(week.summary.covered).toBe(0);
  });
});
