// A minimal reader for unpacked, segment-framed Cap'n Proto messages: the
// segment table, struct pointers, list pointers (bytes, pointers, composite
// lists of structs) and far pointers, which is everything Piccolo's schema
// uses. The codecs in schema/binary-*.ts read their structs through it at the
// offsets in piccolo-layout.ts.
//
// It never throws on bad input. The first problem is recorded in `error`;
// from then on every read returns its default (0, false, empty, an empty
// struct), so a decoder reads straight through and checks `error` once.
// Reading follows the schema-evolution rules: a null pointer, or a field
// beyond the end of a struct written by an older schema, reads as its default;
// fields beyond the ones we know are ignored.
//
// Guards against hostile frames:
// - every pointer's target, every list and every landing pad is checked
//   against the bounds of its segment before it is read;
// - byte fields (Data, Text) may add up to at most the frame's size: pointers
//   may share data, which could otherwise turn a small frame into gigabytes of
//   "different" values;
// - lists of zero-sized structs may hold at most as many elements as the
//   frame has words (their length costs no bytes, so bounds do not limit it);
// - callers pass the most elements they accept, checked before any element is
//   touched.

import { ElementSize, PointerKind, SEGMENTS_MAX, segmentTableBytes, WORD_BYTES } from './wire-format.js';

export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/** Where a struct's sections lie: byte offsets into the frame, and the segment holding them. */
export class StructRef {
  constructor(
    readonly segment: number,
    readonly dataOffset: number,
    readonly dataBytes: number,
    readonly pointerOffset: number,
    readonly pointerCount: number,
  ) {}
}

/** A struct with no fields: every field reads as its default. */
export const EMPTY_STRUCT: StructRef = new StructRef(0, 0, 0, 0, 0);

/** A list whose bounds have been checked: `count` elements `stepBytes` apart from `firstOffset`. */
export class ListRef {
  constructor(
    readonly segment: number,
    readonly firstOffset: number,
    readonly count: number,
    readonly stepBytes: number,
    /** Struct elements: their data section bytes and pointer count (0 and 1 for pointer lists). */
    readonly elementDataBytes: number,
    readonly elementPointerCount: number,
  ) {}
}

export const EMPTY_LIST: ListRef = new ListRef(0, 0, 0, 0, 0, 0);

/** A list declaring more elements than the caller accepts; nothing of it was checked or read. */
export class ListTooLong {
  constructor(readonly count: number) {}
}

const TWO_POW_32 = 2 ** 32;
/** High 32 bits of 2^53 - 1, the largest integer a JS number holds exactly. */
const SAFE_HIGH_MAX = 0x1f_ffff;
/** Reassembles Float64 and Int64 fields from their two 32-bit halves (a DataView per frame costs more than a read). */
const scratch = new DataView(new ArrayBuffer(8));

// Text is UTF-8 and ends in a NUL byte. Not fatal: invalid sequences become
// U+FFFD rather than failing a whole reply. ignoreBOM keeps a leading U+FEFF.
const textDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

export class MessageReader {
  /** The first problem found, or null while the frame reads cleanly. */
  error: string | null = null;

  // Sized by the segment table (readSegmentTable): pushing onto [] would allocate room for 17 on every frame.
  private segmentStarts: number[] = [];
  private segmentEnds: number[] = [];
  /** Bytes that Data and Text fields may still return (see the header comment). */
  private dataBytesLeft: number;
  /**
   * Words that lists may still span. Lists, like byte fields, can be shared
   * by many pointers; with a transaction's ops each naming the same batch, a
   * small frame would otherwise unfold into millions of elements. An honest
   * encoder's lists are disjoint, so together they fit in the frame.
   */
  private listWordsLeft: number;

  // Where resolvePointer() found a pointer's target; fields, not a returned
  // object, so that reading a pointer allocates nothing.
  private targetSegment = 0;
  /** Byte offset of the target's first word. */
  private targetOffset = 0;
  /** The pointer word that describes the target (the landing pad or tag word for far pointers). */
  private targetLow = 0;
  private targetHigh = 0;

  private readonly bytes: Uint8Array;

  /** Opens a frame: the segment table and the segments after it. Problems are recorded, not thrown. */
  constructor(bytes: Uint8Array) {
    // Byte fields are copied out with slice(), which on a subclass such as
    // Node's Buffer returns a view into the frame (or a Buffer): read a plain Uint8Array.
    this.bytes = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.dataBytesLeft = bytes.length;
    this.listWordsLeft = bytes.length / WORD_BYTES;
    this.readSegmentTable();
  }

