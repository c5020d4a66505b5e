// The two WebSocket wire formats, behind one interface: binary frames carry
// Cap'n Proto (the default, cheaper to build and read), text frames carry
// JSON (readable in browser dev tools). Either way the server answers in the
// format of the request.

import { unreachable } from '../core/assert.js';
import type { Reply, Request } from '../core/protocol/ops.js';
import { decodeResponse, encodeRequest } from '../schema/binary-codec.js';
import { decodeJsonResponse, encodeJsonRequest } from '../schema/json-codec.js';
import { ProtocolError } from './errors.js';

export type FormatName = 'binary' | 'json';
export const FORMAT_NAMES: readonly FormatName[] = ['binary', 'json'];

export type Frame = Uint8Array | string;

export interface WireFormat {
  readonly name: FormatName;
  /** Throws WireEncodeError when a number does not fit the format (e.g. a fractional ttlMs). */
  encode(id: number, req: Request): Frame;
  /** Whether the frame is larger than bytesMax as the server counts it (UTF-8 bytes for text). */
  frameExceeds(frame: Frame, bytesMax: number): boolean;
  /** The frame's size for queue accounting (for text, UTF-16 code units: close enough, and free). */
  frameSize(frame: Frame): number;
  /** `id` is null when the reply names none (or one this client never sends). Throws ProtocolError for garbage. */
  decode(data: unknown): { id: number | null; reply: Reply };
}

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
/** The most UTF-8 bytes one UTF-16 code unit can need. */
const UTF8_BYTES_PER_CODE_UNIT_MAX = 3;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Cap'n Proto frames, transactions included. A text reply is still read (the
 * server answers each frame in its own format), so a connection that ever
 * mixes formats keeps working.
 */
export const binaryFormat: WireFormat = {
  name: 'binary',
  encode: (id, req) => encodeRequest(BigInt(id), req),
  frameExceeds: (frame, bytesMax) => (frame as Uint8Array).length > bytesMax,
  frameSize: (frame) => (frame as Uint8Array).length,
  decode(data) {
    if (typeof data === 'string') return jsonFormat.decode(data);
    const bytes = asBytes(data);
    if (bytes === null) throw new ProtocolError('expected a binary reply frame, got a text frame');
    let decoded: { id: bigint; reply: Reply };
    try {
      decoded = decodeResponse(bytes);
    } catch (cause) {
      throw new ProtocolError(`unreadable binary reply: ${(cause as Error).message}`, cause);
    }
    return { id: decoded.id <= SAFE_MAX ? Number(decoded.id) : null, reply: decoded.reply };
  },
};

export const jsonFormat: WireFormat = {
  name: 'json',
  encode: (id, req) => encodeJsonRequest(id, req),
  frameExceeds(frame, bytesMax) {
    const text = frame as string;
    // Count UTF-8 bytes only when the cheap bounds cannot decide.
    if (text.length * UTF8_BYTES_PER_CODE_UNIT_MAX <= bytesMax) return false;
    if (text.length > bytesMax) return true;
    return encoder.encode(text).length > bytesMax;
  },
  frameSize: (frame) => (frame as string).length,
  decode(data) {
    let text: string;
    if (typeof data === 'string') text = data;
    else {
      const bytes = asBytes(data);
      if (bytes === null) throw new ProtocolError('reply frame is neither text nor bytes');
      try {
        text = decoder.decode(bytes);
      } catch (cause) {
        throw new ProtocolError('JSON reply frame is not UTF-8', cause);
      }
    }
    let decoded: ReturnType<typeof decodeJsonResponse>;
    try {
      decoded = decodeJsonResponse(text);
    } catch (cause) {
      throw new ProtocolError(`unreadable JSON reply: ${(cause as Error).message}`, cause);
    }
    return { id: typeof decoded.id === 'number' ? decoded.id : null, reply: decoded.reply };
  },
};

export function wireFormat(name: FormatName): WireFormat {
  switch (name) {
    case 'binary': return binaryFormat;
    case 'json': return jsonFormat;
    default: return unreachable(name, 'wire format');
  }
}

/** A binary frame's bytes, whichever WebSocket delivered it (ArrayBuffer, Buffer, a view); null for text. */
export function asBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}
