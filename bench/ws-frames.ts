// RFC 6455 framing for the benchmark's own WebSocket client: just what a
// load generator needs (whole client frames out, whole server frames in), kept
// apart from the socket so it can be tested alone. The `ws` package would do,
// but its per-message work and one write per send would make the generator,
// not the server, the thing measured on a small machine.

export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;
export const OPCODE_CLOSE = 0x8;
export const OPCODE_PING = 0x9;
export const OPCODE_PONG = 0xa;

/** 7-bit length codes: 126 announces a 16-bit length, 127 a 64-bit one. */
const LENGTH_16 = 126;
const LENGTH_64 = 127;
const MASK_KEY_BYTES = 4;

/** Bytes of a client (masked) frame header for a payload of `payloadBytes`. */
export function clientHeaderBytes(payloadBytes: number): number {
  return (payloadBytes < LENGTH_16 ? 2 : payloadBytes <= 0xffff ? 4 : 10) + MASK_KEY_BYTES;
}

/**
 * Write a client frame header at `offset` and return where the payload goes.
 * The mask key is all zeros, so the payload is sent as is (XOR with 0). The
 * RFC wants unpredictable keys to protect proxies from browser-borne attacks;
 * over loopback to a server we run, a zero key only spares the generator the
 * masking loop, while the server still runs its unmasking as for any client.
 */
export function writeClientHeader(out: Uint8Array, offset: number, opcode: number, payloadBytes: number): number {
  out[offset++] = 0x80 | opcode; // FIN + opcode
  if (payloadBytes < LENGTH_16) {
    out[offset++] = 0x80 | payloadBytes;
  } else if (payloadBytes <= 0xffff) {
    out[offset++] = 0x80 | LENGTH_16;
    out[offset++] = payloadBytes >>> 8;
    out[offset++] = payloadBytes & 0xff;
  } else {
    out[offset++] = 0x80 | LENGTH_64;
    const high = Math.floor(payloadBytes / 2 ** 32);
    const low = payloadBytes >>> 0;
    out[offset++] = high >>> 24; out[offset++] = (high >>> 16) & 0xff; out[offset++] = (high >>> 8) & 0xff; out[offset++] = high & 0xff;
    out[offset++] = low >>> 24; out[offset++] = (low >>> 16) & 0xff; out[offset++] = (low >>> 8) & 0xff; out[offset++] = low & 0xff;
  }
  for (let i = 0; i < MASK_KEY_BYTES; i++) out[offset++] = 0;
  return offset;
}

/** A whole client frame carrying `payload`. */
export function encodeClientFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(clientHeaderBytes(payload.length) + payload.length);
  out.set(payload, writeClientHeader(out, 0, opcode, payload.length));
  return out;
}

export class FrameProtocolError extends Error {
  override name = 'FrameProtocolError';
}

/** Largest server frame the client accepts: far above any reply the benchmark provokes. */
export const SERVER_FRAME_BYTES_MAX = 64 * 1024 * 1024;

export type FrameHandler = (opcode: number, payload: Uint8Array) => void;

/**
 * Splits a byte stream from the server into frames. Feed it chunks as they
 * arrive; it calls `onFrame` for every complete frame, with a view of the
 * payload that stays valid (chunks are never reused), and keeps any partial
 * frame for the next chunk.
 */
export class ServerFrameReader {
  private pending: Uint8Array | null = null;

  constructor(private readonly onFrame: FrameHandler) {}

  push(chunk: Uint8Array): void {
    let buf = chunk;
    if (this.pending) {
      const joined = new Uint8Array(this.pending.length + chunk.length);
      joined.set(this.pending);
      joined.set(chunk, this.pending.length);
      buf = joined;
      this.pending = null;
    }
    let pos = 0;
    const end = buf.length;
    while (end - pos >= 2) {
      const b0 = buf[pos]!;
      const b1 = buf[pos + 1]!;
      if ((b0 & 0x80) === 0) throw new FrameProtocolError('fragmented server frames are not supported by the benchmark client');
      if ((b0 & 0x70) !== 0) throw new FrameProtocolError('server frame has reserved bits set');
      if ((b1 & 0x80) !== 0) throw new FrameProtocolError('server frames must not be masked');
      let length = b1 & 0x7f;
      let header = 2;
      if (length === LENGTH_16) {
        if (end - pos < 4) break;
        length = (buf[pos + 2]! << 8) | buf[pos + 3]!;
        header = 4;
      } else if (length === LENGTH_64) {
        if (end - pos < 10) break;
        let high = 0;
        for (let i = 2; i < 6; i++) high = high * 256 + buf[pos + i]!;
        let low = 0;
        for (let i = 6; i < 10; i++) low = low * 256 + buf[pos + i]!;
        length = high * 2 ** 32 + low;
        header = 10;
      }
      if (length > SERVER_FRAME_BYTES_MAX) throw new FrameProtocolError(`server frame of ${length} bytes is over ${SERVER_FRAME_BYTES_MAX}`);
      if (end - pos < header + length) break;
      const start = pos + header;
      pos = start + length;
      this.onFrame(b0 & 0x0f, buf.subarray(start, pos));
    }
    if (pos < end) this.pending = buf.subarray(pos);
  }
}
