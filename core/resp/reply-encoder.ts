// RESP reply encoding, RESP2 and RESP3 (a connection switches with HELLO 3).
//
// ReplyWriter appends replies to one growable byte buffer: digits and ASCII
// are written directly, with no string building per reply. `take()` hands out
// what was written so far as a view and carries on writing after it, so the
// taken bytes are never overwritten and taking copies nothing; when the
// buffer is full a bigger one replaces it (the old one lives on only as long
// as the views handed out).
//
// RESP3-only types degrade the way Redis degrades them for RESP2 clients:
// null -> `$-1` (bulk) or `*-1` (array), map -> flat array, set -> array,
// double -> bulk string, boolean -> integer 1/0, verbatim -> bulk string,
// push -> array (as Redis sends pub/sub messages to RESP2 clients).

import { assert, unreachable } from '../assert.js';
import { KiB, MiB } from '../limits.js';

export type RespProtocol = 2 | 3;

/** A reply as data, for replies built outside the hot path (immediate errors, HELLO, INFO). */
export type RespValue =
  | { type: 'simple'; text: string }
  | { type: 'error'; text: string }
  | { type: 'integer'; value: number | bigint }
  | { type: 'bulk'; value: Uint8Array | string }
  /** Absent value: RESP2 null bulk `$-1`, RESP3 `_`. */
  | { type: 'null' }
  /** Absent array: RESP2 `*-1`, RESP3 `_`. */
  | { type: 'nullArray' }
  | { type: 'array'; items: readonly RespValue[] }
  | { type: 'map'; entries: readonly (readonly [RespValue, RespValue])[] }
  | { type: 'set'; items: readonly RespValue[] }
  | { type: 'double'; value: number }
  | { type: 'boolean'; value: boolean }
  /** RESP3 verbatim string; `format` is three characters such as `txt`. */
  | { type: 'verbatim'; format: string; text: string }
  /** Out-of-band data (pub/sub messages): RESP3 `>`, RESP2 an array. */
  | { type: 'push'; items: readonly RespValue[] };

/** First buffer size: room for a burst of small replies without growing. */
const INITIAL_BYTES = 16 * KiB;
/**
 * Capacity a writer keeps between replies. A big reply (an 8 MiB GET) grows
 * the buffer; once it is taken we let that buffer go rather than hold it for
 * the life of an idle connection.
 */
export const RETAINED_BYTES_MAX = 1 * MiB;
/** Longest decimal text of a safe integer or int64, with sign: "-9223372036854775808". */
const INTEGER_TEXT_BYTES_MAX = 20;
/** Header of an aggregate or bulk: type byte, length digits, CRLF. */
const HEADER_BYTES_MAX = 1 + INTEGER_TEXT_BYTES_MAX + 2;

const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const utf8Encoder = new TextEncoder();

export class ReplyWriter {
  private buf: Uint8Array;
  /** Bytes [taken, length) are written and not yet taken. */
  private length = 0;
  private taken = 0;
  private resp: RespProtocol;

  constructor(protocol: RespProtocol = 2) {
    this.resp = protocol;
    this.buf = new Uint8Array(INITIAL_BYTES);
  }

  get protocol(): RespProtocol {
    return this.resp;
  }

  /** Switch protocol (HELLO); affects replies written from now on. */
  set protocol(protocol: RespProtocol) {
    assert(protocol === 2 || protocol === 3, 'RESP protocol must be 2 or 3');
    this.resp = protocol;
  }

  /** Bytes written and not yet taken. */
  get pendingBytes(): number {
    return this.length - this.taken;
  }

  /**
   * Everything written since the last take, as a view the caller owns: the
   * writer never writes into it again.
   */
  take(): Uint8Array {
    const out = this.buf.subarray(this.taken, this.length);
    this.taken = this.length;
    if (this.buf.length > RETAINED_BYTES_MAX) {
      this.buf = new Uint8Array(INITIAL_BYTES);
      this.length = 0;
      this.taken = 0;
    }
    return out;
  }

  // ---- RESP2 types ------------------------------------------------------

