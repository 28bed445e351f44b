import { readCookie } from "../lib/cookies.ts";
import { fnv1a, fnvMix } from "../lib/fnv.ts";

/**
 * Sticky cohorts. A user's cohort key hashes, together with the route id, into one of
 * 10 000 buckets (0.01 % each). The split assigns each backend a fixed range of buckets, so
 * a user keeps their backend for as long as the weights do not move their bucket, and
 * raising the new backend's weight only moves users from legacy to new (see `splitRanges`).
 */
export const BUCKETS = 10_000;

export type Sticky =
  | { readonly kind: "ip" }
  | { readonly kind: "none" }
  | { readonly kind: "cutover" }
  | { readonly kind: "session"; readonly field: string }
  | { readonly kind: "cookie"; readonly name: string }
  | { readonly kind: "header"; readonly name: string };

/**
 * `"cookie:session_id"` → `{ kind: "cookie", name: "session_id" }`; absent means the table's
 * `defaultSticky`, and without one the client IP.
 */
export function parseSticky(sticky: string | undefined, defaultSticky?: string): Sticky {
  if (sticky === undefined) return defaultSticky === undefined ? { kind: "ip" } : parseSticky(defaultSticky);
  if (sticky === "ip" || sticky === "none" || sticky === "cutover") return { kind: sticky };
  const colon = sticky.indexOf(":");
  const kind = sticky.slice(0, colon);
  const name = sticky.slice(colon + 1);
  if (kind === "cookie") return { kind, name };
  if (kind === "header") return { kind, name: name.toLowerCase() };
  if (kind === "session") return { kind, field: name };
  throw new Error(`Unknown sticky setting '${sticky}' (the schema should have refused it)`);
}

export interface RequestHeaders {
  get(name: string): string | null;
}

/**
 * cutover's own cohort cookie (`sticky: "cutover"`): a random value cutover gives a visitor
 * once and reads back, so the visitor's cohort outlives every rewrite of the app's own
 * cookies (Rails re-encrypts its session cookie on every write: a new value each response).
 */
export const COHORT_COOKIE = "cutover_cohort";
/** 128 random bits, base64url without padding: 22 characters. */
const COHORT_VALUE = /^[A-Za-z0-9_-]{22}$/;

/** The visitor's cutover cohort from the Cookie header, or undefined when absent or not one cutover made. */
export function readCutoverCohort(headers: RequestHeaders): string | undefined {
  const value = readCookie(headers.get("cookie"), COHORT_COOKIE);
  return value !== undefined && COHORT_VALUE.test(value) ? value : undefined;
}

/** What a cohort key may come from, besides the request's headers and address. */
export interface CohortSources {
  readonly headers: RequestHeaders;
  readonly clientIp: string | undefined;
  /** The visitor's cutover cohort: the cookie's value, or a fresh one the response will set (undefined where no cohort matters: none is minted). */
  readonly cutoverCohort: () => string | undefined;
  /** A field of the app's session read at the edge (see identity/), undefined without a readable session. */
  readonly sessionField: (field: string) => string | undefined;
}

/**
 * The request's cohort key, or undefined when it has none (the decision then rolls).
 * `session:FIELD` without that field (an anonymous visitor, a cookie
 * that does not decrypt, no secret to read it with) falls back to the cutover cohort: a
 * visitor keeps one side until signing in, then the user keeps one side on every device.
 */
export function readCohortKey(sticky: Sticky, sources: CohortSources): string | undefined {
  switch (sticky.kind) {
    case "ip":
      return sources.clientIp || undefined;
    case "none":
      return undefined;
    case "header":
      return sources.headers.get(sticky.name) || undefined;
    case "cookie":
      return readCookie(sources.headers.get("cookie"), sticky.name);
    case "session": {
      const key = sources.sessionField(sticky.field);
      // Prefixed: a user id and a random cohort value never stand for one another.
      return key === undefined ? sources.cutoverCohort() : `session:${key}`;
    }
    case "cutover":
      return sources.cutoverCohort();
  }
}

/**
 * FNV-1a over the UTF-16 code units of `routeId NUL key`, then the murmur3 finalizer so that
 * keys differing in one character spread over all buckets. Integer-only: the same bucket
 * in every isolate, every runtime, forever — changing this function moves users.
 */
export function cohortBucket(routeId: string, key: string): number {
  let hash = fnv1a(key, fnvMix(fnv1a(routeId), 0));
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) % BUCKETS;
}

/** A weight in percent (steps of 0.01) as a count of buckets. */
export function toBuckets(percent: number): number {
  return Math.round(percent * 100);
}
