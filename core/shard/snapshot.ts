// A shard's state as bytes, and back: the applied index, term and timestamp
// the state covers and its entry count, then every entry, in whatever order
// the snapshot job met them (core/shard/snapshot-job.ts: the store's layout
// order, with entries changed during the job wherever their write came),
// then the order-free digest of those entries (core/store/content-digest.ts),
// which the job knows only at the end. Equal states need not give equal
// bytes; they give equal digests, and restoring either gives the same state.
//
// Layout (little-endian): header: magic u32, format u8, index f64, term f64,
// timestampMs f64, logId f64 (format 4 on: core/replica/log-id.ts; older
// formats read as LOG_ID_NONE), entry count u32; per entry: key (u32 length + bytes),
// value (u32 length + bytes), version f64, expireAtMs f64, type u8
// (core/store/value-type.ts; format 3 on: a format-2 snapshot holds strings
// only); trailer: digest lo u32, digest hi u32.
//
// Reading checks everything a damaged or foreign buffer could get wrong
// (magic, format, lengths, numbers, versions beyond the index, entry count,
// trailing bytes) and throws SnapshotError, never an assertion: a snapshot
// comes from a disk or a peer. Shard.restore checks the rest (limits,
// duplicate keys, the digest).

import { ByteReader, type ByteWriter } from '../ring/byte-writer.js';
import { isValueType, ValueType } from '../store/value-type.js';
import { isLogId, LOG_ID_NONE } from '../replica/log-id.js';

/** "PSNP": a buffer that is not a shard snapshot is refused before anything is read from it. */
const SNAPSHOT_MAGIC = 0x504e5350;
/**
 * Bumped when the layout changes; a reader refuses formats it does not know.
 * 2: any entry order, a digest trailer. 3: each entry's type. 4: the logId.
 */
const SNAPSHOT_FORMAT = 4;
/** An older format this build still reads: no logId (LOG_ID_NONE). */
const SNAPSHOT_FORMAT_NO_LOG_ID = 3;
/** The oldest format this build still reads (no logId, and its entries are all strings). */
const SNAPSHOT_FORMAT_STRINGS_ONLY = 2;
/** Bytes of the header, of an entry beyond its key and value, and of the trailer. */
export const SNAPSHOT_HEADER_BYTES = 4 + 1 + 8 + 8 + 8 + 8 + 4;
/** The header of formats 2 and 3 (no logId): the least a snapshot may hold. */
const SNAPSHOT_HEADER_BYTES_MIN = SNAPSHOT_HEADER_BYTES - 8;
export const SNAPSHOT_ENTRY_FIXED_BYTES = 4 + 4 + 8 + 8 + 1;
export const SNAPSHOT_TRAILER_BYTES = 4 + 4;

export interface SnapshotApplied {
  index: number;
  term: number;
  timestampMs: number;
  /** The identity of the log the state was applied from (core/replica/log-id.ts; LOG_ID_NONE: unknown). */
  logId: number;
}

export interface SnapshotHeader {
  applied: SnapshotApplied;
  /** Entries that follow. */
  count: number;
}

/** What a whole snapshot declares: its header, and the content digest lanes of its entries from the trailer. */
export interface SnapshotSummary extends SnapshotHeader {
  digestLo: number;
  digestHi: number;
}

export interface SnapshotEntry {
  key: Uint8Array;
  value: Uint8Array;
  version: number;
  expireAtMs: number;
  type: ValueType;
}

/** A snapshot's bytes are not a valid snapshot: damaged, cut short, foreign, or inconsistent. */
export class SnapshotError extends Error {
  override name = 'SnapshotError';
  readonly code = 'SNAPSHOT_MALFORMED';

  constructor(detail: string) {
    super(`malformed shard snapshot: ${detail}`);
  }
}

export function writeSnapshotHeader(w: ByteWriter, header: SnapshotHeader): void {
  w.u32(SNAPSHOT_MAGIC);
  w.u8(SNAPSHOT_FORMAT);
  w.f64(header.applied.index);
  w.f64(header.applied.term);
  w.f64(header.applied.timestampMs);
  w.f64(header.applied.logId);
  w.u32(header.count);
}

