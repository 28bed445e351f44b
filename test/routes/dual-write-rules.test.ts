import { describe, expect, it } from "vitest";
import { BODY_LIMITS } from "../../routes/body-policy.ts";
import { compileTable } from "../../routes/compile.ts";
import { acceptStoredTable, validateRouteTable, type ValidationIssue } from "../../routes/validate.ts";

const backends = {
  legacy: { url: "https://my-app.herokuapp.com" },
  accounts: { url: "https://abc123.lambda-url.us-east-1.on.aws", auth: { type: "aws-iam", region: "us-east-1", service: "lambda" } },
  spare: { url: "https://spare.example.com" },
};

const route = (extra: Record<string, unknown> = {}) => ({ id: "accounts-write", match: { path: "/api/accounts/*" }, to: "legacy", dualWrite: { to: "accounts" }, ...extra });
const tableWith = (...routes: unknown[]) => ({ backends, default: "legacy", routes });

function issues(input: unknown): readonly ValidationIssue[] {
  const result = validateRouteTable(input);
  if (result.ok) throw new Error("expected the table to be refused");
  return result.error;
}

describe("a route's dualWrite", () => {
  it("is compiled with its backend, the write methods and a 1 MiB cap by default", () => {
    const result = validateRouteTable(tableWith(route(), route({ id: "put-only", match: { path: "/api/profile" }, dualWrite: { to: "accounts", methods: ["put", "PATCH"], maxBodyBytes: 2048 } })));
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    const [first, second] = compileTable(result.value, 1).routes;
    expect(first?.dualWrite?.backend.name).toBe("accounts");
    expect([...(first?.dualWrite?.methods ?? [])]).toEqual(["POST", "PUT", "PATCH", "DELETE"]);
    expect(first?.dualWrite?.maxBodyBytes).toBe(BODY_LIMITS.dualWriteBytes);
    expect(BODY_LIMITS.dualWriteBytes).toBe(1024 * 1024);
    expect([...(second?.dualWrite?.methods ?? [])]).toEqual(["PUT", "PATCH"]);
    expect(second?.dualWrite?.maxBodyBytes).toBe(2048);
    expect(compileTable(validateOk(tableWith(route({ dualWrite: undefined }))), 1).routes[0]?.dualWrite).toBeUndefined();
  });

  it("is allowed beside a split that also sends to its backend", () => {
    expect(validateRouteTable(tableWith(route({ to: { legacy: 90, accounts: 10 } }))).ok).toBe(true);
  });

  it.each([
    ["an unknown backend", route({ dualWrite: { to: "nowhere" } }), "$.routes[0].dualWrite.to", /unknown backend 'nowhere'/],
    ["the default backend", route({ dualWrite: { to: "legacy" } }), "$.routes[0].dualWrite.to", /'legacy' is the table's default backend/],
    ["the only backend the route sends to", route({ to: "accounts" }), "$.routes[0].dualWrite.to", /sends every request to 'accounts' already/],
    ["the only backend of a split with weight", route({ to: { accounts: 100, legacy: 0 } }), "$.routes[0].dualWrite.to", /sends every request to 'accounts' already/],
    ["a read method", route({ dualWrite: { to: "accounts", methods: ["POST", "GET"] } }), "$.routes[0].dualWrite.methods[1]", /GET is a read, not a write/],
    ["no method the route matches", route({ match: { path: "/api/accounts/*", methods: ["GET"] } }), "$.routes[0].dualWrite.methods", /matches only GET/],
    ["a backend its shadow copies writes to", route({ shadow: { to: "accounts", unsafeMethods: true } }), "$.routes[0].dualWrite.to", /each write would reach it twice/],
  ])("refuses %s, naming the field and the reason", (_name, refused, path, message) => {
    const found = issues(tableWith(refused));
    expect(found).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it("is checked in a stored table too: its backend must exist", () => {
    const stored = acceptStoredTable(tableWith(route({ dualWrite: { to: "gone" } })));
    expect(stored.ok).toBe(false);
    if (!stored.ok) expect(stored.error).toContainEqual({ path: "$.routes[0].dualWrite.to", message: "unknown backend 'gone'" });
  });
});

function validateOk(input: unknown) {
  const result = validateRouteTable(input);
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
}
