// The search's memo (Lowe's cache): configurations already explored.
// Reaching one again, or one it covers (see VisitedStates), cannot lead
// anywhere new, so the search skips it.
//
// Sets are stored run-length encoded by 32-bit word. The search numbers
// required ops first in history order, so their part of a set is mostly a
// run of all-ones words (everything long done), a few mixed words (the ops in
// flight) and a run of zeros: a handful of words per entry however long the
// history. All entries share one flat pool and typed-array hash chains, so a
// million entries cost a few words each rather than a few objects each.

/**
 * Cap on memo words (4 bytes each, encodings plus per-entry bookkeeping):
 * 128 MiB. A history that needs more memo than this is beyond what the
 * checker can decide in reasonable time anyway; the search gives up with
 * "memory" instead of exhausting the heap.
 */
export const VISITED_WORDS_MAX = 32 * 1024 * 1024;

/** Words of bookkeeping per entry: its start, state, hash, flag, chain link and bucket. */
const ENTRY_OVERHEAD_WORDS = 6;

/**
 * Entries looked at per lookup. Configurations differing only in optional
 * ops share a bucket; past this many the lookup gives up and adds, which
 * costs some repeated search but keeps each step O(1).
 */
export const CHAIN_WALK_MAX = 32;

const BUCKETS_INITIAL = 128;
const ENTRIES_INITIAL = 64;

// Run headers: kind in the top two bits, length in words below.
const RUN_ZEROS = 0;
const RUN_ONES = 1 << 30;
const RUN_LITERAL = 2 << 30;
const ALL_ONES = 0xffffffff;

export type AddResult = 'added' | 'seen' | 'full';

/** Murmur3's finalizer: spreads the bits of a 32-bit integer. */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) | 0;
}

/** Run-length encodes `bits` into `out`; returns the encoded length. Canonical: equal sets encode equally. */
export function encodeBits(bits: Uint32Array, out: Uint32Array): number {
  const words = bits.length;
  let o = 0;
  let w = 0;
  while (w < words) {
    const x = bits[w]!;
    let r = w + 1;
    if (x === 0 || x === ALL_ONES) {
      while (r < words && bits[r] === x) r++;
      out[o++] = (x === 0 ? RUN_ZEROS : RUN_ONES) + (r - w);
    } else {
      while (r < words && bits[r] !== 0 && bits[r] !== ALL_ONES) r++;
      out[o++] = RUN_LITERAL + (r - w);
      for (let i = w; i < r; i++) out[o++] = bits[i]!;
    }
    w = r;
  }
  return o;
}

/**
 * The memo, with subsumption for optional ops. Entries are keyed by the
 * required ops linearized and the state; the optional ops placed and the
 * "must observe next" flag are kept per entry. A configuration is covered
 * by an entry with the same key, a subset of its optional ops placed and a
 * flag no stricter: having placed fewer optional ops leaves more choices
 * (they may still be placed, or never), so whatever the covered
 * configuration can reach, the entry could reach too.
 */
export class VisitedStates {
  private pool: Uint32Array = new Uint32Array(ENTRIES_INITIAL * 4);
  private poolUsed = 0;
  /** Entry e's encoding is pool[start[e] .. start[e + 1]): required words run-length encoded, then the optional words as they are. */
  private start: Int32Array = new Int32Array(ENTRIES_INITIAL + 1);
  private states: Int32Array = new Int32Array(ENTRIES_INITIAL);
  private hashes: Int32Array = new Int32Array(ENTRIES_INITIAL);
  private flags: Uint8Array = new Uint8Array(ENTRIES_INITIAL);
  /** Per bucket, the newest entry's index + 1 (0 = empty); entries chain to older ones through `chain`. */
  private buckets = new Int32Array(BUCKETS_INITIAL);
  private chain: Int32Array = new Int32Array(ENTRIES_INITIAL);
  private count = 0;
  /** Worst-case encoding: a header per word plus the word. */
  private readonly scratch: Uint32Array;

