// The sorted set's two encodings on their own: the compact bytes (round
// trip, refusal of malformed bytes) and the large form (typed arrays, order
// blocks, member index) against a plain sorted array, through splits,
// merges, slab compaction and repacking, and its canonical image.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTION_THRESHOLDS } from '../../../core/types/collection-thresholds.js';
import { ZSET_CODEC } from '../../../core/types/zset/zset-commands.js';
import {
  decodeZSetCompact, encodeZSetCompact, ZSET_COMPACT_ENTRIES_MAX, ZSET_COMPACT_MEMBER_BYTES_MAX, ZSetList,
} from '../../../core/types/zset/zset-compact-list.js';
import { ZSET_BLOCK_IDS_MAX, ZSetLarge } from '../../../core/types/zset/zset-large.js';
import { compareEntries, type SortedSet } from '../../../core/types/zset/sorted-set.js';
import { bytesOf, latin1 } from './zset-driver.js';

type Entry = [string, number];

/** The reference: a plain array kept sorted by (score, member bytes). */
function sortedModel(m: Map<string, number>): Entry[] {
  return [...m.entries()].sort((a, b) => compareEntries(a[1], bytesOf(a[0]), b[1], bytesOf(b[0])));
}

function contents(z: SortedSet): Entry[] {
  const out: Entry[] = [];
  if (z.size > 0) z.each(0, z.size - 1, false, (m, s) => { out.push([latin1(m), s]); });
  return out;
}

describe('compact encoding', () => {
  it('round-trips and keeps order', () => {
    const list = new ZSetList();
    list.put(bytesOf('b'), 2);
    list.put(bytesOf('a'), 2);
    list.put(bytesOf('z'), -1);
    list.put(bytesOf('a'), Infinity);
    const bytes = encodeZSetCompact(list);
    const back = decodeZSetCompact(bytes);
    expect(typeof back).not.toBe('string');
    expect(contents(back as ZSetList)).toEqual([['z', -1], ['b', 2], ['a', Infinity]]);
    expect(ZSET_CODEC.restore(bytes)).toBe(bytes);
  });

  it('refuses malformed bytes with a reason', () => {
    const list = new ZSetList([bytesOf('a'), bytesOf('b')], [1, 2]);
    const good = encodeZSetCompact(list);
    expect(decodeZSetCompact(good.subarray(0, good.length - 1))).toMatch(/cut short|malformed/);
    const outOfOrder = encodeZSetCompact(new ZSetList([bytesOf('b'), bytesOf('a')], [1, 1]));
    expect(decodeZSetCompact(outOfOrder)).toMatch(/order/);
    const repeated = encodeZSetCompact(new ZSetList([bytesOf('a'), bytesOf('a')], [1, 2]));
    expect(decodeZSetCompact(repeated)).toMatch(/repeats/);
    expect(decodeZSetCompact(new Uint8Array([9, 0, 0]))).toMatch(/not a compact/);
    expect(typeof ZSET_CODEC.restore(outOfOrder)).toBe('string');
  });

  it('knows when it no longer fits', () => {
    const list = new ZSetList();
    for (let i = 0; i < ZSET_COMPACT_ENTRIES_MAX; i++) list.put(bytesOf(`m${i}`), i);
    expect(list.fitsCompact(DEFAULT_COLLECTION_THRESHOLDS)).toBe(true);
    list.put(bytesOf('one more'), 0);
    expect(list.fitsCompact(DEFAULT_COLLECTION_THRESHOLDS)).toBe(false);
    const long = new ZSetList([bytesOf('x'.repeat(ZSET_COMPACT_MEMBER_BYTES_MAX + 1))], [0]);
    expect(long.fitsCompact(DEFAULT_COLLECTION_THRESHOLDS)).toBe(false);
  });
});

const member = fc.oneof(
  fc.integer({ min: 0, max: 3000 }).map((i) => `m${i}`),
  fc.string({ maxLength: 3 }),
  fc.integer({ min: 0, max: 40 }).map((i) => 'x'.repeat(100 + i)),
);
const score = fc.oneof(fc.integer({ min: -50, max: 50 }), fc.constantFrom(-Infinity, Infinity, 0.5, -0));

