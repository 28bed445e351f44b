import type { Difference } from "./difference.ts";
import { formatPath, parsePathPattern, pathContains, pathMatches, pathSegments, type PatternSegment } from "./json-path.ts";

/**
 * What never reaches storage (shadow samples and the names counters are stored under),
 * whether or not a route lists `redact` rules:
 * - values under a secret-like key at any depth: a key whose name, lower-cased without `-`
 *   and `_`, contains one of SECRET_KEY_PARTS or is one of SECRET_KEYS; keys beneath such a
 *   key are folded into it, since they can be secrets too (`$.tokens.<token>`);
 * - headers whose name suggests a credential (SECRET_HEADER_PARTS, and the usual ones);
 * - strings that look like a payment card number (13–19 digits passing the Luhn check);
 * - path segments that look like tokens (long random strings), and query values under
 *   secret-like names;
 * - the request's own credential values (Authorization, cookies, API keys, secret query
 *   values) wherever they appear in a sample.
 * A route's `redact` rules add body paths (`body:$.card`, `body:$..pin`), headers, query
 * parameters and path segments (`path:/reset/:token`).
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
];
export const SECRET_KEYS = ["pan", "pin", "card", "auth", "jwt", "sid", "ssn", "otp"];
export const SECRET_HEADER_PARTS = ["authorization", "cookie", "token", "secret", "apikey", "api-key", "password", "session", "signature", "credential", "auth"];

const REDACTED = "[redacted]";
const MAX_VALUE_LENGTH = 200;
/** Request values shorter than this are not scrubbed from samples (they would match too much). */
const MIN_SCRUBBED_LENGTH = 6;

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
  const normalized = key.toLowerCase().replace(/[-_]/g, "");
  return SECRET_KEYS.includes(normalized) || SECRET_KEY_PARTS.some((part) => normalized.includes(part));
}

export function isSecretHeader(name: string, redaction: Redaction = DEFAULT_REDACTION): boolean {
  const lower = name.toLowerCase();
  return redaction.headers.has(lower) || SECRET_HEADER_PARTS.some((part) => lower.includes(part));
}

function isSecretQuery(name: string, redaction: Redaction): boolean {
  return redaction.query.has(name) || isSecretKey(name);
}

/**
 * The path a body difference is redacted and counted under, if it must be: the route's
 * rule it lies beneath, or the path down to its first secret-like key. Undefined when the
 * field is not secret.
 */
export function coveringRule(path: string, redaction: Redaction = DEFAULT_REDACTION): string | undefined {
  const segments = pathSegments(path);
  if (segments === undefined) return undefined;
  const explicit = redaction.bodyRules.find((body) => pathMatches(body.pattern, segments));
  if (explicit !== undefined) return explicit.rule;
  const secret = segments.findIndex((segment) => "key" in segment && isSecretKey(segment.key));
  return secret === -1 ? undefined : formatPath(segments.slice(0, secret + 1));
}

/**
 * A difference as it may be stored: secret headers, secret body fields (and any value that
 * contains one), card numbers and the request's own `secrets` replaced by "[redacted]", the
 * names of fields beneath a secret one folded into it, long values cut.
 */
export function redactDifferences(differences: readonly Difference[], redaction: Redaction = DEFAULT_REDACTION, secrets: readonly string[] = []): Difference[] {
  const scrubbed = secrets.filter((secret) => secret.length >= MIN_SCRUBBED_LENGTH);
  return differences.map((difference) => {
    const path = difference.field.startsWith("body:") ? difference.field.slice(5) : undefined;
    const covering = path === undefined ? undefined : coveringRule(path, redaction);
    const secret =
      (difference.field.startsWith("header:") && isSecretHeader(difference.field.slice(7), redaction)) ||
      covering !== undefined ||
      (path !== undefined && redaction.bodyRules.some((body) => pathContains(path, body.pattern)));
    const clean = (value: unknown) => (value === undefined ? undefined : secret ? REDACTED : truncate(scrubValue(value, scrubbed)));
    return {
      field: covering !== undefined && covering !== path ? `body:${covering}` : difference.field,
      kind: difference.kind,
      ...(difference.control === undefined ? {} : { control: clean(difference.control) }),
      ...(difference.candidate === undefined ? {} : { candidate: clean(difference.candidate) }),
    };
  });
}

