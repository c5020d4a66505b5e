// The set's encodings on their own (core/types/set/): the intset and
// listpack byte layouts, the large hash set (growth, shrink, slab
// compaction, SCAN cursor, random draws) and its exact image: restore(encode)
// rebuilds a set that encodes to the same bytes and behaves the same.

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from '../../../core/random.js';
import { LargeSet } from '../../../core/types/set/large-set.js';
import { SET_CODEC } from '../../../core/types/set/set-codec.js';
import { SetTag } from '../../../core/types/set/set-encoding.js';
import { intsetCount, intsetEncode, intsetIndexOf, intsetInvalid, intsetValues } from '../../../core/types/set/set-intset.js';
import { listpackCount, listpackEncode, listpackIndexOf, listpackInvalid } from '../../../core/types/set/set-listpack.js';
import { membersOf } from '../../../core/types/set/set-members.js';

const enc = new TextEncoder();
const b = (s: string): Uint8Array => enc.encode(s);
const text = (m: Uint8Array): string => new TextDecoder().decode(m);

describe('intset', () => {
  it('picks the narrowest width for the widest member and keeps order', () => {
    expect(intsetEncode([1n, 2n, 300n])[1]).toBe(2);
    expect(intsetEncode([-1n, 40_000n])[1]).toBe(4);
    expect(intsetEncode([0n, 2n ** 40n])[1]).toBe(8);
    const bytes = intsetEncode([-(2n ** 63n), -5n, 0n, 7n, 2n ** 63n - 1n]);
    expect(bytes[0]).toBe(SetTag.INTSET);
    expect(intsetCount(bytes)).toBe(5);
    expect(intsetValues(bytes)).toEqual([-(2n ** 63n), -5n, 0n, 7n, 2n ** 63n - 1n]);
    expect(intsetIndexOf(bytes, 7n)).toBe(3);
    expect(intsetIndexOf(bytes, 1n)).toBe(-4); // would go at 3
    expect(intsetInvalid(bytes)).toBeNull();
  });

  it('refuses damaged bytes', () => {
    expect(intsetInvalid(Uint8Array.of(SetTag.INTSET, 3, 0, 0, 0))).toMatch(/width/);
    expect(intsetInvalid(Uint8Array.of(SetTag.INTSET, 2, 0))).toMatch(/cut short/);
    expect(intsetInvalid(Uint8Array.of(SetTag.INTSET, 2, 5, 0, 1, 0))).toMatch(/order/);
    expect(intsetInvalid(Uint8Array.of(SetTag.INTSET, 2))).toMatch(/empty/);
  });
});

describe('listpack', () => {
  it('keeps insertion order and finds members', () => {
    const bytes = listpackEncode([b('b'), b(''), b('a')]);
    expect(listpackCount(bytes)).toBe(3);
    expect(listpackIndexOf(bytes, b('a'))).toBe(2);
    expect(listpackIndexOf(bytes, b(''))).toBe(1);
    expect(listpackIndexOf(bytes, b('c'))).toBe(-1);
    expect(listpackInvalid(bytes)).toBeNull();
  });

  it('refuses damaged bytes', () => {
    expect(listpackInvalid(listpackEncode([b('a'), b('a')]))).toMatch(/twice/);
    const cut = listpackEncode([b('abc')]).subarray(0, 5);
    expect(listpackInvalid(cut)).toMatch(/cut short/);
  });
});

function roundTrip(set: LargeSet): LargeSet {
  const image = set.encode();
  const back = SET_CODEC.restore(image);
  if (!(back instanceof LargeSet)) throw new Error(`restore failed: ${String(back)}`);
  expect(back.encode()).toEqual(image);
  expect(back.memoryBytes).toBe(set.memoryBytes);
  return back;
}

