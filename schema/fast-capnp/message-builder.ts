// A minimal writer for single-segment Cap'n Proto messages, framed for the
// wire (segment table + segment). Objects are laid out in the order they are
// allocated, each pointer pointing forwards, in one reused buffer that grows
// when a message outgrows it; finish() returns a copy of exactly the message,
// the only allocation a small message costs.
//
// Offsets are byte offsets from the start of the frame; a struct's offset is
// the start of its data section, its pointers follow the data words.
// Allocated memory is always zero (beginRoot() clears what the previous message
// used), so fields left unset read as their defaults.

import type { ByteSlab } from '../../core/byte-slab.js';
import { WireEncodeError } from '../wire-errors.js';
import type { StructSize } from './piccolo-layout.js';
import { ElementSize, padToWord, PointerKind, WORD_BYTES } from './wire-format.js';

/** A single-segment frame header: segment count - 1 and the segment's size in words. */
const HEADER_BYTES = 8;
/** The buffer messages start in: most requests and replies fit. */
const INITIAL_BYTES = 8 * 1024;
/** A buffer grown past this is dropped after its message, so that one 8 MiB value does not pin 8 MiB for good. */
const RETAINED_BYTES_MAX = 64 * 1024;
/** A list pointer's element count has 29 bits. */
const LIST_COUNT_MAX = 2 ** 29 - 1;
const TWO_POW_32 = 2 ** 32;

const textEncoder = new TextEncoder();

export class MessageBuilder {
  private buffer: Uint8Array = new Uint8Array(INITIAL_BYTES);
  private view: DataView = new DataView(this.buffer.buffer);
  /** Bytes of the frame written so far (header included). */
  private end = 0;

  /** Starts a message whose root is a struct of `size`; returns the root struct's offset. */
  beginRoot(size: StructSize): number {
    if (this.buffer.length > RETAINED_BYTES_MAX) this.replaceBuffer(new Uint8Array(INITIAL_BYTES));
    else this.buffer.fill(0, 0, this.end); // the previous message (even one whose encoding threw)
    this.end = HEADER_BYTES + WORD_BYTES; // header, root pointer
    return this.initStruct(HEADER_BYTES, size);
  }

  /**
   * The framed message; the builder is ready for the next one. With `slab`,
   * a small message is copied into it (see core/byte-slab.ts: for callers
   * whose readers go through the view, never its `.buffer`).
   */
  finish(slab?: ByteSlab): Uint8Array {
    this.view.setUint32(0, 0, true); // one segment
    this.view.setUint32(4, (this.end - HEADER_BYTES) / WORD_BYTES, true);
    return slab === undefined ? this.buffer.slice(0, this.end) : slab.copy(this.buffer.subarray(0, this.end));
  }

  /** Offset of pointer `index` of the struct at `structOffset`. */
  pointer(structOffset: number, size: StructSize, index: number): number {
    return structOffset + size.dataWords * WORD_BYTES + index * WORD_BYTES;
  }

  /** Allocates a struct and points the pointer at `pointerOffset` to it; returns its offset. */
  initStruct(pointerOffset: number, size: StructSize): number {
    const offset = this.allocate((size.dataWords + size.pointers) * WORD_BYTES);
    this.setPointer(pointerOffset, offset, PointerKind.STRUCT, size.dataWords | (size.pointers << 16));
    return offset;
  }

  /** A Data field. Empty bytes stay a null pointer, which reads back as empty. */
  setData(pointerOffset: number, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const offset = this.initList(pointerOffset, ElementSize.BYTE, bytes.length, padToWord(bytes.length));
    this.buffer.set(bytes, offset);
  }

  /** A Text field: UTF-8 (lone surrogates become U+FFFD) and a NUL byte. */
  setText(pointerOffset: number, text: string): void {
    const bytes = textEncoder.encode(text);
    const offset = this.initList(pointerOffset, ElementSize.BYTE, bytes.length + 1, padToWord(bytes.length + 1));
    this.buffer.set(bytes, offset);
  }

  /**
   * A List(UInt32) field. An empty list stays a null pointer, which reads back
   * as empty, unless `keepEmpty` (a field where empty and absent differ).
   */
  setU32List(pointerOffset: number, values: readonly number[], keepEmpty = false): void {
    if (values.length === 0 && !keepEmpty) return;
    const offset = this.initList(pointerOffset, ElementSize.FOUR_BYTES, values.length, padToWord(values.length * 4));
    for (let i = 0; i < values.length; i++) this.view.setUint32(offset + 4 * i, values[i]!, true);
  }

