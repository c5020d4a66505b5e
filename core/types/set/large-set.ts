// The large form of a set ("hashtable", as Redis calls it): a hash set in
// typed arrays, no JS object per member. Members live one after another in a
// byte slab (a one-byte-per-7-bits length, then the bytes); an open-addressing
// table (linear probing, load <= 3/4) holds each member's slab offset (u32,
// 0 = empty: the slab's byte 0 is never used) and an 8-bit fingerprint of
// its hash, 5 bytes a slot, so a probe compares bytes only when the
// fingerprint matches. The scheme is core/store/hash-index.ts's (backward-shift
// deletion, no tombstones, SCAN by home bucket in reverse-binary order);
// unlike it, a resize here is done at once (see docs/data-structures.md).
//
// A removed member's bytes are zeroed and counted as garbage; when garbage is
// over half the slab, the live members are copied to a fresh slab in slot
// order. Every step depends only on the operations done, so replicas applying
// the same log lay the set out identically; `encode` is the exact image
// (table, slab, capacities) and `LargeSet.restore` rebuilds the same layout,
// so a replica restored from a snapshot draws SPOP's members as the others do.

import { assert } from '../../assert.js';
import type { Random } from '../../random.js';
import type { Collection } from '../../store/collection.js';
import { keyHashDefault } from '../../store/key-hash.js';
import { deleteShiftingBack } from '../../store/linear-probing.js';
import { scanCursorNext } from '../../store/scan-cursor.js';
import { ValueType } from '../../store/value-type.js';
import { SetTag } from './set-encoding.js';
import type { MutableSetMembers } from './set-members.js';

/** Smallest table: a set only gets here past 128 members, so smaller tables would only be resized at once. */
export const LARGE_SET_SLOTS_MIN = 256;
/** Most slots: offsets and SCAN cursors are 32-bit. */
const SLOTS_MAX = 2 ** 31;
/** Grow past 3/4 load: linear probing's probes lengthen steeply beyond it. */
const LOAD_MAX_NUMERATOR = 3;
const LOAD_MAX_DENOMINATOR = 4;
/** Shrink below 1/8 load (to 1/4): far enough from the grow point that a table never flaps. */
const LOAD_SHRINK_DENOMINATOR = 8;
const SHRINK_SLOTS_PER_MEMBER = 4;
/** A slab grows by half: doubling would leave up to half of a million-member slab unused. */
const SLAB_GROWTH_NUMERATOR = 3;
const SLAB_GROWTH_DENOMINATOR = 2;
/** A first slab: room for the members a conversion brings (up to 512 integers' text) without growing at once. */
const SLAB_BYTES_MIN = 4096;
/** Bytes the object itself and its array headers cost beyond the arrays' contents (for memory accounting). */
const OBJECT_OVERHEAD_BYTES = 200;
/** The image's fixed header: tag, three pad bytes, then count, slots, slab used, slab garbage, slab capacity (u32 each). */
const IMAGE_HEADER_BYTES = 24;

const hashOfBytes = keyHashDefault;

function varintBytes(n: number): number {
  let bytes = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    bytes++;
  }
  return bytes;
}

export class LargeSet implements Collection, MutableSetMembers {
  readonly type = ValueType.SET;
  private slab: Uint8Array;
  /** Slab bytes in use (live members and garbage); starts at 1 so offset 0 means empty. */
  private slabUsed = 1;
  private slabGarbage = 0;
  private offsets: Uint32Array;
  private tags: Uint8Array;
  private mask: number;
  private count = 0;

  constructor(slots = LARGE_SET_SLOTS_MIN, slabBytes = SLAB_BYTES_MIN) {
    assert(slots >= 2 && slots <= SLOTS_MAX && (slots & (slots - 1)) === 0, () => `slots must be a power of two, got ${slots}`);
    this.offsets = new Uint32Array(slots);
    this.tags = new Uint8Array(slots);
    this.mask = slots - 1;
    assert(Number.isSafeInteger(slabBytes) && slabBytes >= 1, () => `a slab of ${slabBytes} bytes`);
    this.slab = new Uint8Array(slabBytes);
  }

  get size(): number {
    return this.count;
  }

  get slots(): number {
    return this.mask + 1;
  }

  get memoryBytes(): number {
    return this.slab.length + this.offsets.length * 4 + this.tags.length + OBJECT_OVERHEAD_BYTES;
  }

  has(member: Uint8Array): boolean {
    return this.probe(member, hashOfBytes(member, 0, member.length)) >= 0;
  }

