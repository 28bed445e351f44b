import { describe, expect, it } from "vitest";
import { toBase64Url } from "../../lib/base64.ts";
import { OPERATOR, VIEWER, dynamoWorker } from "../support/admin-harness.ts";
import { ports, received, table, testId } from "../support/worker-harness.ts";

/**
 * The operator's surfaces through the real Worker: the dashboard lives on its admin host
 * only, its sessions cannot be forged or outlive their lifetime, its forms are bounded and
 * CSRF-checked (sign-out too), and its pages never echo text from a link.
 */
const SITE = "https://shop.example.com";
const ADMIN = "https://cutover-admin.example.com";
const SESSION_SECRET = "a-session-secret-of-32-bytes-or-more!";
const routes = table({ routes: [{ id: "accounts-read", match: { path: "/api/accounts/:id" }, to: "legacy" }] });

async function seeded(vars: Partial<Env> = {}) {
  const w = await dynamoWorker({ CUTOVER_ADMIN_HOSTS: "cutover-admin.example.com", CUTOVER_SESSION_SECRET: SESSION_SECRET, ...vars });
  expect((await w.api("PUT", "/routes", { body: { table: routes, reason: "seed" }, headers: { "if-match": "0" } })).status).toBe(200);
  const form = (origin: string, path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    w.call(new Request(`${origin}${path}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin, ...headers }, body: new URLSearchParams(fields), redirect: "manual" }));
  /** Signs in on `origin` with a token: the session cookie (name=value), or "" when refused. */
  const signIn = async (token: string, origin = ADMIN) => {
    const response = await form(origin, "/_cutover/login", { token });
    return response.status === 303 ? (response.headers.get("set-cookie")?.split(";")[0] ?? "") : "";
  };
  const open = (origin: string, path: string, cookie = "") => w.call(new Request(`${origin}${path}`, { headers: cookie ? { cookie } : {}, redirect: "manual" }));
  /** The CSRF token a signed-in page carries. */
  const csrfOf = async (cookie: string) => /name="_csrf" value="([^"]+)"/.exec(await (await open(ADMIN, "/_cutover/", cookie)).text())?.[1] ?? "";
  const version = async () => ((await (await w.api("GET", "/routes")).json()) as { version: number }).version;
  return { ...w, form, signIn, open, csrfOf, version };
}

/** A session cookie value signed with `secret`, in the form cutover writes (`v2.<payload>.<signature>`) or another. */
async function forge(secret: string, session: Record<string, unknown>, version = "v2"): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const payload = toBase64Url(new TextEncoder().encode(JSON.stringify(session)));
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${version}.${payload}`)));
  return `${version}.${payload}.${toBase64Url(signature)}`;
}

async function hashHex(token: string): Promise<string> {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("the dashboard on an admin host of its own", () => {
  it("answers nothing but health and the bearer-token API under /_cutover/ on the site's host", async () => {
    const w = await seeded();
    for (const path of ["/_cutover/", "/_cutover/login", "/_cutover/versions", "/_cutover/routes/accounts-read"]) {
      const response = await w.open(SITE, path);
      expect(response.status, path).toBe(404);
      expect(await response.text(), path).not.toContain("<html");
    }
    expect((await w.form(SITE, "/_cutover/login", { token: OPERATOR })).status).toBe(404);
    expect((await w.form(SITE, "/_cutover/actions/rollback", { toVersion: "1", reason: "x" })).status).toBe(404);
    expect((await w.open(SITE, "/_cutover/health")).status).toBe(200);
    expect((await w.api("GET", "/routes")).status).toBe(200);
    // A session cookie made on the admin host and replayed on the site's host opens nothing there either.
    const cookie = await w.signIn(OPERATOR);
    expect((await w.open(SITE, "/_cutover/", cookie)).status).toBe(404);
  });

  it("serves the dashboard on the admin host, and never the site: no request there reaches a backend", async () => {
    const w = await seeded();
    const cookie = await w.signIn(OPERATOR);
    expect(cookie).toMatch(/^__Host-cutover_session=v2\./);
    expect(await (await w.open(ADMIN, "/_cutover/", cookie)).text()).toContain("olivia · operator");
    const root = await w.open(ADMIN, "/");
    expect(root.status).toBe(303);
    expect(root.headers.get("location")).toBe(`${ADMIN}/_cutover/`);
    const id = testId();
    const page = await w.call(new Request(`${ADMIN}/api/accounts/1`, { headers: { "x-test-id": id } }));
    expect(page.status).toBe(404);
    expect(await received(ports.legacy, id)).toEqual([]);
  });

  it("is off without CUTOVER_ADMIN_HOSTS, and health says how to turn it on", async () => {
    const w = await seeded({ CUTOVER_ADMIN_HOSTS: "" });
    const refused = await w.open(SITE, "/_cutover/");
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as { message: string }).message).toContain("CUTOVER_ADMIN_HOSTS");
    const health = (await (await w.open(SITE, "/_cutover/health")).json()) as { notes: string[]; problems: string[] };
    expect(health.notes.join(" ")).toContain("CUTOVER_ADMIN_HOSTS");
    expect(health.problems.join(" ")).not.toMatch(/CUTOVER_ADMIN_HOSTS|dashboard/);
  });

  it("marks its answers nosniff, no-referrer and, on https off localhost, HSTS; the site's host gets no HSTS from cutover", async () => {
    const w = await seeded();
    const login = await w.open(ADMIN, "/_cutover/login");
    expect(login.headers.get("x-content-type-options")).toBe("nosniff");
    expect(login.headers.get("referrer-policy")).toBe("no-referrer");
    expect(login.headers.get("strict-transport-security")).toMatch(/^max-age=\d+/);
    const api = await w.api("GET", "/routes");
    expect(api.headers.get("x-content-type-options")).toBe("nosniff");
    expect(api.headers.get("strict-transport-security")).toBeNull();
    const local = await seeded({ CUTOVER_ADMIN_HOSTS: "localhost" });
    expect((await local.open("http://localhost:8787", "/_cutover/login")).headers.get("strict-transport-security")).toBeNull();
  });
});

