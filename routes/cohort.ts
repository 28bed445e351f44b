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
  | { readonly kind: "cookie"; readonly name: string }
  | { readonly kind: "header"; readonly name: string };

/** `"cookie:session_id"` → `{ kind: "cookie", name: "session_id" }`; absent means the client IP. */
export function parseSticky(sticky: string | undefined): Sticky {
  if (sticky === undefined || sticky === "ip") return { kind: "ip" };
  if (sticky === "none") return { kind: "none" };
  const colon = sticky.indexOf(":");
  const kind = sticky.slice(0, colon);
  const name = sticky.slice(colon + 1);
  if (kind === "cookie") return { kind, name };
  if (kind === "header") return { kind, name: name.toLowerCase() };
  throw new Error(`Unknown sticky setting '${sticky}' (the schema should have refused it)`);
}

export interface RequestHeaders {
  get(name: string): string | null;
}

/** The request's cohort key, or undefined when it has none (the decision then rolls). */
export function readCohortKey(sticky: Sticky, headers: RequestHeaders, clientIp: string | undefined): string | undefined {
  switch (sticky.kind) {
    case "ip":
      return clientIp || undefined;
    case "none":
      return undefined;
    case "header":
      return headers.get(sticky.name) || undefined;
    case "cookie":
      return readCookie(headers.get("cookie"), sticky.name);
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
