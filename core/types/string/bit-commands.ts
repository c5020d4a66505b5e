// The bit commands on strings: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
// BITFIELD, BITFIELD_RO, with Redis 7's semantics and words. Bits are
// numbered from the most significant bit of the first byte; a string grows
// with zero bytes as a write reaches past its end, up to the value limit.

import { arrayValue, intValue, NIL, type DataValue } from '../../protocol/data-value.js';
import { errReply, type Bytes, type Reply } from '../../protocol/ops.js';
import { isOption } from '../../resp/command-args.js';
import { parseInt64 } from '../../int64.js';
import { parseInt64Number } from '../../resp/resp-numbers.js';
import { ValueType } from '../../store/value-type.js';
import { FIRST_KEY, keysAt, type DataCommand } from '../data-command.js';
import { ABSENT, type KeyAccess } from '../key-access.js';
import { isErr, readString, tooLongMessage } from './string-values.js';

const NOT_INTEGER = 'value is not an integer or out of range';
const SYNTAX = 'syntax error';
const BAD_OFFSET = 'bit offset is not an integer or out of range';
const BAD_BIT = 'bit is not an integer or out of range';

const BIT_COUNT_OF_BYTE = new Uint8Array(256).map((_, b) => {
  let n = 0;
  for (let x = b; x !== 0; x >>= 1) n += x & 1;
  return n;
});

/** A bit offset argument: a non-negative integer whose byte fits the value limit, else null. */
function parseBitOffset(arg: Bytes, keys: KeyAccess): number | null {
  const offset = parseInt64Number(arg);
  if (offset === null || offset < 0 || !Number.isSafeInteger(offset)) return null;
  return Math.floor(offset / 8) < keys.limits.valueBytesMax ? offset : null;
}

/** `value` grown with zero bytes to `length` (a copy either way: the caller writes it). */
function grown(value: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(Math.max(length, value.length));
  out.set(value);
  return out;
}

function ok(data: DataValue, version?: number): Reply {
  return version === undefined ? { ok: true, data } : { ok: true, data, version };
}

const setBit: DataCommand = {
  name: 'setbit', arity: 4, write: true, keys: FIRST_KEY,
  run(keys, args) {
    const offset = parseBitOffset(args[1]!, keys);
    if (offset === null) return errReply('BAD_REQUEST', BAD_OFFSET);
    const bit = parseInt64Number(args[2]!);
    if (bit !== 0 && bit !== 1) return errReply('BAD_REQUEST', BAD_BIT);
    const current = readString(keys, args[0]!);
    if (isErr(current)) return current;
    const byte = offset >>> 3;
    const mask = 0x80 >>> (offset & 7);
    const old = byte < current.value.length && (current.value[byte]! & mask) !== 0 ? 1 : 0;
    const next = grown(current.value, byte + 1);
    next[byte] = bit === 1 ? next[byte]! | mask : next[byte]! & ~mask;
    keys.putBytes(args[0]!, current.h, ValueType.STRING, next);
    return ok(intValue(old), keys.version);
  },
};

const getBit: DataCommand = {
  name: 'getbit', arity: 3, write: false, keys: FIRST_KEY,
  run(keys, args) {
    const offset = parseBitOffset(args[1]!, keys);
    if (offset === null) return errReply('BAD_REQUEST', BAD_OFFSET);
    const current = readString(keys, args[0]!);
    if (isErr(current)) return current;
    const byte = offset >>> 3;
    return ok(intValue(byte < current.value.length && (current.value[byte]! & (0x80 >>> (offset & 7))) !== 0 ? 1 : 0));
  },
};

/**
 * A [start, end] range as BITCOUNT and BITPOS read it (negative counts from
 * the end, clamped), in bits when `bits` else bytes, over a string of
 * `length` bytes; null when empty.
 */
function clampRange(start: number, end: number, total: number): [number, number] | null {
  if (start < 0) start = Math.max(0, total + start);
  if (end < 0) end = Math.max(0, total + end);
  if (end >= total) end = total - 1;
  return start > end ? null : [start, end];
}

