// The few capnp-ts calls the capnp-ts reference codec (schema/capnp-ts-reference/)
// needs: open a received frame, finish a built one, and move 64-bit and byte
// fields in and out. The production codec uses schema/fast-capnp/ instead.

import * as capnp from 'capnp-ts';
import { SingleSegmentArena } from 'capnp-ts/src/serialization/arena/single-segment-arena.js';
import { SEGMENTS_MAX, segmentTableBytes } from './fast-capnp/wire-format.js';
import { checkI64Number, checkPositiveU64Number, checkU64Number } from './wire-numbers.js';

export { checkI64, checkU32 as toU32, checkU64, safeNumber } from './wire-numbers.js';

export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/**
 * Opens an unpacked, segment-framed message. capnp-ts copies the segments out
 * of the input, so byte fields read from the result stay valid after the
 * caller reuses its buffer (uWebSockets.js does, once the handler returns).
 * Throws on a malformed segment table.
 */
export function openMessage(bytes: Uint8Array): capnp.Message {
  checkSegmentTable(bytes);
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  // A view into a larger (or shared) buffer is handed over as a view: capnp-ts slices it.
  return new capnp.Message(whole ? bytes.buffer : bytes, false);
}

/**
 * Whether the message's segments no longer hold the frame's bytes: capnp-ts
 * writes into a message it reads when a struct is shorter than the schema's
 * (it copies the struct into new space and zeroes the old).
 */
export function rewrittenWhileReading(message: capnp.Message, bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const segmentCount = view.getUint32(0, true) + 1;
  let offset = segmentTableBytes(segmentCount);
  for (let i = 0; i < segmentCount; i++) {
    const length = view.getUint32(4 + 4 * i, true) * 8;
    const now = new Uint8Array(message.getSegment(i).buffer, 0, length);
    const then = bytes.subarray(offset, offset + length);
    if (now.some((byte, j) => byte !== then[j])) return true;
    offset += length;
  }
  return false;
}

export class MalformedFrameError extends Error {
  override name = 'MalformedFrameError';
}

function checkSegmentTable(bytes: Uint8Array): void {
  if (bytes.length < 8) throw new MalformedFrameError(`frame of ${bytes.length} bytes is shorter than a segment table`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const segmentCount = view.getUint32(0, true) + 1;
  if (segmentCount > SEGMENTS_MAX) {
    throw new MalformedFrameError(`frame declares ${segmentCount} segments; the limit is ${SEGMENTS_MAX}`);
  }
  const tableBytes = segmentTableBytes(segmentCount);
  if (tableBytes > bytes.length) throw new MalformedFrameError('frame is shorter than its segment table');
  let segmentBytes = 0;
  for (let i = 0; i < segmentCount; i++) segmentBytes += view.getUint32(4 + 4 * i, true) * 8;
  if (tableBytes + segmentBytes > bytes.length) {
    throw new MalformedFrameError(`segment table declares ${segmentBytes} bytes of segments; the frame holds ${bytes.length - tableBytes}`);
  }
}

/**
 * Builds one message and returns it framed (segment table + segment), ready
 * to send. Every message is built in one reused, zeroed scratch buffer: a
 * fresh capnp-ts Message allocates and copies several buffers, which made
 * encoding several times slower than decoding. capnp-ts builds into a single
 * segment here and grows it into a fresh buffer when a message outgrows the
 * scratch, so the scratch only ever holds the message's first bytes; those are
 * zeroed again afterwards (capnp-ts relies on new memory being zero).
 */
export function buildMessage(build: (message: capnp.Message) => void): Uint8Array {
  const message = new capnp.Message(new SingleSegmentArena(scratch));
  try {
    build(message);
    const segment = message.getSegment(0);
    const usedBytes = segment.byteLength; // capnp-ts allocates whole words
    const framed = new Uint8Array(FRAME_HEADER_BYTES + usedBytes);
    const header = new DataView(framed.buffer);
    header.setUint32(0, 0, true); // segment count - 1
    header.setUint32(4, usedBytes / 8, true); // segment size in words
    framed.set(new Uint8Array(segment.buffer, 0, usedBytes), FRAME_HEADER_BYTES);
    return framed;
  } finally {
    const usedBytes = message._capnp.segments[0]?.byteLength ?? 0;
    new Uint8Array(scratch, 0, Math.min(usedBytes, scratch.byteLength)).fill(0);
  }
}

/** Most requests and replies fit; larger ones grow into their own buffer. */
const SCRATCH_BYTES = 8 * 1024;
const scratch = new ArrayBuffer(SCRATCH_BYTES);
/** A single-segment frame header: segment count - 1 and the segment's size in words. */
const FRAME_HEADER_BYTES = 8;

/**
 * Reads Data fields as views into the message (no copy). Cap'n Proto lets
 * many pointers share one region, so a small frame could otherwise hand the
 * server thousands of "different" 8 MiB values; the reader refuses once the
 * fields add up to more bytes than the frame holds, which no honest encoder
 * produces. Empty fields share one constant and keep no buffer alive.
 */
export class DataReader {
  private remainingBytes: number;

  constructor(frameBytes: number) {
    this.remainingBytes = frameBytes;
  }

  read(data: capnp.Data): Uint8Array {
    const length = data.getLength();
    if (length === 0) return EMPTY_BYTES;
    this.remainingBytes -= length;
    if (this.remainingBytes < 0) {
      throw new MalformedFrameError('byte fields add up to more than the frame holds (pointers share data)');
    }
    return data.toUint8Array();
  }
}

export function writeData(init: (length: number) => capnp.Data, bytes: Uint8Array): void {
  if (bytes.length === 0) return; // a null pointer reads back as empty
  init(bytes.length).copyBuffer(bytes);
}

/** A JS number bound for a UInt64 field; throws when the schema cannot carry it. */
export function toU64(value: number, field: string): bigint {
  return BigInt(checkU64Number(value, field));
}

/** A JS number bound for a UInt64 field where 0 means "not given" (ttlMs, expireAtMs). */
export function toPositiveU64(value: number, field: string): bigint {
  return BigInt(checkPositiveU64Number(value, field));
}

/** A JS number bound for an Int64 field; throws when the schema cannot carry it. */
export function toI64(value: number, field: string): bigint {
  return BigInt(checkI64Number(value, field));
}