describe("dashboard sessions", () => {
  it("need CUTOVER_SESSION_SECRET: never a key derived from CUTOVER_ADMIN_TOKENS, and a cookie forged with that key opens nothing", async () => {
    const w = await seeded({ CUTOVER_SESSION_SECRET: "" });
    const refused = await w.form(ADMIN, "/_cutover/login", { token: OPERATOR });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("CUTOVER_SESSION_SECRET");
    // The key the dashboard once derived, which anyone who read CUTOVER_ADMIN_TOKENS ("only hashes") could compute.
    const derived = `cutover-session:${w.env.CUTOVER_ADMIN_TOKENS}`;
    const tokenHash = await hashHex(OPERATOR);
    const now = Math.floor(Date.now() / 1000);
    for (const value of [
      await forge(derived, { name: "olivia", role: "operator", tokenHash, expires: 4102444800, csrf: "c".repeat(24) }, "v1"),
      await forge(derived, { sid: "x", name: "olivia", role: "operator", tokenHash, iat: now, csrf: "c".repeat(24) }),
    ]) {
      for (const name of ["__Host-cutover_session", "cutover_session"]) {
        const page = await w.open(ADMIN, "/_cutover/", `${name}=${value}`);
        expect(page.status).toBe(303);
        expect(page.headers.get("location")).toBe("/_cutover/login");
      }
    }
  });

  it("end a fixed time after sign-in, whatever the cookie says, and refuse an issued-at time in the future", async () => {
    const w = await seeded();
    const tokenHash = await hashHex(OPERATOR);
    const now = Math.floor(Date.now() / 1000);
    const session = { sid: "s", name: "olivia", role: "operator", tokenHash, csrf: "c".repeat(24) };
    const open = async (iat: number, extra: Record<string, unknown> = {}) => (await w.open(ADMIN, "/_cutover/", `__Host-cutover_session=${await forge(SESSION_SECRET, { ...session, iat, ...extra })}`)).status;
    expect(await open(now - 60)).toBe(200);
    // Nine hours after sign-in, with a cookie that claims to last until 2100.
    expect(await open(now - 9 * 3600, { expires: 4102444800, exp: 4102444800 })).toBe(303);
    expect(await open(4102444800)).toBe(303);
  });

  it("get a random id at each sign-in, and keep the role the token has now (a revoked token ends its sessions)", async () => {
    const w = await seeded();
    const sid = (cookie: string) => JSON.parse(atob((cookie.split("=")[1] ?? "").split(".")[1]?.replaceAll("-", "+").replaceAll("_", "/") ?? "")).sid as string;
    const [first, second] = [await w.signIn(VIEWER), await w.signIn(VIEWER)];
    expect(sid(first)).toMatch(/^[\w-]{20,}$/);
    expect(sid(first)).not.toBe(sid(second));
    const created = (await (await w.api("POST", "/tokens", { body: { name: "tess", role: "operator", expiresInDays: 1, reason: "test" } })).json()) as { token: string; id: string };
    const cookie = await w.signIn(created.token);
    expect((await w.open(ADMIN, "/_cutover/", cookie)).status).toBe(200);
    await w.api("DELETE", `/tokens/${created.id}`, { body: { reason: "gone" } });
    expect((await w.open(ADMIN, "/_cutover/", cookie)).status).toBe(303);
  });

  it("sign out only with the session's CSRF token, from the dashboard's origin", async () => {
    const w = await seeded();
    const cookie = await w.signIn(OPERATOR);
    const csrf = await w.csrfOf(cookie);
    expect(csrf).not.toBe("");
    expect((await w.form(ADMIN, "/_cutover/logout", {}, { cookie })).status).toBe(403);
    expect((await w.form(ADMIN, "/_cutover/logout", { _csrf: csrf }, { cookie, origin: SITE })).status).toBe(403);
    const out = await w.form(ADMIN, "/_cutover/logout", { _csrf: csrf }, { cookie });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/^__Host-cutover_session=; .*Max-Age=0/);
  });
});

