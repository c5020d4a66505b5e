// The storage engine's limits and layout constants, each with its reason.
// Relations between them are asserted once at load.

import { assert } from '../assert.js';
import { MiB } from '../limits.js';

/**
 * The on-disk format this build writes and the only one it reads; a
 * directory with another is refused. 2 (2026-12): BEGIN records and the sync
 * point's flags word (one fdatasync per sync, docs/durability.md).
 */
export const STORAGE_FORMAT_VERSION = 2;

/**
 * A segment is sealed and a new one started once it reaches this size. Large
 * enough that rollover (a file creation, so a directory fsync) is rare; small
 * enough that the segments a snapshot covers can be deleted soon after it.
 */
export const SEGMENT_BYTES_TARGET = 64 * MiB;

/**
 * Largest record payload. A record's length field is read before its
 * checksum can be checked, so a flipped bit there must not make recovery
 * allocate gigabytes: a length beyond this is corruption. Entries written in
 * one call are split over several records to stay under it.
 */
export const RECORD_PAYLOAD_BYTES_MAX = 32 * MiB;

/** Largest single entry: a value (8 MiB) with its key and framing fits with room to spare. */
export const ENTRY_BYTES_MAX = 16 * MiB;

/** Record framing: crc u32, length u32, type u8. */
export const RECORD_HEADER_BYTES = 9;

/** Segment header: magic u32, version u16, reserved u16, node u32, group u32, seq u32, crc u32. */
export const SEGMENT_HEADER_BYTES = 24;

/**
 * One slot of the state file. A sector each (512 bytes) so that a write
 * torn at a crash damages only the slot being written, never the other.
 */
export const STATE_SLOT_BYTES = 512;

assert(ENTRY_BYTES_MAX + 64 <= RECORD_PAYLOAD_BYTES_MAX, 'an entry and its record framing fit one record');
assert(RECORD_PAYLOAD_BYTES_MAX <= SEGMENT_BYTES_TARGET, 'a record fits a segment');
