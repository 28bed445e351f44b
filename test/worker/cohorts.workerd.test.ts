import { describe, expect, it } from "vitest";
import cookies from "../../fixtures/rails-session/cookies.json" with { type: "json" };
import { cohortBucket } from "../../routes/cohort.ts";
import { send, table } from "../support/worker-harness.ts";

/**
 * Sticky cohorts in front of an app that rewrites its session cookie on every response, as
 * Rails does: the real Worker, real upstreams (test/support/upstream.ts' /rails-session sets
 * a new `_app_session` each time), and a client that keeps cookies like a browser.
 */
const SESSION = { type: "rails", cookie: "_app_session" } as const;
const RAILS = { CUTOVER_RAILS_SECRET_KEY_BASE: cookies.secretKeyBase };

/** A browser of one: sends back every cookie it was given, and remembers who served it. */
function browser(routeTable: unknown, vars: Partial<Env> = {}, jar = new Map<string, string>()) {
  const served: string[] = [];
  const setCookies: string[][] = [];
  return {
    jar,
    served,
    setCookies,
    async visit(path: string, origin = "https://shop.example.com") {
      const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
      const response = await send(routeTable, new Request(`${origin}${path}`, { headers: cookie ? { cookie } : {} }), vars);
      await response.arrayBuffer();
      served.push(response.headers.get("x-cutover-backend") ?? "");
      setCookies.push(response.headers.getSetCookie());
      for (const line of response.headers.getSetCookie()) {
        const [pair = ""] = line.split(";");
        const eq = pair.indexOf("=");
        jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      }
      return response;
    },
  };
}

const split = (sticky?: string, extra: Record<string, unknown> = {}) => ({
  ...table({ routes: [{ id: "app", match: { path: "/rails-session/*" }, to: { legacy: 50, new: 50 }, ...(sticky ? { sticky } : {}) }] }),
  ...extra,
});

