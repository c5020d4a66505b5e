// The large form of a set ("hashtable", as Redis calls it): a hash set in
// typed arrays, no JS object per member. Members live one after another in a
// byte slab (a one-byte-per-7-bits length, then the bytes); the store's own
// index (core/store/hash-index.ts: linear probing, load <= 3/4, 5 bytes a
// slot, resized incrementally a few entries per write) holds each member's
// slab offset as its address (0 = empty: the slab's byte 0 is never used).
//
// A removed member's bytes are zeroed and counted as garbage; when garbage is
// over half the slab, the live members are copied to a fresh slab in the
// table's slot order. Every step depends only on the operations done, so
// replicas applying the same log lay the set out identically; `encode` is
// the exact image (table, slab, capacities) and `LargeSet.restore` rebuilds
// the same layout, so a replica restored from a snapshot draws SPOP's
// members as the others do.

import { assert } from '../../assert.js';
import type { Random } from '../../random.js';
import type { Collection } from '../../store/collection.js';
import { HashIndex, type IndexedRecords } from '../../store/hash-index.js';
import { keyHashDefault } from '../../store/key-hash.js';
import { ValueType } from '../../store/value-type.js';
import { SetTag } from './set-encoding.js';
import type { MutableSetMembers } from './set-members.js';
import { putVarint, varintBytes } from '../varint.js';

/** Smallest table: a set only gets here past 128 members, so smaller tables would only be resized at once. */
export const LARGE_SET_SLOTS_MIN = 256;
/** A slab grows by half: doubling would leave up to half of a million-member slab unused. */
const SLAB_GROWTH_NUMERATOR = 3;
const SLAB_GROWTH_DENOMINATOR = 2;
/** A first slab: room for the members a conversion brings (up to 512 integers' text) without growing at once. */
const SLAB_BYTES_MIN = 4096;
/** Bytes the object itself and its array headers cost beyond the arrays' contents (for memory accounting). */
const OBJECT_OVERHEAD_BYTES = 200;
/** The image's own header: tag, three pad bytes, then count, slab used, slab garbage, slab capacity (u32 each); the table's image follows, then the slab. */
const IMAGE_HEADER_BYTES = 20;

const hashOfBytes = keyHashDefault;

export class LargeSet implements Collection, MutableSetMembers, IndexedRecords {
  readonly type = ValueType.SET;
  private slab: Uint8Array;
  /** Slab bytes in use (live members and garbage); starts at 1 so offset 0 means empty. */
  private slabUsed = 1;
  private slabGarbage = 0;
  private table: HashIndex;
  /** Where the last decoded member's bytes start (set by lengthAt; saves an object per call on the hot path). */
  private decodedStart = 0;

  constructor(slabBytes = SLAB_BYTES_MIN) {
    assert(Number.isSafeInteger(slabBytes) && slabBytes >= 1, () => `a slab of ${slabBytes} bytes`);
    this.slab = new Uint8Array(slabBytes);
    this.table = new HashIndex(this, LARGE_SET_SLOTS_MIN);
  }

  get size(): number {
    return this.table.count;
  }

  /** Slots of the larger table (for tests). */
  get slots(): number {
    return this.table.slotsLargest;
  }

  get isRehashing(): boolean {
    return this.table.isRehashing;
  }

  get memoryBytes(): number {
    return this.slab.length + this.table.bytes + OBJECT_OVERHEAD_BYTES;
  }

  has(member: Uint8Array): boolean {
    return this.table.find(member, hashOfBytes(member, 0, member.length)) !== 0;
  }

  add(member: Uint8Array): boolean {
    const hash = hashOfBytes(member, 0, member.length);
    if (this.table.find(member, hash) !== 0) return false;
    this.table.insert(hash, this.append(member));
    this.table.step();
    return true;
  }

  remove(member: Uint8Array): boolean {
    const offset = this.table.remove(member, hashOfBytes(member, 0, member.length));
    if (offset === 0) return false;
    this.table.step();
    const end = this.entryEnd(offset);
    this.slab.fill(0, offset, end);
    this.slabGarbage += end - offset;
    if (this.slabGarbage * 2 > this.slabUsed && this.slabGarbage >= SLAB_BYTES_MIN) this.compactSlab();
    return true;
  }

  forEach(fn: (member: Uint8Array) => void): void {
    this.table.forEach((offset) => fn(this.memberAt(offset)));
  }

  randomMember(random: Random): Uint8Array {
    return this.memberAt(this.table.randomAddr(random));
  }

  /** SSCAN: emit the members whose home is the cursor's bucket; the next cursor (0: done). */
  scanStep(cursor: number, emit: (member: Uint8Array) => void): number {
    return this.table.scanStep(cursor, (offset) => emit(this.memberAt(offset)));
  }

  // ---- IndexedRecords: what the index asks of the slab ---------------------

  hashOf(offset: number): number {
    const length = this.lengthAt(offset);
    return hashOfBytes(this.slab, this.decodedStart, length);
  }

  keyEquals(offset: number, member: Uint8Array): boolean {
    const length = this.lengthAt(offset);
    if (length !== member.length) return false;
    const slab = this.slab;
    const start = this.decodedStart;
    for (let i = 0; i < length; i++) if (slab[start + i] !== member[i]) return false;
    return true;
  }

