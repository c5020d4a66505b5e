// The large form of a set ("hashtable", as Redis calls it): the members are
// the fields of a large hash's table with empty values
// (core/types/hash/hash-table.ts), so a set gets what a hash has: entries in
// pages with no JS object per member, the store's index resized a few
// entries per write, garbage reclaimed a page per write. No SADD or SREM
// copies the whole set (one SREM of a 1.6M-member set took 140 ms, and one
// SADD 12-16 ms, when members lived in one slab rewritten or grown whole).
//
// Every step depends only on the operations done, so replicas applying the
// same log lay the set out identically; `encode` is the exact image and
// `LargeSet.restore` rebuilds the same layout, so a replica restored from a
// snapshot draws SPOP's members as the others do.
//
// Image: [SetTag.LARGE][IMAGE_VERSION u8][0 u16][the table's image]. Version
// 0 (the slab form, before) is still read: its members go into a fresh set
// in the order of its index's slots, alike on every replica restoring it.

import type { Random } from '../../random.js';
import type { Collection } from '../../store/collection.js';
import { ValueType } from '../../store/value-type.js';
import { HashTable } from '../hash/hash-table.js';
import { SetTag } from './set-encoding.js';
import type { MutableSetMembers } from './set-members.js';

/** Smallest index: a set only gets here past 128 members, so smaller tables would only be resized at once. */
export const LARGE_SET_SLOTS_MIN = 256;
/** The form of the image after its tag; version 0 was the slab form (its pad byte). */
const IMAGE_VERSION = 1;
const IMAGE_HEADER_BYTES = 4;
/** Bytes the object itself costs beyond its table (for memory accounting). */
const OBJECT_OVERHEAD_BYTES = 64;

const NO_VALUE = new Uint8Array(0);

export class LargeSet implements Collection, MutableSetMembers {
  readonly type = ValueType.SET;
  private table: HashTable;

  /** An empty set with room for `membersExpected` members before its index grows. */
  constructor(membersExpected = 0) {
    this.table = HashTable.withCapacity(membersExpected, LARGE_SET_SLOTS_MIN);
  }

  get size(): number {
    return this.table.size;
  }

  /** Slots of the index's larger table (for tests). */
  get slots(): number {
    return this.table.slots;
  }

  get isRehashing(): boolean {
    return this.table.isResizing;
  }

  get memoryBytes(): number {
    return this.table.memoryBytes + OBJECT_OVERHEAD_BYTES;
  }

  has(member: Uint8Array): boolean {
    return this.table.get(member) !== null;
  }

  add(member: Uint8Array): boolean {
    return this.table.set(member, NO_VALUE);
  }

  remove(member: Uint8Array): boolean {
    return this.table.delete(member);
  }

  forEach(fn: (member: Uint8Array) => void): void {
    this.table.forEach(fn);
  }

  randomMember(random: Random): Uint8Array {
    let drawn: Uint8Array = NO_VALUE;
    this.table.random(random, (member) => { drawn = member; });
    return drawn;
  }

  /** SSCAN: emit the members whose home is the cursor's bucket; the next cursor (0: done). */
  scanStep(cursor: number, emit: (member: Uint8Array) => void): number {
    return this.table.scanStep(cursor, emit);
  }

  encode(): Uint8Array {
    const table = this.table.encode();
    const out = new Uint8Array(IMAGE_HEADER_BYTES + table.length);
    out[0] = SetTag.LARGE;
    out[1] = IMAGE_VERSION;
    out.set(table, IMAGE_HEADER_BYTES);
    return out;
  }

  /** The set an image describes, laid out identically; an error text when the bytes are not a valid image. */
  static restore(bytes: Uint8Array): LargeSet | string {
    if (bytes.length < IMAGE_HEADER_BYTES || bytes[0] !== SetTag.LARGE) return 'not a large set image';
    if (bytes[1] === 0) return restoreSlabImage(bytes);
    if (bytes[1] !== IMAGE_VERSION) return `a large set image of version ${bytes[1]}`;
    const table = HashTable.fromImage(bytes.subarray(IMAGE_HEADER_BYTES), LARGE_SET_SLOTS_MIN);
    if (typeof table === 'string') return table;
    let valued = false;
    table.forEach((_, value) => { if (value.length > 0) valued = true; });
    if (valued) return 'a large set image with a member that has a value';
    const set = new LargeSet();
    set.table = table;
    return set;
  }
}

/**
 * A version 0 image: [tag][0 x3][count u32][slab used u32][slab garbage u32]
 * [slab bytes u32], the index's image (core/store/hash-index.ts: current and
 * draining slot counts, drain position, then per table u32 offsets and u8
 * fingerprints), then the slab's used bytes (each member a varint length and
 * its bytes, at the offsets).
 */
function restoreSlabImage(bytes: Uint8Array): LargeSet | string {
  if (bytes.length < 32) return 'a large set image cut short';
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = v.getUint32(4, true);
  const slabUsed = v.getUint32(8, true);
  const slabStart = bytes.length - slabUsed;
  const tables = [v.getUint32(20, true), v.getUint32(24, true)];
  let at = 32;
  if (slabUsed < 1 || slabStart < at || tables[0]! > 2 ** 31 || tables[1]! > 2 ** 31) return 'a large set image whose sizes do not match';
  if (at + (tables[0]! + tables[1]!) * 5 !== slabStart) return 'a large set image whose length does not match its header';
  const slab = bytes.subarray(slabStart);
  const set = new LargeSet(count);
  for (const slots of tables) {
    for (let i = 0; i < slots; i++) {
      const offset = v.getUint32(at + i * 4, true);
      if (offset === 0) continue;
      const member = slabMember(slab, offset);
      if (member === null) return 'a large set image with a member past its slab';
      if (!set.add(member)) return 'a large set image holding a member twice';
    }
    at += slots * 5;
  }
  return set.size === count && count > 0 ? set : `a large set image counting ${count} members, holding ${set.size}`;
}

/** The member at `offset` of a version 0 slab (a varint length, then its bytes), or null past the slab. */
function slabMember(slab: Uint8Array, offset: number): Uint8Array | null {
  let length = 0;
  let at = offset;
  for (let shift = 1; ; shift *= 0x80) {
    if (at >= slab.length || shift > 2 ** 28) return null;
    const b = slab[at++]!;
    length += (b & 0x7f) * shift;
    if (b < 0x80) break;
  }
  return at + length <= slab.length ? slab.subarray(at, at + length) : null;
}
