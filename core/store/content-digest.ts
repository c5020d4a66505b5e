// A fingerprint of a store's contents that does not depend on order: the sum,
// modulo 2^32 in each of two lanes, of a 64-bit hash of every entry (key,
// value, version, expiry). Replicas compare digests at equal applied index,
// and two replicas holding the same entries may have laid them out
// differently (one applied the log, the other restored a snapshot written in
// its leader's layout order): a sum is the same whatever the order, so no
// one sorts anything. It is kept up to date on every write (subtract the old
// entry's hash, add the new one's), so reading it is O(1).
//
// Why a sum and not an xor: both are order-free, but with a sum a pair of
// equal hashes does not cancel out. Why two 32-bit lanes: Math.imul keeps
// the arithmetic exact and fast, with no BigInt on the write path; the lanes
// use different constants, so together they act as a 64-bit fingerprint (a
// check against divergence, not a defence against crafted collisions).
//
// The per-entry hash reads 4 bytes per round (murmur3's block step in each
// lane), from any offset, so it hashes a record straight from its page.

import { fmix32 } from './key-hash.js';

const LANE_A_SEED = 0x3c6ef372;
const LANE_B_SEED = 0xa54ff53a;
const A_C1 = 0xcc9e2d51;
const A_C2 = 0x1b873593;
const B_C1 = 0x85ebca6b;
const B_C2 = 0xc2b2ae35;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

export class ContentDigest {
  /** The two lanes of the sum (u32 each). */
  lo = 0;
  hi = 0;
  /** The lanes of the entry being hashed. */
  private a = 0;
  private b = 0;

  /** Add an entry: key and value are `length` bytes of their arrays from `start`. */
  add(key: Uint8Array, keyStart: number, keyLength: number, value: Uint8Array, valueStart: number, valueLength: number,
    version: number, expireAtMs: number): void {
    this.hashEntry(key, keyStart, keyLength, value, valueStart, valueLength, version, expireAtMs);
    this.lo = (this.lo + this.a) >>> 0;
    this.hi = (this.hi + this.b) >>> 0;
  }

  /** Take out an entry added before (the same arguments). */
  remove(key: Uint8Array, keyStart: number, keyLength: number, value: Uint8Array, valueStart: number, valueLength: number,
    version: number, expireAtMs: number): void {
    this.hashEntry(key, keyStart, keyLength, value, valueStart, valueLength, version, expireAtMs);
    this.lo = (this.lo - this.a) >>> 0;
    this.hi = (this.hi - this.b) >>> 0;
  }

  reset(): void {
    this.lo = 0;
    this.hi = 0;
  }

  private hashEntry(key: Uint8Array, keyStart: number, keyLength: number, value: Uint8Array, valueStart: number,
    valueLength: number, version: number, expireAtMs: number): void {
    this.a = LANE_A_SEED;
    this.b = LANE_B_SEED;
    // Each length goes in before its bytes, so the key/value boundary counts ("ab"+"c" is not "a"+"bc").
    this.word(keyLength);
    this.bytes(key, keyStart, keyLength);
    this.word(valueLength);
    this.bytes(value, valueStart, valueLength);
    // Versions and expiries are integers below 2^53: two words each.
    this.word(version % 0x1_0000_0000);
    this.word(Math.floor(version / 0x1_0000_0000));
    this.word(expireAtMs % 0x1_0000_0000);
    this.word(Math.floor(expireAtMs / 0x1_0000_0000));
    this.a = fmix32(this.a ^ this.b);
    this.b = fmix32(this.b ^ rotl(this.a, 16));
  }

  private bytes(src: Uint8Array, start: number, length: number): void {
    const end = start + length;
    let i = start;
    for (; i + 4 <= end; i += 4) this.word(src[i]! | (src[i + 1]! << 8) | (src[i + 2]! << 16) | (src[i + 3]! << 24));
    if (i === end) return;
    let tail = 0;
    for (let shift = 0; i < end; i++, shift += 8) tail |= src[i]! << shift;
    this.word(tail);
  }

  /** One 32-bit word into both lanes (murmur3's block step, different constants per lane). */
  private word(w: number): void {
    const ka = Math.imul(rotl(Math.imul(w, A_C1), 15), A_C2);
    this.a = (Math.imul(rotl(this.a ^ ka, 13), 5) + 0xe6546b64) | 0;
    const kb = Math.imul(rotl(Math.imul(w, B_C1), 17), B_C2);
    this.b = (Math.imul(rotl(this.b ^ kb, 15), 5) + 0x52dce729) | 0;
  }
}
