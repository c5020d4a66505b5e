// The hash of a key's bytes, as the hash index uses it: low bits pick the home
// slot, the top 8 bits are the slot's fingerprint. The function is a
// parameter of the store so that tests can inject a weak one to force
// collisions; production uses `keyHashSeeded`.
//
// FNV-1a over the bytes, then murmur3's 32-bit finalizer so that the low
// bits (the home slot) depend on every input bit. Pure 32-bit integer
// arithmetic (Math.imul), so every replica computes the same hash, and so
// the same layout, iteration order and SCAN pages.

/** A 32-bit unsigned hash of `length` bytes of `bytes` from `start`. */
export type KeyHash = (bytes: Uint8Array, start: number, length: number) => number;

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * The hash with a seed mixed into its start. Replicas of a shard must use the
 * same seed (layout and SCAN order depend on it); a seed unknown to clients
 * makes crafted colliding keys harder (FNV is not a keyed hash, so this is a
 * speed bump, not SipHash's guarantee).
 */
export function keyHashSeeded(seed: number): KeyHash {
  const basis = (FNV_OFFSET_BASIS ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0;
  return (bytes, start, length) => {
    let h = basis;
    const end = start + length;
    for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME);
    return fmix32(h);
  };
}

/** murmur3's 32-bit finalizer: every output bit depends on every input bit (unsigned result). */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The default: seed 0. */
export const keyHashDefault: KeyHash = keyHashSeeded(0);
