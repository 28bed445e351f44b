import { describe, expect, it } from "vitest";
import { BUCKETS, cohortBucket, parseSticky, readCohortKey } from "../../routes/cohort.ts";

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

describe("readCohortKey", () => {
  const headers = new Headers({ cookie: 'theme=dark; session_id="s-123"; other=1', "x-user-id": "u-9" });

  it.each([
    ["ip", "198.51.100.4"],
    ["none", undefined],
    ["cookie:session_id", "s-123"],
    ["cookie:missing", undefined],
    ["header:X-User-Id", "u-9"],
    ["header:x-missing", undefined],
  ])("%s → %s", (sticky, expected) => {
    expect(readCohortKey(parseSticky(sticky), headers, "198.51.100.4")).toBe(expected);
  });

  it("defaults to the client IP, and has no key without one", () => {
    expect(readCohortKey(parseSticky(undefined), headers, "198.51.100.4")).toBe("198.51.100.4");
    expect(readCohortKey(parseSticky(undefined), headers, undefined)).toBeUndefined();
  });
});
