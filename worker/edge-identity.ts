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

export function createEdgeIdentity(secrets: IdentitySecrets): EdgeIdentity {
  const sessionKeys = new Map<KeyDigest, Promise<CryptoKey>>();
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
      try {
        let key = sessionKeys.get(session.keyDigest);
        if (key === undefined) sessionKeys.set(session.keyDigest, (key = railsCookieKey(secret, session.keyDigest)));
        const read = await readRailsSession(value, await key, { cookie: session.cookie, now: nowMs });
        if (read.ok) return read.value;
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
          if (claims !== undefined) tokens.set(backend.name, await signJwt(claims, key));
        }
      } catch (error) {
        once("identity_unsent", { reason: "error", error });
      }
      return tokens;
    },
  };
}
