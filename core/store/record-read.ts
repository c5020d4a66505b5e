// Reading one record's fields out of an arena's pages (the layout is
// record-layout.ts). Free functions over (arena, address) rather than store
// methods, because two readers need them: the store on its current arena,
// and a snapshot capture (store-capture.ts) that may go on reading an arena
// the store has already dropped (a FLUSHALL during the snapshot).

import { isCollection, type Collection } from './collection.js';
import {
  FLAG_EXPIRY, FLAG_LARGE, HEADER_BYTES, HEADER_EXPIRY_BYTES, OFFSET_EXPIRE_AT, OFFSET_FLAGS, OFFSET_KEY_LENGTH,
  OFFSET_VALUE_LENGTH, OFFSET_VERSION, recordBytes, TYPE_MASK, TYPE_SHIFT,
} from './record-layout.js';
import type { ValueType } from './value-type.js';
import { PAGE_UNITS, type SlabArena } from './slab-arena.js';

const PAGE_MASK = PAGE_UNITS - 1;

/** Byte index in its page of the field at `offset` of the record at `addr`. */
export function byteIndex(addr: number, offset: number): number {
  return (addr & PAGE_MASK) * 8 + offset;
}

/** Uint32Array index in its page of the 4-byte-aligned field at `offset`. */
export function wordIndex(addr: number, offset: number): number {
  return (addr & PAGE_MASK) * 2 + offset / 4;
}

export function recordFlags(arena: SlabArena, addr: number): number {
  return arena.pagesU8[addr >>> 17]![byteIndex(addr, OFFSET_FLAGS)]!;
}

/** What the record's value is: a string or a collection type (value-type.ts). */
export function recordType(arena: SlabArena, addr: number): ValueType {
  return ((recordFlags(arena, addr) & TYPE_MASK) >>> TYPE_SHIFT) as ValueType;
}

/** A large value: a string's own buffer, or a collection object. */
export type LargeValue = Uint8Array | Collection;

export function recordKeyLength(arena: SlabArena, addr: number): number {
  const page = arena.pagesU8[addr >>> 17]!;
  const at = byteIndex(addr, OFFSET_KEY_LENGTH);
  return page[at]! | (page[at + 1]! << 8);
}

/** Byte index in its page of the record's first key byte (the header is longer with an expiry). */
export function recordKeyStart(arena: SlabArena, addr: number): number {
  return byteIndex(addr, (recordFlags(arena, addr) & FLAG_EXPIRY) !== 0 ? HEADER_EXPIRY_BYTES : HEADER_BYTES);
}

export function recordVersion(arena: SlabArena, addr: number): number {
  return arena.pagesF64[addr >>> 17]![(addr & PAGE_MASK) + OFFSET_VERSION / 8]!;
}

/** Absolute expiry in ms; 0 = none. */
export function recordExpireAt(arena: SlabArena, addr: number): number {
  if ((recordFlags(arena, addr) & FLAG_EXPIRY) === 0) return 0;
  return arena.pagesF64[addr >>> 17]![(addr & PAGE_MASK) + OFFSET_EXPIRE_AT / 8]!;
}

/** The value length field: the inline value's length, or (LARGE) the id of the value's own buffer. */
export function recordValueWord(arena: SlabArena, addr: number): number {
  return arena.pagesU32[addr >>> 17]![wordIndex(addr, OFFSET_VALUE_LENGTH)]!;
}

/** The record's size as allocated, from its header (still readable once the record is freed). */
export function recordAllocBytes(arena: SlabArena, addr: number): number {
  const flags = recordFlags(arena, addr);
  const inline = (flags & FLAG_LARGE) !== 0 ? 0 : recordValueWord(arena, addr);
  return recordBytes(recordKeyLength(arena, addr), inline, (flags & FLAG_EXPIRY) !== 0);
}

/**
 * Receives one entry's fields: the key is `keyLength` bytes of `keyBytes`
 * from `keyStart`, the value `valueLength` bytes of `valueBytes` from
 * `valueStart` (a collection's: its compact encoding, or its large image),
 * and its type. The arrays are the store's own memory: read them during the
 * call, keep nothing.
 */
export type EntryFields = (keyBytes: Uint8Array, keyStart: number, keyLength: number,
  valueBytes: Uint8Array, valueStart: number, valueLength: number, version: number, expireAtMs: number, type: ValueType) => void;

/**
 * Hand the live record at `addr` to `fn`, its large value (if any) taken
 * from `largeValues` (a large collection is encoded for it); returns the
 * value's length.
 */
export function readRecord(arena: SlabArena, largeValues: readonly (LargeValue | null)[], addr: number, fn: EntryFields): number {
  const keyStart = recordKeyStart(arena, addr);
  const keyLength = recordKeyLength(arena, addr);
  const page = arena.pagesU8[addr >>> 17]!;
  const word = recordValueWord(arena, addr);
  const version = recordVersion(arena, addr);
  const expireAtMs = recordExpireAt(arena, addr);
  const type = recordType(arena, addr);
  if ((recordFlags(arena, addr) & FLAG_LARGE) !== 0) {
    const large = largeValues[word]!;
    const value = isCollection(large) ? large.encode() : large;
    fn(page, keyStart, keyLength, value, 0, value.length, version, expireAtMs, type);
    return value.length;
  }
  fn(page, keyStart, keyLength, page, keyStart + keyLength, word, version, expireAtMs, type);
  return word;
}
