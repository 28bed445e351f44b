import { err, ok, type Result } from "../lib/result.ts";

/**
 * The table-level `paths` policy (Envoy's `merge_slashes` and escaped-slash actions are the
 * model): how a request path is normalized before it is matched and forwarded, and which
 * forms are refused. One normalized path is both matched and forwarded, so no request can
 * match one route and reach another path — on cutover, or on a backend that decodes more
 * than cutover does (nginx, Tomcat and Spring decode `%2F`, `\`, `;` and double encodings
 * before routing).
 */
export interface PathPolicy {
  /** `//a//b` is `/a/b` (default true). */
  readonly mergeSlashes: boolean;
  /**
   * `either` (default): `/a/1/` matches what `/a/1` matches, and is forwarded in the form of
   * the route's pattern; `exact`: a trailing slash is a different path.
   */
  readonly trailingSlash: "either" | "exact";
  /** `%2F` and `%5C` in the path. */
  readonly encodedSlash: Action;
  /** A literal `\`. */
  readonly backslash: Action;
  /** `;` path parameters (`/a;jsessionid=1`, Tomcat's `..;`). */
  readonly pathParameters: Action;
  /** `%` not followed by two hex digits, or bytes that are not UTF-8 (overlong `%C0%AE`). */
  readonly invalidEncoding: Action;
  /** `%25` followed by two hex digits: `%252e` becomes `.` on a backend that decodes twice. */
  readonly doubleEncoding: Action;
  /** `%00`. */
  readonly nul: Action;
}

/** `reject`: a 400 naming the reason; `keep`: forwarded as it came (still percent-encoded). */
export type Action = "reject" | "keep";

export const DEFAULT_PATH_POLICY: PathPolicy = Object.freeze({
  mergeSlashes: true,
  trailingSlash: "either",
  encodedSlash: "reject",
  backslash: "reject",
  pathParameters: "reject",
  invalidEncoding: "reject",
  doubleEncoding: "reject",
  nul: "reject",
});

export type PathRejectionReason = "encoded_slash" | "backslash" | "path_parameters" | "invalid_encoding" | "double_encoding" | "nul";

/** Why a path was refused, and the knob that would keep it instead. */
export interface PathRejection {
  readonly reason: PathRejectionReason;
  readonly detail: string;
  readonly knob: keyof PathPolicy;
}

const REJECTIONS: Readonly<Record<PathRejectionReason, { readonly knob: keyof PathPolicy; readonly what: string }>> = {
  encoded_slash: { knob: "encodedSlash", what: "an encoded slash or backslash (%2F, %5C)" },
  backslash: { knob: "backslash", what: "a backslash" },
  path_parameters: { knob: "pathParameters", what: "a ';' path parameter" },
  invalid_encoding: { knob: "invalidEncoding", what: "an invalid percent-encoding (not two hex digits, or not UTF-8)" },
  double_encoding: { knob: "doubleEncoding", what: "a double percent-encoding (%25 followed by hex digits)" },
  nul: { knob: "nul", what: "a NUL byte (%00)" },
};

function rejection(reason: PathRejectionReason): PathRejection {
  const { knob, what } = REJECTIONS[reason];
  return { reason, knob, detail: `The request path contains ${what}, which this site does not accept.` };
}

/**
 * The path to match and forward, from the path exactly as the client sent it (the request
 * target, before any URL parser touched it), or why it is refused. Percent-encoded unreserved
 * characters are decoded (`%41` → `A`), other encodings get upper-case hex, characters a URL
 * path cannot hold are encoded, dot segments are resolved (RFC 3986 §5.2.4, including the
 * encoded `%2e` forms), and duplicate slashes merged when the policy says so. Pure.
 */
export function applyPathPolicy(rawPath: string, policy: PathPolicy): Result<string, PathRejection> {
  if (FAST_PATH.test(rawPath) && !(policy.mergeSlashes && rawPath.includes("//"))) return ok(rawPath);
  let out = "";
  for (let i = 0; i < rawPath.length; i++) {
    const char = rawPath[i] as string;
    if (char === "\\") {
      if (policy.backslash === "reject") return err(rejection("backslash"));
      out += "%5C";
    } else if (char === ";") {
      if (policy.pathParameters === "reject") return err(rejection("path_parameters"));
      out += ";";
    } else if (char === "%") {
      const decoded = decodeEscapes(rawPath, i, policy);
      if (!decoded.ok) return decoded;
      out += decoded.value.text;
      i = decoded.value.end - 1;
    } else if (PCHAR_OR_SLASH.test(char)) {
      out += char;
    } else {
      // What a URL parser would encode (space, quotes, `<>`, non-ASCII): encoded as UTF-8.
      out += encodeURIComponent(char).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    }
  }
  return ok(resolveSegments(out, policy.mergeSlashes));
}

