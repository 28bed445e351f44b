import { toBase64Url } from "../lib/base64.ts";
import { COHORT_COOKIE } from "../routes/cohort.ts";

/** A year: a cohort should outlive a rollout, and a visitor who returns within it keeps theirs. */
const COHORT_MAX_AGE_SECONDS = 31_536_000;

/** A fresh cutover cohort: 128 random bits, base64url (22 characters, what routes/cohort.ts accepts back). */
export function mintCohort(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
}

/**
 * The `Set-Cookie` of a fresh cohort. HttpOnly: no script needs it. SameSite=Lax: sent on a
 * top-level visit from another site, so a visitor arriving by a link keeps their side.
 * `Secure` when the request came over https; over http (a local stack) a browser would drop a
 * Secure cookie and the visitor would get a new cohort on every request.
 */
export function cohortCookie(value: string, url: URL): string {
  return `${COHORT_COOKIE}=${value}; Path=/; Max-Age=${COHORT_MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax${url.protocol === "https:" ? "; Secure" : ""}`;
}

/** The response with the cookie added to whatever Set-Cookie lines it carries (a backend's are kept). */
export function withCohortCookie(response: Response, cookie: string): Response {
  // A backend's response passed through has immutable headers: copy it (the body still streams).
  const copy =
    response.status === 101
      ? new Response(null, { status: 101, headers: response.headers, webSocket: response.webSocket })
      : new Response(response.body, response);
  copy.headers.append("set-cookie", cookie);
  return copy;
}
