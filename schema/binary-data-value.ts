// A data command's reply tree (core/protocol/data-value.ts) in Cap'n Proto:
// the DataValue struct of schema/piccolo.capnp, read and written at the
// offsets in fast-capnp/piccolo-layout.ts. Used by binary-response.ts for
// OkReply.data; the capnp-ts reference writes the same bytes.

import { unreachable } from '../core/assert.js';
import type { DataValue } from '../core/protocol/data-value.js';
import { DATA_VALUE_DEPTH_MAX, dataValueTooDeepMessage } from './data-value-limits.js';
import type { MessageBuilder } from './fast-capnp/message-builder.js';
import { ListTooLong, type MessageReader, type StructRef } from './fast-capnp/message-reader.js';
import { DataValueLayout, DataValueTag } from './fast-capnp/piccolo-layout.js';
import { WireDecodeError, WireEncodeError } from './wire-errors.js';
import { checkI64 } from './wire-numbers.js';

/** A tree's lists may be as long as the frame lets them be (the reader bounds each by the frame's size). */
const DATA_LIST_COUNT_MAX = Number.MAX_SAFE_INTEGER;

/**
 * Writes `value` into the DataValue struct at `s`. `depth` is the value's
 * level (1 for the root); a deeper tree than readers accept is refused here
 * rather than sent.
 */
export function writeDataValue(b: MessageBuilder, s: number, value: DataValue, depth: number): void {
  if (depth > DATA_VALUE_DEPTH_MAX) throw new WireEncodeError(dataValueTooDeepMessage());
  const L = DataValueLayout;
  const body = b.pointer(s, L.size, L.bodyPtr);
  switch (value.t) {
    case 'nil':
      return; // tag 0
    case 'nilArray':
      b.setU16(s, L.whichU16, DataValueTag.NIL_ARRAY);
      return;
    case 'int':
      b.setU16(s, L.whichU16, DataValueTag.INT);
      b.setI64(s, L.intI64, checkI64(value.v, 'data int'));
      return;
    case 'bytes':
      b.setU16(s, L.whichU16, DataValueTag.BYTES);
      b.setData(body, value.v);
      return;
    case 'double':
      b.setU16(s, L.whichU16, DataValueTag.DOUBLE);
      b.setF64(s, L.doubleF64, value.v);
      return;
    case 'status':
      b.setU16(s, L.whichU16, DataValueTag.STATUS);
      b.setText(body, value.v);
      return;
    // WITHSCORES' pairs travel as their flat array (RESP2's shape).
    case 'array': case 'map': case 'set': case 'pairs': {
      b.setU16(s, L.whichU16, listTag(value.t));
      const first = b.initStructList(body, value.v.length, L.size);
      value.v.forEach((item, i) => writeDataValue(b, b.structElement(first, L.size, i), item, depth + 1));
      return;
    }
    default:
      unreachable(value, 'data value');
  }
}

function listTag(t: 'array' | 'map' | 'set' | 'pairs'): number {
  return t === 'array' || t === 'pairs' ? DataValueTag.ARRAY : t === 'map' ? DataValueTag.MAP : DataValueTag.SET;
}

/**
 * Reads the DataValue struct at `s` (level `depth`, 1 for the root). Throws
 * WireDecodeError for a tree deeper than DATA_VALUE_DEPTH_MAX or a kind this
 * reader does not know; a reader problem found earlier is reported first.
 */
export function readDataValue(message: MessageReader, s: StructRef, depth: number): DataValue {
  const L = DataValueLayout;
  const which = message.u16(s, L.whichU16);
  switch (which) {
    case DataValueTag.NIL: return { t: 'nil' };
    case DataValueTag.NIL_ARRAY: return { t: 'nilArray' };
    case DataValueTag.INT: return { t: 'int', v: message.i64(s, L.intI64) };
    case DataValueTag.BYTES: return { t: 'bytes', v: message.data(s, L.bodyPtr) };
    case DataValueTag.DOUBLE: return { t: 'double', v: message.f64(s, L.doubleF64) };
    case DataValueTag.STATUS: return { t: 'status', v: message.text(s, L.bodyPtr) };
    case DataValueTag.ARRAY: return { t: 'array', v: readList(message, s, depth) };
    case DataValueTag.MAP: return { t: 'map', v: readList(message, s, depth) };
    case DataValueTag.SET: return { t: 'set', v: readList(message, s, depth) };
    default:
      throwIfUnreadable(message);
      throw new WireDecodeError(`unknown reply data kind (union tag ${which})`);
  }
}

function readList(message: MessageReader, s: StructRef, depth: number): DataValue[] {
  const list = message.structList(s, DataValueLayout.bodyPtr, DATA_LIST_COUNT_MAX);
  if (list instanceof ListTooLong) throw new WireDecodeError(`reply data list of ${list.count} elements is too long`);
  throwIfUnreadable(message); // before allocating an array of the declared length
  // Judged before any element is read: a list pointing back at its own struct must not recurse without end.
  if (list.count > 0 && depth >= DATA_VALUE_DEPTH_MAX) throw new WireDecodeError(dataValueTooDeepMessage());
  const items = new Array<DataValue>(list.count);
  for (let i = 0; i < list.count; i++) items[i] = readDataValue(message, message.structElement(list, i), depth + 1);
  return items;
}

function throwIfUnreadable(message: MessageReader): void {
  if (message.error !== null) throw new WireDecodeError(`response frame is not a readable Cap'n Proto Response: ${message.error}`);
}