  private readSegmentTable(): void {
    const length = this.bytes.length;
    if (length < WORD_BYTES) {
      this.fail(`frame of ${length} bytes is shorter than a segment table`);
      return;
    }
    const segmentCount = this.u32At(0) + 1;
    if (segmentCount > SEGMENTS_MAX) {
      this.fail(`frame declares ${segmentCount} segments; the limit is ${SEGMENTS_MAX}`);
      return;
    }
    const tableBytes = segmentTableBytes(segmentCount);
    if (tableBytes > length) {
      this.fail('frame is shorter than its segment table');
      return;
    }
    let offset = tableBytes;
    this.segmentStarts = new Array<number>(segmentCount);
    this.segmentEnds = new Array<number>(segmentCount);
    for (let i = 0; i < segmentCount; i++) {
      const end = offset + this.u32At(4 + 4 * i) * WORD_BYTES;
      if (end > length) {
        this.fail(`segment table declares segments up to byte ${end}; the frame holds ${length}`);
        this.segmentStarts.length = this.segmentEnds.length = i; // the segments read so far, no holes
        return;
      }
      this.segmentStarts[i] = offset;
      this.segmentEnds[i] = end;
      offset = end;
    }
    // Bytes after the last segment are ignored, as other readers do.
  }

  /** The root struct: the target of the first word of the first segment. */
  root(): StructRef {
    if (this.error !== null) return EMPTY_STRUCT;
    if (this.segmentEnds[0]! - this.segmentStarts[0]! < WORD_BYTES) return this.fail('the first segment has no root pointer');
    return this.structAt(0, this.segmentStarts[0]!);
  }

  // --- data section fields: beyond the section's end they read as 0 / false ---

  u16(s: StructRef, byteOffset: number): number {
    if (byteOffset + 2 > s.dataBytes) return 0;
    const at = s.dataOffset + byteOffset;
    return this.bytes[at]! | (this.bytes[at + 1]! << 8);
  }

  u32(s: StructRef, byteOffset: number): number {
    return byteOffset + 4 <= s.dataBytes ? this.u32At(s.dataOffset + byteOffset) : 0;
  }

  u64(s: StructRef, byteOffset: number): bigint {
    if (byteOffset + 8 > s.dataBytes) return 0n;
    const low = this.u32At(s.dataOffset + byteOffset);
    const high = this.u32At(s.dataOffset + byteOffset + 4);
    return high === 0 ? BigInt(low) : (BigInt(high) << 32n) | BigInt(low);
  }

  i64(s: StructRef, byteOffset: number): bigint {
    if (byteOffset + 8 > s.dataBytes) return 0n;
    this.toScratch(s.dataOffset + byteOffset);
    return scratch.getBigInt64(0, true);
  }

  f64(s: StructRef, byteOffset: number): number {
    if (byteOffset + 8 > s.dataBytes) return 0;
    this.toScratch(s.dataOffset + byteOffset);
    return scratch.getFloat64(0, true);
  }

  /** A UInt64 as a JS number, or null when it is beyond 2^53 - 1 (without making a bigint). */
  u64Number(s: StructRef, byteOffset: number): number | null {
    if (byteOffset + 8 > s.dataBytes) return 0;
    const low = this.u32At(s.dataOffset + byteOffset);
    const high = this.u32At(s.dataOffset + byteOffset + 4);
    return high <= SAFE_HIGH_MAX ? high * TWO_POW_32 + low : null;
  }

  /** An Int64 as a JS number, or null when it is beyond ±(2^53 - 1). */
  i64Number(s: StructRef, byteOffset: number): number | null {
    if (byteOffset + 8 > s.dataBytes) return 0;
    const low = this.u32At(s.dataOffset + byteOffset);
    const high = this.u32At(s.dataOffset + byteOffset + 4) | 0;
    // -(2^53 - 1) has high word -2^21 and a non-zero low word.
    const safe = high >= 0 ? high <= SAFE_HIGH_MAX : high > -SAFE_HIGH_MAX - 1 || (high === -SAFE_HIGH_MAX - 1 && low !== 0);
    return safe ? high * TWO_POW_32 + low : null;
  }

