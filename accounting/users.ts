import { fnv1a } from "../lib/fnv.ts";
import { ipv6Groups } from "../lib/ipv6.ts";
import { USER_BUCKETS } from "./user-sketch.ts";

/**
 * Who a user is, for rollout evidence: the client as Cloudflare sees it. Not the cohort key:
 * a client chooses its cookie and header values freely, so counting cohorts would let one
 * client be a thousand users. Cloudflare sets `cf-connecting-ip` from the connection (a
 * client cannot), so one address is one user however much it sends.
 *
 * - IPv4: the address.
 * - IPv6: its /64 prefix — one subscriber's whole network, which a client can pick freely
 *   from (RFC 8981 temporary addresses), like an IPv4 address behind one router. An IPv4
 *   address written as IPv6 (`::ffff:192.0.2.1`) is that IPv4 address.
 * - A loopback address (127.0.0.0/8, ::1) never comes from Cloudflare: it is a local stack
 *   (`wrangler dev`, curl on the same machine), where every client has it. There the cohort
 *   key stands for the user, so that a walk-through on one machine can pass a step.
 * - No address (a runtime that sets none): one "unknown" user for all of them.
 */
export function userOf(clientIp: string | undefined, cohortKey: () => string | undefined): string {
  if (clientIp === undefined || clientIp === "") return UNKNOWN_USER;
  if (!clientIp.includes(":")) return clientIp.startsWith("127.") ? `local:${cohortKey() ?? ""}` : clientIp;
  const hextets = ipv6Groups(clientIp);
  if (hextets === undefined) return clientIp;
  if (hextets.every((hextet, i) => hextet === (i === 7 ? 1 : 0))) return `local:${cohortKey() ?? ""}`;
  // An IPv4 address written as IPv6 (::ffff:a.b.c.d) is that IPv4 client.
  if (hextets.slice(0, 6).every((hextet, i) => hextet === (i === 5 ? 0xffff : 0))) {
    const [high = 0, low = 0] = hextets.slice(6);
    return userOf(`${high >>> 8}.${high & 255}.${low >>> 8}.${low & 255}`, cohortKey);
  }
  return `${hextets.slice(0, 4).map((hextet) => hextet.toString(16)).join(":")}::/64`;
}

/** The user of a request without a client address. */
export const UNKNOWN_USER = "unknown";

/**
 * A user's bucket in a user sketch: FNV-1a over the user, xor-folded to 12 bits (the FNV
 * authors' way to a hash shorter than 32 bits: every bit of the hash takes part).
 */
export function userBucket(user: string): number {
  const hash = fnv1a(user);
  return ((hash >>> 12) ^ (hash >>> 24) ^ hash) & (USER_BUCKETS - 1);
}
