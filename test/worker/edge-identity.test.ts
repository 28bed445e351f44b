import { describe, expect, it } from "vitest";
import cookies from "../../fixtures/rails-session/cookies.json" with { type: "json" };
import { compileBackend, compileTable } from "../../routes/compile.ts";
import type { RouteTable } from "../../routes/schema.ts";
import { CACHE_ENTRIES, createEdgeIdentity, SESSION_CACHE_MS } from "../../worker/edge-identity.ts";

/**
 * The isolate's session reads and identity tokens: what a request pays for, and what it may
 * be handed again (a page and its XHRs send one cookie many times).
 */
const { secretKeyBase, variants } = cookies;
const SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef";
const session = { cookie: "_app_session", keyDigest: "sha1" as const };
const header = (value: string) => `_app_session=${value}`;
const orders = compileBackend("orders", { url: "https://orders.example.com", identity: { fields: ["user_id"], ttlSeconds: 60 } }, false);

describe("the session at the edge", () => {
  it("reads the session once per cookie value for SESSION_CACHE_MS, then again (an expiry is rechecked)", async () => {
    const identity = createEdgeIdentity({ railsSecretKeyBase: secretKeyBase, identitySecret: SECRET });
    const expiring = variants.json.expiring;
    const madeAt = Date.parse(expiring.madeAt);
    const value = expiring.cookies[0] as string;
    expect(await identity.readSession(session, header(value), madeAt)).toMatchObject({ user_id: expect.anything() });
    expect(await identity.readSession(session, header(value), madeAt + SESSION_CACHE_MS - 1)).toMatchObject({ user_id: expect.anything() });
    // The cookie expires after 60 s (expire_after): past that and the cache, it is read again, and anonymous.
    expect(await identity.readSession(session, header(value), Math.max(madeAt + 61_000, madeAt + SESSION_CACHE_MS))).toBeUndefined();
  });

  it("hands the same token out again while half its lifetime is left, and a new one after", async () => {
    const identity = createEdgeIdentity({ railsSecretKeyBase: secretKeyBase, identitySecret: SECRET });
    const now = Date.parse("2026-12-07T12:00:00Z");
    const first = await identity.tokens([orders], { user_id: 42 }, now);
    const again = await identity.tokens([orders], { user_id: 42 }, now + 29_000);
    const later = await identity.tokens([orders], { user_id: 42 }, now + 30_000);
    const other = await identity.tokens([orders], { user_id: 7 }, now + 1_000);
    expect(first.get("orders")).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(again.get("orders")).toBe(first.get("orders"));
    expect(later.get("orders")).not.toBe(first.get("orders"));
    expect(other.get("orders")).not.toBe(first.get("orders"));
    const claims = (token: string | undefined) => JSON.parse(atob(String(token).split(".")[1]?.replace(/-/g, "+").replace(/_/g, "/") ?? "")) as Record<string, unknown>;
    expect(claims(other.get("orders"))).toMatchObject({ user_id: 7, aud: "orders" });
  });

  it("keeps at most CACHE_ENTRIES tokens: the oldest is signed again", async () => {
    const identity = createEdgeIdentity({ railsSecretKeyBase: secretKeyBase, identitySecret: SECRET });
    const now = Date.parse("2026-12-07T12:00:00Z");
    const first = (await identity.tokens([orders], { user_id: 0 }, now)).get("orders");
    for (let user = 1; user <= CACHE_ENTRIES; user++) await identity.tokens([orders], { user_id: user }, now);
    // Signed again at the same second: the same claims make the same token, so look at the cache through a later time.
    expect((await identity.tokens([orders], { user_id: 0 }, now + 1_000)).get("orders")).not.toBe(first);
    expect((await identity.tokens([orders], { user_id: CACHE_ENTRIES }, now + 1_000)).get("orders")).toBe((await identity.tokens([orders], { user_id: CACHE_ENTRIES }, now)).get("orders"));
  });
});

describe("a table that only names its session cookie", () => {
  const base = (extra: Partial<RouteTable>): RouteTable => ({
    session: { type: "rails", cookie: "_app_session" },
    backends: { legacy: { url: "https://legacy.example.com" }, orders: { url: "https://orders.example.com" } },
    default: "legacy",
    routes: [{ id: "orders", match: { path: "/orders/*" }, to: { legacy: 50, orders: 50 } }],
    ...extra,
  });

  it("reads no session: nothing uses it", () => {
    expect(compileTable(base({}), 1).session).toBeUndefined();
  });

  it("reads it for a session cohort (its own or the table's default) or a backend's identity", () => {
    expect(compileTable(base({ defaultSticky: "session:user_id" }), 1).session).toEqual({ cookie: "_app_session", keyDigest: "sha1" });
    expect(compileTable(base({ routes: [{ id: "orders", match: { path: "/orders/*" }, to: { legacy: 50, orders: 50 }, sticky: "session:user_id" }] }), 1).session).toBeDefined();
    expect(compileTable(base({ backends: { legacy: { url: "https://legacy.example.com" }, orders: { url: "https://orders.example.com", identity: { fields: ["user_id"] } } } }), 1).session).toBeDefined();
  });
});