describe("a cohort in front of an app that rewrites its session cookie", () => {
  it("flaps one visitor across backends when keyed by the session cookie", async () => {
    const visitor = browser(split("cookie:_app_session"));
    for (let i = 0; i < 8; i++) await visitor.visit(`/rails-session/${i}`);
    expect(new Set(visitor.setCookies.flat().filter((line) => line.startsWith("_app_session=")))).toHaveProperty("size", 8);
    expect(new Set(visitor.served)).toEqual(new Set(["legacy", "new"]));
  });

  it("keeps one visitor on one backend with sticky 'cutover', from the first visit on", async () => {
    const visitor = browser(split("cutover"));
    const first = await visitor.visit("/rails-session/0");
    const cohort = visitor.jar.get("cutover_cohort");
    expect(cohort).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(first.headers.getSetCookie()).toContain(`cutover_cohort=${cohort}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax; Secure`);
    // The app's own cookie is passed on beside it.
    expect(first.headers.getSetCookie().some((line) => line.startsWith("_app_session="))).toBe(true);
    for (let i = 1; i < 8; i++) await visitor.visit(`/rails-session/${i}`);
    expect(new Set(visitor.served).size).toBe(1);
    expect(visitor.jar.get("cutover_cohort")).toBe(cohort);
    // Set once: later responses leave the visitor's cohort alone.
    expect(visitor.setCookies.slice(1).flat().filter((line) => line.startsWith("cutover_cohort="))).toEqual([]);
  });

  it("gives each visitor a cohort of their own", async () => {
    const sides = new Set<string>();
    const cohorts = new Set<string>();
    for (let i = 0; i < 24; i++) {
      const visitor = browser(split("cutover"));
      await visitor.visit("/rails-session/0");
      sides.add(visitor.served[0] as string);
      cohorts.add(visitor.jar.get("cutover_cohort") as string);
    }
    expect(cohorts.size).toBe(24);
    expect(sides).toEqual(new Set(["legacy", "new"]));
  });

  it("applies the table's defaultSticky to a route without a sticky of its own", async () => {
    const visitor = browser(split(undefined, { defaultSticky: "cutover" }));
    for (let i = 0; i < 8; i++) await visitor.visit(`/rails-session/${i}`);
    expect(visitor.jar.get("cutover_cohort")).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(visitor.served).size).toBe(1);
  });

  it("replaces a cohort cutover did not make, and keeps the one it did", async () => {
    const forged = browser(split("cutover"), {}, new Map([["cutover_cohort", "chosen-by-me"]]));
    await forged.visit("/rails-session/0");
    expect(forged.jar.get("cutover_cohort")).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const kept = browser(split("cutover"), {}, new Map([["cutover_cohort", "AbCdEfGhIjKlMnOpQrSt-_"]]));
    await kept.visit("/rails-session/0");
    expect(kept.setCookies[0]?.filter((line) => line.startsWith("cutover_cohort="))).toEqual([]);
  });

  it("sets no Secure attribute over http, where a browser would drop the cookie", async () => {
    const visitor = browser(split("cutover"));
    await visitor.visit("/rails-session/0", "http://localhost:8787");
    expect(visitor.setCookies[0]?.find((line) => line.startsWith("cutover_cohort="))).toMatch(/^cutover_cohort=[A-Za-z0-9_-]{22}; Path=\/; Max-Age=31536000; HttpOnly; SameSite=Lax$/);
  });

  it("sets no cohort where no split used it: a route to one backend, a path no route matches", async () => {
    const routeTable = { ...table({ routes: [{ id: "one", match: { path: "/one/*" }, to: "new" }] }), defaultSticky: "cutover" };
    for (const path of ["/one/x", "/elsewhere"]) {
      const visitor = browser(routeTable);
      await visitor.visit(path);
      expect(visitor.jar.has("cutover_cohort"), path).toBe(false);
    }
  });

  it("sets the cohort on an error page too, so that a retry lands where the first try did", async () => {
    const routeTable = table({ routes: [{ id: "broken", match: { path: "/status/*" }, to: { legacy: 50, new: 50 }, sticky: "cutover" }] });
    const visitor = browser(routeTable);
    const response = await visitor.visit("/status/503");
    expect(response.status).toBe(503);
    expect(visitor.jar.get("cutover_cohort")).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe("sticky 'session:FIELD' with cookies a real Rails app made", () => {
  const { json } = cookies.variants;
  const byUser = (field = "user_id") => ({ ...table({ routes: [{ id: "by-user", match: { path: "/rails-session/*" }, to: { legacy: 50, new: 50 }, sticky: `session:${field}` }] }), session: SESSION });
  /** Where the split puts a user: `new` holds buckets [0, 5000), legacy the rest. */
  const sideOf = (routeId: string, user: string) => (cohortBucket(routeId, `session:${user}`) < 5000 ? "new" : "legacy");

  it("keeps a user on their side across every rewrite of the session and another sign-in", async () => {
    const user42 = [...json.user42.cookies, ...json.user42Again.cookies];
    for (const value of user42) {
      // A fresh browser each time: no cutover cohort to fall back on.
      const visitor = browser(byUser(), RAILS, new Map([["_app_session", value]]));
      await visitor.visit("/rails-session/x");
      expect(visitor.served[0]).toBe(sideOf("by-user", "42"));
      expect(visitor.jar.has("cutover_cohort")).toBe(false);
    }
    const user7 = browser(byUser(), RAILS, new Map([["_app_session", json.user7.cookies[0] as string]]));
    await user7.visit("/rails-session/x");
    expect(user7.served[0]).toBe(sideOf("by-user", "7"));
  });

  it("reads Devise's warden.user.user.key as the user id", async () => {
    const visitor = browser(byUser("warden.user.user.key"), RAILS, new Map([["_app_session", json.devise42.cookies[0] as string]]));
    await visitor.visit("/rails-session/x");
    expect(visitor.served[0]).toBe(sideOf("by-user", "42"));
  });

  it("falls back to the cutover cohort without a user: anonymous, expired, no secret", async () => {
    const cases: [string, Map<string, string>, Partial<Env>][] = [
      ["anonymous session", new Map([["_app_session", json.anonymous.cookies[0] as string]]), RAILS],
      ["no session cookie", new Map(), RAILS],
      ["expired session", new Map([["_app_session", json.expiring.cookies[0] as string]]), RAILS],
      ["no CUTOVER_RAILS_SECRET_KEY_BASE", new Map([["_app_session", json.user42.cookies[0] as string]]), {}],
    ];
    for (const [name, jar, vars] of cases) {
      const visitor = browser(byUser(), vars, jar);
      for (let i = 0; i < 4; i++) await visitor.visit(`/rails-session/${i}`);
      expect(visitor.jar.get("cutover_cohort"), name).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(new Set(visitor.served).size, name).toBe(1);
    }
  });
});