  // ---- the image ------------------------------------------------------------

  encode(): Uint8Array {
    const out = new Uint8Array(IMAGE_HEADER_BYTES + this.table.imageBytes + this.slabUsed);
    const v = new DataView(out.buffer);
    out[0] = SetTag.LARGE;
    v.setUint32(4, this.size, true);
    v.setUint32(8, this.slabUsed, true);
    v.setUint32(12, this.slabGarbage, true);
    v.setUint32(16, this.slab.length, true);
    const at = this.table.writeImage(v, IMAGE_HEADER_BYTES);
    out.set(this.slab.subarray(0, this.slabUsed), at);
    return out;
  }

  /** The set an image describes, laid out identically; an error text when the bytes are not a valid image. */
  static restore(bytes: Uint8Array): LargeSet | string {
    if (bytes.length < IMAGE_HEADER_BYTES || bytes[0] !== SetTag.LARGE) return 'not a large set image';
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const count = v.getUint32(4, true);
    const slabUsed = v.getUint32(8, true);
    const slabGarbage = v.getUint32(12, true);
    const slabBytes = v.getUint32(16, true);
    if (slabUsed < 1 || slabUsed > slabBytes || slabGarbage >= slabUsed) return 'a slab whose sizes do not match';
    const set = new LargeSet(slabBytes);
    // The slab first (the table's check hashes its members): it is the image's tail.
    const slabStart = bytes.length - slabUsed;
    if (slabStart < IMAGE_HEADER_BYTES) return 'an image cut short';
    set.slab.set(bytes.subarray(slabStart));
    set.slabUsed = slabUsed;
    set.slabGarbage = slabGarbage;
    const read = HashIndex.readImage(set, LARGE_SET_SLOTS_MIN, v, IMAGE_HEADER_BYTES);
    if (typeof read === 'string') return read;
    if (read.end !== slabStart) return 'an image whose length does not match its header';
    set.table = read.index;
    if (set.size !== count || count === 0) return `a member count of ${count} that does not match the table`;
    return set.invalid() ?? set;
  }

  /** Null when the slab and the table agree (each member once, garbage adding up), else what is wrong. */
  private invalid(): string | null {
    let liveBytes = 0;
    let problem: string | null = null;
    this.table.forEach((offset) => {
      if (problem !== null) return;
      if (offset >= this.slabUsed || this.entryEnd(offset) > this.slabUsed) {
        problem = 'a member past the slab';
        return;
      }
      liveBytes += this.entryEnd(offset) - offset;
      const member = this.memberAt(offset);
      if (this.table.find(member, hashOfBytes(member, 0, member.length)) !== offset) problem = 'a member twice';
    });
    if (problem === null && liveBytes + this.slabGarbage + 1 !== this.slabUsed) problem = 'slab garbage that does not add up';
    return problem;
  }

  // ---- internals ------------------------------------------------------------

  /** The length of the member at `offset`; its bytes start at `decodedStart`. */
  private lengthAt(offset: number): number {
    const slab = this.slab;
    let b = slab[offset]!;
    if (b < 0x80) {
      this.decodedStart = offset + 1;
      return b;
    }
    let length = b & 0x7f;
    let shift = 0x80;
    let at = offset + 1;
    for (;;) {
      b = slab[at++]!;
      length += (b & 0x7f) * shift;
      if (b < 0x80) break;
      shift *= 0x80;
    }
    this.decodedStart = at;
    return length;
  }

  private memberAt(offset: number): Uint8Array {
    const length = this.lengthAt(offset);
    return this.slab.subarray(this.decodedStart, this.decodedStart + length);
  }

  private entryEnd(offset: number): number {
    const length = this.lengthAt(offset);
    return this.decodedStart + length;
  }

  /** Write a member at the slab's end (growing it by half when full); its offset. */
  private append(member: Uint8Array): number {
    const need = varintBytes(member.length) + member.length;
    if (this.slabUsed + need > this.slab.length) {
      const grown = Math.floor((this.slab.length * SLAB_GROWTH_NUMERATOR) / SLAB_GROWTH_DENOMINATOR);
      const slab = new Uint8Array(Math.max(grown, this.slabUsed + need));
      slab.set(this.slab.subarray(0, this.slabUsed));
      this.slab = slab;
    }
    const offset = this.slabUsed;
    const at = putVarint(this.slab, offset, member.length);
    this.slab.set(member, at);
    this.slabUsed = at + member.length;
    return offset;
  }

  /** Copy the live members to a fresh slab in the table's slot order, leaving room to grow by half. */
  private compactSlab(): void {
    const live = this.slabUsed - this.slabGarbage;
    const slab = new Uint8Array(Math.max(SLAB_BYTES_MIN, Math.floor((live * SLAB_GROWTH_NUMERATOR) / SLAB_GROWTH_DENOMINATOR)));
    let used = 1;
    this.table.remap((offset) => {
      const end = this.entryEnd(offset);
      slab.set(this.slab.subarray(offset, end), used);
      const moved = used;
      used += end - offset;
      return moved;
    });
    assert(used === live, 'compaction kept every live byte');
    this.slab = slab;
    this.slabUsed = used;
    this.slabGarbage = 0;
  }
}