  bit(s: StructRef, bitOffset: number): boolean {
    const byteOffset = bitOffset >>> 3;
    return byteOffset < s.dataBytes && (this.bytes[s.dataOffset + byteOffset]! & (1 << (bitOffset & 7))) !== 0;
  }

  // --- pointer section fields: null or missing pointers read as empty ---

  /** Whether a pointer field is set: for a field where an empty list and none differ (a null pointer and one to 0 elements both read as empty). */
  isSet(s: StructRef, pointerIndex: number): boolean {
    return this.error === null && pointerIndex < s.pointerCount && !this.isNull(s.pointerOffset + pointerIndex * WORD_BYTES);
  }

  struct(s: StructRef, pointerIndex: number): StructRef {
    if (this.error !== null || pointerIndex >= s.pointerCount) return EMPTY_STRUCT;
    return this.structAt(s.segment, s.pointerOffset + pointerIndex * WORD_BYTES);
  }

  /** A Data field: a copy, independent of the frame (so valid after the caller reuses `bytes`). */
  data(s: StructRef, pointerIndex: number): Uint8Array {
    if (this.error !== null || pointerIndex >= s.pointerCount) return EMPTY_BYTES;
    return this.dataAt(s.segment, s.pointerOffset + pointerIndex * WORD_BYTES);
  }

  /** A Text field, decoded (its NUL terminator dropped). */
  text(s: StructRef, pointerIndex: number): string {
    if (this.error !== null || pointerIndex >= s.pointerCount) return '';
    const at = s.pointerOffset + pointerIndex * WORD_BYTES;
    if (this.isNull(at)) return '';
    const length = this.byteListAt(s.segment, at, 'Text');
    if (length < 0) return '';
    if (length === 0 || this.bytes[this.targetOffset + length - 1] !== 0) {
      this.fail('Text is not NUL-terminated');
      return '';
    }
    if (!this.chargeData(length)) return '';
    return textDecoder.decode(this.bytes.subarray(this.targetOffset, this.targetOffset + length - 1));
  }

  /** A List(Data) (or any list of pointers) field; ListTooLong when it declares more than countMax elements. */
  pointerList(s: StructRef, pointerIndex: number, countMax: number): ListRef | ListTooLong {
    if (this.error !== null || pointerIndex >= s.pointerCount) return EMPTY_LIST;
    const at = s.pointerOffset + pointerIndex * WORD_BYTES;
    if (this.isNull(at) || !this.resolvePointer(s.segment, at)) return EMPTY_LIST;
    if ((this.targetLow & 3) !== PointerKind.LIST || (this.targetHigh & 7) !== ElementSize.POINTER) {
      this.fail('expected a list of pointers');
      return EMPTY_LIST;
    }
    const count = this.targetHigh >>> 3;
    if (count > countMax) return new ListTooLong(count);
    if (!this.checkBounds(this.targetOffset, count * WORD_BYTES, 'list of pointers') || !this.chargeList(count)) return EMPTY_LIST;
    return new ListRef(this.targetSegment, this.targetOffset, count, WORD_BYTES, 0, 1);
  }

  /** A List(SomeStruct) field (composite list); ListTooLong when it declares more than countMax elements. */
  structList(s: StructRef, pointerIndex: number, countMax: number): ListRef | ListTooLong {
    if (this.error !== null || pointerIndex >= s.pointerCount) return EMPTY_LIST;
    const at = s.pointerOffset + pointerIndex * WORD_BYTES;
    if (this.isNull(at) || !this.resolvePointer(s.segment, at)) return EMPTY_LIST;
    if ((this.targetLow & 3) !== PointerKind.LIST || (this.targetHigh & 7) !== ElementSize.COMPOSITE) {
      this.fail('expected a list of structs');
      return EMPTY_LIST;
    }
    const contentWords = this.targetHigh >>> 3; // after the tag word
    const tagOffset = this.targetOffset;
    if (!this.checkBounds(tagOffset, WORD_BYTES, 'list of structs')) return EMPTY_LIST;
    // The tag word looks like a struct pointer whose offset field is the element count.
    const tagLow = this.u32At(tagOffset);
    const tagHigh = this.u32At(tagOffset + 4);
    if ((tagLow & 3) !== PointerKind.STRUCT) {
      this.fail('the tag of a list of structs is not a struct tag');
      return EMPTY_LIST;
    }
    const count = tagLow >>> 2;
    if (count > countMax) return new ListTooLong(count);
    const dataWords = tagHigh & 0xffff;
    const pointerCount = tagHigh >>> 16;
    const elementWords = dataWords + pointerCount;
    if (elementWords === 0 && count > this.bytes.length / WORD_BYTES) {
      this.fail(`list of ${count} empty structs is longer than the frame has words`);
      return EMPTY_LIST;
    }
    if (count * elementWords > contentWords) {
      this.fail('the elements of a list of structs overrun the list');
      return EMPTY_LIST;
    }
    if (!this.checkBounds(tagOffset + WORD_BYTES, contentWords * WORD_BYTES, 'list of structs')) return EMPTY_LIST;
    if (!this.chargeList(1 + count * elementWords)) return EMPTY_LIST;
    return new ListRef(this.targetSegment, tagOffset + WORD_BYTES, count, elementWords * WORD_BYTES, dataWords * WORD_BYTES, pointerCount);
  }

