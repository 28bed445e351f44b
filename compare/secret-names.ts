import { parsePathPattern, type PatternSegment } from "./json-path.ts";

/**
 * The names and shapes that mark a value as secret, and a route's own `redact` rules on top
 * of them (compare/redact.ts says what is done with them).
 */
export const SECRET_KEY_PARTS = [
  "password",
  "passwd",
  "passphrase",
  "secret",
  "token",
  "apikey",
  "accesskey",
  "privatekey",
  "authorization",
  "credential",
  "cookie",
  "session",
  "socialsecurity",
  "cardnumber",
  "creditcard",
  "cvv",
  "cvc",
  "signature",
  "csrf",
  "xsrf",
  "nonce",
];
export const SECRET_KEYS = ["pan", "pin", "card", "auth", "jwt", "sid", "ssn", "otp"];
export const SECRET_HEADER_PARTS = ["authorization", "cookie", "token", "secret", "apikey", "api-key", "password", "session", "signature", "credential", "auth", "csrf", "xsrf"];
/**
 * URL parameter names (lower case, without `-` and `_`) that carry a secret though they do not
 * say so: OAuth's authorization code, `state` and PKCE verifier (RFC 6749 §4.1.2, RFC 7636),
 * SAML and CAS artifacts, signed-URL signatures. Secret as URL parameters only.
 */
export const SECRET_QUERY_NAMES = ["code", "state", "codeverifier", "assertion", "clientassertion", "samlrequest", "samlresponse", "relaystate", "oauthverifier", "ticket", "sig"];

export const REDACTED = "[redacted]";

/** A route's `redact` rules on top of the defaults, parsed once per table version. */
export interface Redaction {
  /** Header names (lower case) the route adds. */
  readonly headers: ReadonlySet<string>;
  /** Query parameter names the route adds. */
  readonly query: ReadonlySet<string>;
  /** Body paths the route adds, as written (`$.card`) and parsed. */
  readonly bodyRules: readonly { readonly rule: string; readonly pattern: readonly PatternSegment[] }[];
  /** Path patterns whose `:param` segments are redacted (`/reset/:token`), split into segments. */
  readonly paths: readonly (readonly string[])[];
}

/** `body:$.card`, `$.card`, `body:$..pin`, `header:x-partner-id`, `query:code`, `path:/reset/:token`. */
export function compileRedaction(rules: readonly string[] = []): Redaction {
  const headers = new Set<string>();
  const query = new Set<string>();
  const bodyRules: { rule: string; pattern: PatternSegment[] }[] = [];
  const paths: string[][] = [];
  for (const rule of rules) {
    if (rule.startsWith("header:")) headers.add(rule.slice(7).toLowerCase());
    else if (rule.startsWith("query:")) query.add(rule.slice(6));
    else if (rule.startsWith("path:")) paths.push(rule.slice(5).split("/").slice(1));
    else {
      const path = rule.startsWith("body:") ? rule.slice(5) : rule;
      const pattern = parsePathPattern(path);
      if (pattern) bodyRules.push({ rule: path, pattern });
    }
  }
  return { headers, query, bodyRules, paths };
}

/** The defaults alone: what is redacted when a route lists no rules. */
export const DEFAULT_REDACTION: Redaction = compileRedaction();

export function isSecretKey(key: string): boolean {
  const normalized = normalizeName(key);
  return SECRET_KEYS.includes(normalized) || SECRET_KEY_PARTS.some((part) => normalized.includes(part));
}

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, "");
}

export function isSecretHeader(name: string, redaction: Redaction = DEFAULT_REDACTION): boolean {
  const lower = name.toLowerCase();
  return redaction.headers.has(lower) || SECRET_HEADER_PARTS.some((part) => lower.includes(part));
}

export function isSecretQuery(name: string, redaction: Redaction): boolean {
  return redaction.query.has(name) || isSecretKey(name) || SECRET_QUERY_NAMES.includes(normalizeName(name));
}

/** A path segment that looks like a credential: 20+ characters of a token alphabet with letters and digits mixed, or a JWT. */
export function isTokenLike(segment: string): boolean {
  if (/^eyJ[\w-]+\.[\w-]+\.[\w-]*$/.test(segment)) return true;
  return segment.length >= 20 && /^[\w%.~-]+$/.test(segment) && /\d/.test(segment) && /[A-Za-z]/.test(segment) && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(segment);
}