  /** `+text`. CR and LF become spaces, since they would end the reply early (as Redis does for errors). */
  writeSimpleString(text: string): void {
    this.writeLine(0x2b /* + */, text);
  }

  /** `-text`; text starts with the error code, e.g. `ERR syntax error`. */
  writeError(text: string): void {
    this.writeLine(0x2d /* - */, text);
  }

  writeInteger(value: number | bigint): void {
    this.ensure(HEADER_BYTES_MAX);
    this.buf[this.length++] = 0x3a; // :
    this.putInteger(value);
    this.putCrlf();
  }

  writeBulk(bytes: Uint8Array): void {
    this.ensure(HEADER_BYTES_MAX + bytes.length + 2);
    this.buf[this.length++] = 0x24; // $
    this.putInteger(bytes.length);
    this.putCrlf();
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
    this.putCrlf();
  }

  /** A bulk string of the UTF-8 encoding of text. */
  writeBulkString(text: string): void {
    if (!isAscii(text)) {
      this.writeBulk(utf8Encoder.encode(text));
      return;
    }
    this.ensure(HEADER_BYTES_MAX + text.length + 2);
    this.buf[this.length++] = 0x24; // $
    this.putInteger(text.length);
    this.putCrlf();
    for (let i = 0; i < text.length; i++) this.buf[this.length++] = text.charCodeAt(i);
    this.putCrlf();
  }

  /** A missing value: RESP2 `$-1`, RESP3 `_`. */
  writeNull(): void {
    this.writeRaw(this.resp === 3 ? NULL3 : NULL_BULK2);
  }

  /** A missing array: RESP2 `*-1`, RESP3 `_`. */
  writeNullArray(): void {
    this.writeRaw(this.resp === 3 ? NULL3 : NULL_ARRAY2);
  }

  /** `*n`; the caller then writes n replies. */
  writeArrayHeader(count: number): void {
    this.writeHeader(0x2a /* * */, count);
  }

  // ---- RESP3 types (degraded for RESP2) ------------------------------------

  /** `%n`, then n key/value pairs (2n replies). RESP2: `*2n`. */
  writeMapHeader(pairs: number): void {
    if (this.resp === 3) this.writeHeader(0x25 /* % */, pairs);
    else this.writeHeader(0x2a, 2 * pairs);
  }

  /** `~n`, then n replies. RESP2: `*n`. */
  writeSetHeader(count: number): void {
    this.writeHeader(this.resp === 3 ? 0x7e /* ~ */ : 0x2a, count);
  }

  /** `,1.5`, `,inf`, `,-inf`, `,nan`. RESP2: the same text as a bulk string. */
  writeDouble(value: number): void {
    const text = Number.isNaN(value) ? 'nan' : value === Infinity ? 'inf' : value === -Infinity ? '-inf' : String(value);
    if (this.resp === 3) this.writeLine(0x2c /* , */, text);
    else this.writeBulk(asciiBytes(text));
  }

  /** `#t` / `#f`. RESP2: `:1` / `:0`. */
  writeBoolean(value: boolean): void {
    if (this.resp === 3) this.writeRaw(value ? TRUE3 : FALSE3);
    else this.writeInteger(value ? 1 : 0);
  }

  /** `=len\r\ntxt:text` (INFO's reply in RESP3). RESP2: a bulk string of text. */
  writeVerbatim(text: string, format = 'txt'): void {
    assert(format.length === 3 && isAscii(format), 'verbatim format is three ASCII characters');
    if (this.resp === 2) {
      this.writeBulkString(text);
      return;
    }
    const body = utf8Encoder.encode(text);
    this.ensure(HEADER_BYTES_MAX + 4 + body.length + 2);
    this.buf[this.length++] = 0x3d; // =
    this.putInteger(body.length + 4);
    this.putCrlf();
    for (let i = 0; i < 3; i++) this.buf[this.length++] = format.charCodeAt(i);
    this.buf[this.length++] = 0x3a; // :
    this.buf.set(body, this.length);
    this.length += body.length;
    this.putCrlf();
  }

