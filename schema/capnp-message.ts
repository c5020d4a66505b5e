// The few capnp-ts calls every binary codec needs: open a received frame,
// finish a built one, and move 64-bit and byte fields in and out.

import * as capnp from 'capnp-ts';
import { SingleSegmentArena } from 'capnp-ts/src/serialization/arena/single-segment-arena.js';
import { WireEncodeError } from './wire-errors.js';

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
 * Most segments a frame may declare. Piccolo's encoders write one; other
 * Cap'n Proto libraries split big messages into a few; 512 is the reference
 * C++ reader's limit. Checked before capnp-ts sees the frame, because
 * capnp-ts allocates an array as long as the declared count first: a
 * 10-byte frame declaring 20 million segments cost it most of a second.
 */
export const SEGMENTS_MAX = 512;

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
  const tableBytes = 4 + 4 * segmentCount + (segmentCount % 2 === 0 ? 4 : 0); // padded to a word
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

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** A JS number bound for a UInt64 field; throws when the schema cannot carry it. */
export function toU64(value: number, field: string): bigint {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new WireEncodeError(`${field} must be a non-negative integer for the binary format, got ${value}`);
  }
  return BigInt(value);
}

/**
 * A JS number bound for a UInt64 field where 0 means "not given" (ttlMs,
 * expireAtMs). 0 or less cannot be sent: it would silently mean "no TTL",
 * where the JSON format answers BAD_REQUEST.
 */
export function toPositiveU64(value: number, field: string): bigint {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new WireEncodeError(`${field} must be a positive integer for the binary format, got ${value}`);
  }
  return BigInt(value);
}

/** A JS number bound for an Int64 field; throws when the schema cannot carry it. */
export function toI64(value: number, field: string): bigint {
  if (!Number.isSafeInteger(value)) throw new WireEncodeError(`${field} must be an integer for the binary format, got ${value}`);
  return BigInt(value);
}

const U32_MAX = 0xffff_ffff;

/** A JS number bound for a UInt32 field; throws when the schema cannot carry it. */
export function toU32(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > U32_MAX) {
    throw new WireEncodeError(`${field} must be an integer from 0 to ${U32_MAX} for the binary format, got ${value}`);
  }
  return value;
}

export function checkU64(value: bigint, field: string): bigint {
  if (value < 0n || value > U64_MAX) throw new WireEncodeError(`${field} does not fit an unsigned 64-bit field`);
  return value;
}

export function checkI64(value: bigint, field: string): bigint {
  if (value < I64_MIN || value > I64_MAX) throw new WireEncodeError(`${field} does not fit a signed 64-bit field`);
  return value;
}

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_MIN = -SAFE_MAX;

/** The 64-bit integer as a JS number, or null when it is beyond 2^53 and would lose precision. */
export function safeNumber(value: bigint): number | null {
  return value >= SAFE_MIN && value <= SAFE_MAX ? Number(value) : null;
}
