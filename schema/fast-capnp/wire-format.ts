// Constants of the Cap'n Proto encoding (https://capnproto.org/encoding.html)
// that the reader and the writer share. Everything is little-endian and
// measured in 8-byte words.
//
// A pointer is one word. Its low 32 bits hold the kind (bits 0-1) and, for
// struct and list pointers, a signed 30-bit offset in words from the end of
// the pointer to the target; the high 32 bits hold the target's size:
//   struct: data section words (16 bits), pointer section count (16 bits)
//   list:   element size code (3 bits), element count (29 bits; for
//           COMPOSITE lists, the words of content after the tag word)
//   far:    (low bits 2 = double-far flag, 3-31 = landing pad offset in
//           words from the segment start) the landing pad's segment id

export const WORD_BYTES = 8;

export const PointerKind = { STRUCT: 0, LIST: 1, FAR: 2, OTHER: 3 } as const;

/** List element size codes. */
export const ElementSize = { VOID: 0, BIT: 1, BYTE: 2, TWO_BYTES: 3, FOUR_BYTES: 4, EIGHT_BYTES: 5, POINTER: 6, COMPOSITE: 7 } as const;

/**
 * Most segments a frame may declare. Piccolo's encoders write one; other
 * Cap'n Proto libraries split big messages into a few; 512 is the reference
 * C++ reader's limit. Checked before anything is allocated for the table:
 * capnp-ts alone spent most of a second allocating an array as long as a
 * 10-byte frame's declared 20 million segments.
 */
export const SEGMENTS_MAX = 512;

/** Bytes of the segment table: a count word, one size per segment, padded to a whole word. */
export function segmentTableBytes(segmentCount: number): number {
  return 4 + 4 * segmentCount + (segmentCount % 2 === 0 ? 4 : 0);
}

/** Bytes rounded up to whole words. */
export function padToWord(bytes: number): number {
  return bytes + ((WORD_BYTES - (bytes % WORD_BYTES)) % WORD_BYTES); // not `& ~7`: sizes may pass 2^31
}
