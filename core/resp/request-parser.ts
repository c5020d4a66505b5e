// Incremental parser for RESP requests as a Redis server reads them: feed it
// the bytes of a connection in chunks of any size (`push`), pull complete
// commands (`next`). A command may be split at any byte across chunks, and a
// chunk may hold many pipelined commands.
//
// Two request forms, chosen by the first byte of each command as Redis does:
// - multibulk `*<n>\r\n` then n times `$<len>\r\n<len bytes>\r\n` (clients);
// - inline: a line of text split like a shell (see inline-args.ts), for
//   humans typing into telnet / `redis-cli` raw mode.
// Empty lines and `*0` / `*-1` are skipped, as in Redis.
//
// Cost: every byte is looked at a bounded number of times however the input
// is chunked. The parser remembers how far it got (the bulk length it waits
// for, how much of a line it has searched), so a large bulk arriving in many
// small chunks is not re-parsed, and buffered bytes are copied only when the
// buffer grows (doubling), which is amortised linear.
//
// Ownership: argument bytes are views, without copying, into the pushed chunk
// (when a command starts and ends inside one chunk) or into a buffer this
// parser owns. So a chunk passed to push() must not be modified or reused by
// the caller afterwards (the TCP layer passes fresh Buffers); the parser never
// writes into a chunk it was given, nor into bytes it has handed out.
//
// Errors (a protocol violation or a limit) are final: the parser stays in the
// error state and returns the same error from every later next(). The message
// is Redis's wording; the server replies `-ERR <message>` and closes.

import { assert } from '../assert.js';
import { KiB, MiB } from '../limits.js';
import type { Limits } from '../limits.js';
import { splitInlineArgs } from './inline-args.js';
import { parseInt64Number } from './resp-numbers.js';

/** Largest bulk string, as Redis's default proto-max-bulk-len. Servers pass their own (about valueBytesMax). */
export const BULK_BYTES_MAX_DEFAULT = 512 * MiB;
/** Most arguments in one command, as Redis's historical multibulk limit: bounds the args array a header can make us grow. */
export const MULTIBULK_LENGTH_MAX_DEFAULT = 1024 * 1024;
/** Longest inline command line or `*`/`$` header line, as Redis's PROTO_INLINE_MAX_SIZE: lines are searched byte by byte, so they must be bounded. */
export const INLINE_BYTES_MAX_DEFAULT = 64 * KiB;
/** Bytes one connection may have buffered (unparsed bytes plus the arguments of the command in progress), as Redis's client-query-buffer-limit. */
export const BUFFERED_BYTES_MAX_DEFAULT = 1024 * MiB;
/**
 * Memory an argument costs beyond its bytes (the view object and its slot in
 * the args array), counted against bufferedBytesMax so that a flood of empty
 * arguments (`*1000000` then `$0` a million times) is bounded like bulk data.
 */
export const ARG_OVERHEAD_BYTES = 64;
/** Smallest buffer the parser allocates when it must copy, so small leftovers do not cause many tiny allocations. */
const BUFFER_BYTES_MIN = 16 * KiB;

export interface RequestParserOptions {
  bulkBytesMax?: number;
  multibulkLengthMax?: number;
  inlineBytesMax?: number;
  bufferedBytesMax?: number;
}

export type ParseResult =
  | { kind: 'command'; args: Uint8Array[] }
  | { kind: 'need-more' }
  | { kind: 'error'; message: string };

const NEED_MORE: ParseResult = Object.freeze({ kind: 'need-more' });
const EMPTY = new Uint8Array(0);
const CR = 0x0d;
const LF = 0x0a;
const STAR = 0x2a;
const DOLLAR = 0x24;

/**
 * Parser options for a server with these limits: one argument is at most a
 * key or a value; the buffer holds a command of a frame's size plus the start
 * of the next pipelined ones (a read may end anywhere in them).
 */
export function requestParserOptionsFor(limits: Limits): RequestParserOptions {
  const bulkBytesMax = Math.max(limits.valueBytesMax, limits.keyBytesMax);
  return {
    bulkBytesMax,
    multibulkLengthMax: MULTIBULK_LENGTH_MAX_DEFAULT,
    inlineBytesMax: INLINE_BYTES_MAX_DEFAULT,
    bufferedBytesMax: 2 * Math.max(limits.frameBytesMax, bulkBytesMax + INLINE_BYTES_MAX_DEFAULT),
  };
}

export class RequestParser {
  readonly bulkBytesMax: number;
  readonly multibulkLengthMax: number;
  readonly inlineBytesMax: number;
  readonly bufferedBytesMax: number;

