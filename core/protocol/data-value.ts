// The reply of a data command (core/types/: hashes, lists, sets, sorted sets,
// bit and string commands): a small tree in Redis's RESP3 shapes, so each
// door renders it natively (RESP2/RESP3 as Redis does, JSON, Cap'n Proto)
// without knowing which command made it. The `call` op's reply carries one
// in OkReply.data.

import type { Bytes } from './ops.js';

export type DataValue =
  /** Absent: RESP2 null bulk `$-1`, RESP3 `_`, JSON null. */
  | { t: 'nil' }
  /** Absent aggregate (BLPOP timeout, EXEC of a failed WATCH): RESP2 `*-1`, RESP3 `_`, JSON null. */
  | { t: 'nilArray' }
  | { t: 'int'; v: bigint }
  | { t: 'bytes'; v: Bytes }
  /** RESP3 double (ZSCORE); RESP2 renders it as a bulk string in Redis's float format. */
  | { t: 'double'; v: number }
  /** A status line such as OK. */
  | { t: 'status'; v: string }
  | { t: 'array'; v: DataValue[] }
  /** Pairs laid flat (key, value, key, value ...): RESP3 map, RESP2 flat array, JSON object when keys are text. */
  | { t: 'map'; v: DataValue[] }
  /** RESP3 set, RESP2 array. */
  | { t: 'set'; v: DataValue[] }
  /** Pairs laid flat (member, score, ...): RESP2 a flat array, RESP3 an array of 2-element arrays (Redis 7's WITHSCORES / WITHVALUES). */
  | { t: 'pairs'; v: DataValue[] };

export const NIL: DataValue = Object.freeze({ t: 'nil' });
export const NIL_ARRAY: DataValue = Object.freeze({ t: 'nilArray' });
export const OK_STATUS: DataValue = Object.freeze({ t: 'status', v: 'OK' });

export function intValue(v: number | bigint): DataValue {
  return { t: 'int', v: BigInt(v) };
}

export function bytesValue(v: Bytes): DataValue {
  return { t: 'bytes', v };
}

export function doubleValue(v: number): DataValue {
  return { t: 'double', v };
}

export function arrayValue(v: DataValue[]): DataValue {
  return { t: 'array', v };
}

export function bytesArray(items: readonly Bytes[]): DataValue {
  return { t: 'array', v: items.map(bytesValue) };
}

/** Fixed bytes a value costs on any wire beyond its payload: room for a tag and a length. */
const DATA_VALUE_OVERHEAD_BYTES = 16;

/** An upper bound of the value's encoded size, for reply limits. */
export function dataValueBytes(value: DataValue): number {
  switch (value.t) {
    case 'nil': case 'nilArray': case 'int': case 'double': return DATA_VALUE_OVERHEAD_BYTES;
    case 'bytes': return DATA_VALUE_OVERHEAD_BYTES + value.v.length;
    case 'status': return DATA_VALUE_OVERHEAD_BYTES + value.v.length;
    case 'array': case 'map': case 'set': case 'pairs': {
      let n = DATA_VALUE_OVERHEAD_BYTES;
      for (const item of value.v) n += dataValueBytes(item);
      return n;
    }
  }
}
