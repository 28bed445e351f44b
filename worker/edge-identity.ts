import { identityClaims } from "../identity/identity-claims.ts";
import { hs256Key, signJwt } from "../identity/jwt.ts";
import { railsCookieKey, readRailsSession, type KeyDigest, type RailsSession, type SessionRefusal } from "../identity/rails-session.ts";
import { readCookie } from "../lib/cookies.ts";
import { logEvent } from "../lib/log.ts";
import type { CompiledBackend, CompiledSession } from "../routes/compile.ts";

/**
 * The signed-in user at the edge, per isolate: the app's session read from its cookie
 * (CUTOVER_RAILS_SECRET_KEY_BASE) and identity tokens for the backends that take one
 * (CUTOVER_IDENTITY_SECRET). Keys are derived once per isolate (PBKDF2 is slow on purpose);
 * what is missing or wrong is logged once per isolate, not per request. Never throws: a
 * request without a session is served as an anonymous one.
 */
export interface EdgeIdentity {
  /** This request's session, or undefined (no cookie, no secret, a cookie that does not read). */
  readSession(session: CompiledSession, cookieHeader: string | null, nowMs: number): Promise<RailsSession | undefined>;
  /** `X-Cutover-Identity` per backend name, for those of `backends` that take one and a user the session names. */
  tokens(backends: readonly CompiledBackend[], session: RailsSession, nowMs: number): Promise<ReadonlyMap<string, string>>;
}

export interface IdentitySecrets {
  readonly railsSecretKeyBase: string | undefined;
  readonly identitySecret: string | undefined;
}

/** What a refusal means, for the one log line an isolate writes about it. */
const REFUSAL_MESSAGES: Record<SessionRefusal, string> = {
  malformed: "the session cookie is not Rails' authenticated encrypted form (data--iv--tag): is the app on Rails 5.2+ with use_authenticated_cookie_encryption?",
  unauthentic: "the session cookie does not decrypt: CUTOVER_RAILS_SECRET_KEY_BASE or the table's session.keyDigest (sha1 for Rails 6.1, sha256 from load_defaults 7.0) differs from the app's",
  marshal:
    "the session cookie is serialized with Ruby's Marshal, which cutover does not read (it would run whatever the cookie says): set config.action_dispatch.cookies_serializer = :hybrid, then :json, in the app",
  not_json: "the session cookie decrypts, but is not a JSON object",
  wrong_purpose: "a cookie encrypted for another name was sent as the session cookie",
  expired: "the session cookie has expired",
};

/**
 * A session read from a cookie value is kept this long, and an identity token is handed out
 * again while at least half its lifetime is left: a page and its XHRs send one cookie many
 * times, and each read costs an AES-GCM decryption (~120 µs of CPU on workerd, each token
 * signed ~70 µs more: `node bench/primitives.ts`, session-read and session-identity). The
 * cookie value is authenticated ciphertext: the same value always reads the same. A session
 * that expires meanwhile is honoured at most this much longer.
 */
export const SESSION_CACHE_MS = 30_000;
/** Entries per cache (sessions by cookie value, tokens by backend and claims): oldest go first. */
export const CACHE_ENTRIES = 2_000;

export function createEdgeIdentity(secrets: IdentitySecrets): EdgeIdentity {
  const sessionKeys = new Map<KeyDigest, Promise<CryptoKey>>();
  const sessions = new BoundedCache<{ readonly session: RailsSession; readonly until: number }>();
  const signed = new BoundedCache<{ readonly token: string; readonly reuseUntil: number }>();
  let signingKey: Promise<CryptoKey> | undefined;
  const logged = new Set<string>();
  const once = (event: string, fields: Record<string, unknown>) => {
    if (logged.has(`${event}:${String(fields.reason ?? "")}`)) return;
    logged.add(`${event}:${String(fields.reason ?? "")}`);
    logEvent("warn", event, fields);
  };

  return {
    async readSession(session, cookieHeader, nowMs) {
      const value = readCookie(cookieHeader, session.cookie);
      if (value === undefined) return undefined;
      const secret = secrets.railsSecretKeyBase;
      if (!secret) {
        once("session_unread", { reason: "no_secret", message: "the route table names a session cookie, and CUTOVER_RAILS_SECRET_KEY_BASE is not set: session cohorts fall back to the cutover cookie, and no identity is sent" });
        return undefined;
      }
      const cacheKey = `${session.keyDigest}\0${session.cookie}\0${value}`;
      const cached = sessions.get(cacheKey);
      if (cached !== undefined && cached.until > nowMs) return cached.session;
      try {
        let key = sessionKeys.get(session.keyDigest);
        if (key === undefined) sessionKeys.set(session.keyDigest, (key = railsCookieKey(secret, session.keyDigest)));
        const read = await readRailsSession(value, await key, { cookie: session.cookie, now: nowMs });
        if (read.ok) {
          sessions.set(cacheKey, { session: read.value, until: nowMs + SESSION_CACHE_MS });
          return read.value;
        }
        if (read.error !== "expired") once("session_unread", { reason: read.error, cookie: session.cookie, message: REFUSAL_MESSAGES[read.error] });
        return undefined;
      } catch (error) {
        once("session_unread", { reason: "error", error });
        return undefined;
      }
    },

    async tokens(backends, session, nowMs) {
      const tokens = new Map<string, string>();
      const takers = backends.filter((backend) => backend.identity !== undefined);
      if (takers.length === 0) return tokens;
      if (!secrets.identitySecret) {
        once("identity_unsent", { reason: "no_secret", message: "backends with identity get no X-Cutover-Identity: set CUTOVER_IDENTITY_SECRET (32 bytes or more, openssl rand -hex 32)" });
        return tokens;
      }
      try {
        signingKey ??= hs256Key(secrets.identitySecret);
        const key = await signingKey;
        for (const backend of takers) {
          if (backend.identity === undefined || tokens.has(backend.name)) continue;
          const claims = identityClaims(session, backend.name, backend.identity, nowMs / 1000);
          if (claims === undefined) continue;
          // The same user's claims for the same backend (times aside): the token signed for them still serves.
          const { iat: _iat, exp, ...who } = claims;
          const cacheKey = `${backend.name}\0${backend.identity.ttlSeconds}\0${JSON.stringify(who)}`;
          const cached = signed.get(cacheKey);
          if (cached !== undefined && cached.reuseUntil > nowMs) {
            tokens.set(backend.name, cached.token);
            continue;
          }
          const token = await signJwt(claims, key);
          signed.set(cacheKey, { token, reuseUntil: Number(exp) * 1000 - (backend.identity.ttlSeconds * 1000) / 2 });
          tokens.set(backend.name, token);
        }
      } catch (error) {
        once("identity_unsent", { reason: "error", error });
      }
      return tokens;
    },
  };
}

/** A Map that forgets its oldest entries past CACHE_ENTRIES (insertion order). */
class BoundedCache<V> {
  readonly #entries = new Map<string, V>();

  get(key: string): V | undefined {
    return this.#entries.get(key);
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > CACHE_ENTRIES) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }
}
