import { readCookie } from "../routes/cohort.ts";
import { OVERRIDE_COOKIE, OVERRIDE_HEADER, verifyOverride } from "./override.ts";

/** The verified override backend of a request, from its header or cookie; undefined otherwise. */
export async function readOverride(headers: Headers, secret: string, nowMs: number): Promise<string | undefined> {
  const token = headers.get(OVERRIDE_HEADER) ?? readCookie(headers.get("cookie"), OVERRIDE_COOKIE);
  if (!token) return undefined;
  return verifyOverride(token, secret, Math.floor(nowMs / 1000));
}