/** After the last entry: the content digest of all of them. */
export function writeSnapshotTrailer(w: ByteWriter, digestLo: number, digestHi: number): void {
  w.u32(digestLo);
  w.u32(digestHi);
}

/** One entry: the key is `keyLength` bytes of `keyBytes` from `keyStart`, the value likewise. */
export function writeSnapshotEntry(w: ByteWriter, keyBytes: Uint8Array, keyStart: number, keyLength: number,
  valueBytes: Uint8Array, valueStart: number, valueLength: number, version: number, expireAtMs: number, type: ValueType): void {
  w.bytesFieldOf(keyBytes, keyStart, keyLength);
  w.bytesFieldOf(valueBytes, valueStart, valueLength);
  w.f64(version);
  w.f64(expireAtMs);
  w.u8(type);
}

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/**
 * Read a whole snapshot: returns its header and trailer after handing every
 * entry to `onEntry` (key and value are views into `bytes`: copy what you
 * keep). Throws SnapshotError on anything malformed; an error `onEntry`
 * throws passes through. The trailer's digest is returned, not checked: the
 * caller computes the entries' digest as it takes them. `onHeader`, if
 * given, sees the header before the first entry (a restore sizes its store
 * by the count); the count is checked against the entries only at the end,
 * so a damaged one may be anything up to 2^32 - 1.
 */
export function readSnapshot(bytes: Uint8Array, onEntry: (entry: SnapshotEntry) => void,
  onHeader?: (header: SnapshotHeader) => void): SnapshotSummary {
  const r = new ByteReader(bytes);
  try {
    if (bytes.length < SNAPSHOT_HEADER_BYTES_MIN || r.u32() !== SNAPSHOT_MAGIC) throw new SnapshotError('not a shard snapshot (bad magic or cut short)');
    const format = r.u8();
    if (format !== SNAPSHOT_FORMAT && format !== SNAPSHOT_FORMAT_NO_LOG_ID && format !== SNAPSHOT_FORMAT_STRINGS_ONLY) {
      throw new SnapshotError(`unknown format ${format} (this build reads ${SNAPSHOT_FORMAT_STRINGS_ONLY} to ${SNAPSHOT_FORMAT})`);
    }
    const applied = { index: r.f64(), term: r.f64(), timestampMs: r.f64(), logId: format === SNAPSHOT_FORMAT ? r.f64() : LOG_ID_NONE };
    if (!isCount(applied.index) || !isCount(applied.term) || !(Number.isFinite(applied.timestampMs) && applied.timestampMs >= 0)) {
      throw new SnapshotError('index or term is not a non-negative integer, or the timestamp is not a time');
    }
    if (!isLogId(applied.logId)) throw new SnapshotError(`the logId ${applied.logId} is not one`);
    const count = r.u32();
    onHeader?.({ applied, count });
    for (let i = 0; i < count; i++) {
      const key = r.bytesView();
      const value = r.bytesView();
      const version = r.f64();
      const expireAtMs = r.f64();
      const type = format === SNAPSHOT_FORMAT_STRINGS_ONLY ? ValueType.STRING : r.u8();
      if (!isValueType(type)) throw new SnapshotError(`entry ${i} has unknown type ${type}`);
      const entry: SnapshotEntry = { key, value, version, expireAtMs, type };
      if (!isCount(entry.version) || entry.version === 0 || entry.version > applied.index) {
        throw new SnapshotError(`entry ${i} has version ${entry.version}, outside 1..${applied.index}`);
      }
      if (!isCount(entry.expireAtMs)) throw new SnapshotError(`entry ${i} has expiry ${entry.expireAtMs}`);
      onEntry(entry);
    }
    const summary = { applied, count, digestLo: r.u32(), digestHi: r.u32() };
    if (r.remaining !== 0) throw new SnapshotError(`${r.remaining} bytes after the trailer of ${count} entries`);
    return summary;
  } catch (e) {
    if (e instanceof RangeError) throw new SnapshotError(`cut short (${e.message})`);
    throw e;
  }
}

/** Bytewise order of two byte strings (negative, 0, positive): key order, as tests sort SCAN pages and snapshot entries. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
