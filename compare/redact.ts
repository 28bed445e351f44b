import type { Difference } from "./difference.ts";
import { SET_COOKIE_ATTRIBUTES } from "./header-rules.ts";
import { formatPath, pathContains, pathMatches, pathSegments } from "./json-path.ts";
import { scrubUrls } from "./scrub-urls.ts";
import { DEFAULT_REDACTION, isSecretHeader, isSecretKey, isSecretQuery, REDACTED, type Redaction } from "./secret-names.ts";

/**
 * What never reaches storage (shadow samples and the names counters are stored under),
 * whether or not a route lists `redact` rules:
 * - values under a secret-like key at any depth: a key whose name, lower-cased without `-`
 *   and `_`, contains one of SECRET_KEY_PARTS (credentials, and the CSRF tokens and nonces a
 *   response hands out) or is one of SECRET_KEYS; keys beneath such a key are folded into it,
 *   since they can be secrets too (`$.tokens.<token>`);
 * - headers whose name suggests a credential (SECRET_HEADER_PARTS, and the usual ones);
 * - strings that look like a payment card number (13–19 digits passing the Luhn check);
 * - in the request target and in every URL inside a stored string (a `Location`, `Link` or
 *   `Refresh` header, a link in a JSON value; from its scheme, `https://…`, or its first `/`):
 *   path segments and parameter values that look like tokens (long random strings, JWTs),
 *   values of query, fragment and `;matrix` parameters under secret-like names or
 *   SECRET_QUERY_NAMES (OAuth's `code` and `state`: secret in a URL, while a JSON key `code`
 *   is an error code), and a password in the URL. The rest of a URL stays readable, so a
 *   sample still says where a response redirected: `/callback?code=[redacted]&state=[redacted]`;
 * - the request's own credential values (Authorization, cookies, API keys, secret query
 *   values) wherever they appear in a sample.
 * A route's `redact` rules add body paths (`body:$.card`, `body:$..pin`), headers, query
 * parameters and path segments (`path:/reset/:token`); the last two apply to URLs in values
 * too.
 */

const MAX_VALUE_LENGTH = 200;
const COOKIE_ATTRIBUTES_FIELD = `header:${SET_COOKIE_ATTRIBUTES}`;
/** Request values shorter than this are not scrubbed from samples (they would match too much). */
const MIN_SCRUBBED_LENGTH = 6;
/**
 * Values of parameters secret only as URL parameters (`state`, `code`) are scrubbed from a
 * whole sample only from this length: an OAuth state or code is long and random, while
 * `?state=closed` on an ordinary API is a filter whose word appears in answers.
 */
const MIN_URL_ONLY_SECRET_LENGTH = 16;

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
 * contains one), card numbers, the request's own `secrets` and the secret parts of URLs inside
 * values replaced by "[redacted]", the names of fields beneath a secret one folded into it,
 * long values cut.
 */
export function redactDifferences(differences: readonly Difference[], redaction: Redaction = DEFAULT_REDACTION, secrets: readonly string[] = []): Difference[] {
  const scrubbed = secrets.filter((secret) => secret.length >= MIN_SCRUBBED_LENGTH);
  return differences.map((difference) => {
    const path = difference.field.startsWith("body:") ? difference.field.slice(5) : undefined;
    const covering = path === undefined ? undefined : coveringRule(path, redaction);
    const secret =
      // A cookie's attributes are listed by cutover (`name: Secure, HttpOnly`): no value in them.
      (difference.field.startsWith("header:") && difference.field !== COOKIE_ATTRIBUTES_FIELD && isSecretHeader(difference.field.slice(7), redaction)) ||
      covering !== undefined ||
      (path !== undefined && redaction.bodyRules.some((body) => pathContains(path, body.pattern)));
    const clean = (value: unknown) => (value === undefined ? undefined : secret ? REDACTED : truncate(scrubValue(value, scrubbed, redaction)));
    return {
      field: covering !== undefined && covering !== path ? `body:${covering}` : difference.field,
      kind: difference.kind,
      ...(difference.control === undefined ? {} : { control: clean(difference.control) }),
      ...(difference.candidate === undefined ? {} : { candidate: clean(difference.candidate) }),
    };
  });
}

/** Card numbers, the request's own secrets and secrets in URLs, wherever they appear in a stored value. */
export function scrubValue(value: unknown, secrets: readonly string[], redaction: Redaction): unknown {
  if (typeof value === "string") {
    if (isCardNumber(value)) return REDACTED;
    // Over the whole value: replacing a long secret pulls what follows into the part kept.
    let text = value;
    for (const secret of secrets) if (text.includes(secret)) text = text.replaceAll(secret, REDACTED);
    return scrubUrls(text, redaction);
  }
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, secrets, redaction));
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
    for (const [name, value] of new URLSearchParams(search)) {
      if (!isSecretQuery(name, redaction)) continue;
      if (isSecretKey(name) || redaction.query.has(name) || value.length >= MIN_URL_ONLY_SECRET_LENGTH) secrets.push(value);
    }
  }
  return secrets.filter((secret) => secret.length >= MIN_SCRUBBED_LENGTH).sort((a, b) => b.length - a.length);
}

function truncate(value: unknown): unknown {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (text.length <= MAX_VALUE_LENGTH) return value;
  return `${text.slice(0, MAX_VALUE_LENGTH)}…`;
}

