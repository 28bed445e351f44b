import { describe, expect, it } from "vitest";
import { createCipheriv, pbkdf2Sync, randomBytes } from "node:crypto";
import cookies from "../../fixtures/rails-session/cookies.json" with { type: "json" };
import { railsCookieKey, readRailsSession } from "../../identity/rails-session.ts";
import { sessionKey } from "../../identity/session-fields.ts";

/**
 * Against cookies a real Rails 6.1 app made (fixtures/rails-session/make-cookies.rb): Rails'
 * own cookie store and MessageEncryptor did the encrypting, so a misread format fails here.
 */
const { secretKeyBase, variants } = cookies;
const NOW = Date.parse(variants.json.expiring.madeAt);
const sha1 = await railsCookieKey(secretKeyBase, "sha1");
const read = (value: string, key = sha1, now = NOW) => readRailsSession(value, key, { cookie: "_app_session", now });

describe("readRailsSession on Rails' own cookies", () => {
  it("reads the session of a signed-in user from each rewrite of the cookie", async () => {
    const values = variants.json.user42.cookies;
    expect(new Set(values).size).toBe(values.length);
    for (const value of values) {
      const session = await read(value);
      expect(session).toMatchObject({ ok: true, value: { user_id: 42, session_id: expect.any(String) } });
    }
  });

  it("reads an anonymous session (no user) and the same user signed in elsewhere", async () => {
    expect(await read(variants.json.anonymous.cookies[0] as string)).toMatchObject({ ok: true, value: { views: 1 } });
    const again = await read(variants.json.user42Again.cookies[1] as string);
    expect(again.ok && sessionKey(again.value, "user_id")).toBe("42");
    const other = await read(variants.json.user7.cookies[0] as string);
    expect(other.ok && sessionKey(other.value, "user_id")).toBe("7");
  });

  it("reads Devise's warden.user.user.key as its user id", async () => {
    const session = await read(variants.json.devise42.cookies[0] as string);
    expect(session).toMatchObject({ ok: true, value: { "warden.user.user.key": [[42], expect.any(String)] } });
    expect(session.ok && sessionKey(session.value, "warden.user.user.key")).toBe("42");
  });

  it("reads a cookie from before the metadata envelope (the session's JSON alone)", async () => {
    expect(await read(variants.bare.user42.cookies[0] as string)).toMatchObject({ ok: true, value: { user_id: 42 } });
  });

  it("reads a cookie made with Rails 7's SHA-256 key generator under keyDigest sha256, and only then", async () => {
    const value = variants.sha256.user42.cookies[0] as string;
    expect(await read(value, await railsCookieKey(secretKeyBase, "sha256"))).toMatchObject({ ok: true, value: { user_id: 42 } });
    expect(await read(value)).toEqual({ ok: false, error: "unauthentic" });
    expect(await read(variants.json.user42.cookies[0] as string, await railsCookieKey(secretKeyBase, "sha256"))).toEqual({ ok: false, error: "unauthentic" });
  });

  it("honours the envelope's expiry", async () => {
    const value = variants.json.expiring.cookies[0] as string;
    const expiresAt = NOW + variants.json.expiring.expiresAfterSeconds * 1000;
    expect(await read(value, sha1, expiresAt - 5_000)).toMatchObject({ ok: true, value: { user_id: 42 } });
    expect(await read(value, sha1, expiresAt + 5_000)).toEqual({ ok: false, error: "expired" });
  });

  it("refuses a cookie encrypted for another name", async () => {
    expect(variants.json.otherPurpose.purpose).toBe("cookie.remember_me");
    expect(await read(variants.json.otherPurpose.cookies[0] as string)).toEqual({ ok: false, error: "wrong_purpose" });
    // The same cookie read as what it is.
    expect(await readRailsSession(variants.json.otherPurpose.cookies[0] as string, sha1, { cookie: "remember_me", now: NOW })).toMatchObject({ ok: true, value: { user_id: 42 } });
  });

  it("refuses a Marshal-serialized session", async () => {
    expect(await read(variants.marshal.user42.cookies[0] as string)).toEqual({ ok: false, error: "marshal" });
  });

  it("refuses another secret, and a cookie changed by one byte", async () => {
    const value = variants.json.user42.cookies[0] as string;
    expect(await read(value, await railsCookieKey(`${secretKeyBase}x`, "sha1"))).toEqual({ ok: false, error: "unauthentic" });
    const [data, iv, tag] = decodeURIComponent(value).split("--") as [string, string, string];
    const flipped = `${data.slice(0, 10)}${data[10] === "A" ? "B" : "A"}${data.slice(11)}`;
    expect(await read(encodeURIComponent(`${flipped}--${iv}--${tag}`))).toEqual({ ok: false, error: "unauthentic" });
  });

  it.each([
    ["", "empty"],
    ["abc", "one part"],
    ["YWJj--YWJj", "two parts"],
    ["YWJj--YWJjYWJjYWJjYWJjYWJj--YWJjYWJjYWJjYWJjYWJjYQ==", "an IV of 15 bytes"],
    ["YWJj--YWJjYWJjYWJjYWJj--YWJjYWJjYWJj", "a tag of 9 bytes"],
    ["--YWJjYWJjYWJjYWJj--YWJjYWJjYWJjYWJjYWJjYQ==", "no data"],
    ["%%%--x--y", "bad URL encoding"],
    ["YW*j--YWJjYWJjYWJjYWJj--YWJjYWJjYWJjYWJjYWJjYQ==", "bad base64"],
  ])("refuses %j as malformed (%s)", async (value) => {
    expect(await read(value)).toEqual({ ok: false, error: "malformed" });
  });

  it("takes a well-formed value that is no cookie of this app for unauthentic", async () => {
    expect(await read("YWJj--YWJjYWJjYWJjYWJj--YWJjYWJjYWJjYWJjYWJjYQ==")).toEqual({ ok: false, error: "unauthentic" });
  });
});