/** Card numbers and the request's own secrets, wherever they appear in a stored value. */
function scrubValue(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === "string") {
    if (isCardNumber(value)) return REDACTED;
    let text = value;
    for (const secret of secrets) if (text.includes(secret)) text = text.replaceAll(secret, REDACTED);
    return text;
  }
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, secrets));
  return value;
}

/** 13–19 digits (spaces or dashes between groups allowed) that pass the Luhn check. */
export function isCardNumber(text: string): boolean {
  if (!/^\d[\d -]{11,22}\d$/.test(text)) return false;
  const digits = text.replace(/[ -]/g, "");
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * The request's path and query as a sample may keep them: segments the route's `path:`
 * rules name and token-like segments (long random strings) as "[redacted]", values of secret
 * query parameters too.
 */
export function redactTarget(path: string, search: string, redaction: Redaction = DEFAULT_REDACTION): string {
  const segments = path.split("/").slice(1);
  const named = new Set<number>();
  for (const pattern of redaction.paths) {
    if (pattern.length !== segments.length) continue;
    if (pattern.every((part, i) => part.startsWith(":") || part === segments[i])) pattern.forEach((part, i) => part.startsWith(":") && named.add(i));
  }
  const cleanPath = `/${segments.map((segment, i) => (named.has(i) || isTokenLike(segment) ? REDACTED : segment)).join("/")}`;
  if (search === "" || search === "?") return cleanPath;
  const pairs = search
    .slice(1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const name = eq === -1 ? pair : pair.slice(0, eq);
      return eq !== -1 && isSecretQuery(safeDecode(name), redaction) ? `${name}=${REDACTED}` : pair;
    });
  return `${cleanPath}?${pairs.join("&")}`;
}

/** A path segment that looks like a credential: 20+ characters of a token alphabet with letters and digits mixed, or a JWT. */
function isTokenLike(segment: string): boolean {
  if (/^eyJ[\w-]+\.[\w-]+\.[\w-]*$/.test(segment)) return true;
  return segment.length >= 20 && /^[\w%.~-]+$/.test(segment) && /\d/.test(segment) && /[A-Za-z]/.test(segment) && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(segment);
}

/**
 * The credential values a request carries, to scrub from what is stored: the Authorization
 * value (and its token), every cookie value, the values of secret-like headers and of secret
 * query parameters.
 */
export function requestSecrets(headers: Headers, search: string, redaction: Redaction = DEFAULT_REDACTION): string[] {
  const secrets: string[] = [];
  for (const [name, value] of headers) {
    if (name === "cookie") {
      for (const pair of value.split(/[;,]/)) {
        const eq = pair.indexOf("=");
        if (eq !== -1) secrets.push(pair.slice(eq + 1).trim());
      }
    } else if (isSecretHeader(name, redaction)) {
      secrets.push(value);
      const space = value.indexOf(" ");
      if (space !== -1) secrets.push(value.slice(space + 1).trim());
    }
  }
  if (search.length > 1) {
    for (const [name, value] of new URLSearchParams(search)) if (isSecretQuery(name, redaction)) secrets.push(value);
  }
  return secrets.filter((secret) => secret.length >= MIN_SCRUBBED_LENGTH).sort((a, b) => b.length - a.length);
}

function truncate(value: unknown): unknown {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (text.length <= MAX_VALUE_LENGTH) return value;
  return `${text.slice(0, MAX_VALUE_LENGTH)}…`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll("+", " "));
  } catch {
    return text;
  }
}
