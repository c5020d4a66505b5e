// A data command's reply tree (core/protocol/data-value.ts) in the JSON wire
// format: plain JSON where it can be (docs/protocol.md, "Reply data in
// JSON"). The server renders (dataValueToJson); the client reads it back
// (dataValueFromJson) as far as JSON tells the kinds apart:
//   nil, nilArray          -> null
//   int                    -> number while exact (|n| <= 2^53-1), else a decimal string
//   bytes                  -> string when valid UTF-8, else {"base64": "..."}
//   double                 -> number; infinities and NaN as "inf", "-inf", "nan"
//   status                 -> {"status": "OK"}
//   array, set             -> array
//   map                    -> object when every key is distinct UTF-8 text (in
//                             JavaScript's key order: integer-like keys first; and the
//                             object could not be mistaken for one of the two
//                             wrappers above), else an array of [key, value] pairs
// What JSON loses: nilArray reads as nil, set as array, an integral double
// as int, a big int or a non-finite double as text, a map of pairs as an
// array. The Cap'n Proto format carries every kind exactly.

import { unreachable } from '../core/assert.js';
import type { DataValue } from '../core/protocol/data-value.js';
import { base64ToBytes, bytesToBase64 } from './base64.js';
import { DATA_VALUE_DEPTH_MAX, dataValueTooDeepMessage } from './data-value-limits.js';
import { bigintToJson, isPlainObject } from './json-bytes.js';
import { utf8DecodeExact, utf8Encode } from './utf8.js';
import { WireDecodeError } from './wire-errors.js';

/** The wrappers' one key each: an object with exactly one of these keys is the wrapper, never a map. */
const STATUS_KEY = 'status';
const BASE64_KEY = 'base64';

/**
 * JSON levels a tree may take: twice the tree's own, because every map whose
 * keys are not text becomes two levels, an array of [key, value] arrays.
 */
const JSON_DEPTH_MAX = 2 * DATA_VALUE_DEPTH_MAX;

export function dataValueToJson(value: DataValue): unknown {
  switch (value.t) {
    case 'nil': case 'nilArray': return null;
    case 'int': return bigintToJson(value.v);
    case 'bytes': return bytesToJson(value.v);
    case 'double': return doubleToJson(value.v);
    case 'status': return { [STATUS_KEY]: value.v };
    case 'array': case 'set': case 'pairs': return value.v.map(dataValueToJson);
    case 'map': return mapToJson(value.v);
    default: return unreachable(value, 'data value');
  }
}

function bytesToJson(bytes: Uint8Array): unknown {
  const text = utf8DecodeExact(bytes);
  return text ?? { [BASE64_KEY]: bytesToBase64(bytes) };
}

function doubleToJson(d: number): number | string {
  if (Number.isFinite(d)) return d;
  if (Number.isNaN(d)) return 'nan';
  return d > 0 ? 'inf' : '-inf';
}

function mapToJson(flat: readonly DataValue[]): unknown {
  const keys: string[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const key = flat[i]!;
    const text = key.t === 'bytes' ? utf8DecodeExact(key.v) : null;
    if (text === null) return pairsToJson(flat);
    keys.push(text);
  }
  const distinct = new Set(keys).size === keys.length;
  const looksLikeWrapper = keys.length === 1 && (keys[0] === STATUS_KEY || keys[0] === BASE64_KEY);
  if (!distinct || looksLikeWrapper) return pairsToJson(flat);
  // No prototype: a field named "__proto__" is an ordinary key here.
  const out = Object.create(null) as Record<string, unknown>;
  keys.forEach((key, i) => { out[key] = dataValueToJson(flat[2 * i + 1]!); });
  return out;
}

function pairsToJson(flat: readonly DataValue[]): unknown[][] {
  const pairs: unknown[][] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([dataValueToJson(flat[i]!), dataValueToJson(flat[i + 1] ?? { t: 'nil' })]);
  return pairs;
}

/**
 * The tree for a JSON reply's "data" (as dataValueToJson made it), as far
 * as JSON tells the kinds apart (see the header). Throws WireDecodeError for
 * what no server sends: other JSON shapes, or nesting beyond the limit.
 */
export function dataValueFromJson(json: unknown, depth = 1): DataValue {
  if (depth > JSON_DEPTH_MAX) throw new WireDecodeError(dataValueTooDeepMessage());
  if (json === null) return { t: 'nil' };
  if (typeof json === 'number') return Number.isSafeInteger(json) ? { t: 'int', v: BigInt(json) } : { t: 'double', v: json };
  if (typeof json === 'string') return { t: 'bytes', v: utf8Encode(json) };
  if (Array.isArray(json)) return { t: 'array', v: json.map((item) => dataValueFromJson(item, depth + 1)) };
  if (!isPlainObject(json)) throw new WireDecodeError('data must be null, a number, a string, an array or an object');
  const keys = Object.keys(json);
  if (keys.length === 1 && keys[0] === STATUS_KEY) {
    if (typeof json[STATUS_KEY] !== 'string') throw new WireDecodeError('data {"status"} must hold a string');
    return { t: 'status', v: json[STATUS_KEY] };
  }
  if (keys.length === 1 && keys[0] === BASE64_KEY) {
    const bytes = typeof json[BASE64_KEY] === 'string' ? base64ToBytes(json[BASE64_KEY]) : null;
    if (bytes === null) throw new WireDecodeError('data {"base64"} must hold a base64 string');
    return { t: 'bytes', v: bytes };
  }
  const flat: DataValue[] = [];
  for (const key of keys) flat.push({ t: 'bytes', v: utf8Encode(key) }, dataValueFromJson(json[key], depth + 1));
  return { t: 'map', v: flat };
}