  add(member: Uint8Array): boolean {
    const hash = hashOfBytes(member, 0, member.length);
    if (this.probe(member, hash) >= 0) return false;
    if ((this.count + 1) * LOAD_MAX_DENOMINATOR > this.slots * LOAD_MAX_NUMERATOR) this.resize(this.slots * 2);
    const offset = this.append(member);
    this.place(this.offsets, this.tags, this.mask, hash, offset);
    this.count++;
    return true;
  }

  remove(member: Uint8Array): boolean {
    const slot = this.probe(member, hashOfBytes(member, 0, member.length));
    if (slot < 0) return false;
    const offset = this.offsets[slot]!;
    const end = this.entryEnd(offset);
    this.slab.fill(0, offset, end);
    this.slabGarbage += end - offset;
    this.deleteAt(slot);
    this.count--;
    if (this.count * LOAD_SHRINK_DENOMINATOR < this.slots && this.slots > LARGE_SET_SLOTS_MIN) {
      let slots = LARGE_SET_SLOTS_MIN;
      while (slots < this.count * SHRINK_SLOTS_PER_MEMBER) slots *= 2;
      if (slots < this.slots) this.resize(slots);
    }
    if (this.slabGarbage * 2 > this.slabUsed && this.slabGarbage >= SLAB_BYTES_MIN) this.compactSlab();
    return true;
  }

  forEach(fn: (member: Uint8Array) => void): void {
    const offsets = this.offsets;
    for (let i = 0; i < offsets.length; i++) if (offsets[i] !== 0) fn(this.memberAt(offsets[i]!));
  }

  /** A random slot, then the next occupied one: members after long empty runs are likelier, as with Redis's dictGetRandomKey. */
  randomMember(random: Random): Uint8Array {
    assert(this.count > 0, 'a random member of an empty set');
    let i = random.int(0, this.mask);
    while (this.offsets[i] === 0) i = (i + 1) & this.mask;
    return this.memberAt(this.offsets[i]!);
  }

  /** SSCAN: emit the members whose home is the cursor's bucket; the next cursor (0: done). */
  scanStep(cursor: number, emit: (member: Uint8Array) => void): number {
    const { offsets, mask } = this;
    const bucket = cursor & mask;
    for (let i = bucket, n = 0; offsets[i] !== 0 && n <= mask; i = (i + 1) & mask, n++) {
      if ((this.hashAt(offsets[i]!) & mask) === bucket) emit(this.memberAt(offsets[i]!));
    }
    return scanCursorNext(cursor, mask);
  }

  // ---- the image ------------------------------------------------------------

  encode(): Uint8Array {
    const slots = this.slots;
    const out = new Uint8Array(IMAGE_HEADER_BYTES + slots * 5 + this.slabUsed);
    const v = new DataView(out.buffer);
    out[0] = SetTag.LARGE;
    v.setUint32(4, this.count, true);
    v.setUint32(8, slots, true);
    v.setUint32(12, this.slabUsed, true);
    v.setUint32(16, this.slabGarbage, true);
    v.setUint32(20, this.slab.length, true);
    let at = IMAGE_HEADER_BYTES;
    for (let i = 0; i < slots; i++, at += 4) v.setUint32(at, this.offsets[i]!, true);
    out.set(this.tags, at);
    out.set(this.slab.subarray(0, this.slabUsed), at + slots);
    return out;
  }

  /** The set an image describes, laid out identically; an error text when the bytes are not a valid image. */
  static restore(bytes: Uint8Array): LargeSet | string {
    if (bytes.length < IMAGE_HEADER_BYTES || bytes[0] !== SetTag.LARGE) return 'not a large set image';
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const count = v.getUint32(4, true);
    const slots = v.getUint32(8, true);
    const slabUsed = v.getUint32(12, true);
    const slabGarbage = v.getUint32(16, true);
    const slabBytes = v.getUint32(20, true);
    if (slots < 2 || slots > SLOTS_MAX || (slots & (slots - 1)) !== 0) return `a table of ${slots} slots`;
    if (bytes.length !== IMAGE_HEADER_BYTES + slots * 5 + slabUsed) return 'an image whose length does not match its header';
    if (slabUsed < 1 || slabUsed > slabBytes || slabGarbage >= slabUsed) return 'a slab whose sizes do not match';
    if (count === 0 || count * LOAD_MAX_DENOMINATOR > slots * LOAD_MAX_NUMERATOR) return `${count} members in ${slots} slots`;
    const set = new LargeSet(slots, slabBytes);
    let at = IMAGE_HEADER_BYTES;
    for (let i = 0; i < slots; i++, at += 4) set.offsets[i] = v.getUint32(at, true);
    set.tags.set(bytes.subarray(at, at + slots));
    set.slab.set(bytes.subarray(at + slots));
    set.slabUsed = slabUsed;
    set.slabGarbage = slabGarbage;
    set.count = count;
    return set.invalid() ?? set;
  }

