import { DEFAULT_REDACTION, isSecretQuery, isTokenLike, REDACTED, type Redaction } from "./secret-names.ts";

/**
 * How much of a stored string is searched for URLs: more than is kept, since redaction can
 * shorten what precedes the cut, and little enough that a multi-megabyte value costs no more.
 */
const URL_SCAN_LENGTH = 4096;
/** A run of characters a URL may hold; anything else (space, quotes, `<>`) ends one (RFC 3986 appendix C). */
const URL_RUN = /[^\s<>"'`{}|\\^]+/g;

/**
 * The URLs in the first URL_SCAN_LENGTH characters of `text` with their secret parts redacted
 * (the rest is cut: only MAX_VALUE_LENGTH are kept). A URL the cut runs through loses its last,
 * partly seen, component, which could be the start of a token.
 */
export function scrubUrls(text: string, redaction: Redaction): string {
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

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll("+", " "));
  } catch {
    return text;
  }
}
