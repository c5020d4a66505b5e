// The large hash's memory layout (hash-table.ts) as plain arrays, and the
// reading of one entry from it: what the table, its image
// (hash-table-image.ts) and its checks share.
//
// Entries live in byte pages: [field length varint][value length varint]
// [field][value], appended at the end of the newest ordinary page (4 KiB to
// HASH_PAGE_BYTES, larger as the hash grows); an entry of HASH_PAGE_BYTES
// or more gets a page of its own, exactly its size. An address is page << 16 | offset (32 bits); address 0
// (page 0, byte 0) is never used, so 0 means an empty slot.
//
// The index over the addresses is the store's own (core/store/hash-index.ts:
// linear probing, 5 bytes a slot, resized incrementally a few entries per
// write); it is not part of this layout.

import { varintBytes } from '../varint.js';

/**
 * The largest ordinary page, and the length from which an entry gets a page
 * of its own: a million fields need a few hundred pages, and emptying one
 * (hash-table.ts, evacuate) moves at most this much in one write.
 */
export const HASH_PAGE_BYTES = 64 * 1024;
/** The first ordinary pages: a hash just past its compact form (~129 fields) holds a few KiB, not a 64 KiB page. */
export const HASH_PAGE_MIN_BYTES = 4 * 1024;
export const HASH_PAGE_SHIFT = 16;
/** Pages a table may have: the page number is an address's top 16 bits (4 GiB of ordinary pages, beyond any shard's memory). */
export const HASH_PAGES_MAX = 0x1_0000;

export interface HashTableLayout {
  /** Ordinary pages (HASH_PAGE_MIN_BYTES to HASH_PAGE_BYTES), pages of one long entry (its size), or freed ones (length 0). */
  pages: Uint8Array[];
  /** The ordinary page new entries go to, and the next free byte in it. */
  bumpPage: number;
  bumpOffset: number;
  /** Where the search for a page to empty goes on from (hash-table.ts, evacuateIfWasteful). */
  evacuatePage: number;
  /** Bytes of ordinary pages (not freed) the index does not point at: entries overwritten or deleted, and the unused ends of older pages. */
  garbageBytes: number;
  /** Bytes of the entries the index points at. */
  liveBytes: number;
}

/** Bytes of an entry with these lengths. */
export function entryBytes(fieldLength: number, valueLength: number): number {
  return varintBytes(fieldLength) + varintBytes(valueLength) + fieldLength + valueLength;
}

/**
 * Where one entry's parts are: filled in by `locate` (one reusable object,
 * so reading an entry allocates nothing). Valid until the table changes.
 */
export class EntryView {
  bytes: Uint8Array = new Uint8Array(0);
  fieldAt = 0;
  fieldLength = 0;
  valueAt = 0;
  valueLength = 0;

  /** Point at the entry at `addr`; false when it does not fit its page (a damaged image). */
  locate(pages: readonly Uint8Array[], addr: number): boolean {
    const bytes = pages[addr >>> HASH_PAGE_SHIFT];
    if (bytes === undefined) return false;
    let at = addr & (HASH_PAGE_BYTES - 1);
    let fieldLength = 0;
    let valueLength = 0;
    for (let shift = 1; ; shift *= 0x80) {
      if (at >= bytes.length || shift > 2 ** 28) return false;
      const b = bytes[at++]!;
      fieldLength += (b & 0x7f) * shift;
      if (b < 0x80) break;
    }
    for (let shift = 1; ; shift *= 0x80) {
      if (at >= bytes.length || shift > 2 ** 28) return false;
      const b = bytes[at++]!;
      valueLength += (b & 0x7f) * shift;
      if (b < 0x80) break;
    }
    if (at + fieldLength + valueLength > bytes.length) return false;
    this.bytes = bytes;
    this.fieldAt = at;
    this.fieldLength = fieldLength;
    this.valueAt = at + fieldLength;
    this.valueLength = valueLength;
    return true;
  }

  get entryBytes(): number {
    return entryBytes(this.fieldLength, this.valueLength);
  }

  field(): Uint8Array {
    return this.bytes.subarray(this.fieldAt, this.fieldAt + this.fieldLength);
  }

  value(): Uint8Array {
    return this.bytes.subarray(this.valueAt, this.valueAt + this.valueLength);
  }

  fieldEquals(field: Uint8Array): boolean {
    if (field.length !== this.fieldLength) return false;
    const bytes = this.bytes;
    const at = this.fieldAt;
    for (let i = 0; i < field.length; i++) if (bytes[at + i] !== field[i]) return false;
    return true;
  }
}