/** The unit word after start and end: BYTE (default) or BIT; null for anything else. */
function parseUnit(arg: Bytes | undefined): 'byte' | 'bit' | null {
  if (arg === undefined || isOption(arg, 'BYTE')) return 'byte';
  return isOption(arg, 'BIT') ? 'bit' : null;
}

function bitAt(value: Uint8Array, bit: number): number {
  return (value[bit >>> 3]! >>> (7 - (bit & 7))) & 1;
}

const bitCount: DataCommand = {
  name: 'bitcount', arity: -2, write: false, keys: FIRST_KEY,
  run(keys, args) {
    if (args.length === 2 || args.length > 4) return errReply('BAD_REQUEST', SYNTAX);
    let range: { start: number; end: number; unit: 'byte' | 'bit' } | null = null;
    if (args.length >= 3) {
      const start = parseInt64Number(args[1]!);
      const end = parseInt64Number(args[2]!);
      if (start === null || end === null) return errReply('BAD_REQUEST', NOT_INTEGER);
      const unit = parseUnit(args[3]);
      if (unit === null) return errReply('BAD_REQUEST', SYNTAX);
      range = { start, end, unit };
    }
    const current = readString(keys, args[0]!);
    if (isErr(current)) return current;
    const value = current.value;
    if (range === null) return ok(intValue(countBytes(value, 0, value.length - 1)));
    const total = range.unit === 'bit' ? value.length * 8 : value.length;
    const r = clampRange(range.start, range.end, total);
    if (r === null) return ok(intValue(0));
    if (range.unit === 'byte') return ok(intValue(countBytes(value, r[0], r[1])));
    let n = 0;
    for (let bit = r[0]; bit <= r[1]; bit++) n += bitAt(value, bit);
    return ok(intValue(n));
  },
};

function countBytes(value: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i <= to; i++) n += BIT_COUNT_OF_BYTE[value[i]!]!;
  return n;
}

const bitPos: DataCommand = {
  name: 'bitpos', arity: -3, write: false, keys: FIRST_KEY,
  run(keys, args) {
    if (args.length > 5) return errReply('BAD_REQUEST', SYNTAX);
    const bit = parseInt64Number(args[1]!);
    if (bit === null) return errReply('BAD_REQUEST', NOT_INTEGER);
    if (bit !== 0 && bit !== 1) return errReply('BAD_REQUEST', 'The bit argument must be 1 or 0.');
    const start = args.length >= 3 ? parseInt64Number(args[2]!) : 0;
    const endArg = args.length >= 4 ? parseInt64Number(args[3]!) : undefined;
    if (start === null || endArg === null) return errReply('BAD_REQUEST', NOT_INTEGER);
    const unit = parseUnit(args[4]);
    if (unit === null) return errReply('BAD_REQUEST', SYNTAX);
    const current = readString(keys, args[0]!);
    if (isErr(current)) return current;
    const value = current.value;
    if (current.h === ABSENT) return ok(intValue(bit === 1 ? -1 : 0));
    const total = unit === 'bit' ? value.length * 8 : value.length;
    const r = clampRange(start, endArg ?? total - 1, total);
    if (r === null) return ok(intValue(-1));
    const [fromBit, toBit] = unit === 'bit' ? r : [r[0] * 8, r[1] * 8 + 7];
    for (let b = fromBit; b <= toBit; b++) if (bitAt(value, b) === bit) return ok(intValue(b));
    // Looking for a clear bit with no end given: the string reads as zero-padded to the right (Redis).
    return ok(intValue(bit === 0 && endArg === undefined ? value.length * 8 : -1));
  },
};

