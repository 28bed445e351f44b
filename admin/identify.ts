import { fromHex, toHex } from "../lib/hex.ts";
import { sha256 } from "../lib/sha256.ts";
import type { TokenStore } from "../store/token-store.ts";
import { isStoredTokenFormat } from "../lib/admin-token.ts";
import type { Principal, TokenRegistry } from "./tokens.ts";

/** How long an unknown token is remembered as unknown (no store read for it meanwhile). */
const NEGATIVE_TTL_MS = 60_000;
/** Unknown tokens remembered at once per isolate (the oldest is forgotten first). */
const NEGATIVE_ENTRIES = 1000;
/** Store lookups that found nothing, per isolate and minute, before further unknown tokens are refused without one. */
export const FAILED_LOOKUPS_PER_MINUTE = 60;

/** Who a token is, that it is unknown, or that this isolate refuses to look up more unknown tokens this minute. */
export type Identity = { readonly principal: Principal } | { readonly unknown: true } | { readonly limited: true; readonly retryAfterSeconds: number };

export interface Identifier {
  /** A bearer token or a sign-in token: bootstrap tokens in memory, then (only for the format cutover issues) the store. */
  identify(token: string): Promise<Identity>;
  /** The holder of the token with this SHA-256 (hex) now: a dashboard session re-checks its token so. */
  identifyHash(hash: string): Promise<Principal | undefined>;
}

/**
 * Every token check of the admin API and the dashboard, in one place, and cheap for anyone
 * without a token: a value that is not a bootstrap token and not of the stored tokens' format
 * (`cut_` and 32 base64url characters) is refused without a store read; an unknown token is
 * remembered for a minute; and past FAILED_LOOKUPS_PER_MINUTE store reads that found nothing
 * in a minute, further unknown tokens are refused without one (`limited`) until the minute
 * is over. Bootstrap tokens, checked in memory, always work. A store failure throws (the
 * caller answers with a generic error; the details go to the log).
 */
export function createIdentifier(options: { registry: () => TokenRegistry | undefined; store: TokenStore | undefined; now: () => number }): Identifier {
  const unknown = new Map<string, number>();
  let window = { start: Number.NEGATIVE_INFINITY, failures: 0 };

  const stored = async (hash: string): Promise<Principal | undefined> => {
    const found = await options.store?.find(hash, new Date(options.now()));
    return found && { name: found.name, role: found.role };
  };

  return {
    async identify(token) {
      const digest = await sha256(token);
      const bootstrap = options.registry()?.identifyHash(digest);
      if (bootstrap) return { principal: bootstrap };
      const hash = toHex(digest);
      if (options.store === undefined || !isStoredTokenFormat(token)) return { unknown: true };
      const now = options.now();
      const until = unknown.get(hash);
      if (until !== undefined && until > now) return { unknown: true };
      if (now - window.start >= 60_000) window = { start: now, failures: 0 };
      if (window.failures >= FAILED_LOOKUPS_PER_MINUTE) return { limited: true, retryAfterSeconds: Math.max(1, Math.ceil((window.start + 60_000 - now) / 1000)) };
      const principal = await stored(hash);
      if (principal) {
        unknown.delete(hash);
        return { principal };
      }
      window.failures++;
      unknown.delete(hash);
      unknown.set(hash, now + NEGATIVE_TTL_MS);
      if (unknown.size > NEGATIVE_ENTRIES) unknown.delete(unknown.keys().next().value as string);
      return { unknown: true };
    },

    async identifyHash(hash) {
      if (!/^[0-9a-f]{64}$/.test(hash)) return undefined;
      return options.registry()?.identifyHash(fromHex(hash)) ?? (await stored(hash));
    },
  };
}