  /** A List(UInt32) field; ListTooLong when it declares more than countMax elements. */
  u32List(s: StructRef, pointerIndex: number, countMax: number): ListRef | ListTooLong {
    if (this.error !== null || pointerIndex >= s.pointerCount) return EMPTY_LIST;
    const at = s.pointerOffset + pointerIndex * WORD_BYTES;
    if (this.isNull(at) || !this.resolvePointer(s.segment, at)) return EMPTY_LIST;
    if ((this.targetLow & 3) !== PointerKind.LIST || (this.targetHigh & 7) !== ElementSize.FOUR_BYTES) {
      this.fail('expected a list of 32-bit numbers');
      return EMPTY_LIST;
    }
    const count = this.targetHigh >>> 3;
    if (count > countMax) return new ListTooLong(count);
    if (!this.checkBounds(this.targetOffset, count * 4, 'list of 32-bit numbers')) return EMPTY_LIST;
    return new ListRef(this.targetSegment, this.targetOffset, count, 4, 4, 0);
  }

  /** Element `index` of a List(UInt32) (0 past the end). */
  u32Element(list: ListRef, index: number): number {
    return index < list.count ? this.u32At(list.firstOffset + index * 4) : 0;
  }

  /** Element `index` of a list of structs (EMPTY_STRUCT past the end). */
  structElement(list: ListRef, index: number): StructRef {
    if (index >= list.count) return EMPTY_STRUCT;
    const offset = list.firstOffset + index * list.stepBytes;
    return new StructRef(list.segment, offset, list.elementDataBytes, offset + list.elementDataBytes, list.elementPointerCount);
  }

  /** Element `index` of a List(Data) (empty past the end). */
  dataElement(list: ListRef, index: number): Uint8Array {
    if (this.error !== null || index >= list.count || list.elementPointerCount === 0) return EMPTY_BYTES;
    return this.dataAt(list.segment, list.firstOffset + index * list.stepBytes + list.elementDataBytes);
  }

  // --- raw reads (callers have checked the bounds) ---

  private u32At(at: number): number {
    const b = this.bytes;
    return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
  }

  private toScratch(at: number): void {
    scratch.setUint32(0, this.u32At(at), true);
    scratch.setUint32(4, this.u32At(at + 4), true);
  }

  // --- pointers ---

  private isNull(at: number): boolean {
    return this.u32At(at) === 0 && this.u32At(at + 4) === 0;
  }

  /** The struct a pointer word at `at` (inside `segment`) points to. */
  private structAt(segment: number, at: number): StructRef {
    if (this.isNull(at) || !this.resolvePointer(segment, at)) return EMPTY_STRUCT;
    if ((this.targetLow & 3) !== PointerKind.STRUCT) return this.fail('expected a struct pointer');
    const dataBytes = (this.targetHigh & 0xffff) * WORD_BYTES;
    const pointerCount = this.targetHigh >>> 16;
    const offset = this.targetOffset;
    if (!this.checkBounds(offset, dataBytes + pointerCount * WORD_BYTES, 'struct')) return EMPTY_STRUCT;
    return new StructRef(this.targetSegment, offset, dataBytes, offset + dataBytes, pointerCount);
  }

  private dataAt(segment: number, at: number): Uint8Array {
    if (this.isNull(at)) return EMPTY_BYTES;
    const length = this.byteListAt(segment, at, 'Data');
    if (length <= 0 || !this.chargeData(length)) return EMPTY_BYTES;
    // uWebSockets.js reuses a frame's memory once the handler returns, so
    // fields cannot be views into `bytes`. A copy per field rather than views
    // into one copy of the frame: V8 keeps small arrays (keys, mostly) on its
    // heap, where they cost a fraction of an ArrayBuffer, and no field keeps
    // the rest of the frame alive.
    return this.bytes.slice(this.targetOffset, this.targetOffset + length);
  }

