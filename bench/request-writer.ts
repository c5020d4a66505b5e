// Writes the load generator's request frames (GET / SET of fixed-width keys,
// fixed-size values) straight into an outgoing buffer, WebSocket header
// included. Binary requests are encoded once with the real Cap'n Proto codec
// as templates; each request copies its template and patches the key digits
// and the id in place (same key length and value length give the same
// layout), so the generator spends its time sending, not encoding. The
// constructor checks the patching against the real decoder.

import { makeLimits } from '../core/limits.js';
import type { Request } from '../core/protocol/ops.js';
import { decodeRequest, encodeRequest } from '../schema/binary-codec.js';
import { clientHeaderBytes, OPCODE_BINARY, OPCODE_TEXT, writeClientHeader } from './ws-frames.js';

export type LoadFormat = 'binary' | 'json';
export const LOAD_FORMATS: readonly LoadFormat[] = ['binary', 'json'];

export const OP_GET = 0;
export const OP_SET = 1;
export type LoadOp = typeof OP_GET | typeof OP_SET;

const KEY_PREFIX = 'key:';
/** Keys are zero-padded to at least this many digits, so typical keys look alike (key:000042). */
const KEY_DIGITS_MIN = 6;
/** An id no real request uses, to find where the id sits in the encoded template. */
const ID_MARKER = 0x1122334455667788n;

export interface RequestShape {
  format: LoadFormat;
  /** Keys are key:0 .. key:(keyspace-1), zero-padded. */
  keyspace: number;
  valueBytes: number;
}

export function keyDigits(keyspace: number): number {
  return Math.max(KEY_DIGITS_MIN, String(Math.max(0, keyspace - 1)).length);
}

export function keyText(index: number, digits: number): string {
  return KEY_PREFIX + String(index).padStart(digits, '0');
}

/** The fixed value every SET writes: printable, so JSON carries it as plain text. */
export function benchValue(valueBytes: number): string {
  let s = '';
  for (let i = 0; i < valueBytes; i++) s += String.fromCharCode(97 + (i % 26));
  return s;
}

const encoder = new TextEncoder();

interface BinaryTemplate {
  frame: Uint8Array;
  payloadAt: number;
  keyDigitsAt: number;
  idAt: number;
}

function findBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function u64Bytes(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v, true);
  return out;
}

export class RequestWriter {
  readonly digits: number;
  /** Upper bound on the bytes of one framed request, to size output buffers. */
  readonly frameBytesMax: number;
  private readonly value: string;
  private readonly binary: Record<LoadOp, BinaryTemplate> | null;

  constructor(readonly shape: RequestShape) {
    this.digits = keyDigits(shape.keyspace);
    this.value = benchValue(shape.valueBytes);
    if (shape.format === 'binary') {
      this.binary = { [OP_GET]: this.binaryTemplate(OP_GET), [OP_SET]: this.binaryTemplate(OP_SET) };
      this.frameBytesMax = Math.max(this.binary[OP_GET].frame.length, this.binary[OP_SET].frame.length);
      this.selfCheck();
    } else {
      this.binary = null;
      // id digits (at most 16 for ids < 2^53) plus the fixed text around key and value.
      const payloadMax = this.jsonText(OP_SET, 2 ** 53 - 1, shape.keyspace - 1).length;
      this.frameBytesMax = clientHeaderBytes(payloadMax) + payloadMax;
    }
  }

  /** The Request a (op, key) pair stands for, for checks. */
  request(op: LoadOp, keyIndex: number): Request {
    const key = encoder.encode(keyText(keyIndex, this.digits));
    return op === OP_GET ? { op: 'get', key } : { op: 'set', key, value: encoder.encode(this.value) };
  }

  /** Write one framed request at `offset`; returns the offset after it. */
  write(out: Buffer, offset: number, op: LoadOp, id: number, keyIndex: number): number {
    if (this.binary) {
      const t = this.binary[op];
      out.set(t.frame, offset);
      writeDigits(out, offset + t.keyDigitsAt, this.digits, keyIndex);
      writeU64(out, offset + t.idAt, id);
      return offset + t.frame.length;
    }
    const text = this.jsonText(op, id, keyIndex);
    const at = writeClientHeader(out, offset, OPCODE_TEXT, text.length);
    return at + out.write(text, at, 'latin1'); // ASCII only: one byte per character
  }

  private jsonText(op: LoadOp, id: number, keyIndex: number): string {
    const key = keyText(keyIndex, this.digits);
    return op === OP_GET
      ? `{"id":${id},"op":"get","key":"${key}"}`
      : `{"id":${id},"op":"set","key":"${key}","value":"${this.value}"}`;
  }

  private binaryTemplate(op: LoadOp): BinaryTemplate {
    const message = encodeRequest(ID_MARKER, this.request(op, 0));
    const frame = new Uint8Array(clientHeaderBytes(message.length) + message.length);
    const payloadAt = writeClientHeader(frame, 0, OPCODE_BINARY, message.length);
    frame.set(message, payloadAt);
    const keyAt = findBytes(frame, encoder.encode(keyText(0, this.digits)));
    const idAt = findBytes(frame, u64Bytes(ID_MARKER));
    if (keyAt < 0 || idAt < 0) throw new Error('cannot find the key or id in the encoded request template');
    return { frame, payloadAt, keyDigitsAt: keyAt + KEY_PREFIX.length, idAt };
  }

  /** Patched templates must decode to exactly the request they stand for. */
  private selfCheck(): void {
    const limits = makeLimits();
    const out = Buffer.alloc(this.frameBytesMax);
    for (const op of [OP_GET, OP_SET] as const) {
      for (const keyIndex of [0, 7, this.shape.keyspace - 1]) {
        const id = 123_456_789_012;
        const end = this.write(out, 0, op, id, keyIndex);
        const decoded = decodeRequest(out.subarray(this.binary![op].payloadAt, end), limits);
        const want = this.request(op, keyIndex);
        const ok = decoded.ok && decoded.id === BigInt(id) && decoded.request.op === want.op
          && 'key' in decoded.request && 'key' in want && Buffer.from(decoded.request.key).equals(want.key);
        if (!ok) throw new Error(`request template self-check failed for op ${op} key ${keyIndex}`);
      }
    }
  }
}

function writeDigits(out: Uint8Array, at: number, digits: number, n: number): void {
  for (let i = at + digits - 1; i >= at; i--) {
    out[i] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
}

function writeU64(out: Uint8Array, at: number, n: number): void {
  let low = n >>> 0;
  let high = Math.floor(n / 2 ** 32);
  for (let i = 0; i < 4; i++) { out[at + i] = low & 0xff; low >>>= 8; }
  for (let i = 4; i < 8; i++) { out[at + i] = high & 0xff; high >>>= 8; }
}