/** Paths with nothing to decode, encode or resolve: the common case, returned as they are. */
const FAST_PATH = /^\/(?:[A-Za-z0-9\-_~!$&'()*+,=:@]|\.(?![./]|$)|\/(?!\.\.?(?:\/|$)))*$/;
/** RFC 3986 pchar without `%` and `;` (handled apart), plus `/`. */
const PCHAR_OR_SLASH = /^[A-Za-z0-9\-._~!$&'()*+,=:@/]$/;
const HEX = /^[0-9A-Fa-f]{2}$/;
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * One run of percent-escapes starting at `start`: decoded where that is safe (unreserved
 * characters), kept encoded otherwise, checked as UTF-8 when they encode non-ASCII bytes.
 */
function decodeEscapes(path: string, start: number, policy: PathPolicy): Result<{ text: string; end: number }, PathRejection> {
  const hex = path.slice(start + 1, start + 3);
  if (!HEX.test(hex)) {
    if (policy.invalidEncoding === "reject") return err(rejection("invalid_encoding"));
    return ok({ text: "%", end: start + 1 });
  }
  const byte = Number.parseInt(hex, 16);
  if (byte < 0x80) {
    const upper = `%${hex.toUpperCase()}`;
    if (byte === 0) return policy.nul === "reject" ? err(rejection("nul")) : ok({ text: upper, end: start + 3 });
    if (byte === 0x2f || byte === 0x5c) return policy.encodedSlash === "reject" ? err(rejection("encoded_slash")) : ok({ text: upper, end: start + 3 });
    if (byte === 0x25 && HEX.test(path.slice(start + 3, start + 5))) {
      return policy.doubleEncoding === "reject" ? err(rejection("double_encoding")) : ok({ text: upper, end: start + 3 });
    }
    return ok({ text: isUnreserved(byte) ? String.fromCharCode(byte) : upper, end: start + 3 });
  }
  // A UTF-8 sequence: every escape of it, then one strict decode (overlong forms fail).
  const bytes: number[] = [];
  let end = start;
  while (path[end] === "%" && HEX.test(path.slice(end + 1, end + 3))) {
    const next = Number.parseInt(path.slice(end + 1, end + 3), 16);
    if (next < 0x80) break;
    bytes.push(next);
    end += 3;
  }
  const text = bytes.map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
  try {
    STRICT_UTF8.decode(Uint8Array.from(bytes));
  } catch {
    if (policy.invalidEncoding === "reject") return err(rejection("invalid_encoding"));
  }
  return ok({ text, end });
}

/** RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~" */
function isUnreserved(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x2d || code === 0x2e || code === 0x5f || code === 0x7e;
}

/** Dot segments removed (RFC 3986 §5.2.4) and, when asked, empty segments merged; a trailing slash stays. */
function resolveSegments(path: string, mergeSlashes: boolean): string {
  const input = path.split("/");
  const output: string[] = [];
  for (let i = 1; i < input.length; i++) {
    const segment = input[i] as string;
    const isLast = i === input.length - 1;
    if (segment === ".") {
      if (isLast) output.push("");
    } else if (segment === "..") {
      output.pop();
      if (isLast) output.push("");
    } else if (segment === "" && mergeSlashes && !isLast) {
      continue;
    } else {
      output.push(segment);
    }
  }
  let joined = `/${output.join("/")}`;
  if (mergeSlashes) joined = joined.replace(/\/{2,}/g, "/");
  return joined;
}

/**
 * The path of a request target: what follows the authority of an absolute URL, up to the
 * query. workerd hands the Worker `request.url` with the path exactly as the client sent it.
 */
export function rawPathOf(url: string): string {
  const authority = url.indexOf("//");
  const slash = url.indexOf("/", authority === -1 ? 0 : authority + 2);
  if (slash === -1) return "/";
  const query = url.indexOf("?", slash);
  const hash = url.indexOf("#", slash);
  const end = Math.min(query === -1 ? url.length : query, hash === -1 ? url.length : hash);
  return url.slice(slash, end);
}

/** Keeps every form, merges nothing: only decodes what is safe and resolves dot segments. */
export const LENIENT_PATH_POLICY: PathPolicy = Object.freeze({
  mergeSlashes: false,
  trailingSlash: "exact",
  encodedSlash: "keep",
  backslash: "keep",
  pathParameters: "keep",
  invalidEncoding: "keep",
  doubleEncoding: "keep",
  nul: "keep",
});