  /** Bytes [start, end) of buf are received and not yet parsed. */
  private buf: Uint8Array = EMPTY;
  private start = 0;
  private end = 0;
  /** Whether buf is ours (we may append into its spare room) or a caller's chunk. */
  private owned = false;
  /** Bytes after `start` already searched for a line end, so a long line in small chunks is searched once. */
  private searched = 0;

  /** Arguments still to read of the multibulk in progress; 0 = between commands. */
  private argsLeft = 0;
  private args: Uint8Array[] = [];
  /** Bytes in `args` so far plus ARG_OVERHEAD_BYTES each; they count against bufferedBytesMax. */
  private argsBytes = 0;
  /** Length of the bulk string being waited for; -1 = its `$` header is not read yet. */
  private bulkLength = -1;

  private failure: ParseResult | null = null;

  constructor(options: RequestParserOptions = {}) {
    this.bulkBytesMax = options.bulkBytesMax ?? BULK_BYTES_MAX_DEFAULT;
    this.multibulkLengthMax = options.multibulkLengthMax ?? MULTIBULK_LENGTH_MAX_DEFAULT;
    this.inlineBytesMax = options.inlineBytesMax ?? INLINE_BYTES_MAX_DEFAULT;
    this.bufferedBytesMax = options.bufferedBytesMax ?? BUFFERED_BYTES_MAX_DEFAULT;
    const limits = {
      bulkBytesMax: this.bulkBytesMax, multibulkLengthMax: this.multibulkLengthMax,
      inlineBytesMax: this.inlineBytesMax, bufferedBytesMax: this.bufferedBytesMax,
    };
    for (const [name, value] of Object.entries(limits)) {
      assert(Number.isSafeInteger(value) && value > 0, `${name} must be a positive integer, got ${value}`);
    }
    // One maximal bulk with its header must fit, or a valid command could never complete.
    assert(this.bufferedBytesMax >= this.bulkBytesMax + this.inlineBytesMax,
      'bufferedBytesMax must hold one max bulk string and one max header line');
  }

  /** Bytes received and not yet returned as commands (arguments of the command in progress counted with their overhead). */
  get bufferedBytes(): number {
    return this.end - this.start + this.argsBytes;
  }

  /** Whether the parser has hit a protocol error (it ignores all further input). */
  get failed(): boolean {
    return this.failure !== null;
  }

  /** Add received bytes. The chunk must not be modified afterwards (see ownership above). */
  push(chunk: Uint8Array): void {
    if (this.failure !== null || chunk.length === 0) return;
    const unparsed = this.end - this.start;
    if (unparsed + chunk.length + this.argsBytes > this.bufferedBytesMax) {
      this.fail(`Protocol error: query buffer exceeds ${this.bufferedBytesMax} bytes`);
      return;
    }
    if (unparsed === 0) {
      // Nothing pending: parse straight from the caller's chunk, no copy.
      this.buf = chunk;
      this.start = 0;
      this.end = chunk.length;
      this.owned = false;
      this.searched = 0;
      return;
    }
    if (this.owned && this.buf.length - this.end >= chunk.length) {
      this.buf.set(chunk, this.end);
      this.end += chunk.length;
      return;
    }
    const needed = unparsed + chunk.length;
    const capacity = Math.min(Math.max(BUFFER_BYTES_MIN, 2 * needed), this.bufferedBytesMax);
    const grown = new Uint8Array(Math.max(capacity, needed));
    grown.set(this.buf.subarray(this.start, this.end), 0);
    grown.set(chunk, unparsed);
    // Bytes already handed out stay valid: they live in the old buffer, which we never touch again.
    this.buf = grown;
    this.start = 0;
    this.end = needed;
    this.owned = true;
  }

  /** The next complete command, or need-more, or the (final) protocol error. */
  next(): ParseResult {
    while (this.failure === null) {
      if (this.start === this.end) this.release();
      if (this.argsLeft > 0) return this.nextMultibulkArgs();
      if (this.start === this.end) return NEED_MORE;
      if (this.buf[this.start] === STAR) {
        const status = this.readMultibulkHeader();
        if (status !== null) return status;
      } else {
        const status = this.readInline();
        if (status !== null) return status;
      }
    }
    return this.failure;
  }