type Op = { k: 'put'; m: string; s: number } | { k: 'remove'; m: string } | { k: 'bulk'; n: number; s: number } | { k: 'drop'; n: number };
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ k: fc.constant('put' as const), m: member, s: score }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('remove' as const), m: member }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('bulk' as const), n: fc.integer({ min: 1, max: 1500 }), s: score }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('drop' as const), n: fc.integer({ min: 1, max: 1500 }) }) },
);

describe('large form', () => {
  it('behaves as a sorted array through splits, merges, compaction, and removes that keep ids dense', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const z = new ZSetLarge();
      const m = new Map<string, number>();
      for (const o of ops) {
        if (o.k === 'put') {
          const s = Object.is(o.s, -0) ? 0 : o.s;
          expect(z.put(bytesOf(o.m), s)).toBe(!m.has(o.m));
          m.set(o.m, s);
        } else if (o.k === 'remove') {
          expect(z.remove(bytesOf(o.m))).toBe(m.delete(o.m));
        } else if (o.k === 'bulk') {
          for (let i = 0; i < o.n; i++) {
            const name = `b${(i * 7) % 1700}`;
            const s = o.s + (i % 13);
            z.put(bytesOf(name), s);
            m.set(name, s);
          }
        } else {
          const victims = [...m.keys()].slice(0, o.n);
          for (const v of victims) {
            expect(z.remove(bytesOf(v))).toBe(true);
            m.delete(v);
          }
        }
      }
      const want = sortedModel(m);
      expect(z.size).toBe(want.length);
      expect(contents(z)).toEqual(want);
      // Every member's rank and score; a sample of score and lex bounds.
      want.forEach(([name, s], rank) => {
        if (rank % 7 !== 0) return;
        expect(z.rankOf(bytesOf(name))).toBe(rank);
        expect(z.scoreOf(bytesOf(name))).toBe(s);
      });
      for (const bound of [-Infinity, -3, 0, 0.5, 7, Infinity]) {
        expect(z.rankAfterScore(bound, false)).toBe(want.filter(([, s]) => s < bound).length);
        expect(z.rankAfterScore(bound, true)).toBe(want.filter(([, s]) => s <= bound).length);
      }
      if (want.length > 0) {
        // Reverse walk of the top ten.
        const top: Entry[] = [];
        z.each(Math.max(0, want.length - 10), want.length - 1, true, (mm, s) => { top.push([latin1(mm), s]); });
        expect(top).toEqual(want.slice(-10).reverse());
        // The image is canonical: decoding and re-encoding gives the same bytes, and the same contents.
        const image = z.encode();
        const back = ZSET_CODEC.restore(image) as ZSetLarge;
        expect(back).toBeInstanceOf(ZSetLarge);
        expect(back.encode()).toEqual(image);
        expect(contents(back)).toEqual(want);
      }
    }), { numRuns: 60 });
  });

  it('fills order blocks when scores come in order, and counts its memory', () => {
    const z = new ZSetLarge();
    const n = ZSET_BLOCK_IDS_MAX * 20;
    for (let i = 0; i < n; i++) z.put(bytesOf(`member:${i}`), i);
    expect(z.size).toBe(n);
    expect(z.rankOf(bytesOf(`member:${n - 1}`))).toBe(n - 1);
    // 13-byte members: well under Redis's ~110 bytes a member even at this small size.
    expect(z.memoryBytes / n).toBeLessThan(60);
  });

  it('refuses a malformed image', () => {
    const z = new ZSetLarge();
    z.put(bytesOf('a'), 1);
    z.put(bytesOf('b'), 2);
    const image = z.encode();
    expect(typeof ZSET_CODEC.restore(image.subarray(0, image.length - 1))).toBe('string');
    const swapped = image.slice();
    swapped[5 + 7] = 0x7f; // the first score's top byte: now far above the second
    expect(typeof ZSET_CODEC.restore(swapped)).toBe('string');
  });
});
