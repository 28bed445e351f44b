/**
 * One segment of a request path as it goes into the migration map (see path-template.ts):
 * the segment itself when it names an endpoint (`orders`, `v2`, `logo.png`), else a
 * parameter. Whatever an unrouted path carries — ids, reset tokens, e-mail addresses, phone
 * numbers, names — is stored for the retention period and shown to every viewer, so anything
 * that may be personal becomes a parameter before it is stored:
 *
 * | parameter | for                                                                          |
 * |-----------|------------------------------------------------------------------------------|
 * | `:id`     | numbers, UUIDs, hex of 12+, a run of 6+ digits anywhere (`invoice-20261234`) |
 * | `:date`   | `2026-11`, `2026-11-25`, `2026-11-25T17:20:00Z`                              |
 * | `:email`  | `ada@example.com` (also percent-encoded)                                     |
 * | `:phone`  | digits with phone punctuation: `+15551234567`, `555-123-4567`, `(555) 123-4567` |
 * | `:ip`     | an IPv4 address                                                              |
 * | `:text`   | free text: decoded, it holds white space, `+`, a control or non-ASCII character (`Jane%20Doe`) |
 * | `:token`  | opaque strings: JWTs, base64url of 16+ mixing letters and digits or cases, a segment of 24+ letters alone, and any segment longer than MAX_SEGMENT_LENGTH, unread |
 * | `:hash`   | inside a file name: `app.3f9a2b1c.js` → `app.:hash.js`                        |
 *
 * Linear and bounded: a segment longer than MAX_SEGMENT_LENGTH is a parameter before it is
 * decoded or scanned, and the few regular expressions left run on bounded input and cannot
 * backtrack. What is returned is printable ASCII, so its length is its size in bytes.
 */

/** Raw characters of a segment looked at, at most; a longer segment is `:token` unread. */
export const MAX_SEGMENT_LENGTH = 64;

/** With its dashes: a UUID without them is 32 hex digits, an `:id` already. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}(?:-\d{2}(?:T[\d:.]+Z?)?)?$/;

export function templateSegment(raw: string): string {
  if (raw === "") return "";
  if (raw.length > MAX_SEGMENT_LENGTH) return ":token";
  let segment = raw;
  if (raw.includes("%")) {
    try {
      segment = decodeURIComponent(raw);
    } catch {
      // Malformed: kept as it came, and judged as it is.
    }
  }
  const shape = shapeOf(segment);
  const length = segment.length;
  if (shape.digits === length) return ":id";
  if (shape.hex === length && length >= 12) return ":id";
  if (length === 36 && UUID.test(segment)) return ":id";
  if (shape.at && isEmail(segment)) return ":email";
  if (shape.digits >= 6 && DATE.test(segment)) return ":date";
  if (shape.numeric === length && shape.digits >= 4) {
    if (isIpv4(segment)) return ":ip";
    // E.164 numbers have 7–15 digits; 6, or more than 15 (a card number), are an id.
    if (shape.digits >= 6) return shape.digits >= 7 && shape.digits <= 15 ? ":phone" : ":id";
  }
  if (shape.freeText) return ":text";
  if (shape.dot && segment.startsWith("eyJ")) return ":token"; // a JWT: base64url of `{"…`
  if (shape.dot) {
    const hashed = hashedFileName(raw);
    if (hashed !== undefined) return hashed;
  }
  if (shape.longestDigitRun >= 6) return ":id";
  if (isTokenLike(shape) || (shape.dot && isTokenLike(shapeOf(stemOf(segment))))) return ":token";
  return raw;
}

interface Shape {
  readonly length: number;
  readonly digits: number;
  /** Digits and a–f, A–F. */
  readonly hex: number;
  readonly lower: number;
  readonly upper: number;
  /** `-` and `_`, the rest of the base64url alphabet. */
  readonly dashes: number;
  /** `=` at the end (base64 padding). */
  readonly padding: number;
  /** Digits and phone punctuation: space, `+`, `-`, `.`, `(`, `)`. */
  readonly numeric: number;
  readonly longestDigitRun: number;
  /** Adjacent letters of different case: random mixed case has many, words few. */
  readonly caseFlips: number;
  readonly dot: boolean;
  readonly at: boolean;
  readonly freeText: boolean;
}

