// The expiry index: the addresses of the records that have an expiry, in a
// dense array, so the active-expiry cycle looks only at keys with a TTL (as
// Redis's `expires` dict) and picks them in O(1) each. Each such record
// stores its position here, so removal is O(1): the last address moves into
// the hole and the owner is told (`onMove`) to update that record's position.
//
// The cycle (Redis 6+'s activeExpireCycle, made deterministic): walk the
// array downwards from a cursor that persists between calls, in samples of
// EXPIRY_SAMPLE_KEYS; keep going while more than a quarter of a sample was
// due and the work budget lasts. Walking with a cursor instead of drawing
// random positions needs no PRNG, finds no key twice in one call (a call
// examines at most every entry once), and covers every key over successive
// calls. Why downwards: removing a key found due moves the last entry (above
// the cursor, already examined this round) into its place (also above), so
// the part still to examine is never disturbed and one round finds every key
// due throughout it; new keys are appended above, for the next round. It only
// *finds* due keys: removal goes through the log, so nothing is deleted here.

import { assert } from '../assert.js';

/** Keys examined per sample (Redis: ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP = 20). */
export const EXPIRY_SAMPLE_KEYS = 20;
/** Another sample is taken only while more than this share of the last one was due (Redis: 25% before 6.0). */
export const EXPIRY_REPEAT_DUE_SHARE = 0.25;
/** The array starts this large and doubles; a power of two keeps growth copies rare. */
const EXPIRY_INDEX_INITIAL_SLOTS = 64;

export class ExpiryIndex {
  private addrs = new Uint32Array(EXPIRY_INDEX_INITIAL_SLOTS);
  private length = 0;
  /** Next position to examine; out of range (as at the start) means "from the top". */
  private cursor = -1;

  /** `onMove(addr, position)`: the record at `addr` now sits at `position` (after a removal moved it). */
  constructor(private readonly onMove: (addr: number, position: number) => void) {}

  get count(): number {
    return this.length;
  }

  get bytes(): number {
    return this.addrs.byteLength;
  }

  /** Add a record; returns its position, which the record must keep. */
  add(addr: number): number {
    if (this.length === this.addrs.length) {
      const grown = new Uint32Array(this.addrs.length * 2);
      grown.set(this.addrs);
      this.addrs = grown;
    }
    this.addrs[this.length] = addr;
    return this.length++;
  }

  /** The record at `position` moved to `addr` (same key, new place). */
  replace(position: number, addr: number): void {
    assert(position < this.length, 'expiry position out of range');
    this.addrs[position] = addr;
  }

  /** Remove the record at `position` (it lost its expiry or was deleted). */
  remove(position: number): void {
    assert(position < this.length, 'expiry position out of range');
    const last = --this.length;
    if (position !== last) {
      const moved = this.addrs[last]!;
      this.addrs[position] = moved;
      this.onMove(moved, position);
    }
    this.addrs[last] = 0;
  }

  /** Every address in the index once. Do not change the index meanwhile. */
  forEach(fn: (addr: number) => void): void {
    for (let i = 0; i < this.length; i++) fn(this.addrs[i]!);
  }

  /** The address at `position`, for checks. */
  at(position: number): number {
    assert(position < this.length, 'expiry position out of range');
    return this.addrs[position]!;
  }

  /**
   * One active-expiry cycle: push onto `out` the addresses for which `isDue`
   * holds, examining at most `examinedMax` entries (and never one twice).
   * Returns the number examined.
   */
  collectDue(isDue: (addr: number) => boolean, out: number[], examinedMax: number): number {
    assert(examinedMax > 0, 'the expiry budget must be positive');
    const budget = Math.min(examinedMax, this.length);
    let examined = 0;
    while (examined < budget) {
      const sample = Math.min(EXPIRY_SAMPLE_KEYS, budget - examined);
      let due = 0;
      for (let k = 0; k < sample; k++) {
        if (this.cursor < 0 || this.cursor >= this.length) this.cursor = this.length - 1;
        const addr = this.addrs[this.cursor--]!;
        if (isDue(addr)) {
          out.push(addr);
          due++;
        }
      }
      examined += sample;
      if (due <= sample * EXPIRY_REPEAT_DUE_SHARE) break;
    }
    return examined;
  }

  clear(): void {
    this.addrs = new Uint32Array(EXPIRY_INDEX_INITIAL_SLOTS);
    this.length = 0;
    this.cursor = -1;
  }
}