  /** Reads `*<n>\r\n`. Returns null to continue (the header was consumed), or what next() should return. */
  private readMultibulkHeader(): ParseResult | null {
    const cr = this.findLineEnd(CR, 'Protocol error: too big mbulk count string');
    if (cr < 0) return this.failure ?? NEED_MORE;
    if (cr + 1 >= this.end) return NEED_MORE;
    const count = this.buf[cr + 1] === LF ? parseInt64Number(this.buf, this.start + 1, cr) : null;
    if (count === null || count > this.multibulkLengthMax) return this.fail('Protocol error: invalid multibulk length');
    this.consumeTo(cr + 2);
    if (count <= 0) return null; // `*0` and `*-1` are no command at all; Redis skips them.
    this.argsLeft = count;
    this.bulkLength = -1;
    return null;
  }

  /** Reads `$<len>\r\n<bytes>\r\n` until the command is complete or input runs out. */
  private nextMultibulkArgs(): ParseResult {
    while (this.argsLeft > 0) {
      if (this.bulkLength < 0) {
        if (this.start === this.end) return NEED_MORE;
        const first = this.buf[this.start]!;
        if (first !== DOLLAR) return this.fail(`Protocol error: expected '$', got '${String.fromCharCode(first)}'`);
        const cr = this.findLineEnd(CR, 'Protocol error: too big bulk count string');
        if (cr < 0) return this.failure ?? NEED_MORE;
        if (cr + 1 >= this.end) return NEED_MORE;
        const length = this.buf[cr + 1] === LF ? parseInt64Number(this.buf, this.start + 1, cr) : null;
        if (length === null || length < 0 || length > this.bulkBytesMax) return this.fail('Protocol error: invalid bulk length');
        // Refuse now rather than after buffering up to the declared size.
        if (this.argsBytes + length + ARG_OVERHEAD_BYTES > this.bufferedBytesMax) {
          return this.fail(`Protocol error: query buffer exceeds ${this.bufferedBytesMax} bytes`);
        }
        this.consumeTo(cr + 2);
        this.bulkLength = length;
      }
      const length = this.bulkLength;
      if (this.end - this.start < length + 2) return NEED_MORE;
      const dataEnd = this.start + length;
      if (this.buf[dataEnd] !== CR || this.buf[dataEnd + 1] !== LF) {
        // Redis skips these two bytes unchecked; checking catches broken client framing early.
        return this.fail('Protocol error: expected CRLF after bulk string');
      }
      this.args.push(this.buf.subarray(this.start, dataEnd));
      this.argsBytes += length + ARG_OVERHEAD_BYTES;
      this.consumeTo(dataEnd + 2);
      this.bulkLength = -1;
      this.argsLeft--;
    }
    const args = this.args;
    this.args = [];
    this.argsBytes = 0;
    return { kind: 'command', args };
  }

  /** Reads one inline line. Returns null to continue (an empty line was skipped), or what next() should return. */
  private readInline(): ParseResult | null {
    const lf = this.findLineEnd(LF, 'Protocol error: too big inline request');
    if (lf < 0) return this.failure ?? NEED_MORE;
    const lineEnd = lf > this.start && this.buf[lf - 1] === CR ? lf - 1 : lf;
    const args = splitInlineArgs(this.buf.subarray(this.start, lineEnd));
    if (args === null) return this.fail('Protocol error: unbalanced quotes in request');
    this.consumeTo(lf + 1);
    if (args.length === 0) return null;
    return { kind: 'command', args };
  }

  /**
   * Index of the next `byte` at or after `start`, or -1 if it has not arrived.
   * A line longer than inlineBytesMax fails with `tooLong`, whether or not its
   * end has arrived, so the outcome does not depend on how input was chunked.
   */
  private findLineEnd(byte: number, tooLong: string): number {
    const buf = this.buf;
    const limit = Math.min(this.end, this.start + this.inlineBytesMax + 1);
    for (let i = this.start + this.searched; i < limit; i++) {
      if (buf[i] === byte) {
        // Remember it: if the rest of the line has not arrived, the next search starts here.
        this.searched = i - this.start;
        return i;
      }
    }
    this.searched = limit - this.start;
    if (this.searched > this.inlineBytesMax) this.fail(tooLong);
    return -1;
  }

  private consumeTo(index: number): void {
    assert(index >= this.start && index <= this.end, 'consuming outside the buffered bytes');
    this.start = index;
    this.searched = 0;
  }

  /** Drop the buffer once it is fully parsed, so a big one is not kept alive by the parser. */
  private release(): void {
    this.buf = EMPTY;
    this.start = 0;
    this.end = 0;
    this.owned = false;
    this.searched = 0;
  }

  private fail(message: string): ParseResult {
    this.failure = { kind: 'error', message };
    this.release();
    this.args = [];
    this.argsBytes = 0;
    return this.failure;
  }
}