  /**
   * Sets are `requiredWords + optionalWords` words: required ops' bits first.
   * `wordsMax`: the memory cap (tests lower it).
   */
  constructor(private readonly requiredWords: number, private readonly optionalWords: number, private readonly wordsMax = VISITED_WORDS_MAX) {
    this.scratch = new Uint32Array(2 * requiredWords + optionalWords + 1);
  }

  get size(): number {
    return this.count;
  }

  get wordsUsed(): number {
    return this.poolUsed;
  }

  /**
   * Records the configuration unless an entry covers it. `requiredHash` must
   * be a hash of the required words alone (the search keeps it incrementally).
   */
  add(bits: Uint32Array, requiredHash: number, state: number, flag: number): AddResult {
    const hash = mix32(requiredHash ^ Math.imul(state + 1, 0x9e3779b1));
    const requiredLength = encodeBits(bits.subarray(0, this.requiredWords), this.scratch);
    const length = requiredLength + this.optionalWords;
    for (let w = 0; w < this.optionalWords; w++) this.scratch[requiredLength + w] = bits[this.requiredWords + w]!;
    const bucket = hash & (this.buckets.length - 1);
    // Walk the newest entries of the bucket. Many configurations can share a
    // key (differing in optional ops), so the walk is bounded: missing a
    // covering entry only costs search, never correctness.
    let walked = 0;
    for (let e = this.buckets[bucket]! - 1; e >= 0 && walked < CHAIN_WALK_MAX; e = this.chain[e]! - 1, walked++) {
      if (this.hashes[e] === hash && this.states[e] === state && this.flags[e]! <= flag && this.covers(e, requiredLength, length)) return 'seen';
    }
    if (this.poolUsed + length + (this.count + 1) * ENTRY_OVERHEAD_WORDS > this.wordsMax) return 'full';
    const e = this.count++;
    this.ensureCapacity(length);
    this.pool.set(this.scratch.subarray(0, length), this.poolUsed);
    this.poolUsed += length;
    this.start[e + 1] = this.poolUsed;
    this.states[e] = state;
    this.hashes[e] = hash;
    this.flags[e] = flag;
    this.chain[e] = this.buckets[bucket]!;
    this.buckets[bucket] = e + 1;
    if (this.count > this.buckets.length) this.growBuckets();
    return 'added';
  }

  /** Same required encoding, and entry e's optional ops a subset of the scratch's. */
  private covers(e: number, requiredLength: number, length: number): boolean {
    const from = this.start[e]!;
    if (this.start[e + 1]! - from !== length) return false;
    for (let i = 0; i < requiredLength; i++) if (this.pool[from + i] !== this.scratch[i]) return false;
    for (let i = requiredLength; i < length; i++) if ((this.pool[from + i]! & ~this.scratch[i]!) !== 0) return false;
    return true;
  }

  private ensureCapacity(length: number): void {
    if (this.poolUsed + length > this.pool.length) {
      const pool = new Uint32Array(Math.max(this.pool.length * 2, this.poolUsed + length));
      pool.set(this.pool.subarray(0, this.poolUsed));
      this.pool = pool;
    }
    if (this.count >= this.states.length) {
      const capacity = this.states.length * 2;
      this.states = grow(this.states, capacity);
      this.hashes = grow(this.hashes, capacity);
      this.start = grow(this.start, capacity + 1);
      this.chain = grow(this.chain, capacity);
      const flags = new Uint8Array(capacity);
      flags.set(this.flags);
      this.flags = flags;
    }
  }

  /** Doubles the buckets, relinking every entry (oldest first, so chains stay newest-first). */
  private growBuckets(): void {
    const buckets = new Int32Array(this.buckets.length * 2);
    const mask = buckets.length - 1;
    for (let e = 0; e < this.count; e++) {
      const bucket = this.hashes[e]! & mask;
      this.chain[e] = buckets[bucket]!;
      buckets[bucket] = e + 1;
    }
    this.buckets = buckets;
  }
}

function grow(array: Int32Array, capacity: number): Int32Array {
  const bigger = new Int32Array(capacity);
  bigger.set(array);
  return bigger;
}