  /** A list of `count` pointers (all null); returns the offset of the first. */
  initPointerList(pointerOffset: number, count: number): number {
    return this.initList(pointerOffset, ElementSize.POINTER, count, count * WORD_BYTES);
  }

  /** A list of `count` structs of `size` (all zero); returns the offset of the first. */
  initStructList(pointerOffset: number, count: number, size: StructSize): number {
    const elementWords = size.dataWords + size.pointers;
    const tagOffset = this.initList(pointerOffset, ElementSize.COMPOSITE, count * elementWords, (1 + count * elementWords) * WORD_BYTES);
    // The tag word: a struct pointer whose offset field holds the element count.
    this.view.setUint32(tagOffset, count * 4 + PointerKind.STRUCT, true);
    this.view.setUint32(tagOffset + 4, size.dataWords | (size.pointers << 16), true);
    return tagOffset + WORD_BYTES;
  }

  /** Offset of element `index` of a list of structs of `size` starting at `firstOffset`. */
  structElement(firstOffset: number, size: StructSize, index: number): number {
    return firstOffset + index * (size.dataWords + size.pointers) * WORD_BYTES;
  }

  // --- data section fields ---

  setBit(structOffset: number, bitOffset: number): void {
    this.buffer[structOffset + (bitOffset >>> 3)]! |= 1 << (bitOffset & 7);
  }

  setU16(structOffset: number, byteOffset: number, value: number): void {
    this.view.setUint16(structOffset + byteOffset, value, true);
  }

  setU32(structOffset: number, byteOffset: number, value: number): void {
    this.view.setUint32(structOffset + byteOffset, value, true);
  }

  setU64(structOffset: number, byteOffset: number, value: bigint): void {
    this.view.setBigUint64(structOffset + byteOffset, value, true);
  }

  setI64(structOffset: number, byteOffset: number, value: bigint): void {
    this.view.setBigInt64(structOffset + byteOffset, value, true);
  }

  /** A safe integer (negative ones in two's complement) into a 64-bit field, without making a bigint. */
  setInt64Number(structOffset: number, byteOffset: number, value: number): void {
    const low = value >>> 0; // ToUint32 is the value modulo 2^32, also for negatives
    this.view.setUint32(structOffset + byteOffset, low, true);
    this.view.setInt32(structOffset + byteOffset + 4, Math.floor(value / TWO_POW_32), true);
  }

  setF64(structOffset: number, byteOffset: number, value: number): void {
    this.view.setFloat64(structOffset + byteOffset, value, true);
  }

  // --- allocation ---

  /** Allocates a list's content and points the pointer at `pointerOffset` to it; returns the content's offset. */
  private initList(pointerOffset: number, elementSize: number, count: number, contentBytes: number): number {
    if (count > LIST_COUNT_MAX) throw new WireEncodeError(`a list of ${count} elements is beyond Cap'n Proto's 2^29 - 1`);
    const offset = this.allocate(contentBytes);
    this.setPointer(pointerOffset, offset, PointerKind.LIST, elementSize + count * 8);
    return offset;
  }

  private setPointer(pointerOffset: number, targetOffset: number, kind: number, high: number): void {
    const offsetWords = (targetOffset - pointerOffset - WORD_BYTES) / WORD_BYTES; // targets always follow their pointers
    this.view.setUint32(pointerOffset, offsetWords * 4 + kind, true);
    this.view.setUint32(pointerOffset + 4, high, true);
  }

  /** `bytes` (a multiple of a word) of zeroed memory at the end of the message. */
  private allocate(bytes: number): number {
    const offset = this.end;
    const end = offset + bytes;
    if (end > this.buffer.length) {
      const grown = new Uint8Array(Math.max(end, 2 * this.buffer.length));
      grown.set(this.buffer.subarray(0, offset));
      this.replaceBuffer(grown);
    }
    this.end = end;
    return offset;
  }

  private replaceBuffer(buffer: Uint8Array): void {
    this.buffer = buffer;
    this.view = new DataView(buffer.buffer);
  }
}
