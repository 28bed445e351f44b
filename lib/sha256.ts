import { toHex } from "./hex.ts";

/** SHA-256 of bytes or of a string's UTF-8. */
export async function sha256(input: Uint8Array | string): Promise<Uint8Array> {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

/** SHA-256 of bytes or of a string's UTF-8, as lower-case hex. */
export async function sha256Hex(input: Uint8Array | string): Promise<string> {
  return toHex(await sha256(input));
}
