// An ENTRIES record's payload read back (decodeEntriesInto,
// core/storage/log-records.ts), with the entries a snapshot covers checked
// but left without a view: recovery drops them, so they come back with
// COVERED_DATA, and a malformed payload is refused the same whichever of its
// entries are covered.

import { describe, expect, it } from 'vitest';
import type { Entry } from '../../core/raft/raft-types.js';
import { ByteWriter } from '../../core/ring/byte-writer.js';
import { PackedEntries } from '../../core/raft/packed-entries.js';
import { COVERED_DATA, decodeEntriesInto, encodeEntriesPayload, entriesRecordHead } from '../../core/storage/log-records.js';

const entries: Entry[] = Array.from({ length: 6 }, (_, i) => ({
  index: 100 + i, term: 3 + (i >> 2), kind: i === 1 ? 'conf' : 'normal', data: new Uint8Array(i * 3).fill(i + 1),
}));

/** The payload's first index and its entries as objects. */
function decodeEntriesRecord(bytes: Uint8Array, coveredThrough: number): { first: number; entries: Entry[] } {
  const { first } = entriesRecordHead(bytes);
  const run = new PackedEntries(first);
  decodeEntriesInto(bytes, coveredThrough, run);
  return { first, entries: run.toArray() };
}

function payload(): Uint8Array {
  const w = new ByteWriter(256);
  encodeEntriesPayload(w, entries);
  return w.bytes().slice();
}

describe('decodeEntriesInto', () => {
  it('gives every entry, those at or below coveredThrough without their data', () => {
    for (const coveredThrough of [0, 99, 100, 102, 105, 200]) {
      const { first, entries: got } = decodeEntriesRecord(payload(), coveredThrough);
      expect(first).toBe(100);
      expect(got.map((e) => [e.index, e.term, e.kind])).toEqual(entries.map((e) => [e.index, e.term, e.kind]));
      for (const [i, e] of got.entries()) {
        if (e.index <= coveredThrough) expect(e.data).toBe(COVERED_DATA);
        else expect(e.data).toEqual(entries[i]!.data);
      }
    }
    expect(decodeEntriesRecord(payload(), 0).entries).toEqual(entries);
  });

  it('refuses a malformed payload whether or not the snapshot covers the damaged entry', () => {
    const good = payload();
    // The third entry's kind tag (after first u53 + count u32, then two entries of term u53, kind u8, length u32 + data).
    const kindAt = 8 + 4 + (8 + 1 + 4 + 0) + (8 + 1 + 4 + 3) + 8;
    expect(good[kindAt]).toBe(0);
    const badKind = good.slice();
    badKind[kindAt] = 7;
    const truncated = good.subarray(0, good.length - 1);
    const trailing = new Uint8Array([...good, 0]);
    for (const coveredThrough of [0, 102, 200]) {
      expect(() => decodeEntriesRecord(badKind, coveredThrough)).toThrow(new RangeError('unknown entry kind 7'));
      expect(() => decodeEntriesRecord(truncated, coveredThrough)).toThrow(RangeError);
      expect(() => decodeEntriesRecord(trailing, coveredThrough)).toThrow(/bytes after the end/);
    }
  });
});
