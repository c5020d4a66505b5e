// The layout of a log segment file, and scanning one from its bytes.
//
//   segment = header, record*
//   header  = magic u32 "PCLG", version u16, reserved u16, node u32, group u32, seq u32, crc32c u32 (of the 20 bytes before)
//   record  = crc32c u32, length u32, type u8, payload[length]
//             crc32c covers the record's own file offset (8 bytes, not stored),
//             then length, type and payload: a flipped length is caught, and so
//             is a whole valid record that a misdirected write put at another
//             offset (it would otherwise read back as a valid record there)
//   every write() of records starts with a BEGIN record naming where that
//   write ends (log-records.ts): recovery's way to tell a torn write from a
//   whole one that was damaged later
//
// Segments are numbered by a sequence (log-0000000001.seg, ...), not by
// first index, because entries appended at an index at or below the last
// one replace what follows (Raft truncating a follower's log), so two
// segments may start at the same index. Scanning is pure: bytes in, records
// and where (and why) the valid prefix stops out. Whether a stop is a torn
// tail or corruption is decided by recovery (log-recovery.ts), which knows
// where the last sync point is.

import { ByteWriter } from '../ring/byte-writer.js';
import { crc32c } from './crc32c.js';
import { checkFileIdentity, checkFormatVersion, FILE_HEADER_BYTES, writeFileHeader, type StorageIdentity } from './file-header.js';
import { BEGIN_PAYLOAD_BYTES, decodeBeginPayload } from './log-records.js';
import { RECORD_HEADER_BYTES, RECORD_PAYLOAD_BYTES_MAX, SEGMENT_HEADER_BYTES } from './storage-limits.js';

export type { StorageIdentity };

export const SEGMENT_MAGIC = 0x474c4350; // "PCLG" read as little-endian bytes

export const RecordType = {
  /** A run of entries from an index on; replaces any stored entries from that index. */
  ENTRIES: 1,
  /** A snapshot was saved: entries it covers are dropped (and the rest too, unless they continue it). */
  SNAPSHOT_MARK: 2,
  /** A sync point: the hard state, the snapshot in force, and that everything before it is durable. */
  COMMIT: 3,
  /** The segment is complete; the log continues in the next one. */
  SEAL: 4,
  /**
   * First record of every write() of records to a segment: where that write
   * ends. A write cut short by a crash ends before it; a write that reached
   * the disk whole does not, so damage inside it is not a torn tail
   * (log-recovery.ts, checkTail).
   */
  BEGIN: 5,
} as const;
export type RecordTypeNumber = (typeof RecordType)[keyof typeof RecordType];

const SEGMENT_NAME = /^log-(\d{10})\.seg$/;

export function segmentName(seq: number): string {
  return `log-${String(seq).padStart(10, '0')}.seg`;
}

/** The sequence number in a segment's file name, or null for another file. */
export function parseSegmentName(name: string): number | null {
  const m = SEGMENT_NAME.exec(name);
  return m ? Number(m[1]) : null;
}

export function encodeSegmentHeader(identity: StorageIdentity, seq: number): Uint8Array {
  const w = new ByteWriter(SEGMENT_HEADER_BYTES);
  writeFileHeader(w, SEGMENT_MAGIC, identity);
  w.u32(seq);
  w.u32(crc32c(w.bytes()));
  return w.bytes().slice();
}

/**
 * Records up to this size are framed in a reused buffer (one is written per
 * sync); larger ones, rare, get their own so that the buffer stays small.
 */
const RECORD_SCRATCH_BYTES = 64 * 1024;
const recordScratch = new Uint8Array(RECORD_SCRATCH_BYTES);
const recordScratchView = new DataView(recordScratch.buffer);

/**
 * One framed record, header and payload, to be written at `offset` of its
 * segment. The result is valid until the next call (a FileSystem write
 * takes its bytes before it returns): write it, do not keep it.
 */
export function encodeRecord(type: RecordTypeNumber, payload: Uint8Array, offset: number): Uint8Array {
  const length = RECORD_HEADER_BYTES + payload.length;
  const out = length <= RECORD_SCRATCH_BYTES ? recordScratch.subarray(0, length) : new Uint8Array(length);
  const view = out.buffer === recordScratch.buffer ? recordScratchView : new DataView(out.buffer);
  view.setUint32(4, payload.length, true);
  out[8] = type;
  out.set(payload, RECORD_HEADER_BYTES);
  view.setUint32(0, crc32c(out, positionCrc(offset), 4), true);
  return out;
}

