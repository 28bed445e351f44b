import { describe, expect, it } from "vitest";
import { changeWeights } from "../../routes/change-weights.ts";
import { tableOf } from "./fixtures.ts";

const table = tableOf([
  { id: "read", match: { path: "/a/:id" }, to: { legacy: 90, accounts: 10 }, sticky: "cookie:s" },
  { id: "other", match: { path: "/b" }, to: "legacy" },
]);

describe("changeWeights", () => {
  it("changes one route's split and leaves every other field and route as it was", () => {
    const result = changeWeights(table, "read", { legacy: 50, accounts: 50 });
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    expect(result.value.before).toEqual({ legacy: 90, accounts: 10 });
    expect(result.value.table.routes[0]).toEqual({ ...table.routes[0], to: { legacy: 50, accounts: 50 } });
    expect(result.value.table.routes[1]).toEqual(table.routes[1]);
    expect(Object.isFrozen(result.value.table)).toBe(true);
  });

  it("writes a single backend at 100 as its name", () => {
    const result = changeWeights(table, "read", { accounts: 100 });
    expect(result.ok && result.value.table.routes[0]?.to).toBe("accounts");
  });

  it("refuses an unknown route by name", () => {
    expect(changeWeights(table, "nope", { legacy: 100 })).toEqual({ ok: false, error: { reason: "unknown_route", route: "nope" } });
  });

  it("refuses weights that do not validate, saying where and why", () => {
    const result = changeWeights(table, "read", { legacy: 50, ghost: 50 });
    expect(result.ok).toBe(false);
    if (result.ok || result.error.reason !== "invalid") throw new Error("expected invalid");
    expect(result.error.issues).toContainEqual({ path: '$.routes[0].to.ghost', message: expect.stringContaining("unknown backend 'ghost'") });
  });
});
