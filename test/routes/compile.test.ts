import { describe, expect, it } from "vitest";
import { compileTable } from "../../routes/compile.ts";
import type { RouteTable } from "../../routes/schema.ts";
import { tableOf } from "./fixtures.ts";

describe("compileTable: the signed-in user", () => {
  it("compiles a backend's identity with its default lifetime, and the table's session with its default digest", () => {
    const compiled = compileTable(
      tableOf([], { session: { type: "rails", cookie: "_app_session" }, backends: { legacy: { url: "https://legacy.example.com" }, accounts: { url: "https://accounts.example.com", identity: { fields: ["user_id"] } } } }),
      1,
    );
    expect(compiled.backends.get("accounts")?.identity).toEqual({ fields: ["user_id"], ttlSeconds: 60 });
    expect(compiled.backends.get("legacy")?.identity).toBeUndefined();
    expect(compiled.session).toEqual({ cookie: "_app_session", keyDigest: "sha1" });
    expect(compileTable(tableOf([]), 1).session).toBeUndefined();
  });

  it("never gives the default backend an identity, whatever a table that skipped validation says", () => {
    const unchecked: RouteTable = {
      session: { type: "rails", cookie: "_app_session", keyDigest: "sha256" },
      backends: { legacy: { url: "https://legacy.example.com", identity: { fields: ["user_id"], ttlSeconds: 30 } }, accounts: { url: "https://accounts.example.com", identity: { fields: ["user_id"], ttlSeconds: 30 } } },
      default: "legacy",
      routes: [],
    };
    const compiled = compileTable(unchecked, 1);
    expect(compiled.defaultBackend.identity).toBeUndefined();
    expect(compiled.backends.get("accounts")?.identity).toEqual({ fields: ["user_id"], ttlSeconds: 30 });
    expect(compiled.session?.keyDigest).toBe("sha256");
  });

  it("gives routes without a sticky the table's defaultSticky", () => {
    const compiled = compileTable(
      tableOf(
        [
          { id: "plain", match: { path: "/a" }, to: { legacy: 50, accounts: 50 } },
          { id: "own", match: { path: "/b" }, to: { legacy: 50, accounts: 50 }, sticky: "header:x-user" },
        ],
        { defaultSticky: "cutover" },
      ),
      1,
    );
    expect(compiled.routes.map((route) => route.sticky)).toEqual([{ kind: "cutover" }, { kind: "header", name: "x-user" }]);
  });
});