const bitOp: DataCommand = {
  name: 'bitop', arity: -4, write: true, keys: keysAt(1, -1, 1),
  run(keys, args) {
    const op = (['AND', 'OR', 'XOR', 'NOT'] as const).find((word) => isOption(args[0]!, word));
    if (op === undefined) return errReply('BAD_REQUEST', SYNTAX);
    if (op === 'NOT' && args.length !== 3) return errReply('BAD_REQUEST', 'BITOP NOT must be called with a single source key.');
    const sources: Uint8Array[] = [];
    for (const key of args.slice(2)) {
      const s = readString(keys, key);
      if (isErr(s)) return s;
      sources.push(s.value.slice());
    }
    const length = Math.max(...sources.map((s) => s.length));
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      let acc = sources[0]![i] ?? 0;
      if (op === 'NOT') acc = ~acc & 0xff;
      for (let j = 1; j < sources.length; j++) {
        const b = sources[j]![i] ?? 0;
        acc = op === 'AND' ? acc & b : op === 'OR' ? acc | b : acc ^ b;
      }
      out[i] = acc;
    }
    const dest = args[1]!;
    const h = keys.find(dest);
    if (length === 0) {
      if (h !== ABSENT) keys.remove(dest, h);
    } else {
      keys.putBytes(dest, h, ValueType.STRING, out, 0);
    }
    return ok(intValue(length), keys.version);
  },
};

// ---- BITFIELD ---------------------------------------------------------------------

interface FieldType { signed: boolean; bits: number }
type Overflow = 'wrap' | 'sat' | 'fail';
type FieldOp =
  | { kind: 'get'; type: FieldType; offset: number }
  | { kind: 'set' | 'incrby'; type: FieldType; offset: number; operand: bigint; overflow: Overflow };

const BAD_TYPE = 'Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.';
const textDecoder = new TextDecoder();

function parseFieldType(arg: Bytes): FieldType | null {
  const text = textDecoder.decode(arg);
  const m = /^([iIuU])(\d{1,2})$/.exec(text);
  if (m === null) return null;
  const signed = m[1] === 'i' || m[1] === 'I';
  const bits = Number(m[2]);
  if (bits < 1 || (signed && bits > 64) || (!signed && bits > 63)) return null;
  return { signed, bits };
}

/** An offset: a bit number, or #n meaning n times the type's width. */
function parseFieldOffset(arg: Bytes, type: FieldType, keys: KeyAccess): number | null {
  const multiplied = arg.length > 0 && arg[0] === 0x23; /* # */
  const n = parseInt64Number(multiplied ? arg.subarray(1) : arg);
  if (n === null || n < 0 || !Number.isSafeInteger(n)) return null;
  const offset = multiplied ? n * type.bits : n;
  return Number.isSafeInteger(offset) && Math.ceil((offset + type.bits) / 8) <= keys.limits.valueBytesMax ? offset : null;
}

function parseFieldOps(args: readonly Bytes[], keys: KeyAccess, readOnly: boolean): FieldOp[] | string {
  const ops: FieldOp[] = [];
  let overflow: Overflow = 'wrap';
  for (let j = 1; j < args.length;) {
    const word = args[j]!;
    if (isOption(word, 'OVERFLOW') && j + 1 < args.length && !readOnly) {
      // OVERFLOW applies to the SET / INCRBY after it, until the next OVERFLOW.
      const o = (['wrap', 'sat', 'fail'] as const).find((w) => isOption(args[j + 1]!, w.toUpperCase()));
      if (o === undefined) return 'Invalid OVERFLOW type specified';
      overflow = o;
      j += 2;
      continue;
    }
    const kind = isOption(word, 'GET') ? 'get' : isOption(word, 'SET') ? 'set' : isOption(word, 'INCRBY') ? 'incrby' : null;
    if (readOnly && kind !== 'get') return 'BITFIELD_RO only supports the GET subcommand';
    // The word, type and offset, and for SET / INCRBY the operand.
    if (kind === null || j + (kind === 'get' ? 3 : 4) > args.length) return SYNTAX;
    const type = parseFieldType(args[j + 1]!);
    if (type === null) return BAD_TYPE;
    const offset = parseFieldOffset(args[j + 2]!, type, keys);
    if (offset === null) return BAD_OFFSET;
    if (kind === 'get') {
      ops.push({ kind, type, offset });
      j += 3;
      continue;
    }
    const operand = parseInt64(args[j + 3]!);
    if (operand === null) return NOT_INTEGER;
    ops.push({ kind, type, offset, operand, overflow });
    j += 4;
  }
  return ops;
}

