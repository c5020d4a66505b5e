// A small seeded pseudo-random number generator: xoshiro128** (Blackman and
// Vigna, 2018; 128 bits of state, period 2^128 - 1), seeded through
// splitmix32 so that nearby seeds (1, 2, 3, ...) give unrelated streams.
//
// Everything that must be reproducible from a seed (the simulator's
// schedules, faults and workloads) draws from here and nowhere else; the
// same seed gives the same sequence on every machine, because only 32-bit
// integer arithmetic (Math.imul, shifts) is involved. `float` is exact
// (a 32-bit integer divided by 2^32).
//
// Not for cryptography.

import { assert, AssertionError } from './assert.js';

const TWO_POW_32 = 0x1_0000_0000;

/** splitmix32 step: a well-mixed 32-bit output for each successive state. */
function splitmix32(state: number): { state: number; out: number } {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  z ^= z >>> 15;
  return { state: next, out: z >>> 0 };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  private constructor(words: readonly [number, number, number, number]) {
    [this.s0, this.s1, this.s2, this.s3] = words;
    // xoshiro's only bad state; splitmix never yields four zeros in practice, but be sure.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A generator for a seed: any non-negative safe integer. */
  static fromSeed(seed: number): Random {
    assert(Number.isSafeInteger(seed) && seed >= 0, `seed must be a non-negative safe integer, got ${seed}`);
    const low = seed >>> 0;
    const high = Math.floor(seed / TWO_POW_32) >>> 0;
    // Two splitmix streams, one per seed half, so seeds differing only in their high bits still differ.
    let a = low;
    let b = high ^ 0x6a09e667;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const x = splitmix32(a);
      a = x.state;
      const y = splitmix32(b);
      b = y.state;
      words.push((x.out ^ rotl(y.out, 13)) >>> 0);
    }
    return new Random(words as [number, number, number, number]);
  }

  /** A generator with exactly this xoshiro128** state (four 32-bit words, not all zero); for tests against reference outputs. */
  static fromState(words: readonly [number, number, number, number]): Random {
    return new Random([words[0] >>> 0, words[1] >>> 0, words[2] >>> 0, words[3] >>> 0]);
  }

  /** The next 32 random bits as an unsigned integer in [0, 2^32). */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A float in [0, 1), a multiple of 2^-32. */
  float(): number {
    return this.nextU32() / TWO_POW_32;
  }

  /** An integer in [lo, hi], both inclusive, uniformly (no modulo bias). hi - lo must be below 2^32. */
  int(lo: number, hi: number): number {
    const range = hi - lo + 1;
    // Checked by hand rather than with assert(): the message would be formatted on every call.
    if (!(Number.isSafeInteger(lo) && Number.isSafeInteger(hi) && lo <= hi && range <= TWO_POW_32)) {
      throw new AssertionError(`int(${lo}, ${hi}): need integers lo <= hi with hi - lo < 2^32`);
    }
    if (range === TWO_POW_32) return lo + this.nextU32();
    // Rejection sampling: draws at or above the largest multiple of `range` would favour small results.
    const limit = TWO_POW_32 - (TWO_POW_32 % range);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return lo + (x % range);
    }
  }

  /** True with probability p (p <= 0: never; p >= 1: always). */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, 'pick from an empty array');
    return items[this.int(0, items.length - 1)]!;
  }

  /**
   * An index chosen with probability proportional to its weight (weights are
   * non-negative, at least one positive).
   */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) {
      assert(w >= 0 && Number.isFinite(w), 'weights must be finite and non-negative');
      total += w;
    }
    assert(total > 0, 'at least one weight must be positive');
    let x = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i]!;
      if (x < 0) return i;
    }
    // Rounding left x at (or a hair above) 0: the last positive weight wins.
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i]! > 0) return i;
    return 0;
  }

  /**
   * A new generator whose stream is independent of this one's continuation,
   * derived deterministically: forking consumes five draws from this stream.
   * Give each component its own fork so that adding draws in one component
   * does not shift the choices of another.
   */
  fork(): Random {
    let state = this.nextU32() | 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const x = splitmix32(state ^ this.nextU32());
      state = x.state;
      words.push(x.out);
    }
    return new Random(words as [number, number, number, number]);
  }
}
