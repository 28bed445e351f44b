import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { cohortBucket } from "../../routes/cohort.ts";
import { splitRanges } from "../../routes/compile.ts";
import { Browser } from "./support/browser.ts";
import { json } from "./support/client.ts";
import { startEdge, type Edge } from "./support/edge.ts";
import { startLambda, type Lambda } from "./support/lambda.ts";

const SPLIT = { legacy: 50, lambda: 50 };
const RANGES = splitRanges(SPLIT, "legacy");
const COHORT = /^[A-Za-z0-9_-]{22}$/;
/** Requests per visitor: enough for Rails to rewrite its session cookie many times over. */
const REQUESTS = 8;
/** Visitors per scenario (see the probabilities in each test). */
const VISITORS = 12;

/** The backend route `routeId` sends cohort key `key` to: exactly what cutover computes, with its own functions. */
function sideOf(routeId: string, key: string): string {
  const bucket = cohortBucket(routeId, key);
  const range = RANGES.find((candidate) => bucket < candidate.upTo);
  if (range === undefined) throw new Error(`bucket ${bucket} outside ${JSON.stringify(RANGES)}`);
  return range.backend;
}

/**
 * Visitors of a route split 50/50 between Rails and a new Node backend, on `/views` pages
 * where Rails writes its session, so re-encrypts its `_app_session` cookie with a new IV, on
 * every request: the case docs/identity.md's `sticky: "cutover"` and `session:FIELD` are for.
 * Each visitor is a browser with a cookie jar, over TLS (Rails with force_ssl sets its Secure
 * session cookie only then).
 */
