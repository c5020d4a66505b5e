// The bytes of a shard group's log entry: the proposer's timestamp and the
// command (core/shard/command.ts). Raft carries these bytes without looking
// inside; every replica decodes them to apply the same command at the same
// index. They will also be what the write-ahead log stores, so the format has
// a version byte.
//
// Layout: u8 format, u8 kind, f64 timestampMs, then by kind:
//   request:    a ring request record (core/ring/ring-codec.ts; tag and shard 0);
//               a transaction (`tx`) is one such record, its ops nested, so it
//               is one entry (its opcode was appended: older entries read as before)
//   expireKeys: u32 count, then per key: length-prefixed key, f64 expireAtMs
//   logId:      f64 logId (core/replica/log-id.ts): a new log's first no-op
//               (timestampMs 0: the leader stamps no time on it)
// An empty payload is Raft's own no-op (a new leader's first entry).

import { assert } from '../assert.js';
import { ByteReader, ByteWriter } from '../ring/byte-writer.js';
import { decodeRequestRecord, encodeRequestRecord } from '../ring/ring-codec.js';
import type { Command, WriteRequest } from '../shard/command.js';
import { isLogId, LOG_ID_NONE } from './log-id.js';

const FORMAT = 1;
const KIND_REQUEST = 1;
const KIND_EXPIRE_KEYS = 2;
const KIND_LOG_ID = 3;
/** u8 format, u8 kind, f64 timestampMs. */
const HEADER_BYTES = 10;
/** Where decodeEntryPayload reads the timestamp (little-endian whatever the platform's order). */
const f64Scratch = new Uint8Array(8);
const f64ScratchView = new DataView(f64Scratch.buffer);

export interface EntryPayload {
  readonly timestampMs: number;
  readonly command: Command;
}

/**
 * Bytes an EntryEncoder's buffer holds before it starts a new one: as
 * ByteSlab's slabs (core/byte-slab.ts), large enough to amortize a buffer over
 * hundreds of entries, small enough that a few live entries pin little.
 */
export const ENTRY_ENCODER_BUFFER_BYTES = 64 * 1024;
/** Entries above this get a buffer of their own: a large one must not pin a whole shared buffer (or use one up). */
const ENTRY_SHARED_BYTES_MAX = ENTRY_ENCODER_BUFFER_BYTES / 8;

/**
 * Encodes a leader's entries one after another into a shared buffer and
 * hands out views of them that stay valid: it never writes over bytes it
 * handed out (a full buffer is left to the views into it, and a new one
 * begun), so an entry costs no copy and no buffer of its own.
 */
export class EntryEncoder {
  private writer = new ByteWriter(ENTRY_ENCODER_BUFFER_BYTES);

  /** The entry's bytes: a view that nothing writes to again. */
  encode(timestampMs: number, command: Command): Uint8Array {
    // A new buffer once a shared-sized entry might not fit: the last one is used to 7/8 at least, and never grown for one.
    if (this.writer.length > ENTRY_ENCODER_BUFFER_BYTES - ENTRY_SHARED_BYTES_MAX) this.writer = new ByteWriter(ENTRY_ENCODER_BUFFER_BYTES);
    const start = this.writer.length;
    // An entry that does not fit grows the buffer into a new one; views into the old one stay as they were.
    appendEntryPayload(this.writer, timestampMs, command);
    const bytes = this.writer.bytes(start);
    if (bytes.length <= ENTRY_SHARED_BYTES_MAX) return bytes;
    const own = bytes.slice();
    this.writer.length = start; // nothing views these bytes: the next entry may take their place
    return own;
  }
}

/** Encodes into `w` (reset first); the caller copies `w.bytes()` if it keeps them. */
export function encodeEntryPayload(w: ByteWriter, timestampMs: number, command: Command): void {
  w.reset();
  appendEntryPayload(w, timestampMs, command);
}

/** Encodes after what `w` holds. */
function appendEntryPayload(w: ByteWriter, timestampMs: number, command: Command): void {
  assert(command.op !== 'noop', 'a no-op is the empty payload, not an encoded command');
  w.u8(FORMAT);
  if (command.op === 'expireKeys') {
    w.u8(KIND_EXPIRE_KEYS);
    w.f64(timestampMs);
    w.u32(command.keys.length);
    for (const { key, expireAtMs } of command.keys) {
      w.bytesField(key);
      w.f64(expireAtMs);
    }
    return;
  }
  w.u8(KIND_REQUEST);
  w.f64(timestampMs);
  encodeRequestRecord(w, 0, 0, command);
}

/** A new log's first entry (Raft's first no-op): its identity (core/replica/log-id.ts). */
export function encodeLogIdPayload(logId: number): Uint8Array {
  assert(isLogId(logId) && logId !== LOG_ID_NONE, 'a logId to carry is a drawn one');
  const w = new ByteWriter(HEADER_BYTES + 8);
  w.u8(FORMAT);
  w.u8(KIND_LOG_ID);
  w.f64(0);
  w.f64(logId);
  return w.bytes().slice();
}

/**
 * Decodes a payload. Byte fields are views into `bytes` (the shard copies
 * what it keeps). An empty payload is a no-op at `noopTimestampMs`.
 */
export function decodeEntryPayload(bytes: Uint8Array, noopTimestampMs: number): EntryPayload {
  if (bytes.length === 0) return { timestampMs: noopTimestampMs, command: { op: 'noop' } };
  // The header is read without a ByteReader (and the DataView it makes): every applied entry passes here.
  if (bytes.length < HEADER_BYTES) throw new RangeError('truncated record');
  assert(bytes[0] === FORMAT, 'unknown log entry format');
  const kind = bytes[1]!;
  for (let i = 0; i < 8; i++) f64Scratch[i] = bytes[2 + i]!;
  const timestampMs = f64ScratchView.getFloat64(0, true);
  if (kind === KIND_REQUEST) {
    const { request } = decodeRequestRecord(bytes, HEADER_BYTES, bytes.length);
    return { timestampMs, command: request as WriteRequest };
  }
  const r = new ByteReader(bytes, HEADER_BYTES);
  if (kind === KIND_EXPIRE_KEYS) {
    const count = r.u32();
    const keys: { key: Uint8Array; expireAtMs: number }[] = [];
    for (let i = 0; i < count; i++) keys.push({ key: r.bytesView(), expireAtMs: r.f64() });
    assert(r.remaining === 0, 'trailing bytes after an expireKeys entry');
    return { timestampMs, command: { op: 'expireKeys', keys } };
  }
  if (kind === KIND_LOG_ID) {
    const logId = r.f64();
    assert(r.remaining === 0 && isLogId(logId), 'a logId entry holds one logId');
    return { timestampMs, command: { op: 'noop', logId } };
  }
  assert(false, () => `unknown log entry kind ${kind}`);
}
