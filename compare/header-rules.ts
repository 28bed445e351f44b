/**
 * How shadow comparisons treat response headers, in one place (docs/shadow-verdict.md says
 * the same in prose). Header differences never decide whether a comparison matched — status
 * and body do — they are counted by name in the report's own section; these lists say which
 * are not counted at all, and which are security headers.
 */

/**
 * Headers that differ between any two responses, or describe the connection or the body's
 * transfer (the body is compared anyway): Diffy's default noise, never counted.
 */
export const DEFAULT_IGNORED_HEADERS: ReadonlySet<string> = new Set([
  "date",
  "server",
  "age",
  "via",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "x-request-id",
  "x-runtime",
  "x-amzn-requestid",
  "x-amzn-trace-id",
  "x-amz-apigw-id",
  "x-amz-cf-id",
  "x-amz-cf-pop",
  "x-amz-id-2",
  "x-amz-request-id",
  "cf-ray",
  "cf-cache-status",
  "report-to",
  "nel",
]);

/**
 * Headers that only describe the body: not counted when both bodies were compared and no
 * difference was left between them. The runtime hands the Worker decoded bodies, so a gzipped
 * answer and a plain one compare equal; an ETag is a digest of the body, or of its encoding.
 */
export const BODY_DERIVED_HEADERS: ReadonlySet<string> = new Set(["etag", "content-encoding"]);

/**
 * Security headers that still protect in current browsers (the OWASP Secure Headers Project's
 * active list): one the candidate drops, or sends with another value, is flagged in the report,
 * and `preset:rails` never sets it aside. X-XSS-Protection (the XSS auditor is gone from every
 * browser; OWASP advises not sending it), X-Download-Options (Internet Explorer 8) and
 * Feature-Policy (replaced by Permissions-Policy) are not on it.
 */
export const SECURITY_HEADERS: ReadonlySet<string> = new Set([
  "strict-transport-security",
  "content-security-policy",
  "x-frame-options",
  "x-content-type-options",
  "referrer-policy",
  "permissions-policy",
  "cross-origin-opener-policy",
  "cross-origin-embedder-policy",
  "cross-origin-resource-policy",
  "x-permitted-cross-domain-policies",
  "clear-site-data",
]);

/**
 * The pseudo-header a cookie's protective attributes are compared under (Secure, HttpOnly,
 * SameSite, per cookie name): a candidate that sets a cookie without one the control set is a
 * security difference, whatever the cookies' values (which differ for every session anyway).
 */
export const SET_COOKIE_ATTRIBUTES = "set-cookie:attributes";

export function isSecurityHeader(name: string): boolean {
  return SECURITY_HEADERS.has(name) || name === SET_COOKIE_ATTRIBUTES;
}

/**
 * `preset:rails` in a route's `shadow.ignore`: what a Rails app (6.x, 7.x) sends by default
 * that a new backend need not — on top of DEFAULT_IGNORED_HEADERS, which already holds
 * X-Runtime and X-Request-Id. No security header is on it: those stay flagged until a route
 * names them (`header:x-frame-options`).
 */
export const RAILS_PRESET_HEADERS: ReadonlySet<string> = new Set([
  "x-runtime", // Rack::Runtime
  "x-request-id", // ActionDispatch::RequestId
  "etag", // Rack::ETag: a weak digest of the body, even when the bodies differ
  "x-download-options", // default_headers: Internet Explorer 8 only
  "x-xss-protection", // default_headers ("1; mode=block" before Rails 7, "0" since): no browser reads it
]);

/**
 * The Cache-Control that Rack::ETag adds to a Rails answer nobody set one on (Rails'
 * DEFAULT_CACHE_CONTROL): `preset:rails` sets aside a Cache-Control difference only when the
 * control's value is exactly this set of directives; one the app chose is still counted.
 */
export const RAILS_DEFAULT_CACHE_CONTROL: ReadonlySet<string> = new Set(["max-age=0", "private", "must-revalidate"]);
