import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from '../../core/random.js';

function draws(rng: Random, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextU32());
}

describe('Random (xoshiro128**)', () => {
  it('matches the reference implementation for a known state', () => {
    // Outputs of Blackman and Vigna's xoshiro128starstar.c from state {1, 2, 3, 4}.
    expect(draws(Random.fromState([1, 2, 3, 4]), 6)).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('is a pure function of the seed', () => {
    fc.assert(fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), (seed) => {
      expect(draws(Random.fromSeed(seed), 8)).toEqual(draws(Random.fromSeed(seed), 8));
    }), { numRuns: 50 });
  });

  it('gives unrelated streams for neighbouring seeds, and for seeds differing only in their high bits', () => {
    const first = new Set<number>();
    for (let seed = 0; seed < 1000; seed++) first.add(Random.fromSeed(seed).nextU32());
    expect(first.size).toBe(1000);
    expect(draws(Random.fromSeed(5), 4)).not.toEqual(draws(Random.fromSeed(5 + 2 ** 32), 4));
  });

  it('rejects seeds that are not non-negative safe integers', () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) expect(() => Random.fromSeed(bad)).toThrow(/seed/);
  });

  it('int(lo, hi) stays within its inclusive bounds and reaches both', () => {
    fc.assert(fc.property(fc.nat(), fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.nat({ max: 1000 }), (seed, lo, width) => {
      const rng = Random.fromSeed(seed);
      for (let i = 0; i < 50; i++) {
        const x = rng.int(lo, lo + width);
        expect(Number.isInteger(x) && x >= lo && x <= lo + width).toBe(true);
      }
    }), { numRuns: 100 });
    const rng = Random.fromSeed(7);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(rng.int(3, 5));
    expect([...seen].sort()).toEqual([3, 4, 5]);
  });

  it('int is roughly uniform (chi-square over 10 buckets)', () => {
    const rng = Random.fromSeed(42);
    const counts = new Array<number>(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) counts[rng.int(0, 9)]!++;
    const expected = n / 10;
    const chi2 = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: 27.9 is the 0.1% critical value.
    expect(chi2).toBeLessThan(27.9);
  });

  it('int rejects bad ranges', () => {
    const rng = Random.fromSeed(1);
    expect(() => rng.int(5, 4)).toThrow();
    expect(() => rng.int(0, 2 ** 32)).toThrow();
    expect(() => rng.int(0.5, 3)).toThrow();
    expect(rng.int(0, 2 ** 32 - 1)).toBeGreaterThanOrEqual(0);
  });

  it('float is in [0, 1) and chance follows its probability', () => {
    const rng = Random.fromSeed(3);
    let hits = 0;
    for (let i = 0; i < 20_000; i++) {
      const f = rng.float();
      expect(f >= 0 && f < 1).toBe(true);
      if (rng.chance(0.25)) hits++;
    }
    expect(hits / 20_000).toBeGreaterThan(0.23);
    expect(hits / 20_000).toBeLessThan(0.27);
    expect(rng.chance(0)).toBe(false);
    expect(rng.chance(1)).toBe(true);
  });

  it('pick and weighted never choose what they must not', () => {
    const rng = Random.fromSeed(9);
    expect(() => rng.pick([])).toThrow();
    for (let i = 0; i < 1000; i++) {
      expect(['a', 'b']).toContain(rng.pick(['a', 'b']));
      expect(rng.weighted([0, 3, 0, 1])).not.toBe(0);
      expect(rng.weighted([0, 3, 0, 1])).not.toBe(2);
    }
    expect(() => rng.weighted([0, 0])).toThrow();
  });

  it('fork is deterministic and independent of the parent continuation', () => {
    const a = Random.fromSeed(11);
    const b = Random.fromSeed(11);
    const childA = a.fork();
    const childB = b.fork();
    expect(draws(childA, 5)).toEqual(draws(childB, 5));
    expect(draws(a, 5)).toEqual(draws(b, 5));
    const parent = Random.fromSeed(11);
    const child = parent.fork();
    expect(draws(child, 5)).not.toEqual(draws(parent, 5));
    const siblings = Random.fromSeed(12);
    expect(draws(siblings.fork(), 5)).not.toEqual(draws(siblings.fork(), 5));
  });
});
