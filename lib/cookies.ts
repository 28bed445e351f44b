/**
 * The `Cookie` request header (RFC 6265 §5.4): `a=1; b=2`. Read by the cohort key and the
 * tester override; rewritten to keep the override cookie from reaching a backend.
 */
function* cookiePairs(cookieHeader: string): Generator<{ readonly name: string; readonly raw: string; readonly eq: number }> {
  for (const raw of cookieHeader.split(";")) {
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

/** The header without any cookie named `name`; "" when nothing is left. */
export function withoutCookie(cookieHeader: string, name: string): string {
  const kept: string[] = [];
  for (const pair of cookiePairs(cookieHeader)) if (pair.name !== name) kept.push(pair.raw);
  return kept.join(";").trim();
}
