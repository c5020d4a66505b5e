// The payloads of log records (see log-format.ts for the framing around
// them) and of the sync point, which is written both as a COMMIT record in
// the log and into a slot of the state file (state-slots.ts).
//
//   ENTRIES       first index u53, count u32, then per entry: term u53, kind u8, data (u32 length + bytes)
//   SNAPSHOT_MARK index u53, term u53, keptTail u8
//   COMMIT        a SyncPoint (below)
//   SEAL          next segment seq u32
//   BEGIN         end offset u53: where the write() it starts ends (log-format.ts)

import { assert } from '../assert.js';
import type { Entry, HardState } from '../raft/raft-types.js';
import { EMPTY_DATA, PackedEntries } from '../raft/packed-entries.js';
import { ByteReader, ByteWriter } from '../ring/byte-writer.js';
import { readU53, writeU53 } from './u53.js';

/** The snapshot a sync point says is in force: its file is snapshot-<index>.snap. */
export interface SnapshotRef {
  readonly index: number;
  readonly term: number;
}

/**
 * A sync point: everything in the log before it is durable, and this is the
 * hard state and snapshot as of then. `segmentSeq`/`endOffset` locate the
 * end of the COMMIT record that carries it; `firstSegmentSeq` is the oldest
 * segment still needed (older ones may be deleted).
 */
export interface SyncPoint {
  readonly syncSeq: number;
  readonly hardState: HardState;
  readonly snapshot: SnapshotRef | null;
  readonly firstSegmentSeq: number;
  readonly segmentSeq: number;
  readonly endOffset: number;
  /**
   * Written in 'always' mode: this sync's write was fdatasynced before the
   * next write to the log began, so at most one write (the next sync's)
   * follows it unsynced, and recovery can tell that write torn from that
   * write whole and damaged (log-recovery.ts, checkTail). False in 'batch'
   * and 'never' modes, where several unsynced writes may follow and only the
   * state slot marks what was durable.
   */
  readonly fsyncEach: boolean;
}

export interface SnapshotMark extends SnapshotRef {
  /** Whether the entries after the snapshot were kept (they continued it) or all dropped. */
  readonly keptTail: boolean;
}

const ENTRY_KIND_NORMAL = 0;
const ENTRY_KIND_CONF = 1;

export function encodeEntriesPayload(w: ByteWriter, entries: readonly Entry[]): void {
  assert(entries.length > 0, 'an entries record holds at least one entry');
  writeU53(w, entries[0]!.index);
  w.u32(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    assert(e.index === entries[0]!.index + i, 'entries in one record are contiguous');
    writeU53(w, e.term);
    w.u8(e.kind === 'conf' ? ENTRY_KIND_CONF : ENTRY_KIND_NORMAL);
    w.bytesField(e.data);
  }
}

/**
 * The data of an entry at or below the snapshot in force, which recovery
 * drops: its record is checked as thoroughly as any (term, kind, length),
 * but no view is made into its bytes. After a snapshot a lone node's log
 * still holds the entries it covers until the segment rolls over (half of a
 * restart's 1M entries), and their views were much of recovery's garbage.
 */
export const COVERED_DATA = EMPTY_DATA;

/** The first index an ENTRIES payload holds and how many (RangeError if it is too short to say). */
export function entriesRecordHead(payload: Uint8Array): { first: number; count: number } {
  const r = new ByteReader(payload);
  const first = readU53(r);
  return { first, count: r.u32() };
}

/**
 * Appends an ENTRIES payload's entries to `run` (whose next index must be the
 * payload's first), packed: no object or view per entry (packed-entries.ts),
 * those at or below `coveredThrough` with COVERED_DATA for data (0: none).
 * The data stay in the payload, not copied: a restart decodes every entry
 * after the snapshot (400k for 1M keys), and a copy each made half of
 * recovery's time go to allocation and garbage collection
 * (docs/durability.md, "Restart"); the file's buffer is never written to
 * after it is read. Throws RangeError on a malformed payload, whichever
 * entries it covers (recovery reports it as corruption); `run` is then
 * partly written. Returns the number of entries.
 */
export function decodeEntriesInto(payload: Uint8Array, coveredThrough: number, run: PackedEntries): number {
  const r = new ByteReader(payload);
  const first = readU53(r);
  const count = r.u32();
  assert(first === run.first + run.length, () => `entries from ${first} do not continue the run at ${run.first + run.length}`);
  // A record the snapshot covers whole is not kept: its segment's buffer can go once read.
  const id = first + count - 1 > coveredThrough ? run.addPayload(payload) : 0;
  for (let i = 0; i < count; i++) {
    const term = readU53(r);
    const kindTag = r.u8();
    if (kindTag !== ENTRY_KIND_NORMAL && kindTag !== ENTRY_KIND_CONF) throw new RangeError(`unknown entry kind ${kindTag}`);
    // The data's place, from what the reader has left (its 4-byte length first): no view made, checked as bytesView checks.
    const start = payload.length - r.remaining + 4;
    r.skipBytesField();
    const end = payload.length - r.remaining;
    const covered = first + i <= coveredThrough;
    run.push(term, kindTag === ENTRY_KIND_CONF ? 'conf' : 'normal', id, covered ? 0 : start, covered ? 0 : end);
  }
  expectEnd(r);
  return count;
}

