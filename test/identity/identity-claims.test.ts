import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { identityClaims } from "../../identity/identity-claims.ts";
import { hs256Key, signJwt } from "../../identity/jwt.ts";
import { claimName, sessionKey, sessionValue } from "../../identity/session-fields.ts";

/** docs/identity.md's verification example, imported as a backend would run it. */
type Verify = (token: string | undefined, options: { secret: string; audience: string; now?: number }) => Record<string, unknown> | null;
const { verifyIdentity } = (await import(new URL("../../docs/identity-verify.mjs", import.meta.url).href)) as { verifyIdentity: Verify };

const SECRET = "an-identity-secret-of-32-bytes-or-more!";
const NOW = 1_800_000_000;
const key = await hs256Key(SECRET);

describe("sessionValue, sessionKey and claimName", () => {
  const session = { user_id: 42, name: "", "warden.user.user.key": [[7], "salt"], "warden.user.admin.key": [["a-uuid"], "salt"], odd: [[1, 2], "salt"], nothing: null, flag: true };

  it("reads a field as it is, Devise's key as its id", () => {
    expect(sessionValue(session, "user_id")).toBe(42);
    expect(sessionValue(session, "warden.user.user.key")).toBe(7);
    expect(sessionValue(session, "warden.user.admin.key")).toBe("a-uuid");
    expect(sessionValue(session, "nothing")).toBeUndefined();
    expect(sessionValue(session, "missing")).toBeUndefined();
    expect(sessionValue(session, "flag")).toBe(true);
    expect(sessionValue({ "warden.user.user.key": [[1, 2], "salt"] }, "warden.user.user.key")).toBeUndefined();
    expect(sessionValue({ "warden.user.user.key": "42" }, "warden.user.user.key")).toBeUndefined();
    expect(sessionValue({ "warden.user.user.key": [[{ $oid: "x" }], "salt"] }, "warden.user.user.key")).toBeUndefined();
    // Inherited properties are no session fields.
    expect(sessionValue({}, "constructor")).toBeUndefined();
  });

  it("keys a cohort by text or number only", () => {
    expect(sessionKey(session, "user_id")).toBe("42");
    expect(sessionKey(session, "warden.user.admin.key")).toBe("a-uuid");
    expect(sessionKey(session, "name")).toBeUndefined();
    expect(sessionKey(session, "flag")).toBeUndefined();
    expect(sessionKey({ n: Number.NaN }, "n")).toBeUndefined();
  });

  it("names Devise's key after its scope", () => {
    expect(claimName("warden.user.user.key")).toBe("user_id");
    expect(claimName("warden.user.admin.key")).toBe("admin_id");
    expect(claimName("user_id")).toBe("user_id");
    expect(claimName("warden.user.key")).toBe("warden.user.key");
  });
});

describe("identityClaims", () => {
  it("carries iss, aud, iat, exp, sub and each field that has a value", () => {
    const claims = identityClaims({ session_id: "s", "warden.user.user.key": [[42], "salt"], plan: "pro" }, "accounts", { fields: ["warden.user.user.key", "plan", "team_id"], ttlSeconds: 30 }, NOW + 0.9);
    expect(claims).toEqual({ iss: "cutover", aud: "accounts", iat: NOW, exp: NOW + 30, sub: "42", user_id: 42, plan: "pro" });
  });

  it("lasts 60 s by default, and takes the subject from the first field with a text or number", () => {
    expect(identityClaims({ admin: true, user_id: "u-1" }, "b", { fields: ["admin", "user_id"] }, NOW)).toEqual({ iss: "cutover", aud: "b", iat: NOW, exp: NOW + 60, sub: "u-1", admin: true, user_id: "u-1" });
    expect(identityClaims({ admin: true }, "b", { fields: ["admin"] }, NOW)).toEqual({ iss: "cutover", aud: "b", iat: NOW, exp: NOW + 60, admin: true });
  });

  it("is undefined when no field has a value: an anonymous visitor gets no token", () => {
    expect(identityClaims({ session_id: "s", views: 3 }, "accounts", { fields: ["user_id"] }, NOW)).toBeUndefined();
  });

  it("never lets a field take a claim of the token's own, nor one claim twice", () => {
    const claims = identityClaims({ exp: 9_999_999_999, aud: "legacy", user_id: 1, "warden.user.user.key": [[2], "s"] }, "accounts", { fields: ["exp", "aud", "user_id", "warden.user.user.key"] }, NOW);
    expect(claims).toEqual({ iss: "cutover", aud: "accounts", iat: NOW, exp: NOW + 60, sub: "1", user_id: 1 });
  });
});

describe("signJwt, verified by docs/identity-verify.mjs", () => {
  const claims = { iss: "cutover", aud: "accounts", iat: NOW, exp: NOW + 60, sub: "42", user_id: 42 };

  it("makes an HS256 JWT the documented check accepts", async () => {
    const token = await signJwt(claims, key);
    expect(token.split(".")).toHaveLength(3);
    expect(JSON.parse(Buffer.from(token.split(".")[0] as string, "base64url").toString())).toEqual({ alg: "HS256", typ: "JWT" });
    expect(verifyIdentity(token, { secret: SECRET, audience: "accounts", now: NOW + 1 })).toEqual(claims);
  });

  it("is refused when forged, expired, for another backend or from another issuer", async () => {
    const token = await signJwt(claims, key);
    const [header, , signature] = token.split(".") as [string, string, string];
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, user_id: 1 })).toString("base64url")}.${signature}`;
    expect(verifyIdentity(forged, { secret: SECRET, audience: "accounts", now: NOW + 1 })).toBeNull();
    expect(verifyIdentity(await signJwt(claims, await hs256Key(`${SECRET}x`)), { secret: SECRET, audience: "accounts", now: NOW + 1 })).toBeNull();
    expect(verifyIdentity(token, { secret: SECRET, audience: "accounts", now: NOW + 60 })).toBeNull();
    expect(verifyIdentity(token, { secret: SECRET, audience: "billing", now: NOW + 1 })).toBeNull();
    expect(verifyIdentity(await signJwt({ ...claims, iss: "someone" }, key), { secret: SECRET, audience: "accounts", now: NOW + 1 })).toBeNull();
    expect(verifyIdentity(undefined, { secret: SECRET, audience: "accounts", now: NOW + 1 })).toBeNull();
    expect(verifyIdentity(`${token}.x`, { secret: SECRET, audience: "accounts", now: NOW + 1 })).toBeNull();
    // alg "none" with the signature left off or kept: refused either way.
    const none = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    expect(verifyIdentity(`${none}.${token.split(".")[1]}.`, { secret: SECRET, audience: "accounts", now: NOW + 1 })).toBeNull();
    expect(verifyIdentity(`${none}.${token.split(".")[1]}.${signature}`, { secret: SECRET, audience: "accounts", now: NOW + 1 })).toBeNull();
  });

  it("is included in docs/identity.md word for word", () => {
    const doc = readFileSync(new URL("../../docs/identity.md", import.meta.url), "utf8");
    const snippet = readFileSync(new URL("../../docs/identity-verify.mjs", import.meta.url), "utf8");
    expect(doc).toContain(snippet.trim());
  });
});
