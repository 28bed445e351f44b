import { describe, expect, it } from "vitest";
import { parseTokens } from "../../admin/tokens.ts";
import { hashToken } from "../../lib/admin-token.ts";

describe("admin tokens", () => {
  it("identifies holders by the hash of their token, and leaves a bad entry out without locking the others out", async () => {
    const registry = parseTokens(
      JSON.stringify({
        [await hashToken("alice-token")]: { name: "alice", role: "operator" },
        [await hashToken("bob-token")]: { name: "", role: "viewer" },
        "not-a-hash": { name: "eve", role: "operator" },
      }),
    );
    expect(await registry.identify("alice-token")).toEqual({ name: "alice", role: "operator" });
    expect(await registry.identify("bob-token")).toBeUndefined();
    expect(await registry.identify("nope")).toBeUndefined();
    expect(registry.problems).toHaveLength(2);
  });

  it("refuses a value that is not a JSON object at all", () => {
    expect(() => parseTokens("[1, 2]")).toThrow("not a JSON object");
  });
});
