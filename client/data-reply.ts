// A data command's reply tree (core/protocol/data-value.ts) as plain
// JavaScript, for db.call() and the typed data methods: null for nil, bigint
// for integers, number for doubles, string for status lines, arrays, Maps,
// and bytes as Uint8Array or as text (the `dataBytesAs` option). Also the
// readers the typed methods use, lenient where the JSON format cannot tell
// kinds apart (a big integer or "inf" arrives as text, an integral double as
// an integer, a map in pairs form as an array of pairs).

import { unreachable } from '../core/assert.js';
import type { DataValue } from '../core/protocol/data-value.js';
import { bytesToText } from './bytes.js';
import { ProtocolError } from './errors.js';

/** How bytes in a data reply are given: as they are, or decoded as UTF-8 text (invalid sequences become U+FFFD). */
export type DataBytesAs = 'bytes' | 'text';

/** The bytes type of a client: Uint8Array, or string with `dataBytesAs: 'text'`. */
export type DataBytes = Uint8Array | string;

/** A data reply in JavaScript; B is the client's bytes type. */
export type DataReply<B extends DataBytes = Uint8Array> =
  | null | bigint | number | string | B | DataReply<B>[] | Map<DataReply<B>, DataReply<B>>;

/** Turns reply bytes into the client's bytes type. */
export type BytesOut<B extends DataBytes> = (bytes: Uint8Array) => B;

export function bytesOut(as: DataBytesAs): BytesOut<DataBytes> {
  return as === 'text' ? bytesToText : (bytes) => bytes;
}

export function renderDataValue<B extends DataBytes>(value: DataValue, out: BytesOut<B>): DataReply<B> {
  switch (value.t) {
    case 'nil': case 'nilArray': return null;
    case 'int': return value.v;
    case 'bytes': return out(value.v);
    case 'double': return value.v;
    case 'status': return value.v;
    case 'array': case 'set': case 'pairs': return value.v.map((item) => renderDataValue(item, out));
    case 'map': {
      const map = new Map<DataReply<B>, DataReply<B>>();
      for (let i = 0; i + 1 < value.v.length; i += 2) map.set(renderDataValue(value.v[i]!, out), renderDataValue(value.v[i + 1]!, out));
      return map;
    }
    default: return unreachable(value, 'data value');
  }
}

// --- readers for the typed methods; `what` names the command in errors ---

function unexpected(value: DataValue, wanted: string, what: string): ProtocolError {
  return new ProtocolError(`${what} reply is ${value.t}, expected ${wanted}`);
}

/** A count or length: an integer (or its decimal text). */
export function readInt(value: DataValue, what: string): number {
  if (value.t === 'int') return Number(value.v);
  if (value.t === 'bytes') {
    const n = Number(bytesToText(value.v));
    if (Number.isInteger(n)) return n;
  }
  throw unexpected(value, 'an integer', what);
}

/** A flag Redis gives as 0 or 1 (SISMEMBER). */
export function readBoolean(value: DataValue, what: string): boolean {
  return readInt(value, what) !== 0;
}

/** A score: a double, an integer, or Redis's float text ("inf", "-inf", "1.5"); null for nil. */
export function readScore(value: DataValue, what: string): number | null {
  switch (value.t) {
    case 'nil': return null;
    case 'double': return value.v;
    case 'int': return Number(value.v);
    case 'bytes': {
      const text = bytesToText(value.v).toLowerCase();
      const n = text === 'inf' || text === '+inf' ? Infinity : text === '-inf' ? -Infinity : Number(text);
      if (!Number.isNaN(n) || text === 'nan') return n;
      break;
    }
    default: break;
  }
  throw unexpected(value, 'a score', what);
}

/** Bytes, or null for nil. */
export function readBytesOrNull<B extends DataBytes>(value: DataValue, out: BytesOut<B>, what: string): B | null {
  if (value.t === 'nil' || value.t === 'nilArray') return null;
  if (value.t === 'bytes') return out(value.v);
  throw unexpected(value, 'bytes or nil', what);
}

/** A list of bytes (array or set); nil reads as empty. */
export function readBytesList<B extends DataBytes>(value: DataValue, out: BytesOut<B>, what: string): B[] {
  if (value.t === 'nil' || value.t === 'nilArray') return [];
  if (value.t !== 'array' && value.t !== 'set') throw unexpected(value, 'an array', what);
  return value.v.map((item) => {
    if (item.t !== 'bytes') throw unexpected(item, 'bytes', what);
    return out(item.v);
  });
}

/**
 * Field -> value pairs (HGETALL): a map, a flat array (RESP2's shape), or an
 * array of [field, value] pairs (JSON's form for maps it cannot make an
 * object of). Fields are keyed as text, so the Map can be looked up by string.
 */
export function readTextKeyedMap<B extends DataBytes>(value: DataValue, out: BytesOut<B>, what: string): Map<string, B> {
  const flat = flatPairs(value, what);
  const map = new Map<string, B>();
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const key = flat[i]!;
    const item = flat[i + 1]!;
    if (key.t !== 'bytes' || item.t !== 'bytes') throw unexpected(key.t !== 'bytes' ? key : item, 'bytes', what);
    map.set(bytesToText(key.v), out(item.v));
  }
  return map;
}

function flatPairs(value: DataValue, what: string): DataValue[] {
  if (value.t === 'nil' || value.t === 'nilArray') return [];
  if (value.t === 'map') return value.v;
  if (value.t !== 'array') throw unexpected(value, 'a map', what);
  const isPairs = value.v.length > 0 && value.v.every((item) => item.t === 'array' && item.v.length === 2);
  return isPairs ? value.v.flatMap((item) => (item as { v: DataValue[] }).v) : value.v;
}
