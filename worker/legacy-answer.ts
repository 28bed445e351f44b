import { isPlainObject } from "../lib/plain-object.ts";

/** Headers a dual write's copy carries: legacy's answer beside the write (docs/dual-write.md). */
export const DUAL_WRITE_HEADER = "x-cutover-dual-write";
export const LEGACY_STATUS_HEADER = "x-cutover-legacy-status";
export const LEGACY_LOCATION_HEADER = "x-cutover-legacy-location";
export const LEGACY_ID_HEADER = "x-cutover-legacy-id";

/** Most of legacy's answer read to find the id: a created record's JSON is small; a larger body is passed on without one. */
export const LEGACY_BODY_BYTES = 64 * 1024;
/** Longest id or Location passed on: anything longer is not an id, and would bloat the copy's head. */
const MAX_ID_LENGTH = 200;
const MAX_LOCATION_LENGTH = 2048;
/** Visible ASCII but the comma (a list separator in a header) and quotes. */
const ID_TEXT = new RegExp(`^[\\x21\\x23-\\x2b\\x2d-\\x7e]{1,${MAX_ID_LENGTH}}$`);

/** Whether an answer's body is worth reading for an id: JSON (`application/json`, `…+json`). */
export function isJson(contentType: string | null): boolean {
  return contentType !== null && /^[a-z]+\/([a-z0-9.!#$&^_-]+\+)?json\s*(;|$)/i.test(contentType.trim());
}

/**
 * The id of the record legacy's JSON answer describes, by one rule: the first of top-level
 * `id`, top-level `uuid`, and `data.id` (JSON:API) that is a string of 1–200 visible ASCII
 * characters (no comma, no quote) or a safe integer. Undefined when there is none, or the
 * text is not JSON.
 */
export function legacyIdOf(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(body)) return undefined;
  const data = body.data;
  for (const value of [body.id, body.uuid, isPlainObject(data) ? data.id : undefined]) {
    if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
    if (typeof value === "string" && ID_TEXT.test(value)) return value;
  }
  return undefined;
}

/** Legacy's `Location`, when short enough to pass on. */
export function legacyLocationOf(headers: Headers): string | undefined {
  const location = headers.get("location");
  return location !== null && location.length > 0 && location.length <= MAX_LOCATION_LENGTH ? location : undefined;
}
