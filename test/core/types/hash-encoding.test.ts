// The hash's two encodings on their own: the compact pairs (hash-compact.ts)
// and the large table (hash-table.ts) against a Map, its image
// (hash-table-image.ts) as an exact copy that changes on exactly as the
// original, and its SCAN cursor's guarantee across resizes.

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from '../../../core/random.js';
import {
  HASH_COMPACT_ENTRIES_MAX, HASH_COMPACT_TAG, HASH_COMPACT_VALUE_BYTES_MAX, compactCheck, compactCount, compactDecode,
  compactEncode, compactGet, fitsCompact,
} from '../../../core/types/hash/hash-compact.js';
import { DEFAULT_COLLECTION_THRESHOLDS } from '../../../core/types/collection-thresholds.js';
import { HASH_CODEC } from '../../../core/types/hash/hash-codec.js';
import { HASH_PAGE_BYTES, HASH_PAGE_MIN_BYTES } from '../../../core/types/hash/hash-table-layout.js';
import { HashTable } from '../../../core/types/hash/hash-table.js';
import { b, latin1 } from '../bytes-helpers.js';

/** Byte equality without a deep compare of every element (images run to megabytes). */
function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  return Buffer.from(x.buffer, x.byteOffset, x.length).equals(Buffer.from(y.buffer, y.byteOffset, y.length));
}

function tableEntries(t: HashTable): Map<string, string> {
  const out = new Map<string, string>();
  t.forEach((f, v) => out.set(latin1(f), latin1(v)));
  return out;
}

/** The table restored from its own image (through the codec, as a snapshot does). */
function restored(t: HashTable): HashTable {
  const back = HASH_CODEC.restore(t.encode());
  if (!(back instanceof HashTable)) throw new Error(`restore failed: ${String(back)}`);
  return back;
}

describe('compact hash encoding', () => {
  it('keeps pairs in insertion order and reads them back', () => {
    const enc = compactEncode([b('a'), b('bb'), b('')], [b('1'), b(''), b('x'.repeat(64))]);
    expect(enc[0]).toBe(HASH_COMPACT_TAG);
    expect(compactCount(enc)).toBe(3);
    expect(latin1(compactGet(enc, b('bb'))!)).toBe('');
    expect(latin1(compactGet(enc, b(''))!)).toBe('x'.repeat(64));
    expect(compactGet(enc, b('b'))).toBeNull();
    expect(compactDecode(enc).fields.map(latin1)).toEqual(['a', 'bb', '']);
    expect(compactCheck(enc)).toBeNull();
    expect(HASH_CODEC.restore(enc)).toBe(enc);
  });

  it('says when pairs no longer fit (entries or element bytes over the thresholds)', () => {
    const many = Array.from({ length: HASH_COMPACT_ENTRIES_MAX + 1 }, (_, i) => b(`f${i}`));
    expect(fitsCompact(many.slice(1), many.slice(1), DEFAULT_COLLECTION_THRESHOLDS)).toBe(true);
    expect(fitsCompact(many, many, DEFAULT_COLLECTION_THRESHOLDS)).toBe(false);
    expect(fitsCompact([b('f')], [b('v'.repeat(HASH_COMPACT_VALUE_BYTES_MAX))], DEFAULT_COLLECTION_THRESHOLDS)).toBe(true);
    expect(fitsCompact([b('f')], [b('v'.repeat(HASH_COMPACT_VALUE_BYTES_MAX + 1))], DEFAULT_COLLECTION_THRESHOLDS)).toBe(false);
    expect(fitsCompact([b('f'.repeat(HASH_COMPACT_VALUE_BYTES_MAX + 1))], [b('v')], DEFAULT_COLLECTION_THRESHOLDS)).toBe(false);
  });

  it('refuses damaged bytes with a reason', () => {
    const enc = compactEncode([b('a')], [b('1')]);
    expect(compactCheck(enc.subarray(0, enc.length - 1))).toMatch(/ends early|past/);
    expect(compactCheck(Uint8Array.of(HASH_COMPACT_TAG, 0))).toMatch(/0 fields/);
    expect(HASH_CODEC.restore(Uint8Array.of(9, 9))).toBe('not a hash encoding');
  });
});

type Op = { k: 'set'; f: string; v: string } | { k: 'del'; f: string } | { k: 'long'; f: string; bytes: number };

const fieldArb = fc.integer({ min: 0, max: 400 }).map((i) => `f${i}`);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ k: fc.constant('set' as const), f: fieldArb, v: fc.string({ maxLength: 20 }).map((v) => v.replace(/[^ -~]/g, '?')) }) },
  { weight: 20, arbitrary: fc.record({ k: fc.constant('del' as const), f: fieldArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('long' as const), f: fieldArb, bytes: fc.integer({ min: HASH_PAGE_BYTES - 8, max: HASH_PAGE_BYTES + 8 }) }) },
);

