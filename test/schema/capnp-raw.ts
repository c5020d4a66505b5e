// Hand-built Cap'n Proto frames for tests that need shapes no well-behaved
// encoder produces (huge declared lengths, pointers out of bounds).
// Encoding spec: https://capnproto.org/encoding.html

/** A struct pointer word pointing `offsetWords` past the word after it. */
export function structPointer(offsetWords: number, dataWords: number, pointerWords: number): bigint {
  const lo = BigInt(((offsetWords << 2) | 0) >>> 0);
  const hi = BigInt((dataWords | (pointerWords << 16)) >>> 0);
  return lo | (hi << 32n);
}

/** Element size codes from the spec. */
export const ElementSize = { VOID: 0, BIT: 1, BYTE: 2, TWO_BYTES: 3, FOUR_BYTES: 4, EIGHT_BYTES: 5, POINTER: 6, COMPOSITE: 7 } as const;

/** A list pointer word; `count` is elements (or words, for COMPOSITE). */
export function listPointer(offsetWords: number, elementSize: number, count: number): bigint {
  const lo = BigInt(((offsetWords << 2) | 1) >>> 0);
  const hi = BigInt(((elementSize & 7) | (count << 3)) >>> 0);
  return lo | (hi << 32n);
}

/** A single-segment frame holding the given words (little-endian). */
export function frame(words: bigint[]): Uint8Array {
  const bytes = new Uint8Array(8 + words.length * 8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0, true);
  view.setUint32(4, words.length, true);
  words.forEach((w, i) => view.setBigUint64(8 + i * 8, BigInt.asUintN(64, w), true));
  return bytes;
}

/** Union tags of Request (declaration order in piccolo.capnp). */
export const RequestTag = { GET: 0, SET: 1, MGET: 13, MSET: 14, TX: 17 } as const;

/**
 * A Request frame: root struct (id, union tag; one pointer) whose pointer
 * leads to `body`, the words of the op's struct starting with its pointer.
 *   w0 root pointer -> w1..w2 data (id, tag), w3 pointer -> body
 */
export function requestFrame(id: bigint, tag: number, body: bigint[]): Uint8Array {
  return frame([structPointer(0, 2, 1), id, BigInt(tag), ...body]);
}

/** A far pointer word: the landing pad is word `padOffsetWords` of segment `segmentId` (two words when `double`). */
export function farPointer(segmentId: number, padOffsetWords: number, double = false): bigint {
  const lo = BigInt((((padOffsetWords << 3) | (double ? 4 : 0) | 2) >>> 0));
  return lo | (BigInt(segmentId >>> 0) << 32n);
}

/** A frame of several segments, each given as its words. */
export function multiSegmentFrame(segments: bigint[][]): Uint8Array {
  const tableBytes = 4 + 4 * segments.length + (segments.length % 2 === 0 ? 4 : 0);
  const words = segments.reduce((n, s) => n + s.length, 0);
  const bytes = new Uint8Array(tableBytes + words * 8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, segments.length - 1, true);
  segments.forEach((s, i) => view.setUint32(4 + 4 * i, s.length, true));
  let offset = tableBytes;
  for (const segment of segments) {
    for (const w of segment) {
      view.setBigUint64(offset, BigInt.asUintN(64, w), true);
      offset += 8;
    }
  }
  return bytes;
}

/** Bytes packed into little-endian words (zero padded), as a byte list's content. */
export function bytesToWords(bytes: Uint8Array): bigint[] {
  const padded = new Uint8Array(Math.ceil(bytes.length / 8) * 8);
  padded.set(bytes);
  const view = new DataView(padded.buffer);
  return Array.from({ length: padded.length / 8 }, (_, i) => view.getBigUint64(i * 8, true));
}