describe("where a dashboard form may come from", () => {
  it("takes a form from its own origin: by Origin, or by Sec-Fetch-Site when its no-referrer policy makes the browser send Origin: null", async () => {
    const w = await seeded();
    const signIn = (headers: Record<string, string>) => w.form(ADMIN, "/_cutover/login", { token: OPERATOR }, headers);
    expect((await signIn({ origin: ADMIN })).status).toBe(303);
    expect((await signIn({ origin: "null", "sec-fetch-site": "same-origin" })).status).toBe(303);
    const refused: Record<string, string>[] = [{ origin: SITE }, { origin: "null" }, { origin: "null", "sec-fetch-site": "same-site" }, { origin: "null", "sec-fetch-site": "cross-site" }, { origin: ADMIN, "sec-fetch-site": "same-site" }];
    for (const headers of refused) {
      expect((await signIn(headers)).status, JSON.stringify(headers)).toBe(403);
    }
  });
});

describe("dashboard input", () => {
  it("refuses a sign-in form larger than a few KiB before parsing it, with or without a declared length", async () => {
    const w = await seeded();
    const big = `token=${"a".repeat(1024 * 1024)}`;
    const declared = await w.call(new Request(`${ADMIN}/_cutover/login`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: ADMIN }, body: big }));
    expect(declared.status).toBe(413);
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 64; i++) controller.enqueue(new TextEncoder().encode("a".repeat(16 * 1024)));
        controller.close();
      },
    });
    const streamed = await w.call(new Request(`${ADMIN}/_cutover/login`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: ADMIN }, body: chunks, duplex: "half" } as RequestInit));
    expect(streamed.status).toBe(413);
  });

  it("shows only notices from its own list: a link cannot put words on a page", async () => {
    const w = await seeded();
    const cookie = await w.signIn(OPERATOR);
    const text = async (query: string) => (await (await w.open(ADMIN, `/_cutover/versions?${query}`, cookie)).text()).replace(/\s+/g, " ");
    expect(await text("notice=weights-changed&version=12")).toContain("Weights changed: version 12.");
    for (const query of ["notice=Your%20account%20is%20locked%2C%20call%20555", "error=Your%20account%20is%20locked", "notice=weights-changed&version=12%20call%20555"]) {
      const page = await text(query);
      expect(page, query).not.toContain("locked");
      expect(page, query).not.toContain("555");
    }
  });

  it("answers a failed action with the API's reason on a page of its own, not in a link", async () => {
    const w = await seeded();
    const cookie = await w.signIn(OPERATOR);
    const csrf = await w.csrfOf(cookie);
    const before = await w.version();
    const failed = await w.form(ADMIN, "/_cutover/actions/rollback", { _csrf: csrf, toVersion: "99", reason: "no such version" }, { cookie });
    expect(failed.status).toBeGreaterThanOrEqual(400);
    expect(failed.headers.get("location")).toBeNull();
    expect(await failed.text()).toContain("99");
    expect(await w.version()).toBe(before);
  });
});

describe("bearer tokens from anyone", () => {
  it("are checked for cutover's token format before any store read: with the store down, a made-up token is a 401, not a store error", async () => {
    // Nothing listens on port 9: a store read would fail.
    const w = await dynamoWorker({ CUTOVER_DYNAMODB_ENDPOINT: "http://127.0.0.1:9" });
    const response = await w.api("GET", "/routes", { token: "Bearer-anything-at-all" });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: string }).error).toBe("unauthorized");
  });

  it("that need a store read which fails get a generic answer with a request id, without the store's details", async () => {
    const w = await dynamoWorker({ CUTOVER_DYNAMODB_ENDPOINT: "http://127.0.0.1:9" });
    const response = await w.api("GET", "/routes", { token: `cut_${"A".repeat(32)}` });
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: string; message: string; requestId: string };
    expect(body.error).toBe("unavailable");
    expect(body.requestId).toMatch(/\S{8,}/);
    expect(body.message).toContain(body.requestId);
    expect(body.message).not.toMatch(/DynamoDB|127\.0\.0\.1|cutover-test|fetch/);
  });
});
