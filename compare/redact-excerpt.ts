import { isPlainObject } from "../lib/plain-object.ts";
import { childPath } from "./json-path.ts";
import { coveringRule, isCardNumber, scrubValue } from "./redact.ts";
import { DEFAULT_REDACTION, isSecretKey, REDACTED, type Redaction } from "./secret-names.ts";

/** A run of digits, spaces and dashes as long as a card number can be. */
const CARD_RUN = /\d[\d -]{11,22}\d/g;
/** `"name": value` in JSON the cut ran through: a string (perhaps unterminated) or a bare value. */
const JSON_PAIR = /"((?:[^"\\]|\\.){1,200})"(\s*:\s*)("(?:[^"\\]|\\.)*(?:"|$)|[^,}\]\s]+)/g;
/** `name=value` in a form body or a text: the value runs to `&`, `;` or white space. */
const TEXT_PARAM = /(^|[?&;\s])([A-Za-z0-9_.[\]-]{1,100})=([^&;\s]*)/g;

export interface ExcerptOptions {
  /** The body was read to its end: JSON in it can be parsed. */
  readonly complete: boolean;
  /** Bytes of UTF-8 kept: the excerpt is cut there (on a character boundary), with "…". */
  readonly maxBytes: number;
  /** The route's redaction (its shadow's `redact` rules), or the defaults. */
  readonly redaction?: Redaction;
  /** The request's own credentials (compare/redact.ts `requestSecrets`), scrubbed wherever they appear. */
  readonly secrets?: readonly string[];
}

/**
 * The start of a response body as an example may store it, redacted by the rules of a shadow
 * sample's values (compare/redact.ts): a body read whole that is JSON is parsed, the values
 * under secret-like keys and the route's `body:` rules replaced by "[redacted]", its strings
 * scrubbed of card numbers, the request's credentials and the secret parts of URLs, and
 * serialized again. Any other text (or JSON the read cut off) is scrubbed of the same, and of
 * the values of `"secret-like key": …` pairs and `secret-like=…` parameters in it. A body
 * that is not UTF-8 text is not kept. Then cut to `maxBytes`.
 */
export function redactExcerpt(bytes: Uint8Array, options: ExcerptOptions): string {
  const redaction = options.redaction ?? DEFAULT_REDACTION;
  const secrets = options.secrets ?? [];
  let text: string;
  try {
    // A read cut off may end inside a character: that one is left out, not a reason to refuse.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes, { stream: !options.complete });
  } catch {
    return `[${bytes.byteLength} bytes, not UTF-8 text]`;
  }
  const json = options.complete ? parseJson(text) : undefined;
  const clean = json === undefined ? redactText(text, redaction, secrets) : JSON.stringify(redactJson(json.value, "$", redaction, secrets));
  return cutUtf8(clean, options.maxBytes);
}

function parseJson(text: string): { readonly value: unknown } | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? { value } : undefined;
  } catch {
    return undefined;
  }
}

function redactJson(value: unknown, path: string, redaction: Redaction, secrets: readonly string[]): unknown {
  if (path !== "$" && coveringRule(path, redaction) !== undefined) return REDACTED;
  if (Array.isArray(value)) return value.map((item, index) => redactJson(item, childPath(path, index), redaction, secrets));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactJson(item, childPath(path, key), redaction, secrets)]));
  // A card number sent as a JSON number is one all the same.
  if (typeof value === "number" && Number.isSafeInteger(value) && isCardNumber(String(value))) return REDACTED;
  return scrubValue(value, secrets, redaction);
}

function redactText(text: string, redaction: Redaction, secrets: readonly string[]): string {
  const secretName = (name: string) => isSecretKey(name) || coveringRule(childPath("$", name), redaction) !== undefined;
  return String(scrubValue(text, secrets, redaction))
    .replace(CARD_RUN, (run) => (isCardNumber(run) ? REDACTED : run))
    .replace(JSON_PAIR, (pair, name: string, colon: string) => (secretName(name) ? `"${name}"${colon}"${REDACTED}"` : pair))
    .replace(TEXT_PARAM, (param, before: string, name: string) => (secretName(name) ? `${before}${name}=${REDACTED}` : param));
}

/** `text` in at most `maxBytes` of UTF-8, cut before a character, not through it. */
function cutUtf8(text: string, maxBytes: number): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.byteLength <= maxBytes) return text;
  let end = maxBytes;
  // Back to the first byte of a character: continuation bytes are 10xxxxxx.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return `${new TextDecoder().decode(bytes.subarray(0, end))}…`;
}
