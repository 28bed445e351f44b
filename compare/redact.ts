import type { Difference } from "./difference.ts";
import { formatPath, parsePathPattern, pathContains, pathMatches, pathSegments, type PatternSegment } from "./json-path.ts";

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

const REDACTED = "[redacted]";
const MAX_VALUE_LENGTH = 200;
/** Request values shorter than this are not scrubbed from samples (they would match too much). */
const MIN_SCRUBBED_LENGTH = 6;
/**
 * How much of a stored string is searched for URLs: more than is kept, since redaction can
 * shorten what precedes the cut, and little enough that a multi-megabyte value costs no more.
 */
const URL_SCAN_LENGTH = 4096;
/** A run of characters a URL may hold; anything else (space, quotes, `<>`) ends one (RFC 3986 appendix C). */
const URL_RUN = /[^\s<>"'`{}|\\^]+/g;

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

function isSecretQuery(name: string, redaction: Redaction): boolean {
  return redaction.query.has(name) || isSecretKey(name) || SECRET_QUERY_NAMES.includes(normalizeName(name));
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
      (difference.field.startsWith("header:") && isSecretHeader(difference.field.slice(7), redaction)) ||
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
function scrubValue(value: unknown, secrets: readonly string[], redaction: Redaction): unknown {
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

/**
 * The URLs in the first URL_SCAN_LENGTH characters of `text` with their secret parts redacted
 * (the rest is cut: only MAX_VALUE_LENGTH are kept). A URL the cut runs through loses its last,
 * partly seen, component, which could be the start of a token.
 */
function scrubUrls(text: string, redaction: Redaction): string {
  const cut = text.length > URL_SCAN_LENGTH;
  const head = cut ? text.slice(0, URL_SCAN_LENGTH) : text;
  if (!head.includes("/")) return cut ? `${head}…` : head;
  const scrubbed = head.replace(URL_RUN, (run: string, offset: number) => {
    const whole = cut && offset + run.length === head.length ? dropLastComponent(run) : run;
    const start = urlStart(whole);
    return start === -1 ? whole : whole.slice(0, start) + scrubUrl(whole.slice(start), redaction, false);
  });
  return cut ? `${scrubbed}…` : scrubbed;
}

function dropLastComponent(run: string): string {
  for (let i = run.length - 1; i >= 0; i--) if ("/?#&;=:@".includes(run[i] as string)) return run.slice(0, i + 1);
  return run; // no URL in it
}

/**
 * Where the first URL in a run begins: its scheme (`https://`, `myapp://`) or its first `/`
 * (`/reset/…`, `url=/reset/…`, a relative `magic/…`); -1 if neither.
 */
function urlStart(run: string): number {
  const slash = run.indexOf("/");
  const scheme = run.indexOf("://");
  if (scheme <= 0) return slash;
  let start = scheme;
  while (start > 0 && /[A-Za-z0-9+.-]/.test(run[start - 1] as string)) start--;
  while (start < scheme && !/[A-Za-z]/.test(run[start] as string)) start++;
  return start < scheme ? Math.min(start, slash) : slash;
}

/** A URL with its secret parts redacted and the rest as it was. `nested`: a URL inside a parameter, not searched further. */
function scrubUrl(url: string, redaction: Redaction, nested: boolean): string {
  const hash = url.indexOf("#");
  const beforeHash = hash === -1 ? url : url.slice(0, hash);
  const question = beforeHash.indexOf("?");
  let path = question === -1 ? beforeHash : beforeHash.slice(0, question);
  let origin = "";
  const scheme = path.indexOf("://");
  if (scheme !== -1) {
    const slash = path.indexOf("/", scheme + 3);
    const authority = slash === -1 ? path.slice(scheme + 3) : path.slice(scheme + 3, slash);
    origin = path.slice(0, scheme + 3) + scrubAuthority(authority);
    path = slash === -1 ? "" : path.slice(slash);
  }
  let clean = origin + scrubPath(path, redaction);
  if (question !== -1) clean += `?${scrubParams(beforeHash.slice(question + 1), "&", redaction, nested)}`;
  if (hash !== -1) {
    // Implicit-flow tokens come back as fragment parameters (RFC 6749 §4.2.2); SPAs route by `#/…`.
    const fragment = url.slice(hash + 1);
    clean += `#${fragment.startsWith("/") && !nested ? scrubUrl(fragment, redaction, true) : scrubParams(fragment, "&", redaction, nested)}`;
  }
  return clean;
}

/** `user:password@host` keeps the user; a user alone that looks like a token (`https://ghp_…@github.com`) does not stay. */
function scrubAuthority(authority: string): string {
  const at = authority.lastIndexOf("@");
  if (at === -1) return authority;
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(":");
  const user = colon === -1 ? (isTokenLike(userinfo) ? REDACTED : userinfo) : `${userinfo.slice(0, colon)}:${REDACTED}`;
  return `${user}${authority.slice(at)}`;
}

/** A path with the route's `path:` segments and token-like segments redacted, `;name=value` parameters like query ones. */
function scrubPath(path: string, redaction: Redaction): string {
  if (path === "") return "";
  const segments = path.split("/").slice(1);
  const named = new Set<number>();
  for (const pattern of redaction.paths) {
    if (pattern.length !== segments.length) continue;
    if (pattern.every((part, i) => part.startsWith(":") || part === segments[i])) pattern.forEach((part, i) => part.startsWith(":") && named.add(i));
  }
  const clean = segments.map((segment, i) => {
    if (named.has(i)) return REDACTED;
    return segment.includes(";") ? scrubParams(segment, ";", redaction, true) : isTokenLike(segment) ? REDACTED : segment;
  });
  return `/${clean.join("/")}`;
}

function scrubParams(params: string, separator: string, redaction: Redaction, nested: boolean): string {
  return params
    .split(separator)
    .map((param) => scrubParam(param, redaction, nested))
    .join(separator);
}

/** `name=value` with the value redacted when the name is secret or the value looks like a token; a URL as the value (`next=/reset/…`) scrubbed once more. */
function scrubParam(param: string, redaction: Redaction, nested: boolean): string {
  const eq = param.indexOf("=");
  if (eq === -1) return isTokenLike(param) ? REDACTED : param;
  const name = param.slice(0, eq);
  if (isSecretQuery(safeDecode(name), redaction)) return `${name}=${REDACTED}`;
  const value = param.slice(eq + 1);
  const decoded = safeDecode(value);
  if (!nested && urlStart(decoded) === 0) {
    // An encoded `redirect_uri` stays as it was unless something in it is secret.
    const clean = scrubUrl(decoded, redaction, true);
    return clean === decoded ? param : `${name}=${clean}`;
  }
  return isTokenLike(value) || isTokenLike(decoded) ? `${name}=${REDACTED}` : param;
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
 * The request's path and query as a sample may keep them: segments the route's `path:` rules
 * name and token-like segments (long random strings) as "[redacted]", values of secret and
 * token-like query parameters too, as in URLs inside stored values.
 */
export function redactTarget(path: string, search: string, redaction: Redaction = DEFAULT_REDACTION): string {
  const cleanPath = scrubPath(path, redaction);
  if (search === "" || search === "?") return cleanPath;
  return `${cleanPath}?${scrubParams(search.slice(1), "&", redaction, false)}`;
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
