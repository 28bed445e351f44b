import { describe, expect, it } from "vitest";
import { overrideToken, overrideTokenId, signOverride, verifyOverride } from "../../routes/override-token.ts";

const SECRET = "a-test-secret-of-some-length-0123456789";
const POLICY = { maxSeconds: 86_400, acceptV1: false, revoked: new Set<string>() };

describe("tester override tokens", () => {
  it("verifies a token it signed until it expires", async () => {
    const token = await signOverride(SECRET, { backend: "accounts", expiresAt: 2_000 });
    expect(await verifyOverride(token, SECRET, 1_999, POLICY)).toEqual({ backend: "accounts", route: undefined });
    expect(await verifyOverride(token, SECRET, 2_000, POLICY)).toBeUndefined();
  });

  it("refuses a token signed with another secret, or changed in any part", async () => {
    const token = await signOverride(SECRET, { backend: "accounts", expiresAt: 2_000 });
    expect(await verifyOverride(token, "another-secret", 1_000, POLICY)).toBeUndefined();
    expect(await verifyOverride(token.replace("accounts", "billing"), SECRET, 1_000, POLICY)).toBeUndefined();
    expect(await verifyOverride(token.replace(".2000.", ".9000."), SECRET, 1_000, POLICY)).toBeUndefined();
    expect(await verifyOverride("v1.accounts.2000.!!", SECRET, 1_000, { ...POLICY, acceptV1: true })).toBeUndefined();
    expect(await verifyOverride("garbage", SECRET, 1_000, POLICY)).toBeUndefined();
  });

  it("binds a token to one route (route ids may hold dots), tamper-proof", async () => {
    const token = await signOverride(SECRET, { backend: "accounts", route: "api.v2-read", expiresAt: 2_000 });
    expect(await verifyOverride(token, SECRET, 1_000, POLICY)).toEqual({ backend: "accounts", route: "api.v2-read" });
    const [version, backend, , expires, signature] = token.split(".");
    expect(await verifyOverride([version, backend, "*", expires, signature].join("."), SECRET, 1_000, POLICY)).toBeUndefined();
  });

  it("refuses a token that would live longer from now than the server allows (signed offline), and one revoked by id", async () => {
    const token = await signOverride(SECRET, { backend: "accounts", expiresAt: 1_000 + 86_400 + 3600 });
    expect(await verifyOverride(token, SECRET, 1_000, POLICY)).toBeUndefined();
    expect(await verifyOverride(token, SECRET, 1_000 + 3600, POLICY)).toEqual({ backend: "accounts", route: undefined });
    const id = await overrideTokenId(token);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(token).not.toContain(id);
    expect(await verifyOverride(token, SECRET, 1_000 + 3600, { ...POLICY, revoked: new Set([id]) })).toBeUndefined();
    expect(await verifyOverride(token, SECRET, 1_000 + 3600, { ...POLICY, revoked: new Set(["0123456789abcdef"]) })).toEqual({ backend: "accounts", route: undefined });
  });

  it("honours the first form (v1: any route) only when a deployment says so", async () => {
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const payload = "v1.accounts.2000";
    const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(payload)));
    const v1 = `${payload}.${Buffer.from(signature).toString("base64url")}`;
    expect(await verifyOverride(v1, SECRET, 1_000, POLICY)).toBeUndefined();
    expect(await verifyOverride(v1, SECRET, 1_000, { ...POLICY, acceptV1: true })).toEqual({ backend: "accounts", route: undefined });
  });

  it("reads the token from the header first, else the cookie", () => {
    expect(overrideToken(new Headers({ "x-cutover-override": "h", cookie: "cutover_override=c" }))).toBe("h");
    expect(overrideToken(new Headers({ cookie: "a=1; cutover_override=c" }))).toBe("c");
    expect(overrideToken(new Headers())).toBeUndefined();
  });
});
