/**
 * A request path as a template, so that unrouted (legacy) traffic groups into endpoints:
 * segments that are ids become `:id` (numbers, UUIDs, long hex, token-like strings), dates
 * `:date`, emails `:email`, and a hash inside a file name `:hash` (`app.3f9a2b1c.js` →
 * `app.:hash.js`): `/users/123/orders/9f8e7d6c5b4a` → `/users/:id/orders/:id`. At most
 * MAX_SEGMENTS segments are kept (`/*` stands for the rest), so a template stays bounded.
 */
const MAX_SEGMENTS = 8;
const MAX_SEGMENT_LENGTH = 64;

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/;
const EMAIL = /^[^@/\s]+@[^@/\s]+\.[A-Za-z]{2,}$/;
const HASHED_FILE = /^(.+?)[.-]([0-9a-f]{8,}|[A-Za-z0-9_-]{16,})(\.[A-Za-z0-9]{1,8})$/;

export function pathTemplate(path: string): string {
  let template = "";
  let start = 1;
  for (let kept = 0; kept < MAX_SEGMENTS; kept++) {
    const end = path.indexOf("/", start);
    template += `/${templateSegment(path.slice(start, end === -1 ? path.length : end))}`;
    if (end === -1) return template;
    start = end + 1;
  }
  return start <= path.length ? `${template}/*` : template;
}

/**
 * One pass over the segment says which patterns it could match; the regular expressions run
 * only then (this runs for every unrouted request).
 */
function templateSegment(raw: string): string {
  let segment = raw;
  if (raw.includes("%")) {
    try {
      segment = decodeURIComponent(raw);
    } catch {
      // keep it as it came
    }
  }
  if (segment === "") return "";
  let digits = 0;
  let hex = 0;
  let word = 0; // [A-Za-z0-9_-]
  let special = false; // @ or .
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digits++;
      hex++;
      word++;
    } else if ((c >= 97 && c <= 102) || (c >= 65 && c <= 70)) {
      hex++;
      word++;
    } else if ((c >= 103 && c <= 122) || (c >= 71 && c <= 90) || c === 95 || c === 45) word++;
    else if (c === 64 || c === 46) special = true;
  }
  const length = segment.length;
  if (digits === length) return ":id";
  if (hex === length && length >= 12) return ":id"; // long hex
  if ((length === 36 || length === 32) && UUID.test(segment)) return ":id";
  if (word === length && length >= 16 && digits > 0 && digits < length && isTokenLike(segment)) return ":id";
  if (digits >= 8 && DATE.test(segment)) return ":date";
  if (special) {
    if (EMAIL.test(segment)) return ":email";
    const hashed = HASHED_FILE.exec(segment);
    if (hashed && /\d/.test(hashed[2] as string)) return `${hashed[1]}.:hash${hashed[3]}`;
  }
  return raw.length > MAX_SEGMENT_LENGTH ? ":id" : raw;
}

/** Mixed letters and digits, 16+ characters of a token alphabet: an opaque id (a slug, a key, a session). */
function isTokenLike(segment: string): boolean {
  return segment.length >= 16 && /^[\w-]+$/.test(segment) && /\d/.test(segment) && /[A-Za-z]/.test(segment);
}

/** A concrete path standing for a template, to ask a route matcher whether the template is routed. */
export function samplePath(template: string): string {
  return template
    .replace(/:id/g, "1")
    .replace(/:date/g, "2026-01-01")
    .replace(/:email/g, "someone@example.com")
    .replace(/:hash/g, "0123abcd")
    .replace(/\/\*$/, "/x");
}