/** One pass over a (bounded) segment: what it is made of. */
function shapeOf(segment: string): Shape {
  let digits = 0;
  let hex = 0;
  let lower = 0;
  let upper = 0;
  let dashes = 0;
  let numeric = 0;
  let digitRun = 0;
  let longestDigitRun = 0;
  let caseFlips = 0;
  let previousCase = 0; // 1 lower, 2 upper, 0 not a letter
  let dot = false;
  let at = false;
  let freeText = false;
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    let letterCase = 0;
    if (c >= 48 && c <= 57) {
      digits++;
      hex++;
      numeric++;
      digitRun++;
      if (digitRun > longestDigitRun) longestDigitRun = digitRun;
    } else {
      digitRun = 0;
      if (c >= 97 && c <= 122) {
        lower++;
        letterCase = 1;
        if (c <= 102) hex++;
      } else if (c >= 65 && c <= 90) {
        upper++;
        letterCase = 2;
        if (c <= 70) hex++;
      } else if (c === 45 || c === 95) dashes++;
      else if (c === 46) dot = true;
      else if (c === 64) at = true;
      else if (c === 32 || c === 43 || c <= 31 || c >= 127) freeText = true; // space, +, control, non-ASCII
      if (c === 32 || c === 43 || c === 45 || c === 46 || c === 40 || c === 41) numeric++;
    }
    if (letterCase !== 0 && previousCase !== 0 && letterCase !== previousCase) caseFlips++;
    previousCase = letterCase;
  }
  let padding = 0;
  while (padding < segment.length && segment.charCodeAt(segment.length - 1 - padding) === 61) padding++;
  return { length: segment.length, digits, hex, lower, upper, dashes, padding, numeric, longestDigitRun, caseFlips, dot, at, freeText };
}

/**
 * An opaque string of the base64url alphabet (with base64 padding), 16+ long: letters and
 * digits mixed (a key, a session, a reset token), cases mixed at random (words flip case at
 * most twice per capital), or 24+ letters with no separator (longer than words).
 */
function isTokenLike(shape: Shape): boolean {
  const length = shape.length - shape.padding;
  const letters = shape.lower + shape.upper;
  if (length < 16 || shape.padding > 2 || letters + shape.digits + shape.dashes !== length) return false;
  if (shape.digits > 0) return letters > 0;
  return shape.caseFlips * 3 > length || (letters === length && length >= 24);
}

/** `ada@example.com`: one `@` after something, and a dotted domain ending in 2+ letters. */
function isEmail(segment: string): boolean {
  const at = segment.indexOf("@");
  const dot = segment.lastIndexOf(".");
  if (at < 1 || segment.indexOf("@", at + 1) !== -1 || dot < at + 2 || segment.length - dot - 1 < 2) return false;
  for (let i = dot + 1; i < segment.length; i++) if (!isLetter(segment.charCodeAt(i))) return false;
  return true;
}

/** Four dot-separated groups of 1–3 digits (called only on digits and phone punctuation). */
function isIpv4(segment: string): boolean {
  const groups = segment.split(".");
  return groups.length === 4 && groups.every((group) => group.length >= 1 && group.length <= 3 && [...group].every((c) => c >= "0" && c <= "9"));
}

/**
 * `app.3f9a2b1c.js` → `app.:hash.js`: a file name whose last part before its extension is
 * a hash with a digit — lower-case hex of 8+ after the last `.` or `-`, or else 16+ of the
 * base64url alphabet after a `.` or `-` (`main.Ab3_dE-fGh1JkLmNo.css`). Works on the raw
 * segment, so the prefix kept is as it came.
 */
function hashedFileName(raw: string): string | undefined {
  const extensionDot = raw.lastIndexOf(".");
  const extension = raw.slice(extensionDot + 1);
  if (extensionDot < 1 || extension.length < 1 || extension.length > 8) return undefined;
  for (let i = 0; i < extension.length; i++) if (!isAlphanumeric(extension.charCodeAt(i))) return undefined;
  const stem = raw.slice(0, extensionDot);
  const named = (split: number) => `${stem.slice(0, split)}.:hash.${extension}`;

  const lastSeparator = Math.max(stem.lastIndexOf("."), stem.lastIndexOf("-"));
  if (lastSeparator >= 1 && isHexHash(stem.slice(lastSeparator + 1))) return named(lastSeparator);

  // The longest tail of the base64url alphabet, and the first separator inside it.
  let tail = stem.length;
  while (tail > 0 && isBase64Url(stem.charCodeAt(tail - 1))) tail--;
  for (let split = Math.max(tail - 1, 1); stem.length - split - 1 >= 16; split++) {
    const c = stem.charCodeAt(split);
    if (c !== 46 && c !== 45) continue;
    return hasDigit(stem, split + 1) ? named(split) : undefined; // no digit here, none in a shorter tail
  }
  return undefined;
}

function isHexHash(candidate: string): boolean {
  if (candidate.length < 8) return false;
  for (let i = 0; i < candidate.length; i++) {
    const c = candidate.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return hasDigit(candidate, 0);
}

/** The segment without a file extension of 1–8 letters or digits (`report.csv` → `report`). */
function stemOf(segment: string): string {
  const dot = segment.lastIndexOf(".");
  if (dot < 1 || segment.length - dot - 1 > 8) return segment;
  for (let i = dot + 1; i < segment.length; i++) if (!isAlphanumeric(segment.charCodeAt(i))) return segment;
  return segment.slice(0, dot);
}

function hasDigit(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

const isLetter = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
const isAlphanumeric = (c: number) => isLetter(c) || (c >= 48 && c <= 57);
const isBase64Url = (c: number) => isAlphanumeric(c) || c === 45 || c === 95;