  /** Null when the table and slab agree (every member findable from its home, counts right), else what is wrong. */
  private invalid(): string | null {
    let occupied = 0;
    let liveBytes = 0;
    for (let i = 0; i < this.offsets.length; i++) {
      const offset = this.offsets[i]!;
      if (offset === 0) continue;
      occupied++;
      if (offset >= this.slabUsed) return 'a member offset past the slab';
      const end = this.entryEnd(offset);
      if (end > this.slabUsed) return 'a member running past the slab';
      liveBytes += end - offset;
      const member = this.memberAt(offset);
      if (this.probe(member, hashOfBytes(member, 0, member.length)) !== i) return 'a member not where its hash puts it, or twice';
    }
    if (occupied !== this.count) return 'a member count that does not match the table';
    if (liveBytes + this.slabGarbage + 1 !== this.slabUsed) return 'slab garbage that does not add up';
    return null;
  }

  // ---- internals ------------------------------------------------------------

  /** Where the last decoded member's bytes start (set by lengthAt; saves an object per call on the hot path). */
  private decodedStart = 0;

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

  private hashAt(offset: number): number {
    const length = this.lengthAt(offset);
    return hashOfBytes(this.slab, this.decodedStart, length);
  }

  private entryEquals(offset: number, member: Uint8Array): boolean {
    const length = this.lengthAt(offset);
    if (length !== member.length) return false;
    const slab = this.slab;
    const start = this.decodedStart;
    for (let i = 0; i < length; i++) if (slab[start + i] !== member[i]) return false;
    return true;
  }

  private probe(member: Uint8Array, hash: number): number {
    const { offsets, tags, mask } = this;
    const tag = hash >>> 24;
    for (let i = hash & mask; offsets[i] !== 0; i = (i + 1) & mask) {
      if (tags[i] === tag && this.entryEquals(offsets[i]!, member)) return i;
    }
    return -1;
  }

  private place(offsets: Uint32Array, tags: Uint8Array, mask: number, hash: number, offset: number): void {
    let i = hash & mask;
    while (offsets[i] !== 0) i = (i + 1) & mask;
    offsets[i] = offset;
    tags[i] = hash >>> 24;
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
    let at = offset;
    let n = member.length;
    while (n >= 0x80) {
      this.slab[at++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.slab[at++] = n;
    this.slab.set(member, at);
    this.slabUsed = at + member.length;
    return offset;
  }

  /** Empty a slot, shifting back the entries after it (core/store/linear-probing.ts). */
  private deleteAt(slot: number): void {
    deleteShiftingBack(this.offsets, this.tags, this.mask, slot, this.hashAtOffset);
  }

  private readonly hashAtOffset = (offset: number): number => this.hashAt(offset);

  /** A new table of `slots`, filled from the old one in slot order (so every replica builds the same). */
  private resize(slots: number): void {
    assert(slots <= SLOTS_MAX, 'a set past 2^31 slots');
    const offsets = new Uint32Array(slots);
    const tags = new Uint8Array(slots);
    const mask = slots - 1;
    for (let i = 0; i < this.offsets.length; i++) {
      const offset = this.offsets[i]!;
      if (offset !== 0) this.place(offsets, tags, mask, this.hashAt(offset), offset);
    }
    this.offsets = offsets;
    this.tags = tags;
    this.mask = mask;
  }

  /** Copy the live members to a fresh slab in slot order, leaving room to grow by half. */
  private compactSlab(): void {
    const live = this.slabUsed - this.slabGarbage;
    const slab = new Uint8Array(Math.max(SLAB_BYTES_MIN, Math.floor((live * SLAB_GROWTH_NUMERATOR) / SLAB_GROWTH_DENOMINATOR)));
    let used = 1;
    for (let i = 0; i < this.offsets.length; i++) {
      const offset = this.offsets[i]!;
      if (offset === 0) continue;
      const end = this.entryEnd(offset);
      slab.set(this.slab.subarray(offset, end), used);
      this.offsets[i] = used;
      used += end - offset;
    }
    assert(used === live, 'compaction kept every live byte');
    this.slab = slab;
    this.slabUsed = used;
    this.slabGarbage = 0;
  }
}
