import type { RailsSession } from "./rails-session.ts";

/**
 * Fields of an app's session as cutover uses them: a cohort key (`sticky: "session:FIELD"`)
 * and identity claims. Devise (Warden) keeps its signed-in user under
 * `warden.user.<scope>.key` as `[[id], salt]`: the salt is part of the password hash and
 * never leaves cutover; the id is what the field stands for.
 */
const DEVISE_KEY = /^warden\.user\.([A-Za-z0-9_]+)\.key$/;

/** A field's value, Devise's key as its id; undefined when absent or null. */
export function sessionValue(session: RailsSession, field: string): unknown {
  const value = Object.hasOwn(session, field) ? session[field] : undefined;
  if (value === null || value === undefined) return undefined;
  if (!DEVISE_KEY.test(field)) return value;
  // [[id], salt]: Devise's serialize_into_session (an id, or a string such as a UUID).
  const ids = Array.isArray(value) ? value[0] : undefined;
  const id = Array.isArray(ids) && ids.length === 1 ? ids[0] : undefined;
  return typeof id === "number" || typeof id === "string" ? id : undefined;
}

/** A field's value as a cohort key: a string or a number, as text; undefined for anything else. */
export function sessionKey(session: RailsSession, field: string): string | undefined {
  const value = sessionValue(session, field);
  if (typeof value === "string") return value === "" ? undefined : value;
  return typeof value === "number" && Number.isFinite(value) ? String(value) : undefined;
}

/**
 * The claim a field is carried as in an identity token: its own name, except Devise's key,
 * which becomes `<scope>_id` (`warden.user.user.key` → `user_id`, `warden.user.admin.key` →
 * `admin_id`) carrying the id alone.
 */
export function claimName(field: string): string {
  const devise = DEVISE_KEY.exec(field);
  return devise ? `${devise[1]}_id` : field;
}