/** The CRC of a record's offset, the seed of its checksum. */
function positionCrc(offset: number): number {
  positionView.setUint32(0, offset % 0x1_0000_0000, true);
  positionView.setUint32(4, Math.floor(offset / 0x1_0000_0000), true);
  return crc32c(positionBytes);
}

/** Scratch for positionCrc, reused: it runs for every record written or read. */
const positionBytes = new Uint8Array(8);
const positionView = new DataView(positionBytes.buffer);

/** A BEGIN record, framing and payload: a fixed size, so a write can reserve it before it knows its end. */
export const BEGIN_RECORD_BYTES = RECORD_HEADER_BYTES + BEGIN_PAYLOAD_BYTES;

/**
 * The end offset named by the BEGIN record at `offset` of a segment's
 * bytes, or null when the bytes there are not a whole, valid BEGIN record
 * (cut short, another type or length, a checksum that fails).
 */
export function beginEndAt(bytes: Uint8Array, offset: number): number | null {
  const end = offset + BEGIN_RECORD_BYTES;
  if (end > bytes.length) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(offset + 4, true) !== BEGIN_PAYLOAD_BYTES || bytes[offset + 8] !== RecordType.BEGIN) return null;
  if (crc32c(bytes, positionCrc(offset), offset + 4, end) !== view.getUint32(offset, true)) return null;
  try {
    return decodeBeginPayload(bytes.subarray(offset + RECORD_HEADER_BYTES, end));
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

export interface ScannedRecord {
  readonly type: number;
  readonly payload: Uint8Array;
  /** Byte offsets of the record in its file: [start, end). */
  readonly start: number;
  readonly end: number;
}

export interface SegmentScan {
  readonly records: ScannedRecord[];
  /** Where the valid prefix ends and why, or null when every byte of the file is valid records. */
  readonly stop: { readonly offset: number; readonly reason: string } | null;
}

/**
 * Scans a segment's bytes. A header that passes its checksum but names
 * another node, group, sequence or format version throws StorageError
 * (that is not damage: the file is not ours); any damage stops the scan.
 * `plantedBugSkipChecksums` (the simulator's mutation tests only) accepts
 * records whose checksum fails: what the checksums guard against, planted.
 */
export function scanSegment(name: string, bytes: Uint8Array, identity: StorageIdentity, seq: number, plantedBugSkipChecksums = false): SegmentScan {
  const headerStop = checkSegmentHeader(name, bytes, identity, seq);
  if (headerStop !== null) return { records: [], stop: { offset: 0, reason: headerStop } };
  const records: ScannedRecord[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = SEGMENT_HEADER_BYTES;
  while (offset < bytes.length) {
    if (bytes.length - offset < RECORD_HEADER_BYTES) return { records, stop: { offset, reason: 'a record header is cut short' } };
    const crc = view.getUint32(offset, true);
    const length = view.getUint32(offset + 4, true);
    if (length > RECORD_PAYLOAD_BYTES_MAX) return { records, stop: { offset, reason: `record length ${length} is beyond the limit` } };
    const end = offset + RECORD_HEADER_BYTES + length;
    if (end > bytes.length) return { records, stop: { offset, reason: `a record of ${length} bytes is cut short` } };
    if (!plantedBugSkipChecksums && crc32c(bytes, positionCrc(offset), offset + 4, end) !== crc) return { records, stop: { offset, reason: 'record checksum mismatch' } };
    records.push({ type: bytes[offset + 8]!, payload: bytes.subarray(offset + RECORD_HEADER_BYTES, end), start: offset, end });
    offset = end;
  }
  return { records, stop: null };
}

/** null when the header is good; a reason when it is damaged; throws when it is valid but not ours. */
function checkSegmentHeader(name: string, bytes: Uint8Array, identity: StorageIdentity, seq: number): string | null {
  if (bytes.length < SEGMENT_HEADER_BYTES) return 'the segment header is cut short';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== SEGMENT_MAGIC) return 'not a segment header (bad magic)';
  if (crc32c(bytes, 0, 0, SEGMENT_HEADER_BYTES - 4) !== view.getUint32(SEGMENT_HEADER_BYTES - 4, true)) {
    return 'segment header checksum mismatch';
  }
  checkFormatVersion(name, bytes, 0);
  checkFileIdentity(name, bytes, 0, identity);
  const fileSeq = view.getUint32(FILE_HEADER_BYTES, true);
  if (fileSeq !== seq) return `the header says segment ${fileSeq}`;
  return null;
}
