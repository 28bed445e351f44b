import { fromBase64Url } from "../lib/base64.ts";
import type { Principal, Role } from "./tokens.ts";

/**
 * Cloudflare Access in front of /_cutover/ (optional): every request Access lets through
 * carries `Cf-Access-Jwt-Assertion`, an RS256 JWT signed with the team's keys
 * (`<team domain>/cdn-cgi/access/certs`). It is verified here — signature, audience (the
 * Access application's AUD tag), issuer, expiry — and its email (or a `groups` claim) is
 * mapped to a role by CUTOVER_ACCESS_ROLES, e.g.
 * `{ "operator": ["alice@example.com", "group:sre"], "viewer": ["*@example.com"] }`.
 */
export interface AccessConfig {
  readonly teamDomain: string;
  readonly audience: string;
  readonly roles: Readonly<Record<Role, readonly string[]>>;
}

const KEYS_TTL_MS = 10 * 60_000;
/** An unknown `kid` re-reads the keys at most this often. */
const UNKNOWN_KID_REFRESH_MS = 60_000;

export function parseAccessConfig(teamDomain: string | undefined, audience: string | undefined, roles: string | undefined): AccessConfig | Error | undefined {
  if (!teamDomain) return undefined;
  if (!audience) return new Error("CUTOVER_ACCESS_TEAM_DOMAIN is set but CUTOVER_ACCESS_AUD (the Access application's AUD tag) is not");
  let parsed: unknown;
  try {
    parsed = JSON.parse(roles ?? "{}");
  } catch {
    return new Error("CUTOVER_ACCESS_ROLES is not JSON");
  }
  const list = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []);
  const record = (parsed ?? {}) as Record<string, unknown>;
  return { teamDomain: teamDomain.replace(/\/+$/, ""), audience, roles: { operator: list(record.operator), viewer: list(record.viewer) } };
}

/**
 * Verifies Access JWTs against the team's keys, fetched and cached per isolate. The keys are
 * read again when they are KEYS_TTL_MS old, or for a `kid` they do not hold (Access rotates
 * them) — but at most once per UNKNOWN_KID_REFRESH_MS, and one read at a time: anyone can send
 * a made-up `kid`, and must not make the Worker fetch the keys for each.
 */
export function createAccessVerifier(config: AccessConfig, fetcher: typeof fetch = fetch, now: () => number = Date.now) {
  let keys: { at: number; byKid: Map<string, CryptoKey> } | undefined;
  let lastLoad = Number.NEGATIVE_INFINITY;
  let loading: Promise<Map<string, CryptoKey>> | undefined;
  const fetchKeys = async (): Promise<Map<string, CryptoKey>> => {
    const response = await fetcher(`${config.teamDomain}/cdn-cgi/access/certs`, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`Access keys: ${response.status}`);
    const body = (await response.json()) as { keys?: (JsonWebKey & { kid?: string })[] };
    const byKid = new Map<string, CryptoKey>();
    for (const jwk of body.keys ?? []) {
      if (jwk.kty !== "RSA" || !jwk.kid) continue;
      byKid.set(jwk.kid, await crypto.subtle.importKey("jwk", jwk, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]));
    }
    keys = { at: now(), byKid };
    return byKid;
  };
  const load = (): Promise<Map<string, CryptoKey>> => {
    lastLoad = now();
    loading ??= fetchKeys().finally(() => (loading = undefined));
    return loading;
  };
  const keyFor = async (kid: string): Promise<CryptoKey | undefined> => {
    const found = keys?.byKid.get(kid);
    if (found !== undefined && keys !== undefined && now() - keys.at < KEYS_TTL_MS) return found;
    // Read at most once a minute (a failed read too); meanwhile the keys held, even old ones, serve.
    if (loading === undefined && now() - lastLoad < UNKNOWN_KID_REFRESH_MS) return found;
    try {
      return (await (loading ?? load())).get(kid);
    } catch {
      return found;
    }
  };

  return {
    /** The principal of a valid assertion whose identity the role map names; undefined otherwise. */
    async verify(jwt: string | undefined): Promise<Principal | undefined> {
      const [head, body, signature] = jwt?.split(".") ?? [];
      if (head === undefined || body === undefined || signature === undefined) return undefined;
      const decode = (part: string) => {
        const bytes = fromBase64Url(part);
        if (bytes === undefined) return undefined;
        try {
          return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
        } catch {
          return undefined;
        }
      };
      const header = decode(head);
      const claims = decode(body);
      const signatureBytes = fromBase64Url(signature);
      if (header?.alg !== "RS256" || typeof header.kid !== "string" || claims === undefined || signatureBytes === undefined) return undefined;
      const key = await keyFor(header.kid).catch(() => undefined);
      if (key === undefined) return undefined;
      if (!(await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, signatureBytes, new TextEncoder().encode(`${head}.${body}`)))) return undefined;
      const seconds = now() / 1000;
      const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!audiences.includes(config.audience) || claims.iss !== config.teamDomain) return undefined;
      if (typeof claims.exp !== "number" || claims.exp <= seconds || (typeof claims.nbf === "number" && claims.nbf > seconds + 60)) return undefined;
      const email = typeof claims.email === "string" ? claims.email.toLowerCase() : undefined;
      const groups = Array.isArray(claims.groups) ? claims.groups.filter((g): g is string => typeof g === "string") : [];
      if (email === undefined) return undefined;
      const role = matches(config.roles.operator, email, groups) ? "operator" : matches(config.roles.viewer, email, groups) ? "viewer" : undefined;
      return role === undefined ? undefined : { name: email, role };
    },
  };
}

/** `alice@example.com`, `*@example.com`, `group:sre`, or `*` (anyone Access lets in). */
function matches(patterns: readonly string[], email: string, groups: readonly string[]): boolean {
  return patterns.some((pattern) => {
    const p = pattern.toLowerCase();
    if (p === "*") return true;
    if (p.startsWith("group:")) return groups.includes(pattern.slice(6));
    if (p.startsWith("*@")) return email.endsWith(p.slice(1));
    return p === email;
  });
}
