// A shard's state as bytes, and back: the applied index, term and timestamp
// the state covers, then every entry in bytewise key order. Equal states give
// equal bytes (the digest hashes them), so a snapshot doubles as the check
// that replicas at the same index hold the same state.
//
// Layout (little-endian): magic u32, format u8, index f64, term f64,
// timestampMs f64, entry count u32, then per entry: key (u32 length + bytes),
// value (u32 length + bytes), version f64, expireAtMs f64.

import { assert } from '../assert.js';
import { ByteReader, ByteWriter } from '../ring/byte-writer.js';

/** "PSNP": a buffer that is not a shard snapshot is refused before anything is read from it. */
const SNAPSHOT_MAGIC = 0x504e5350;
/** Bumped when the layout changes; a reader refuses formats it does not know. */
const SNAPSHOT_FORMAT = 1;
/** Bytes written per entry beyond its key and value, to size the writer once. */
const ENTRY_FIXED_BYTES = 4 + 4 + 8 + 8;
const HEADER_BYTES = 4 + 1 + 8 + 8 + 8 + 4;

export interface SnapshotApplied {
  index: number;
  term: number;
  timestampMs: number;
}

export interface SnapshotEntry {
  key: Uint8Array;
  value: Uint8Array;
  version: number;
  expireAtMs: number;
}

/** Entries must come sorted by key (bytewise) for the bytes to be canonical. */
export function encodeSnapshot(applied: SnapshotApplied, entries: readonly SnapshotEntry[]): Uint8Array {
  let size = HEADER_BYTES;
  for (const e of entries) size += ENTRY_FIXED_BYTES + e.key.length + e.value.length;
  const w = new ByteWriter(Math.max(64, size));
  w.u32(SNAPSHOT_MAGIC);
  w.u8(SNAPSHOT_FORMAT);
  w.f64(applied.index);
  w.f64(applied.term);
  w.f64(applied.timestampMs);
  w.u32(entries.length);
  for (const e of entries) {
    w.bytesField(e.key);
    w.bytesField(e.value);
    w.f64(e.version);
    w.f64(e.expireAtMs);
  }
  assert(w.length === size, 'snapshot size estimate is off');
  return w.bytes().slice();
}

/** The snapshot's contents; values are views into `bytes` (copy what you keep). */
export function decodeSnapshot(bytes: Uint8Array): { applied: SnapshotApplied; entries: SnapshotEntry[] } {
  const r = new ByteReader(bytes);
  assert(r.u32() === SNAPSHOT_MAGIC, 'not a shard snapshot');
  const format = r.u8();
  assert(format === SNAPSHOT_FORMAT, () => `unknown shard snapshot format ${format}`);
  const applied = { index: r.f64(), term: r.f64(), timestampMs: r.f64() };
  assert(Number.isSafeInteger(applied.index) && applied.index >= 0, 'snapshot index is not a count');
  const count = r.u32();
  const entries: SnapshotEntry[] = [];
  let previous: Uint8Array | null = null;
  for (let i = 0; i < count; i++) {
    const e = { key: r.bytesView(), value: r.bytesView(), version: r.f64(), expireAtMs: r.f64() };
    assert(previous === null || compareBytes(previous, e.key) < 0, 'snapshot keys are not in strictly increasing order');
    previous = e.key;
    entries.push(e);
  }
  assert(r.remaining === 0, 'trailing bytes after the snapshot');
  return { applied, entries };
}

/** Bytewise order of two byte strings (negative, 0, positive), as keys sort in a snapshot and a SCAN. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
