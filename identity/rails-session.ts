import { fromBase64 } from "../lib/base64.ts";
import { isPlainObject } from "../lib/plain-object.ts";
import { err, ok, type Result } from "../lib/result.ts";

/**
 * Rails' session cookie, read at the edge: the cookie store's authenticated encrypted cookie
 * (Rails 5.2 and later, `config.action_dispatch.use_authenticated_cookie_encryption`), which
 * ActiveSupport::MessageEncryptor writes as `base64(ciphertext)--base64(iv)--base64(auth_tag)`
 * with AES-256-GCM and no associated data, URL-encoded in the cookie. Tested against cookies a
 * real Rails app made (fixtures/rails-session/), never against a re-implementation of it.
 */

/** Rails' `authenticated_encrypted_cookie_salt` default. */
const SALT = "authenticated encrypted cookie";
/** `Rails.application.key_generator`'s iterations (railties' application.rb). */
const ITERATIONS = 1000;
/** Ruby's Marshal format version 4.8: the first two bytes of every Marshal dump. */
const MARSHAL_MAJOR = 4;
const MARSHAL_MINOR = 8;

/** The key generator's digest: SHA-1 up to Rails 6.1, SHA-256 from `load_defaults 7.0`. */
export type KeyDigest = "sha1" | "sha256";

/** Why a cookie gave no session. */
export type SessionRefusal =
  /** Not `data--iv--tag` in base64 with a 12-byte IV and a 16-byte tag. */
  | "malformed"
  /** Does not authenticate under this key: tampered with, or made with another secret or digest. */
  | "unauthentic"
  /** Serialized with Ruby's Marshal (`cookies_serializer = :marshal`): not readable outside Ruby. */
  | "marshal"
  /** Decrypted, but not a JSON object (or an envelope whose message is not one). */
  | "not_json"
  /** An envelope for another cookie (`pur` is not `cookie.<name>`): a valid value moved over. */
  | "wrong_purpose"
  /** An envelope whose `exp` has passed (`expire_after`). */
  | "expired";

/** A session as the app wrote it: `{"session_id": "…", "user_id": 42, …}`. */
export type RailsSession = Readonly<Record<string, unknown>>;

/**
 * The AES-256-GCM key Rails derives for encrypted cookies: PBKDF2-HMAC over `secret_key_base`
 * with the salt "authenticated encrypted cookie", 1000 iterations, 32 bytes. Slow on purpose
 * (PBKDF2): derive it once per secret and keep it.
 */
export async function railsCookieKey(secretKeyBase: string, digest: KeyDigest): Promise<CryptoKey> {
  const encoder = new TextEncoder();
  const base = await crypto.subtle.importKey("raw", encoder.encode(secretKeyBase), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", salt: encoder.encode(SALT), iterations: ITERATIONS, hash: digest === "sha256" ? "SHA-256" : "SHA-1" },
    base,
    { name: "AES-GCM", length: 256 },
    false,
    ["decrypt"],
  );
}

/**
 * The session in a `cookie` value as the browser sent it (URL-encoded). Checks what Rails
 * checks (`SerializedCookieJars#[]`): the envelope of Rails 6.0+ (`{"_rails": {"message":
 * base64 JSON, "exp", "pur"}}`, or 7.1's `"data"`) must be for this cookie and unexpired; a
 * cookie from before envelopes (the session's JSON alone) is read as Rails reads it.
 * `now` in milliseconds.
 */
export async function readRailsSession(value: string, key: CryptoKey, expected: { readonly cookie: string; readonly now: number }): Promise<Result<RailsSession, SessionRefusal>> {
  const parts = decodeParts(value);
  if (parts === undefined) return err("malformed");
  const [ciphertext, iv, tag] = parts;
  let plaintext: Uint8Array;
  try {
    const sealed = new Uint8Array(ciphertext.byteLength + tag.byteLength);
    sealed.set(ciphertext);
    sealed.set(tag, ciphertext.byteLength);
    plaintext = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv, tagLength: 128 }, key, sealed));
  } catch {
    return err("unauthentic");
  }
  if (isMarshal(plaintext)) return err("marshal");
  const outer = parseJson(new TextDecoder().decode(plaintext));
  if (!isPlainObject(outer)) return err("not_json");
  const envelope = outer._rails;
  if (!isPlainObject(envelope)) return ok(outer);

  if (envelope.pur !== `cookie.${expected.cookie}`) return err("wrong_purpose");
  if (envelope.exp !== null && envelope.exp !== undefined) {
    const expiresAt = typeof envelope.exp === "string" ? Date.parse(envelope.exp) : Number.NaN;
    if (!(expected.now < expiresAt)) return err("expired");
  }
  // Rails 7.1 (use_message_serializer_for_metadata) keeps the session itself under "data".
  if (isPlainObject(envelope.data)) return ok(envelope.data);
  if (typeof envelope.message !== "string") return err("not_json");
  let message: Uint8Array;
  try {
    message = fromBase64(envelope.message);
  } catch {
    return err("not_json");
  }
  if (isMarshal(message)) return err("marshal");
  const session = parseJson(new TextDecoder().decode(message));
  return isPlainObject(session) ? ok(session) : err("not_json");
}

type Bytes = Uint8Array<ArrayBuffer>;

/** `data--iv--tag`, each strict base64, after URL-decoding; undefined for anything else. */
function decodeParts(value: string): readonly [Bytes, Bytes, Bytes] | undefined {
  let text: string;
  try {
    text = decodeURIComponent(value);
  } catch {
    return undefined;
  }
  const parts = text.split("--");
  if (parts.length !== 3) return undefined;
  try {
    const [data, iv, tag] = parts.map((part) => fromBase64(part)) as [Bytes, Bytes, Bytes];
    // MessageEncryptor's GCM: a 12-byte IV and a 16-byte tag, always.
    if (data.byteLength === 0 || iv.byteLength !== 12 || tag.byteLength !== 16) return undefined;
    return [data, iv, tag];
  } catch {
    return undefined;
  }
}

function isMarshal(bytes: Uint8Array): boolean {
  return bytes[0] === MARSHAL_MAJOR && bytes[1] === MARSHAL_MINOR;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