function applyOp(t: HashTable, model: Map<string, string>, op: Op): void {
  if (op.k === 'del') {
    expect(t.delete(b(op.f))).toBe(model.delete(op.f));
    return;
  }
  const v = op.k === 'set' ? op.v : 'L'.repeat(op.bytes);
  expect(t.set(b(op.f), b(v))).toBe(!model.has(op.f));
  model.set(op.f, v);
}

describe('large hash table', () => {
  it('behaves as a Map, and its image restores to a table that changes on identically', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 600 }), fc.integer({ min: 0, max: 600 }), (ops, cut) => {
      const t = HashTable.withCapacity(1);
      const model = new Map<string, string>();
      let copy: HashTable | null = null;
      ops.forEach((op, i) => {
        if (i === cut && t.size > 0) {
          copy = restored(t);
          expect(sameBytes(copy.encode(), t.encode())).toBe(true);
        }
        applyOp(t, model, op);
        if (copy !== null) {
          if (op.k === 'del') copy.delete(b(op.f));
          else copy.set(b(op.f), b(op.k === 'set' ? op.v : 'L'.repeat(op.bytes)));
        }
      });
      expect(t.size).toBe(model.size);
      expect(tableEntries(t)).toEqual(model);
      for (const [f, v] of model) expect(latin1(t.get(b(f))!)).toBe(v);
      if (copy !== null) expect(sameBytes((copy as HashTable).encode(), t.encode())).toBe(true);
      if (t.size > 0) expect(sameBytes(restored(t).encode(), t.encode())).toBe(true);
      // Memory kept incrementally equals memory counted afresh from the layout.
      if (t.size > 0) expect(t.memoryBytes).toBe(restored(t).memoryBytes);
    }), { numRuns: 60 });
  });

  it('compacts garbage away: overwriting one field many times keeps memory bounded', () => {
    const t = HashTable.withCapacity(200);
    for (let i = 0; i < 200; i++) t.set(b(`f${i}`), b('x'));
    const before = t.memoryBytes;
    for (let i = 0; i < 50_000; i++) t.set(b('f1'), b(i % 2 === 0 ? 'short' : 'a longer value'));
    expect(t.memoryBytes).toBeLessThanOrEqual(before + 2 * HASH_PAGE_BYTES);
    expect(latin1(t.get(b('f1'))!)).toBe('a longer value');
    expect(t.size).toBe(200);
  });

  it('grows and shrinks its index with the fields it holds', () => {
    const t = HashTable.withCapacity(1);
    for (let i = 0; i < 10_000; i++) t.set(b(`f${i}`), b(`v${i}`));
    expect(t.slots).toBe(16_384);
    for (let i = 0; i < 9_990; i++) t.delete(b(`f${i}`));
    expect(t.slots).toBeLessThanOrEqual(64);
    expect([...tableEntries(t).keys()].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `f${9_990 + i}`).sort());
  });

  it('SCAN returns every field present for the whole scan, across grows and shrinks', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2000 }), fc.array(fc.integer({ min: -3000, max: 3000 }), { maxLength: 300 }), (n, churn) => {
      const t = HashTable.withCapacity(1);
      for (let i = 0; i < n; i++) t.set(b(`keep${i}`), b('v'));
      const seen = new Set<string>();
      let cursor = 0;
      let step = 0;
      do {
        cursor = t.scanStep(cursor, (f) => seen.add(latin1(f)));
        // Between steps, other fields come and go (growing and shrinking the index).
        const c = churn[step++ % Math.max(churn.length, 1)] ?? 0;
        for (let i = 0; i < Math.abs(c) % 50; i++) {
          if (c > 0) t.set(b(`tmp${c}-${i}`), b('t'));
          else t.delete(b(`tmp${-c}-${i}`));
        }
      } while (cursor !== 0);
      for (let i = 0; i < n; i++) expect(seen.has(`keep${i}`)).toBe(true);
    }), { numRuns: 40 });
  });

  it('draws random fields from the same seed identically after a restore', () => {
    const t = HashTable.withCapacity(1);
    for (let i = 0; i < 1000; i++) t.set(b(`f${i}`), b(`v${i}`));
    const draw = (table: HashTable): string[] => {
      const r = Random.fromSeed(7);
      const out: string[] = [];
      for (let i = 0; i < 20; i++) table.random(r, (f) => out.push(latin1(f)));
      return out;
    };
    expect(draw(restored(t))).toEqual(draw(t));
  });

  it('refuses a damaged image with a reason', () => {
    const t = HashTable.withCapacity(1);
    t.set(b('a'), b('1'));
    const img = t.encode();
    expect(HashTable.fromImage(img.subarray(0, img.length - 1))).toMatch(/cut short|length/);
    const bad = img.slice();
    bad[1] = 99;
    expect(HashTable.fromImage(bad)).toMatch(/version 99/);
    // An index slot pointing past its page.
    const outside = img.slice();
    const view = new DataView(outside.buffer);
    const indexAt = 40 + 4 + HASH_PAGE_MIN_BYTES; // one page, the first (smallest) one
    const slots = view.getUint32(indexAt, true);
    for (let i = 0; i < slots; i++) if (view.getUint32(indexAt + 12 + i * 4, true) !== 0) view.setUint32(indexAt + 12 + i * 4, HASH_PAGE_BYTES - 1, true);
    expect(HashTable.fromImage(outside)).toEqual(expect.any(String));
  });

  it('grows and shrinks its index a few entries per write, never all at once', () => {
    const t = HashTable.withCapacity(1);
    let sawResize = false;
    for (let i = 0; i < 5_000; i++) {
      const slotsBefore = t.slots;
      t.set(b(`f${i}`), b('v'));
      if (t.slots !== slotsBefore) {
        // The write that grew the index moved only a few entries: the old table is still draining.
        expect(t.isResizing).toBe(true);
        sawResize = true;
      }
    }
    expect(sawResize).toBe(true);
    // An image taken mid-resize restores to a table that goes on exactly as the original.
    while (!t.isResizing) t.set(b(`g${t.size}`), b('v'));
    const copy = HashTable.fromImage(t.encode()) as HashTable;
    for (let i = 0; i < 2_000; i++) {
      for (const table of [t, copy]) {
        if (i % 3 === 0) table.delete(b(`f${i}`));
        else table.set(b(`h${i}`), b(`w${i}`));
      }
    }
    expect(sameBytes(copy.encode(), t.encode())).toBe(true);
  });

  it('frees dead pages and empties half-dead ones a page per write; a copy restored midway goes on identically', () => {
    const t = HashTable.withCapacity(1);
    const value = (i: number, round: number): Uint8Array => b(`v${round}-${'x'.repeat(i % 40)}`);
    for (let i = 0; i < 20_000; i++) t.set(b(`f${i}`), value(i, 0));
    const full = t.memoryBytes;
    let copy: HashTable | null = null;
    // Churn: every field set again with another length (the old entry becomes garbage), then every other one deleted.
    for (let round = 1; round <= 3; round++) {
      for (let i = 0; i < 20_000; i++) {
        for (const table of copy === null ? [t] : [t, copy]) table.set(b(`f${i}`), value(i, round * 10));
        if (round === 2 && i === 7_777) copy = HashTable.fromImage(t.encode()) as HashTable;
      }
    }
    for (let i = 0; i < 20_000; i += 2) for (const table of [t, copy!]) table.delete(b(`f${i}`));
    expect(sameBytes(copy!.encode(), t.encode())).toBe(true);
    expect(t.size).toBe(10_000);
    for (let i = 1; i < 20_000; i += 2) expect(latin1(t.get(b(`f${i}`))!)).toBe(latin1(value(i, 30)));
    // Three full rewrites (each leaving a whole table's worth of garbage) and half the fields deleted: garbage was
    // reclaimed as it went (kept below the live bytes), so the table holds about what it first took, not four times it.
    expect(t.memoryBytes).toBeLessThan(1.25 * full);
  });

  it('reads an image of version 1 (written before the incremental index): same fields, and it goes on alike', () => {
    // Written by HashTable.encode at dc83c92: 300 fields, every 7th overwritten longer, every 11th deleted, and
    // "big" (70,000 bytes, a page of its own).
    const v1 = new Uint8Array(gunzipSync(readFileSync(new URL('../fixtures/hash-table-image-v1.bin.gz', import.meta.url))));
    expect(v1[1]).toBe(1);
    const t = HashTable.fromImage(v1);
    if (typeof t === 'string') throw new Error(t);
    const expected = new Map<string, string>();
    for (let i = 0; i < 300; i++) expected.set(`field-${i}`, i % 7 === 0 ? `longer-value-${i}` : `value-${i}`);
    for (let i = 0; i < 300; i += 11) expected.delete(`field-${i}`);
    expected.set('big', 'a'.repeat(70_000));
    expect(tableEntries(t)).toEqual(expected);
    expect(t.size).toBe(expected.size);
    // Two restores of the same old image are the same table, and stay the same under the same writes.
    const again = HashTable.fromImage(v1) as HashTable;
    expect(sameBytes(again.encode(), t.encode())).toBe(true);
    for (let i = 0; i < 1_000; i++) for (const table of [t, again]) table.set(b(`n${i}`), b(`${i}`));
    expect(sameBytes(again.encode(), t.encode())).toBe(true);
    // A damaged old image is refused with a reason.
    const cut = v1.subarray(0, v1.length - 1);
    expect(HashTable.fromImage(cut)).toEqual(expect.any(String));
  });
});