export function encodeSnapshotMarkPayload(mark: SnapshotMark): Uint8Array {
  const w = new ByteWriter(32);
  writeU53(w, mark.index);
  writeU53(w, mark.term);
  w.u8(mark.keptTail ? 1 : 0);
  return w.bytes().slice();
}

export function decodeSnapshotMarkPayload(payload: Uint8Array): SnapshotMark {
  const r = new ByteReader(payload);
  const mark = { index: readU53(r), term: readU53(r), keptTail: r.u8() === 1 };
  expectEnd(r);
  return mark;
}

export function writeSyncPoint(w: ByteWriter, p: SyncPoint): void {
  writeU53(w, p.syncSeq);
  writeU53(w, p.hardState.term);
  w.u32(p.hardState.vote);
  writeU53(w, p.hardState.commit);
  writeU53(w, p.snapshot?.index ?? 0);
  writeU53(w, p.snapshot?.term ?? 0);
  w.u32(p.firstSegmentSeq);
  w.u32(p.segmentSeq);
  writeU53(w, p.endOffset);
  w.u32(p.fsyncEach ? SYNC_FLAG_FSYNC_EACH : 0);
}

export function readSyncPoint(r: ByteReader): SyncPoint {
  const syncSeq = readU53(r);
  const hardState = { term: readU53(r), vote: r.u32(), commit: readU53(r) };
  const snapshotIndex = readU53(r);
  const snapshotTerm = readU53(r);
  return {
    syncSeq, hardState,
    snapshot: snapshotIndex === 0 ? null : { index: snapshotIndex, term: snapshotTerm },
    firstSegmentSeq: r.u32(), segmentSeq: r.u32(), endOffset: readU53(r), fsyncEach: readSyncFlags(r),
  };
}

/** SyncPoint.fsyncEach; the other bits are reserved (zero). */
const SYNC_FLAG_FSYNC_EACH = 1;

function readSyncFlags(r: ByteReader): boolean {
  const flags = r.u32();
  if ((flags & ~SYNC_FLAG_FSYNC_EACH) !== 0) throw new RangeError(`unknown sync point flags ${flags}`);
  return flags === SYNC_FLAG_FSYNC_EACH;
}

/**
 * Every field of a sync point has a fixed width (six u53, four u32), so a
 * COMMIT record's size is known before it is encoded: the record can name
 * its own end offset in one pass.
 */
export const SYNC_POINT_BYTES = 6 * 8 + 4 * 4;

/** Reused by encodeCommitPayload: a sync is the storage engine's hottest path, and its result is framed (copied) at once. */
const commitWriter = new ByteWriter(64);

/** The payload's bytes, valid until the next call (encodeRecord copies them): frame them, do not keep them. */
export function encodeCommitPayload(p: SyncPoint): Uint8Array {
  const w = commitWriter;
  w.reset();
  writeSyncPoint(w, p);
  assert(w.length === SYNC_POINT_BYTES, 'a sync point has a fixed size');
  return w.bytes();
}

export function decodeCommitPayload(payload: Uint8Array): SyncPoint {
  return readWhole(payload, readSyncPoint);
}

export function encodeSealPayload(nextSeq: number): Uint8Array {
  const w = new ByteWriter(4);
  w.u32(nextSeq);
  return w.bytes().slice();
}

export function decodeSealPayload(payload: Uint8Array): number {
  return readWhole(payload, (r) => r.u32());
}

/** BEGIN's payload: the end offset of the write it starts, fixed-size (BEGIN_RECORD_BYTES in log-format.ts). */
export const BEGIN_PAYLOAD_BYTES = 8;

/** Written into `w` (reset first): the BEGIN payload naming `endOffset`. */
export function encodeBeginPayload(w: ByteWriter, endOffset: number): Uint8Array {
  w.reset();
  writeU53(w, endOffset);
  return w.bytes();
}

export function decodeBeginPayload(payload: Uint8Array): number {
  return readWhole(payload, readU53);
}

/** `read` over the whole payload: bytes left after it are a malformed record (RangeError). */
function readWhole<T>(payload: Uint8Array, read: (r: ByteReader) => T): T {
  const r = new ByteReader(payload);
  const value = read(r);
  expectEnd(r);
  return value;
}

function expectEnd(r: ByteReader): void {
  if (r.remaining !== 0) throw new RangeError(`${r.remaining} bytes after the end of the payload`);
}
