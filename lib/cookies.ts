/**
 * The `Cookie` request header (RFC 6265 §5.4): `a=1; b=2`. A client may send several Cookie
 * lines (HTTP/2 sends each cookie as its own "crumb"), and the runtime joins repeated lines
 * with ", " — so a pair starts after a `;`, or after a `,` that a `name=` follows (a cookie
 * value never holds a comma, RFC 6265 §4.1.1).
 */
const PAIR_SEPARATOR = /;|,(?=\s*[!#$%&'*+\-.^_`|~0-9A-Za-z]+=)/;

function* cookiePairs(cookieHeader: string): Generator<{ readonly name: string; readonly raw: string; readonly eq: number }> {
  for (const part of cookieHeader.split(PAIR_SEPARATOR)) {
    const raw = part.trim();
    const eq = raw.indexOf("=");
    yield { name: (eq === -1 ? raw : raw.slice(0, eq)).trim(), raw, eq };
  }
}

/** The value of the first cookie named `name` (quotes removed), or undefined. */
export function readCookie(cookieHeader: string | null, name: string): string | undefined {
  if (!cookieHeader) return undefined;
  for (const pair of cookiePairs(cookieHeader)) {
    if (pair.eq === -1 || pair.name !== name) continue;
    let value = pair.raw.slice(pair.eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return value || undefined;
  }
  return undefined;
}

/** The header without any cookie named `name`, its pairs joined with "; "; "" when nothing is left. */
export function withoutCookie(cookieHeader: string, name: string): string {
  const kept: string[] = [];
  for (const pair of cookiePairs(cookieHeader)) if (pair.name !== name && pair.raw !== "") kept.push(pair.raw);
  return kept.join("; ");
}

/** Whether the header holds several Cookie lines joined by the runtime (`a=1, b=2`). */
export function isJoinedCookieHeader(cookieHeader: string): boolean {
  return cookieHeader.includes(",") && cookieHeader.split(PAIR_SEPARATOR).length > cookieHeader.split(";").length;
}