  /** Any reply given as data. */
  writeValue(value: RespValue): void {
    switch (value.type) {
      case 'simple': return this.writeSimpleString(value.text);
      case 'error': return this.writeError(value.text);
      case 'integer': return this.writeInteger(value.value);
      case 'bulk':
        return typeof value.value === 'string' ? this.writeBulkString(value.value) : this.writeBulk(value.value);
      case 'null': return this.writeNull();
      case 'nullArray': return this.writeNullArray();
      case 'array':
        this.writeArrayHeader(value.items.length);
        for (const item of value.items) this.writeValue(item);
        return;
      case 'map':
        this.writeMapHeader(value.entries.length);
        for (const [k, v] of value.entries) {
          this.writeValue(k);
          this.writeValue(v);
        }
        return;
      case 'set':
        this.writeSetHeader(value.items.length);
        for (const item of value.items) this.writeValue(item);
        return;
      case 'double': return this.writeDouble(value.value);
      case 'boolean': return this.writeBoolean(value.value);
      case 'verbatim': return this.writeVerbatim(value.text, value.format);
      case 'push':
        this.writeHeader(this.resp === 3 ? 0x3e /* > */ : 0x2a, value.items.length);
        for (const item of value.items) this.writeValue(item);
        return;
      default: return unreachable(value, 'RESP value');
    }
  }

  // ---- internals ----------------------------------------------------------

  private writeHeader(type: number, count: number): void {
    assert(Number.isSafeInteger(count) && count >= 0, 'aggregate length must be a non-negative integer');
    this.ensure(HEADER_BYTES_MAX);
    this.buf[this.length++] = type;
    this.putInteger(count);
    this.putCrlf();
  }

  /** type byte, text with CR/LF replaced by spaces, CRLF. */
  private writeLine(type: number, text: string): void {
    if (!isAscii(text)) {
      this.writeLineBytes(type, utf8Encoder.encode(text));
      return;
    }
    this.ensure(1 + text.length + 2);
    const buf = this.buf;
    let at = this.length;
    buf[at++] = type;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      buf[at++] = c === CR || c === LF ? SPACE : c;
    }
    this.length = at;
    this.putCrlf();
  }

  private writeLineBytes(type: number, bytes: Uint8Array): void {
    this.ensure(1 + bytes.length + 2);
    this.buf[this.length++] = type;
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      this.buf[this.length++] = c === CR || c === LF ? SPACE : c;
    }
    this.putCrlf();
  }

  private writeRaw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** Decimal digits of an integer, written in place (no string for safe integers). */
  private putInteger(value: number | bigint): void {
    if (typeof value === 'bigint') {
      if (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) {
        this.putInteger(Number(value));
        return;
      }
      const text = value.toString();
      assert(text.length <= INTEGER_TEXT_BYTES_MAX, 'integer reply beyond 64 bits');
      for (let i = 0; i < text.length; i++) this.buf[this.length++] = text.charCodeAt(i);
      return;
    }
    assert(Number.isSafeInteger(value), 'integer reply must be a safe integer');
    const buf = this.buf;
    if (value < 0) {
      buf[this.length++] = 0x2d; // -
      value = -value;
    }
    let digits = 1;
    for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    let at = this.length + digits;
    this.length = at;
    do {
      buf[--at] = 0x30 + (value % 10);
      value = Math.floor(value / 10);
    } while (value > 0);
  }

  private putCrlf(): void {
    this.buf[this.length++] = CR;
    this.buf[this.length++] = LF;
  }

  /** Room for `bytes` more; grows by doubling, keeping only the untaken bytes. */
  private ensure(bytes: number): void {
    if (this.length + bytes <= this.buf.length) return;
    const pending = this.length - this.taken;
    const capacity = Math.max(INITIAL_BYTES, 2 * (pending + bytes));
    const grown = new Uint8Array(capacity);
    grown.set(this.buf.subarray(this.taken, this.length), 0);
    this.buf = grown;
    this.taken = 0;
    this.length = pending;
  }
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

const NULL3 = asciiBytes('_\r\n');
const NULL_BULK2 = asciiBytes('$-1\r\n');
const NULL_ARRAY2 = asciiBytes('*-1\r\n');
const TRUE3 = asciiBytes('#t\r\n');
const FALSE3 = asciiBytes('#f\r\n');