describe("sticky cohorts in front of Rails' rewritten session cookie", () => {
  let edge: Edge;
  let lambda: Lambda;

  beforeAll(async () => {
    lambda = await startLambda("lambda", "no identity in these tests");
    edge = await startEdge({
      bundleRoot: inject("cutoverBundleRoot"),
      table: {
        backends: { legacy: { url: `http://127.0.0.1:${inject("railsPort")}` }, lambda: { url: `http://127.0.0.1:${lambda.port}` } },
        default: "legacy",
        session: { type: "rails", cookie: "_app_session" },
        routes: [
          { id: "cutover", match: { path: "/views/cutover/*" }, to: SPLIT, sticky: "cutover" },
          { id: "cookie", match: { path: "/views/cookie/*" }, to: SPLIT, sticky: "cookie:_app_session" },
          { id: "user", match: { path: "/views/user/*" }, to: SPLIT, sticky: "session:user_id" },
        ],
      },
      vars: { CUTOVER_RAILS_SECRET_KEY_BASE: inject("railsSecretKeyBase") },
    });
  });

  afterAll(async () => {
    await edge?.stop();
    await lambda?.close();
  });

  /** A visitor's REQUESTS visits to `/views/<route>/N`, from a first visit without any cookie. */
  async function browse(route: string, https = true): Promise<Browser> {
    const visitor = new Browser(edge.port, { https });
    for (let i = 0; i < REQUESTS; i++) expect((await visitor.visit(`/views/${route}/${i}`)).status).toBe(200);
    return visitor;
  }

  describe("sticky 'cutover'", () => {
    it("keeps each visitor on one backend, by a cohort cookie set once on the first visit and read back", async () => {
      // Visitors until both sides have some (at least VISITORS): each visitor lands on Rails with
      // probability 1/2, so 40 visitors all on one side has probability 2^-39.
      const visitors: Browser[] = [];
      while (visitors.length < VISITORS || new Set(visitors.map((v) => v.served[0])).size < 2) {
        expect(visitors.length, "40 visitors, all on one side").toBeLessThan(40);
        visitors.push(await browse("cutover"));
      }
      for (const visitor of visitors) {
        const cohort = String(visitor.jar.get("cutover_cohort"));
        expect(cohort).toMatch(COHORT);
        // Set on the response to the first visit (which it already decided), never again.
        expect(visitor.cookieLines("cutover_cohort")).toEqual([
          [`cutover_cohort=${cohort}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax; Secure`],
          ...Array.from({ length: REQUESTS - 1 }, () => []),
        ]);
        // Every request, the first among them, on the side the cohort's bucket names.
        expect(visitor.served).toEqual(Array.from({ length: REQUESTS }, () => sideOf("cutover", cohort)));
      }
      // Meanwhile Rails wrote a new session cookie on each of its visitors' requests, and kept the session.
      for (const visitor of visitors.filter((v) => v.served[0] === "legacy")) {
        const sessions = visitor.cookieLines("_app_session").map((lines) => lines.length);
        expect(sessions).toEqual(Array.from({ length: REQUESTS }, () => 1));
        expect(new Set(visitor.setCookies.flat().filter((line) => line.startsWith("_app_session="))).size).toBe(REQUESTS);
      }
      expect(new Set(visitors.map((v) => v.jar.get("cutover_cohort"))).size).toBe(visitors.length);
    });

    it("sets the cookie without Secure over http, where a browser would drop a Secure one", async () => {
      const visitor = await browse("cutover", false);
      const cohort = String(visitor.jar.get("cutover_cohort"));
      expect(visitor.cookieLines("cutover_cohort")[0]).toEqual([`cutover_cohort=${cohort}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax`]);
      expect(visitor.cookieLines("cutover_cohort").flat()).toHaveLength(1);
      expect(visitor.served).toEqual(Array.from({ length: REQUESTS }, () => sideOf("cutover", cohort)));
    });
  });

  it("flaps under sticky 'cookie:_app_session', the key Rails changes on every write", async () => {
    // A visitor stays on one side only if all REQUESTS decisions land there: Rails' answer
    // sets a new cookie (a fresh random IV: a new, uniformly spread bucket) and the Node
    // backend's sets none (a visitor without a cookie rolls again; one with a cookie keeps
    // it). All on Rails: 2^-8; all on Node: 2^-8. So each visitor stays put with probability
    // 2^-7, and all VISITORS (12) do with probability 2^-84: the test cannot pass by chance
    // that "none flaps".
    const flapped: string[][] = [];
    for (let v = 0; v < VISITORS; v++) {
      const visitor = new Browser(edge.port);
      for (let i = 0; i < REQUESTS; i++) {
        const sent = visitor.jar.get("_app_session");
        await visitor.visit(`/views/cookie/${i}`);
        // The cookie is the key: each request carrying one lands where its bucket says.
        if (sent !== undefined) expect(visitor.served[i]).toBe(sideOf("cookie", sent));
      }
      if (new Set(visitor.served).size > 1) flapped.push(visitor.served);
      // This route's sticky never used cutover's cookie: none set.
      expect(visitor.cookieLines("cutover_cohort").flat()).toEqual([]);
    }
    expect(flapped.length).toBeGreaterThan(0);
    expect(flapped[0]).toEqual(expect.arrayContaining(["legacy", "lambda"]));
  });

  it("keeps a user on one side under sticky 'session:user_id' across session rewrites, a second login and another device; two users on their own sides", async () => {
    // Two users whose `session:<id>` keys fall on different sides: found, not hoped for.
    const userOn = (side: string) => {
      for (let id = 1; ; id++) if (sideOf("user", `session:${id}`) === side) return String(id);
    };
    const users = [userOn("legacy"), userOn("lambda")];
    const sides: string[] = [];
    let page = 0;
    const split = async (visitor: Browser) => {
      const visited = await visitor.visit(`/views/user/${page++}`);
      expect(visited.status).toBe(200);
      return String(visited.headers["x-cutover-backend"]);
    };
    /** A page of Rails' own (not split) that rewrites the session, then a split page. */
    const rewriteThenSplit = async (visitor: Browser) => {
      const rewritten = await visitor.visit("/views");
      expect(visitor.served.at(-1)).toBe("legacy");
      expect(visitor.cookieLines("_app_session").at(-1)).toHaveLength(1);
      return { side: await split(visitor), userId: json<{ user_id: string | null }>(rewritten).user_id };
    };
    for (const id of users) {
      const phone = new Browser(edge.port);
      // Anonymous: the cutover cookie's cohort, set on the first visit.
      const anonymous = await split(phone);
      expect(anonymous).toBe(sideOf("user", String(phone.jar.get("cutover_cohort"))));

      expect(json(await phone.visit(`/login/${id}`))).toEqual({ user_id: id });
      const signedIn: { side: string; userId: string | null }[] = [];
      for (let i = 0; i < 3; i++) signedIn.push(await rewriteThenSplit(phone));
      // Signing in again as the same user: another cookie, the same user.
      expect(json(await phone.visit(`/login/${id}`))).toEqual({ user_id: id });
      for (let i = 0; i < 3; i++) signedIn.push(await rewriteThenSplit(phone));
      // Another device, without the phone's cutover cookie: the same user, the same side.
      const laptop = new Browser(edge.port);
      expect(json(await laptop.visit(`/login/${id}`))).toEqual({ user_id: id });
      signedIn.push(await rewriteThenSplit(laptop));

      expect(signedIn).toEqual(Array.from({ length: 7 }, () => ({ side: sideOf("user", `session:${id}`), userId: id })));
      sides.push(sideOf("user", `session:${id}`));
    }
    expect(sides).toEqual(["legacy", "lambda"]);
  });
});
