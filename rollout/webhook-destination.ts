import { ipv6Groups } from "../lib/ipv6.ts";

/**
 * Where a rollout's webhook may post: the Worker sends it from inside the deployment, so a
 * URL an operator pastes must not make it call the network it runs next to. Only `https:` to
 * a public address: loopback, private, shared (CGNAT), link-local — the cloud metadata
 * service at 169.254.169.254 among them — multicast and reserved addresses are refused, and so
 * are names that only resolve inside a network (`localhost`, `*.local`, `*.internal`,
 * single-label names). The WHATWG URL parser has already turned `http://2130706433/`,
 * `0x7f.1` and `[::ffff:127.0.0.1]` into their canonical forms when this looks at them.
 *
 * Names are checked as written: Workers cannot resolve a name before fetching it, and
 * Cloudflare's edge does not route to a deployment's private networks, so a public name that
 * resolves to a private address reaches nothing there. `allowPrivate` (CUTOVER_WEBHOOK_ALLOW_PRIVATE,
 * set by the local stack only) also lets `http:` and private addresses through.
 */
export function webhookProblem(url: string, options: { readonly allowPrivate: boolean }): string | undefined {
  if (!URL.canParse(url)) return "must be an https URL";
  const parsed = new URL(url);
  if (parsed.protocol !== "https:" && !(options.allowPrivate && parsed.protocol === "http:")) return "must be an https URL";
  if (options.allowPrivate) return undefined;
  const host = parsed.hostname.toLowerCase().replace(/\.$/, "");
  if (host.startsWith("[")) return privateIpv6(host.slice(1, -1)) ? `must not point at a private, loopback or link-local address (${host})` : undefined;
  const v4 = ipv4(host);
  if (v4 !== undefined) return privateIpv4(v4) ? `must not point at a private, loopback, link-local or reserved address (${host})` : undefined;
  if (!host.includes(".") || INTERNAL_SUFFIXES.some((suffix) => host === suffix.slice(1) || host.endsWith(suffix))) return `must name a public host (${host} only resolves inside a network)`;
  return undefined;
}

/** What a webhook URL may show to viewers and in the audit log: its path is its secret (Slack's /services/T…/B…/x…). */
export function webhookHost(url: string): string {
  return URL.canParse(url) ? `${new URL(url).origin}/…` : "(invalid url)";
}

const INTERNAL_SUFFIXES = [".localhost", ".local", ".internal", ".localdomain", ".home.arpa", ".lan", ".intranet", ".corp"];

/** A canonical IPv4 host's octets (the URL parser has refused an octet over 255 already). */
function ipv4(host: string): readonly number[] | undefined {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part))) return undefined;
  return parts.map(Number);
}

/** The ranges no webhook goes to (RFC 6890 and friends), as [first octet, second octet from, to]. */
const PRIVATE_V4: readonly (readonly [number, number, number])[] = [
  [0, 0, 255], // 0.0.0.0/8, "this network"
  [10, 0, 255], // 10.0.0.0/8
  [100, 64, 127], // 100.64.0.0/10, shared address space (CGNAT)
  [127, 0, 255], // 127.0.0.0/8, loopback
  [169, 254, 254], // 169.254.0.0/16, link-local, cloud metadata
  [172, 16, 31], // 172.16.0.0/12
  [192, 168, 168], // 192.168.0.0/16
  [198, 18, 19], // 198.18.0.0/15, benchmarking
];

function privateIpv4([a = 0, b = 0, c = 0]: readonly number[]): boolean {
  if (a >= 224) return true; // multicast, reserved, broadcast
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return true; // IETF protocol assignments, TEST-NET-1
  if ((a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return true; // TEST-NET-2/3
  return PRIVATE_V4.some(([first, from, to]) => a === first && b >= from && b <= to);
}

function privateIpv6(address: string): boolean {
  const groups = ipv6Groups(address);
  if (groups === undefined) return true;
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses: judged as IPv4.
  // `::` and `::1` are IPv4-compatible 0.0.0.0 and 0.0.0.1, in 0.0.0.0/8: refused with them.
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && (g5 === 0xffff || g5 === 0)) return privateIpv4([g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff]);
  // NAT64 (64:ff9b::/96) carries an IPv4 address too.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return privateIpv4([g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff]);
  if ((g0 & 0xfe00) === 0xfc00) return true; // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return true; // link-local fe80::/10
  if ((g0 & 0xff00) === 0xff00) return true; // multicast
  if (g0 === 0x2001 && g1 === 0xdb8) return true; // documentation
  return false;
}