describe('large set', () => {
  it('grows, shrinks and compacts its slab, keeping every member', () => {
    const set = new LargeSet();
    for (let i = 0; i < 5000; i++) expect(set.add(b(`member:${i}`))).toBe(true);
    expect(set.add(b('member:7'))).toBe(false);
    expect(set.size).toBe(5000);
    expect(set.slots).toBe(8192);
    for (let i = 0; i < 4950; i++) expect(set.remove(b(`member:${i}`))).toBe(true);
    expect(set.remove(b('member:0'))).toBe(false);
    expect(set.size).toBe(50);
    expect(set.slots).toBeLessThan(8192);
    expect(membersOf(set).map(text).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `member:${4950 + i}`).sort());
    for (let i = 4950; i < 5000; i++) expect(set.has(b(`member:${i}`))).toBe(true);
    // Memory came back: the slab was compacted and the table shrunk.
    expect(set.memoryBytes).toBeLessThan(20_000);
    roundTrip(set);
  });

  it('holds members of any length, the empty one included', () => {
    const set = new LargeSet();
    const long = new Uint8Array(70_000).fill(7);
    expect(set.add(long)).toBe(true);
    expect(set.add(new Uint8Array(0))).toBe(true);
    expect(set.has(long)).toBe(true);
    expect(set.has(new Uint8Array(0))).toBe(true);
    const back = roundTrip(set);
    expect(back.has(long)).toBe(true);
    expect(back.remove(long)).toBe(true);
    expect(back.size).toBe(1);
  });

  it('a restored set draws, scans and changes exactly as the original (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 400 })), { minLength: 1, maxLength: 600 }),
      fc.integer({ min: 0, max: 2 ** 31 }),
      (ops, seed) => {
        const set = new LargeSet();
        set.add(b('anchor'));
        for (const [add, n] of ops) {
          if (add) set.add(b(`m${n}`));
          else set.remove(b(`m${n}`));
        }
        const back = roundTrip(set);
        const r1 = Random.fromSeed(seed);
        const r2 = Random.fromSeed(seed);
        for (let i = 0; i < 5; i++) expect(text(back.randomMember(r2))).toBe(text(set.randomMember(r1)));
        for (const [add, n] of ops.slice(0, 50)) {
          expect(add ? back.remove(b(`m${n}`)) : back.add(b(`m${n}`))).toBe(add ? set.remove(b(`m${n}`)) : set.add(b(`m${n}`)));
        }
        expect(back.encode()).toEqual(set.encode());
      },
    ), { numRuns: 60 });
  });

  it('rehashes a few entries per write; an image taken mid-rehash goes on exactly as the original', () => {
    const set = new LargeSet();
    let i = 0;
    while (!set.isRehashing) set.add(b(`r${i++}`));
    expect(i).toBe(193); // past 3/4 of 256 slots
    const back = roundTrip(set);
    expect(back.isRehashing).toBe(true);
    const r1 = Random.fromSeed(7);
    const r2 = Random.fromSeed(7);
    for (let n = 0; n < 40; n++) {
      expect(text(back.randomMember(r2))).toBe(text(set.randomMember(r1)));
      expect(back.add(b(`s${n}`))).toBe(set.add(b(`s${n}`)));
      expect(back.remove(b(`r${n * 3}`))).toBe(set.remove(b(`r${n * 3}`)));
    }
    expect(set.isRehashing).toBe(false); // the drain ended within the writes
    expect(back.encode()).toEqual(set.encode());
    // Shrinks drain too: remove almost everything.
    for (let n = 0; n < 193; n++) set.remove(b(`r${n}`));
    for (let n = 0; n < 39; n++) set.remove(b(`s${n}`));
    expect(membersOf(set).map(text)).toEqual(['s39']);
  });

  it('SCAN visits every member present for the whole scan, across a grow in the middle', () => {
    const set = new LargeSet();
    for (let i = 0; i < 150; i++) set.add(b(`a${i}`));
    const seen = new Set<string>();
    let cursor = 0;
    let steps = 0;
    do {
      cursor = set.scanStep(cursor, (m) => seen.add(text(m)));
      if (++steps === 20) for (let i = 0; i < 1000; i++) set.add(b(`b${i}`));
    } while (cursor !== 0);
    for (let i = 0; i < 150; i++) expect(seen.has(`a${i}`)).toBe(true);
  });

  it('refuses a damaged image', () => {
    const set = new LargeSet();
    for (let i = 0; i < 200; i++) set.add(b(`x${i}`));
    const image = set.encode();
    expect(typeof SET_CODEC.restore(image.subarray(0, image.length - 1))).toBe('string');
    const badCount = image.slice();
    badCount[8] = badCount[8]! + 1; // the table's field count: after the set's 4 header bytes and the table's own 4
    expect(SET_CODEC.restore(badCount)).toMatch(/count/);
    // Change a member's bytes in its page ("x150" to "y150"): it no longer sits where its hash puts it.
    const swapped = image.slice();
    const at = Buffer.from(swapped).indexOf('x150');
    expect(at).toBeGreaterThan(0);
    swapped[at] = 'y'.charCodeAt(0);
    expect(SET_CODEC.restore(swapped)).toEqual(expect.any(String));
    expect(SET_CODEC.restore(Uint8Array.of(9))).toMatch(/tag/);
    const unknown = image.slice();
    unknown[1] = 7;
    expect(SET_CODEC.restore(unknown)).toMatch(/version 7/);
  });

  it('reads an image of the slab form (version 0, before): same members, and two restores go on alike', () => {
    // Written by LargeSet.encode at dc83c92: member-0..429 without every 9th of the first 400, and 70,000 'b's.
    const v0 = new Uint8Array(gunzipSync(readFileSync(new URL('../fixtures/large-set-image-v0.bin.gz', import.meta.url))));
    expect(v0[1]).toBe(0);
    const set = SET_CODEC.restore(v0);
    if (!(set instanceof LargeSet)) throw new Error(`restore failed: ${String(set)}`);
    const expected = new Set<string>();
    for (let i = 0; i < 430; i++) if (i >= 400 || i % 9 !== 0) expected.add(`member-${i}`);
    expected.add('b'.repeat(70_000));
    expect(new Set(membersOf(set).map(text))).toEqual(expected);
    const again = SET_CODEC.restore(v0) as LargeSet;
    expect(again.encode()).toEqual(set.encode());
    const r1 = Random.fromSeed(3);
    const r2 = Random.fromSeed(3);
    for (let i = 0; i < 20; i++) {
      expect(text(again.randomMember(r2))).toBe(text(set.randomMember(r1)));
      expect(again.add(b(`n${i}`))).toBe(set.add(b(`n${i}`)));
    }
    expect(again.encode()).toEqual(set.encode());
    expect(typeof SET_CODEC.restore(v0.subarray(0, v0.length - 1))).toBe('string');
  });
});
