// A fingerprint of a store's contents that does not depend on order: the sum,
// modulo 2^32 in each of two lanes, of a 64-bit hash of every entry (key,
// value, version, expiry). Replicas compare digests at equal applied index,
// and two replicas holding the same entries may have laid them out
// differently (one applied the log, the other restored a snapshot written in
// its leader's layout order): a sum is the same whatever the order, so no
// one sorts anything.
//
// Computed when asked (ShardStore.contentDigest: one pass, O(entries)) and by
// a snapshot capture over the entries it emits, not kept on every write:
// only tests and the simulator's end-of-run check compare replicas, and
// hashing the old and new entry on every write would cost the hot path about
// as much as the write itself. (A periodic check in production would take it
// from a capture, a step at a time, like a snapshot.)
//
// Why a sum and not an xor: both are order-free, but with a sum a pair of
// equal hashes does not cancel out. Why two 32-bit lanes: Math.imul keeps
// the arithmetic exact and fast, with no BigInt; the lanes use different
// constants, so together they act as a 64-bit fingerprint (a check against
// divergence and damage, not a defence against crafted collisions).
//
// The per-entry hash reads 4 bytes per round (a multiply-xorshift step in
// each lane, then murmur3's finalizer), from any offset, so it hashes a
// record straight from its page.

import { fmix32 } from './key-hash.js';

const LANE_A_SEED = 0x3c6ef372;
const LANE_B_SEED = 0xa54ff53a;
/** Odd multipliers (the golden ratio's and murmur3's), so each lane's step is invertible. */
const LANE_A_MULTIPLIER = 0x9e3779b1;
const LANE_B_MULTIPLIER = 0x85ebca6b;

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

  /** Add an entry: key and value are `length` bytes of their arrays from `start` (an EntryFields callback). */
  readonly add = (key: Uint8Array, keyStart: number, keyLength: number, value: Uint8Array, valueStart: number, valueLength: number,
    version: number, expireAtMs: number, type = 0): void => {
    this.hashEntry(key, keyStart, keyLength, value, valueStart, valueLength, version, expireAtMs, type);
    this.lo = (this.lo + this.a) >>> 0;
    this.hi = (this.hi + this.b) >>> 0;
  };

  private hashEntry(key: Uint8Array, keyStart: number, keyLength: number, value: Uint8Array, valueStart: number,
    valueLength: number, version: number, expireAtMs: number, type: number): void {
    this.a = LANE_A_SEED;
    this.b = LANE_B_SEED;
    // A collection's type goes in first (a string's, 0, does not: strings hash as they always have).
    if (type !== 0) this.word(0x7f000000 | type);
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
    // The word step inlined, on locals: this loop is most of a write's hashing.
    let a = this.a;
    let b = this.b;
    const end = start + length;
    let i = start;
    for (; i + 4 <= end; i += 4) {
      const w = src[i]! | (src[i + 1]! << 8) | (src[i + 2]! << 16) | (src[i + 3]! << 24);
      let t = Math.imul(a ^ w, LANE_A_MULTIPLIER);
      a = t ^ (t >>> 16);
      t = Math.imul(b ^ w, LANE_B_MULTIPLIER);
      b = t ^ (t >>> 13);
    }
    this.a = a;
    this.b = b;
    if (i === end) return;
    let tail = 0;
    for (let shift = 0; i < end; i++, shift += 8) tail |= src[i]! << shift;
    this.word(tail);
  }

  /**
   * One 32-bit word into both lanes: xor it in, multiply by an odd constant
   * and fold the high half down. Each step is a bijection of the lane, so no
   * two words collide within it; two cheap lanes instead of murmur3's full
   * block step, since this runs twice on every write.
   */
  private word(w: number): void {
    let a = Math.imul(this.a ^ w, LANE_A_MULTIPLIER);
    this.a = a ^ (a >>> 16);
    a = Math.imul(this.b ^ w, LANE_B_MULTIPLIER);
    this.b = a ^ (a >>> 13);
  }
}