function readField(value: Uint8Array, type: FieldType, offset: number): bigint {
  let raw = 0n;
  for (let i = 0; i < type.bits; i++) {
    const bit = offset + i;
    const byte = bit >>> 3;
    raw = (raw << 1n) | BigInt(byte < value.length ? (value[byte]! >>> (7 - (bit & 7))) & 1 : 0);
  }
  if (type.signed && (raw >> BigInt(type.bits - 1)) === 1n) raw -= 1n << BigInt(type.bits);
  return raw;
}

function writeField(value: Uint8Array, type: FieldType, offset: number, field: bigint): void {
  let raw = BigInt.asUintN(type.bits, field);
  for (let i = type.bits - 1; i >= 0; i--) {
    const bit = offset + i;
    const mask = 0x80 >>> (bit & 7);
    value[bit >>> 3] = (raw & 1n) === 1n ? value[bit >>> 3]! | mask : value[bit >>> 3]! & ~mask;
    raw >>= 1n;
  }
}

/** The value the field takes under the overflow rule, or null when FAIL refuses it. */
function fitField(type: FieldType, wanted: bigint, overflow: Overflow): bigint | null {
  const min = type.signed ? -(1n << BigInt(type.bits - 1)) : 0n;
  const max = type.signed ? (1n << BigInt(type.bits - 1)) - 1n : (1n << BigInt(type.bits)) - 1n;
  if (wanted >= min && wanted <= max) return wanted;
  if (overflow === 'fail') return null;
  if (overflow === 'sat') return wanted < min ? min : max;
  return type.signed ? BigInt.asIntN(type.bits, wanted) : BigInt.asUintN(type.bits, wanted);
}

function bitfieldCommand(name: 'bitfield' | 'bitfield_ro'): DataCommand {
  const readOnly = name === 'bitfield_ro';
  return {
    name, arity: -2, write: !readOnly, keys: FIRST_KEY,
    run(keys, args) {
      const ops = parseFieldOps(args, keys, readOnly);
      if (typeof ops === 'string') return errReply('BAD_REQUEST', ops);
      const current = readString(keys, args[0]!);
      if (isErr(current)) return current;
      // As Redis, a write reaching past the end grows the string first (even when OVERFLOW FAIL then refuses it).
      let writeEnd = 0;
      for (const op of ops) if (op.kind !== 'get') writeEnd = Math.max(writeEnd, Math.ceil((op.offset + op.type.bits) / 8));
      const value = writeEnd > 0 ? grown(current.value, writeEnd) : current.value;
      const results: DataValue[] = [];
      for (const op of ops) {
        const old = readField(value, op.type, op.offset);
        if (op.kind === 'get') {
          results.push(intValue(old));
          continue;
        }
        const next = fitField(op.type, op.kind === 'set' ? op.operand : old + op.operand, op.overflow);
        if (next === null) {
          results.push(NIL);
          continue;
        }
        writeField(value, op.type, op.offset, next);
        results.push(intValue(op.kind === 'set' ? old : next));
      }
      if (writeEnd === 0) return ok(arrayValue(results));
      if (value.length > keys.limits.valueBytesMax) return errReply('VALUE_TOO_LARGE', tooLongMessage(keys.limits.valueBytesMax));
      keys.putBytes(args[0]!, current.h, ValueType.STRING, value);
      return ok(arrayValue(results), keys.version);
    },
  };
}

export const BIT_COMMANDS: readonly DataCommand[] = [
  setBit, getBit, bitCount, bitPos, bitOp, bitfieldCommand('bitfield'), bitfieldCommand('bitfield_ro'),
];
