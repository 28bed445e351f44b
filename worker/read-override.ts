import { readCookie } from "../routes/cohort.ts";
import { OVERRIDE_COOKIE, OVERRIDE_HEADER } from "./override.ts";

/** The override token a request carries in its header or cookie, if any (not yet verified). */
export function overrideToken(headers: Headers): string | undefined {
  return headers.get(OVERRIDE_HEADER) ?? readCookie(headers.get("cookie"), OVERRIDE_COOKIE);
}
