import { describe, expect, it } from "vitest";
import { BUCKETS, cohortBucket, parseSticky, readCohortKey, readCutoverCohort, type CohortSources } from "../../routes/cohort.ts";

describe("cohortBucket", () => {
  it("is stable: the same route and key always give the same bucket", () => {
    // Pinned values: changing the hash would move every user of every split.
    expect([cohortBucket("accounts-read", "alice"), cohortBucket("accounts-read", "bob"), cohortBucket("other", "alice")]).toEqual([
      3325, 9237, 3174,
    ]);
  });

  it("spreads keys evenly over the buckets", () => {
    const perDecile = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) perDecile[Math.floor(cohortBucket("r", `user-${i}`) / (BUCKETS / 10))]++;
    for (const count of perDecile) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it("depends on the route, so one user is not on the new side of every route at once", () => {
    let same = 0;
    for (let i = 0; i < 1000; i++) if (cohortBucket("a", `u${i}`) < 5000 === cohortBucket("b", `u${i}`) < 5000) same++;
    expect(same).toBeGreaterThan(400);
    expect(same).toBeLessThan(600);
  });
});

describe("parseSticky", () => {
  it.each([
    ["ip", { kind: "ip" }],
    ["none", { kind: "none" }],
    ["cutover", { kind: "cutover" }],
    ["session:user_id", { kind: "session", field: "user_id" }],
    ["session:warden.user.user.key", { kind: "session", field: "warden.user.user.key" }],
    ["cookie:Session_Id", { kind: "cookie", name: "Session_Id" }],
    ["header:X-User-Id", { kind: "header", name: "x-user-id" }],
  ])("%s", (sticky, expected) => {
    expect(parseSticky(sticky)).toEqual(expected);
  });

  it("takes the table's defaultSticky for a route that names none, the client IP without one", () => {
    expect(parseSticky(undefined, "cutover")).toEqual({ kind: "cutover" });
    expect(parseSticky(undefined, "session:user_id")).toEqual({ kind: "session", field: "user_id" });
    expect(parseSticky("ip", "cutover")).toEqual({ kind: "ip" });
    expect(parseSticky(undefined)).toEqual({ kind: "ip" });
  });

  it("throws on what the schema refuses", () => {
    expect(() => parseSticky("session")).toThrow(/Unknown sticky setting 'session'/);
    expect(() => parseSticky("query:x")).toThrow(/Unknown sticky/);
  });
});

describe("readCohortKey", () => {
  const headers = new Headers({ cookie: 'theme=dark; session_id="s-123"; other=1; cutover_cohort=AAAAAAAAAAAAAAAAAAAAAA', "x-user-id": "u-9" });
  const sources = (extra: Partial<CohortSources> = {}): CohortSources => ({
    headers,
    clientIp: "198.51.100.4",
    cutoverCohort: () => "the-cutover-cohort",
    sessionField: (field) => (field === "user_id" ? "42" : undefined),
    ...extra,
  });

  it.each([
    ["ip", "198.51.100.4"],
    ["none", undefined],
    ["cookie:session_id", "s-123"],
    ["cookie:missing", undefined],
    ["header:X-User-Id", "u-9"],
    ["header:x-missing", undefined],
    ["cutover", "the-cutover-cohort"],
    ["session:user_id", "session:42"],
    // No such field (an anonymous visitor, no session at all): the cutover cohort.
    ["session:account_id", "the-cutover-cohort"],
  ])("%s → %s", (sticky, expected) => {
    expect(readCohortKey(parseSticky(sticky), sources())).toBe(expected);
  });

  it("defaults to the client IP, and has no key without one", () => {
    expect(readCohortKey(parseSticky(undefined), sources())).toBe("198.51.100.4");
    expect(readCohortKey(parseSticky(undefined), sources({ clientIp: undefined }))).toBeUndefined();
    expect(readCohortKey(parseSticky(undefined), sources({ clientIp: "" }))).toBeUndefined();
  });

  it("asks for the cutover cohort only when the sticky uses it", () => {
    let asked = 0;
    const counting = sources({ cutoverCohort: () => `cohort-${++asked}` });
    for (const sticky of ["ip", "none", "cookie:session_id", "header:x-user-id", "session:user_id"]) readCohortKey(parseSticky(sticky), counting);
    expect(asked).toBe(0);
    expect(readCohortKey(parseSticky("session:other"), counting)).toBe("cohort-1");
  });
});

describe("readCutoverCohort", () => {
  it.each([
    ["cutover_cohort=AbCdEfGhIjKlMnOpQrSt-_", "AbCdEfGhIjKlMnOpQrSt-_"],
    ['a=1; cutover_cohort="AbCdEfGhIjKlMnOpQrSt-_"', "AbCdEfGhIjKlMnOpQrSt-_"],
    // Not one cutover made: too short, too long, another alphabet.
    ["cutover_cohort=short", undefined],
    ["cutover_cohort=AbCdEfGhIjKlMnOpQrSt-_x", undefined],
    ["cutover_cohort=AbCdEfGhIjKlMnOpQrSt+/", undefined],
    ["other=AbCdEfGhIjKlMnOpQrSt-_", undefined],
  ])("%s → %s", (cookie, expected) => {
    expect(readCutoverCohort(new Headers({ cookie }))).toBe(expected);
  });

  it("is undefined without a Cookie header", () => {
    expect(readCutoverCohort(new Headers())).toBeUndefined();
  });
});
