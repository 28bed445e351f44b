import { describe, expect, it } from "vitest";
import { overrideToken, signOverride, verifyOverride } from "../../routes/override-token.ts";

const SECRET = "a-test-secret-of-some-length-0123456789";

describe("tester override tokens", () => {
  it("verifies a token it signed until it expires", async () => {
    const token = await signOverride(SECRET, { backend: "accounts", expiresAt: 2_000 });
    expect(await verifyOverride(token, SECRET, 1_999)).toEqual({ backend: "accounts", route: undefined });
    expect(await verifyOverride(token, SECRET, 2_000)).toBeUndefined();
  });

  it("refuses a token signed with another secret, or changed in any part", async () => {
    const token = await signOverride(SECRET, { backend: "accounts", expiresAt: 2_000 });
    expect(await verifyOverride(token, "another-secret", 1_000)).toBeUndefined();
    expect(await verifyOverride(token.replace("accounts", "billing"), SECRET, 1_000)).toBeUndefined();
    expect(await verifyOverride(token.replace(".2000.", ".9000."), SECRET, 1_000)).toBeUndefined();
    expect(await verifyOverride("v1.accounts.2000.!!", SECRET, 1_000)).toBeUndefined();
    expect(await verifyOverride("garbage", SECRET, 1_000)).toBeUndefined();
  });

  it("binds a token to one route (route ids may hold dots), tamper-proof", async () => {
    const token = await signOverride(SECRET, { backend: "accounts", route: "api.v2-read", expiresAt: 2_000 });
    expect(await verifyOverride(token, SECRET, 1_000)).toEqual({ backend: "accounts", route: "api.v2-read" });
    const [version, backend, , expires, signature] = token.split(".");
    expect(await verifyOverride([version, backend, "*", expires, signature].join("."), SECRET, 1_000)).toBeUndefined();
  });

  it("reads the token from the header first, else the cookie", () => {
    expect(overrideToken(new Headers({ "x-cutover-override": "h", cookie: "cutover_override=c" }))).toBe("h");
    expect(overrideToken(new Headers({ cookie: "a=1; cutover_override=c" }))).toBe("c");
    expect(overrideToken(new Headers())).toBeUndefined();
  });
});
