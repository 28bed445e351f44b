import { fnv1a } from "../lib/fnv.ts";
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
  const hextets = expandIpv6(clientIp);
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

/** The eight 16-bit groups of an IPv6 address in text (`::` expanded, an IPv4 tail read), or undefined. */
function expandIpv6(text: string): number[] | undefined {
  const zone = text.indexOf("%");
  const address = (zone === -1 ? text : text.slice(0, zone)).toLowerCase();
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] as string;
      if (i === pieces.length - 1 && piece.includes(".")) {
        const octets = piece.split(".").map(Number);
        if (octets.length !== 4 || octets.some((octet) => !(octet >= 0 && octet <= 255))) return undefined;
        out.push(((octets[0] as number) << 8) | (octets[1] as number), ((octets[2] as number) << 8) | (octets[3] as number));
      } else {
        if (!/^[0-9a-f]{1,4}$/.test(piece)) return undefined;
        out.push(Number.parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [...head, ...Array<number>(missing).fill(0), ...tail];
}
