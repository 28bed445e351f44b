import { describe, expect, it } from "vitest";
import { armEvidence, countEvidence, emptyEvidence, evidenceOutcome, mergeEvidence } from "../../accounting/evidence-counts.ts";
import { addToSketch, distinctUsers, emptySketch, estimateDistinct, mergeSketch, occupied, sketchBuckets, sketchFrom, USER_BUCKETS } from "../../accounting/user-sketch.ts";
import { userBucket, userOf } from "../../accounting/users.ts";
import { evidenceFromAttributes, evidenceToAttributes } from "../../store/traffic-attributes.ts";

/** `n` distinct client addresses, the way Cloudflare writes them. */
const addresses = (n: number, prefix = "198.18") => Array.from({ length: n }, (_, i) => `${prefix}.${Math.floor(i / 250)}.${(i % 250) + 1}`);
const noKey = () => undefined;

describe("user sketches", () => {
  it("set a bit per bucket, merge by union, and round-trip through their stored buckets", () => {
    const a = emptySketch();
    const b = emptySketch();
    for (const bucket of [0, 7, 8, 4095]) addToSketch(a, bucket);
    for (const bucket of [7, 100]) addToSketch(b, bucket);
    addToSketch(a, 7); // the same user again: nothing new
    expect(occupied(a)).toBe(4);
    mergeSketch(a, b);
    expect(sketchBuckets(a)).toEqual([0, 7, 8, 100, 4095]);
    // Merging is idempotent: the same sketch again changes nothing.
    mergeSketch(a, b);
    expect(sketchBuckets(a)).toEqual([0, 7, 8, 100, 4095]);
    expect(sketchFrom(sketchBuckets(a))).toEqual(a);
    expect(sketchBuckets(sketchFrom([-1, 4096, 1.5, 3]))).toEqual([3]);
  });

  it("estimates distinct users by linear counting: −M·ln(1 − k/M), exact at the expected occupancy", () => {
    expect(estimateDistinct(0)).toBe(0);
    // n users are expected to occupy M·(1 − e^(−n/M)) buckets: the estimator inverts that.
    for (const n of [10, 300, 4096, 10_000]) expect(estimateDistinct(USER_BUCKETS * (1 - Math.exp(-n / USER_BUCKETS)))).toBeCloseTo(n, 6);
    expect(estimateDistinct(USER_BUCKETS / 2)).toBeCloseTo(USER_BUCKETS * Math.LN2, 6);
    // Saturated: its largest estimate, M·ln M.
    expect(estimateDistinct(USER_BUCKETS)).toBeCloseTo(USER_BUCKETS * Math.log(USER_BUCKETS), 6);
  });

  it.each([
    [50, 2],
    [300, 0.03 * 300],
    [1000, 0.03 * 1000],
    [5000, 0.04 * 5000],
  ])("counts %i distinct client addresses within ±%d (about 1 % standard error up to thousands)", (n, tolerance) => {
    const sketch = emptySketch();
    for (const address of addresses(n)) addToSketch(sketch, userBucket(userOf(address, noKey)));
    expect(Math.abs(distinctUsers(sketch) - n)).toBeLessThanOrEqual(tolerance);
  });
});

describe("who a user is", () => {
  it("is the client address, an IPv6 client's /64, never the cohort key", () => {
    expect(userOf("203.0.113.7", () => "session-1")).toBe("203.0.113.7");
    expect(userOf("2001:db8:1:2:aaaa:bbbb:cccc:dddd", noKey)).toBe("2001:db8:1:2::/64");
    // Any address of the same /64 is the same user; another /64 is another.
    expect(userOf("2001:0DB8:0001:0002::1", noKey)).toBe(userOf("2001:db8:1:2:ffff::9", noKey));
    expect(userOf("2001:db8:1:3::1", noKey)).not.toBe(userOf("2001:db8:1:2::1", noKey));
    expect(userOf("::ffff:203.0.113.7", noKey)).toBe("203.0.113.7");
    expect(userOf(undefined, () => "session-1")).toBe("unknown");
  });

  it("on a local stack (a loopback address, which Cloudflare never sends) is the cohort key", () => {
    expect(userOf("127.0.0.1", () => "u1")).not.toBe(userOf("127.0.0.1", () => "u2"));
    expect(userOf("::1", () => "u1")).toBe(userOf("127.0.0.1", () => "u1"));
  });

  it("hashes into the sketch's buckets", () => {
    const buckets = new Set(addresses(2000).map((address) => userBucket(address)));
    for (const bucket of buckets) expect(bucket >= 0 && bucket < USER_BUCKETS).toBe(true);
    // 2 000 users over 4 096 buckets: about 1 582 occupied when the hash spreads them.
    expect(buckets.size).toBeGreaterThan(1500);
  });
});

describe("evidence cells", () => {
  it("are a split's answers: failures, 4xx the client got, never cutover's refusals or a client that stopped sending", () => {
    expect(evidenceOutcome({ kind: "response", status: 200 }, false)).toBe("ok");
    expect(evidenceOutcome({ kind: "response", status: 304 }, false)).toBe("ok");
    expect(evidenceOutcome({ kind: "response", status: 503 }, false)).toBe("failure");
    expect(evidenceOutcome({ kind: "response", status: 503 }, true)).toBe("failure");
    expect(evidenceOutcome({ kind: "proxy", status: 502 }, false)).toBe("failure");
    expect(evidenceOutcome({ kind: "proxy", status: 504 }, false)).toBe("failure");
    expect(evidenceOutcome({ kind: "response", status: 404 }, false)).toBe("client-error");
    // The fallback answered the client: its 404 was not the client's answer.
    expect(evidenceOutcome({ kind: "response", status: 404 }, true)).toBe("ok");
    for (const status of [400, 405, 413]) expect(evidenceOutcome({ kind: "proxy", status }, false)).toBeUndefined();
    expect(evidenceOutcome({ kind: "client", status: 499 }, false)).toBeUndefined();
  });

  it("count one client sending a thousand failing requests as one user who met a failure", () => {
    const cell = emptyEvidence();
    for (let i = 0; i < 1000; i++) countEvidence(cell, "failure", 10, userBucket("203.0.113.66"));
    for (const address of addresses(99)) countEvidence(cell, "ok", 10, userBucket(address));
    expect(armEvidence(cell)).toMatchObject({ requests: 1099, failures: 1000, users: expect.closeTo(100, -1), failedUsers: 1, clientErrorUsers: 0 });
  });

  it("merge across isolates as unions of users, and round-trip through their stored attributes", () => {
    const a = emptyEvidence();
    const b = emptyEvidence();
    const users = addresses(300);
    users.forEach((address, i) => countEvidence(i < 200 ? a : b, i % 10 === 0 ? "client-error" : i % 7 === 0 ? "failure" : "ok", 20 + (i % 3), userBucket(address)));
    // One user seen by both isolates.
    countEvidence(b, "ok", 20, userBucket(users[0] as string));
    mergeEvidence(a, b);
    expect(armEvidence(a)).toMatchObject({ requests: 301, users: expect.closeTo(300, -1), clientErrorUsers: 30 });
    const stored = evidenceToAttributes(a);
    expect(stored.counters).toMatchObject({ r: 301, e: a.failures, c: 30 });
    const back = evidenceFromAttributes({ ...stored.counters, ...Object.fromEntries(Object.entries(stored.numberSets).map(([name, members]) => [name, new Set(members)])) });
    expect(back).toEqual(a);
  });
});
