// The state file: two slots, each one sector, each holding a sync point with
// the directory's identity, a format version and a checksum. Syncs write the
// slot numbered syncSeq % 2, so a write torn by a crash damages only the slot
// being written and the other still holds the sync point before it. The
// same sync point is also in the log as a COMMIT record: recovery takes the
// newest of the two copies, so one damaged copy loses nothing (see
// log-recovery.ts).
//
//   slot = magic u32 "PCST", version u16, reserved u16, node u32, group u32, sync point, crc32c u32 (of all before it), zero padding

import { assert } from '../assert.js';
import { ByteReader, ByteWriter } from '../ring/byte-writer.js';
import { crc32c } from './crc32c.js';
import { checkFileIdentity, checkFormatVersion, FILE_HEADER_BYTES, writeFileHeader, type StorageIdentity } from './file-header.js';
import { readSyncPoint, SYNC_POINT_BYTES, writeSyncPoint, type SyncPoint } from './log-records.js';
import { STATE_SLOT_BYTES, STORAGE_FORMAT_VERSION } from './storage-limits.js';

export const STATE_FILE = 'state';
export const STATE_MAGIC = 0x54534350; // "PCST" as little-endian bytes
export const STATE_FILE_BYTES = 2 * STATE_SLOT_BYTES;

export function slotOffset(syncSeq: number): number {
  return (syncSeq % 2) * STATE_SLOT_BYTES;
}

/** The bytes of a slot that are written: header, sync point, checksum (the rest of the slot stays as created, zero). */
const SLOT_WRITTEN_BYTES = FILE_HEADER_BYTES + SYNC_POINT_BYTES + 4;
assert(SLOT_WRITTEN_BYTES <= STATE_SLOT_BYTES, 'a sync point fits its slot');

/** Reused by encodeSlot: every durable sync writes a slot. */
const slotWriter = new ByteWriter(SLOT_WRITTEN_BYTES);

/**
 * The start of a slot: header, sync point, checksum; valid until the next
 * call (a FileSystem write takes its bytes before it returns): write them at
 * the slot's offset, do not keep them. decodeSlot reads no further, so the
 * slot's zero tail (written once, when the file is created) is never
 * rewritten: a sync writes and copies 80-odd bytes, not the whole slot.
 */
export function encodeSlot(identity: StorageIdentity, point: SyncPoint): Uint8Array {
  const w = slotWriter;
  w.reset();
  writeFileHeader(w, STATE_MAGIC, identity);
  writeSyncPoint(w, point);
  w.u32(crc32c(w.bytes()));
  assert(w.length === SLOT_WRITTEN_BYTES, 'a slot body has a fixed size');
  return w.bytes();
}

/** What a slot holds: a sync point, damage, or a header of a format version this build does not know. */
export type SlotContents = { kind: 'valid'; point: SyncPoint } | { kind: 'damaged' } | { kind: 'unknownVersion'; version: number };

/**
 * Decodes the slot at `offset` of the state file. The checksum is checked
 * before the version, so a flipped version field is damage (covered by the
 * other slot), while a slot that is not damaged in our layout but names
 * another version is reported as such. A valid slot of another node or
 * group throws StorageError('identity').
 */
export function decodeSlot(bytes: Uint8Array, offset: number, identity: StorageIdentity): SlotContents {
  if (bytes.length < offset + STATE_SLOT_BYTES) return { kind: 'damaged' };
  const slot = bytes.subarray(offset, offset + STATE_SLOT_BYTES);
  const view = new DataView(slot.buffer, slot.byteOffset, slot.byteLength);
  if (view.getUint32(0, true) !== STATE_MAGIC) return { kind: 'damaged' };
  const version = view.getUint16(4, true);
  try {
    const r = new ByteReader(slot, FILE_HEADER_BYTES);
    const point = readSyncPoint(r);
    const crcAt = STATE_SLOT_BYTES - r.remaining;
    if (crc32c(slot, 0, 0, crcAt) !== view.getUint32(crcAt, true)) {
      return version === STORAGE_FORMAT_VERSION ? { kind: 'damaged' } : { kind: 'unknownVersion', version };
    }
    checkFormatVersion(STATE_FILE, bytes, offset);
    checkFileIdentity(STATE_FILE, bytes, offset, identity);
    // A whole slot that a misdirected write put in the other slot's place.
    if (slotOffset(point.syncSeq) !== offset) return { kind: 'damaged' };
    return { kind: 'valid', point };
  } catch (e) {
    if (e instanceof RangeError) return version === STORAGE_FORMAT_VERSION ? { kind: 'damaged' } : { kind: 'unknownVersion', version };
    throw e;
  }
}
