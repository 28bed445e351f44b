import { describe, expect, it } from "vitest";
import { diffTables } from "../../routes/diff-tables.ts";
import { validateRouteTable } from "../../routes/validate.ts";

function table(input: Record<string, unknown>) {
  const result = validateRouteTable({
    backends: { legacy: { url: "https://a.example.com" }, accounts: { url: "https://b.example.com" } },
    default: "legacy",
    routes: [
      { id: "read", match: { path: "/api/accounts/:id" }, to: { legacy: 90, accounts: 10 } },
      { id: "list", match: { path: "/api/accounts" }, to: "accounts" },
    ],
    ...input,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
}

describe("diffTables", () => {
  it("finds no change between equal tables, whatever their key order", () => {
    const reordered = table({ backends: { accounts: { url: "https://b.example.com" }, legacy: { url: "https://a.example.com" } } });
    expect(diffTables(table({}), reordered)).toEqual([]);
  });

  it("lists route and backend additions, removals and field changes", () => {
    const after = table({
      backends: { legacy: { url: "https://a.example.com", timeoutMs: 5000 }, assets: { url: "https://c.example.com" } },
      routes: [
        { id: "read", match: { path: "/api/accounts/:id" }, to: { legacy: 50, assets: 50 } },
        { id: "assets", match: { path: "/assets/*" }, to: "assets" },
      ],
    });
    expect(diffTables(table({ backends: { legacy: { url: "https://a.example.com" }, accounts: { url: "https://b.example.com" }, assets: { url: "https://c.example.com" } } }), after)).toEqual([
      { kind: "backend-changed", name: "legacy", fields: [{ field: "timeoutMs", before: undefined, after: 5000 }] },
      { kind: "backend-removed", name: "accounts", value: { url: "https://b.example.com" } },
      { kind: "route-changed", id: "read", fields: [{ field: "to", before: { legacy: 90, accounts: 10 }, after: { legacy: 50, assets: 50 } }] },
      { kind: "route-added", id: "assets", value: { id: "assets", match: { path: "/assets/*" }, to: "assets" } },
      { kind: "route-removed", id: "list", value: { id: "list", match: { path: "/api/accounts" }, to: "accounts" } },
    ]);
  });

  it("notes a new default backend and a new route order", () => {
    const swapped = table({
      default: "accounts",
      routes: [
        { id: "list", match: { path: "/api/accounts" }, to: "accounts" },
        { id: "read", match: { path: "/api/accounts/:id" }, to: { legacy: 90, accounts: 10 } },
      ],
    });
    expect(diffTables(table({}), swapped)).toEqual([
      { kind: "default", before: "legacy", after: "accounts" },
      { kind: "route-order", before: ["read", "list"], after: ["list", "read"] },
    ]);
  });
});
