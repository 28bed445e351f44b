import * as z from "zod/mini";
import { fromHex } from "../lib/hex.ts";
import { sha256 } from "../lib/sha256.ts";

export type Role = "viewer" | "operator";

export interface Principal {
  readonly name: string;
  readonly role: Role;
}

/**
 * Admin tokens, from the Worker secret `CUTOVER_ADMIN_TOKENS`: a JSON object from the
 * SHA-256 (hex) of each token to who holds it and their role, e.g.
 * `{ "9f86d0…": { "name": "alice", "role": "operator" } }`. Only hashes are stored, so the
 * secret's value does not grant access by itself. `cutover token create` makes entries.
 */
const TokensSchema = z.record(
  z.string().check(z.regex(/^[0-9a-f]{64}$/, "must be the SHA-256 of a token, in lower-case hex")),
  z.strictObject({ name: z.string().check(z.minLength(1), z.maxLength(100)), role: z.enum(["viewer", "operator"]) }),
);

export interface TokenRegistry {
  /** The holder of `token`, or undefined. Takes the same time whichever entry matches, if any. */
  identify(token: string): Promise<Principal | undefined>;
  /** The holder of the token with this SHA-256 (a dashboard session re-checks its token so). */
  identifyHash(hash: Uint8Array): Principal | undefined;
}

/**
 * The registry of a `CUTOVER_ADMIN_TOKENS` value. An entry that is not valid is left out
 * (and named in `problems`) rather than locking every holder out; a value that is not a JSON
 * object at all throws.
 */
export function parseTokens(secret: string | undefined): TokenRegistry & { readonly problems: readonly string[] } {
  const entries: { hash: Uint8Array; principal: Principal }[] = [];
  const problems: string[] = [];
  if (secret) {
    const json = safeJson(secret);
    if (json === null || typeof json !== "object" || Array.isArray(json)) throw new Error("CUTOVER_ADMIN_TOKENS is not a JSON object of token hashes");
    for (const [hex, value] of Object.entries(json)) {
      const parsed = TokensSchema.safeParse({ [hex]: value });
      if (!parsed.success) {
        problems.push(`${hex.slice(0, 12)}…: ${parsed.error.issues.map((issue) => issue.message).join("; ")}`);
        continue;
      }
      for (const [hash, principal] of Object.entries(parsed.data)) entries.push({ hash: fromHex(hash), principal });
    }
  }
  return {
    problems,
    async identify(token) {
      return this.identifyHash(await sha256(token));
    },
    identifyHash(hash) {
      let found: Principal | undefined;
      for (const entry of entries) {
        if (constantTimeEqual(hash, entry.hash)) found = entry.principal;
      }
      return found;
    },
  };
}

/** Compares every byte, whatever differs first. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] as number);
  return difference === 0;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