/**
 * Forms the fixture app cannot make (Rails 6.1 writes neither), sealed here the way
 * MessageEncryptor seals (AES-256-GCM, empty associated data) with Node's own crypto.
 */
describe("readRailsSession on other plaintexts", () => {

  const rawKey = pbkdf2Sync(secretKeyBase, "authenticated encrypted cookie", 1000, 32, "sha1");
  const seal = (plaintext: Uint8Array | string): string => {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", rawKey, iv);
    const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return encodeURIComponent([data, iv, cipher.getAuthTag()].map((part) => part.toString("base64")).join("--"));
  };

  it("reads Rails 7.1's envelope, whose session is its data", async () => {
    expect(await read(seal(JSON.stringify({ _rails: { data: { user_id: 9 }, exp: null, pur: "cookie._app_session" } })))).toEqual({ ok: true, value: { user_id: 9 } });
  });

  it("refuses a Marshal dump without an envelope", async () => {
    expect(await read(seal(Uint8Array.of(4, 8, 123, 0)))).toEqual({ ok: false, error: "marshal" });
  });

  it.each([
    ["not JSON", "user_id=42"],
    ["a JSON array", "[42]"],
    ["an envelope without a message", JSON.stringify({ _rails: { exp: null, pur: "cookie._app_session" } })],
    ["an envelope whose message is not base64", JSON.stringify({ _rails: { message: "*", exp: null, pur: "cookie._app_session" } })],
    ["an envelope whose message is not an object", JSON.stringify({ _rails: { message: btoa("42"), exp: null, pur: "cookie._app_session" } })],
  ])("refuses %s as not_json", async (_name, plaintext) => {
    expect(await read(seal(plaintext))).toEqual({ ok: false, error: "not_json" });
  });

  it("refuses an envelope without a purpose, and an expiry that is no time", async () => {
    expect(await read(seal(JSON.stringify({ _rails: { message: btoa("{}"), exp: null } })))).toEqual({ ok: false, error: "wrong_purpose" });
    expect(await read(seal(JSON.stringify({ _rails: { message: btoa("{}"), exp: "soon", pur: "cookie._app_session" } })))).toEqual({ ok: false, error: "expired" });
  });
});
