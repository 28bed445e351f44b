import { describe, expect, it } from "vitest";
import { fromBase64, fromBase64Url, toBase64, toBase64Url } from "../../lib/base64.ts";
import { concatBytes } from "../../lib/bytes.ts";
import { fnv1a, fnv1aBytes } from "../../lib/fnv.ts";
import { fromHex, toHex } from "../../lib/hex.ts";
import { sha256Hex } from "../../lib/sha256.ts";

describe("byte encodings", () => {
  const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256);

  it("round-trips base64 and base64url, also past the argument limit of String.fromCharCode", () => {
    expect(fromBase64(toBase64(bytes))).toEqual(bytes);
    const url = toBase64Url(bytes);
    expect(url).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(fromBase64Url(url)).toEqual(bytes);
    expect(fromBase64Url("not base64!")).toBeUndefined();
  });

  it("round-trips hex", () => {
    expect(toHex(Uint8Array.of(0, 15, 255))).toBe("000fff");
    expect(fromHex("000fff")).toEqual(Uint8Array.of(0, 15, 255));
  });

  it("hashes with SHA-256 (RFC 6234 test vector)", async () => {
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("hashes with FNV-1a 32 (the published test vectors)", () => {
    expect(fnv1a("") >>> 0).toBe(0x811c9dc5);
    expect(fnv1a("a") >>> 0).toBe(0xe40c292c);
    expect(fnv1a("foobar") >>> 0).toBe(0xbf9cf968);
    expect(fnv1aBytes(new TextEncoder().encode("foobar")) >>> 0).toBe(0xbf9cf968);
  });

  it("concatenates chunks", () => {
    expect(concatBytes([Uint8Array.of(1), Uint8Array.of(), Uint8Array.of(2, 3)])).toEqual(Uint8Array.of(1, 2, 3));
  });
});
