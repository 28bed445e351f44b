/**
 * FNV-1a, 32 bits: a fast, stable, non-cryptographic hash. `seed` continues an earlier hash
 * (the offset basis starts one). Integer-only, so every runtime computes the same value.
 */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Over the UTF-16 code units of `text`. */
export function fnv1a(text: string, seed = FNV_OFFSET): number {
  let hash = seed;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME);
  return hash;
}

/** Over bytes. */
export function fnv1aBytes(bytes: Uint8Array, seed = FNV_OFFSET): number {
  let hash = seed;
  for (let i = 0; i < bytes.byteLength; i++) hash = Math.imul(hash ^ (bytes[i] as number), FNV_PRIME);
  return hash;
}

/** Mixes one more 32-bit value in (a separator between hashed fields). */
export function fnvMix(hash: number, value: number): number {
  return Math.imul(hash ^ value, FNV_PRIME);
}