  /** Resolves a byte list pointer; its length (its bytes start at targetOffset), or -1 after recording a problem. */
  private byteListAt(segment: number, at: number, what: string): number {
    if (!this.resolvePointer(segment, at)) return -1;
    if ((this.targetLow & 3) !== PointerKind.LIST || (this.targetHigh & 7) !== ElementSize.BYTE) {
      this.fail(`expected a byte list for ${what}`);
      return -1;
    }
    const length = this.targetHigh >>> 3;
    return this.checkBounds(this.targetOffset, length, what) ? length : -1;
  }

  private chargeData(length: number): boolean {
    this.dataBytesLeft -= length;
    if (this.dataBytesLeft >= 0) return true;
    this.fail('byte fields add up to more than the frame holds (pointers share data)');
    return false;
  }

  private chargeList(words: number): boolean {
    this.listWordsLeft -= words;
    if (this.listWordsLeft >= 0) return true;
    this.fail('lists add up to more than the frame holds (pointers share them)');
    return false;
  }

  /**
   * Follows a non-null pointer word at `at` in `segment` through far
   * pointers, leaving its target in the target* fields. False after recording
   * a problem.
   */
  private resolvePointer(segment: number, at: number): boolean {
    const low = this.u32At(at);
    const high = this.u32At(at + 4);
    if ((low & 3) !== PointerKind.FAR) {
      this.setTarget(segment, at, low, high);
      return true;
    }
    // A far pointer: `high` names the segment of a landing pad at word `low >>> 3`.
    const isDouble = (low & 4) !== 0;
    const padBytes = isDouble ? 2 * WORD_BYTES : WORD_BYTES;
    if (high >= this.segmentStarts.length) return this.failed(`far pointer names segment ${high} of ${this.segmentStarts.length}`);
    const padOffset = this.segmentStarts[high]! + (low >>> 3) * WORD_BYTES;
    if (padOffset + padBytes > this.segmentEnds[high]!) return this.failed('far pointer landing pad is outside its segment');
    const padLow = this.u32At(padOffset);
    const padHigh = this.u32At(padOffset + 4);
    if (!isDouble) {
      // The pad is an ordinary pointer, its offset relative to itself.
      if ((padLow & 3) === PointerKind.FAR) return this.failed('far pointer lands on another far pointer');
      this.setTarget(high, padOffset, padLow, padHigh);
      return true;
    }
    // Double far: the pad is a far pointer to the content (in yet another
    // segment) followed by a tag word describing it (with a zero offset).
    if ((padLow & 7) !== PointerKind.FAR) return this.failed('double-far landing pad is not a single far pointer');
    if (padHigh >= this.segmentStarts.length) return this.failed(`far pointer names segment ${padHigh} of ${this.segmentStarts.length}`);
    const tagLow = this.u32At(padOffset + WORD_BYTES);
    const tagHigh = this.u32At(padOffset + WORD_BYTES + 4);
    if ((tagLow & 3) === PointerKind.FAR) return this.failed('double-far tag is a far pointer');
    this.targetSegment = padHigh;
    this.targetOffset = this.segmentStarts[padHigh]! + (padLow >>> 3) * WORD_BYTES;
    this.targetLow = tagLow;
    this.targetHigh = tagHigh;
    return true;
  }

  private setTarget(segment: number, at: number, low: number, high: number): void {
    this.targetSegment = segment;
    // `low >> 2` is the signed 30-bit offset in words from the end of the pointer.
    this.targetOffset = at + WORD_BYTES + (low >> 2) * WORD_BYTES;
    this.targetLow = low;
    this.targetHigh = high;
  }

  /** Whether `byteLength` bytes from `offset` lie inside the target segment. */
  private checkBounds(offset: number, byteLength: number, what: string): boolean {
    if (offset >= this.segmentStarts[this.targetSegment]! && offset + byteLength <= this.segmentEnds[this.targetSegment]!) return true;
    return this.failed(`${what} lies outside its segment`);
  }

  private fail(message: string): StructRef {
    this.error ??= message;
    return EMPTY_STRUCT;
  }

  private failed(message: string): false {
    this.error ??= message;
    return false;
  }
}
