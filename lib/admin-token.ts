import { sha256Hex } from "./sha256.ts";

/** The form of every token cutover makes (`cutover token hash`, `cutover token create`): `cut_` and 24 random bytes in base64url. */
const TOKEN_FORMAT = /^cut_[A-Za-z0-9_-]{32}$/;

/** Whether a value could be a token cutover made (only those are looked up in the store). */
export function isStoredTokenFormat(token: string): boolean {
  return TOKEN_FORMAT.test(token);
}

/** What CUTOVER_ADMIN_TOKENS keeps of a token. */
export function hashToken(token: string): Promise<string> {
  return sha256Hex(token);
}

