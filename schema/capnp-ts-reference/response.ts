// The capnp-ts implementation of the binary response codec: the reference the
// fast codec (schema/binary-response.ts) is tested against and benchmarked with.
// Same API and semantics as schema/binary-response.ts; not on any hot path.

import * as capnp from 'capnp-ts';
import { ErrorCode, errorName } from '../../core/errors.js';
import { unreachable } from '../../core/assert.js';
import type { DataValue } from '../../core/protocol/data-value.js';
import type { ErrReply, ItemReply, OkReply, Reply, ScanItem } from '../../core/protocol/ops.js';
import { DATA_VALUE_DEPTH_MAX, dataValueTooDeepMessage } from '../data-value-limits.js';
import * as wire from '../generated/piccolo.capnp.js';
import {
  buildMessage, checkI64, checkU64, DataReader, openMessage, rewrittenWhileReading, safeNumber, toU64, writeData,
} from '../capnp-message.js';
import { WireDecodeError, WireEncodeError } from '../wire-errors.js';

export function encodeResponse(id: bigint, reply: Reply): Uint8Array {
  return buildMessage((message) => writeResponseMessage(message, id, reply));
}

/** Writes the response as the root of `message` (tests pass messages with other arenas, e.g. multi-segment). */
export function writeResponseMessage(message: capnp.Message, id: bigint, reply: Reply): void {
  const root = message.initRoot(wire.Response);
  root.setId(checkU64(id, 'id'));
  writeReply(root, reply);
}

/** The reply in a Response struct: the whole frame's, or one of a transaction's (id left 0). */
function writeReply(response: wire.Response, reply: Reply): void {
  if (reply.ok) writeOk(response.initOk(), reply);
  else writeError(response.initError(), reply);
}

function writeOk(o: wire.OkReply, reply: OkReply): void {
  if (reply.found !== undefined) { o.setHasFound(true); o.setFound(reply.found); }
  if (reply.value !== undefined) { o.setHasValue(true); writeData((n) => o.initValue(n), reply.value); }
  if (reply.version !== undefined) { o.setHasVersion(true); o.setVersion(toU64(reply.version, 'version')); }
  if (reply.integer !== undefined) { o.setHasInteger(true); o.setInteger(checkI64(reply.integer, 'integer')); }
  if (reply.previousFound !== undefined) { o.setHasPreviousFound(true); o.setPreviousFound(reply.previousFound); }
  if (reply.previousValue !== undefined) {
    o.setHasPreviousValue(true);
    writeData((n) => o.initPreviousValue(n), reply.previousValue);
  }
  if (reply.items !== undefined) {
    o.setHasItems(true);
    const list = o.initItems(reply.items.length);
    reply.items.forEach((item, i) => writeItem(list.get(i), item));
  }
  if (reply.scanItems !== undefined) {
    o.setHasScanItems(true);
    const list = o.initScanItems(reply.scanItems.length);
    reply.scanItems.forEach((item, i) => writeScanItem(list.get(i), item));
  }
  if (reply.cursor !== undefined) { o.setHasCursor(true); writeData((n) => o.initCursor(n), reply.cursor); }
  if (reply.replies !== undefined) {
    o.setHasReplies(true);
    const list = o.initReplies(reply.replies.length);
    reply.replies.forEach((r, i) => writeReply(list.get(i), r));
  }
  if (reply.data !== undefined) { o.setHasData(true); writeDataValue(o.initData(), reply.data, 1); }
}

/** A reply tree, written in the same order as the fast writer (schema/binary-data-value.ts); `depth` 1 is the root. */
function writeDataValue(d: wire.DataValue, value: DataValue, depth: number): void {
  if (depth > DATA_VALUE_DEPTH_MAX) throw new WireEncodeError(dataValueTooDeepMessage());
  switch (value.t) {
    case 'nil': d.setNil(); return;
    case 'nilArray': d.setNilArray(); return;
    case 'int': d.setInt(checkI64(value.v, 'data int')); return;
    case 'bytes':
      // Empty bytes stay a null pointer, so only the tag is set (initBytes(0) would allocate).
      capnp.Struct.setUint16(0, wire.DataValue_Which.BYTES, d);
      writeData((n) => d.initBytes(n), value.v);
      return;
    case 'double': d.setDouble(value.v); return;
    case 'status': d.setStatus(value.v); return;
    case 'array': case 'map': case 'set': case 'pairs': {
      const list = value.t === 'array' || value.t === 'pairs' ? d.initArray(value.v.length) : value.t === 'map' ? d.initMap(value.v.length) : d.initSet(value.v.length);
      value.v.forEach((item, i) => writeDataValue(list.get(i), item, depth + 1));
      return;
    }
    default: unreachable(value, 'data value');
  }
}

function writeItem(w: wire.ItemReply, item: ItemReply): void {
  w.setFound(item.found);
  if (item.value !== undefined) { w.setHasValue(true); writeData((n) => w.initValue(n), item.value); }
  if (item.version !== undefined) { w.setHasVersion(true); w.setVersion(toU64(item.version, 'version')); }
}

function writeScanItem(w: wire.ScanItem, item: ScanItem): void {
  writeData((n) => w.initKey(n), item.key);
  if (item.value !== undefined) { w.setHasValue(true); writeData((n) => w.initValue(n), item.value); }
  w.setVersion(toU64(item.version, 'version'));
}

function writeError(e: wire.ErrorReply, reply: ErrReply): void {
  e.setCode(ErrorCode[reply.code]);
  e.setName(reply.code);
  e.setMessage(reply.message);
  if (reply.currentVersion !== undefined) {
    e.setHasCurrentVersion(true);
    e.setCurrentVersion(toU64(reply.currentVersion, 'currentVersion'));
  }
}

/** Reads one response frame (the client side). Throws WireDecodeError for anything that is not a valid response. */
export function decodeResponse(bytes: Uint8Array): { id: bigint; reply: Reply } {
  return decodeResponseOpened(bytes, () => {});
}

/** decodeResponse, also telling whether capnp-ts rewrote the message while reading it (see decodeRequestTraced); throws like it. */
export function decodeResponseTraced(bytes: Uint8Array): { result: { id: bigint; reply: Reply }; rewritten: boolean } {
  let message: capnp.Message | null = null;
  const result = decodeResponseOpened(bytes, (opened) => { message = opened; });
  return { result, rewritten: message !== null && rewrittenWhileReading(message, bytes) };
}

function decodeResponseOpened(bytes: Uint8Array, onOpen: (message: capnp.Message) => void): { id: bigint; reply: Reply } {
  try {
    const message = openMessage(bytes);
    onOpen(message);
    const root = message.getRoot(wire.Response);
    const id = root.getId();
    return { id, reply: readReply(root, new DataReader(bytes.length), true) };
  } catch (cause) {
    if (cause instanceof WireDecodeError) throw cause;
    throw new WireDecodeError(`response frame is not a readable Cap'n Proto Response: ${(cause as Error).message}`, { cause });
  }
}

/** The reply in a Response struct; only the frame's own may hold a transaction's replies (they never nest further). */
function readReply(response: wire.Response, data: DataReader, mayHoldReplies: boolean): Reply {
  const which = response.which();
  switch (which) {
    case wire.Response_Which.OK: return readOk(response.getOk(), data, mayHoldReplies);
    case wire.Response_Which.ERROR: return readError(response.getError());
    default: throw new WireDecodeError(`unknown response kind (union tag ${which as number})`);
  }
}

function readOk(o: wire.OkReply, data: DataReader, mayHoldReplies: boolean): OkReply {
  const reply: OkReply = { ok: true };
  if (o.getHasFound()) reply.found = o.getFound();
  if (o.getHasValue()) reply.value = data.read(o.getValue());
  if (o.getHasVersion()) reply.version = readSafe(o.getVersion(), 'version');
  if (o.getHasInteger()) reply.integer = o.getInteger();
  if (o.getHasPreviousFound()) reply.previousFound = o.getPreviousFound();
  if (o.getHasPreviousValue()) reply.previousValue = data.read(o.getPreviousValue());
  if (o.getHasItems()) reply.items = o.getItems().map((item) => readItem(item, data));
  if (o.getHasScanItems()) reply.scanItems = o.getScanItems().map((item) => readScanItem(item, data));
  if (o.getHasCursor()) reply.cursor = data.read(o.getCursor());
  if (o.getHasReplies()) {
    if (!mayHoldReplies) throw new WireDecodeError('a transaction\'s reply holds replies of its own');
    reply.replies = o.getReplies().map((r) => readReply(r, data, false));
  }
  if (o.getHasData()) reply.data = readDataValue(o.getData(), data, 1);
  return reply;
}

/** A reply tree; like the fast reader, a list of level DATA_VALUE_DEPTH_MAX must be empty. */
function readDataValue(d: wire.DataValue, data: DataReader, depth: number): DataValue {
  const which = d.which();
  const list = (items: capnp.List<wire.DataValue>): DataValue[] => {
    if (items.getLength() > 0 && depth >= DATA_VALUE_DEPTH_MAX) throw new WireDecodeError(dataValueTooDeepMessage());
    return items.map((item) => readDataValue(item, data, depth + 1));
  };
  switch (which) {
    case wire.DataValue_Which.NIL: return { t: 'nil' };
    case wire.DataValue_Which.NIL_ARRAY: return { t: 'nilArray' };
    case wire.DataValue_Which.INT: return { t: 'int', v: d.getInt() };
    case wire.DataValue_Which.BYTES: return { t: 'bytes', v: data.read(d.getBytes()) };
    case wire.DataValue_Which.DOUBLE: return { t: 'double', v: d.getDouble() };
    case wire.DataValue_Which.STATUS: return { t: 'status', v: d.getStatus() };
    case wire.DataValue_Which.ARRAY: return { t: 'array', v: list(d.getArray()) };
    case wire.DataValue_Which.MAP: return { t: 'map', v: list(d.getMap()) };
    case wire.DataValue_Which.SET: return { t: 'set', v: list(d.getSet()) };
    default: throw new WireDecodeError(`unknown reply data kind (union tag ${which as number})`);
  }
}

function readItem(w: wire.ItemReply, data: DataReader): ItemReply {
  const item: ItemReply = { found: w.getFound() };
  if (w.getHasValue()) item.value = data.read(w.getValue());
  if (w.getHasVersion()) item.version = readSafe(w.getVersion(), 'version');
  return item;
}

function readScanItem(w: wire.ScanItem, data: DataReader): ScanItem {
  const item: ScanItem = { key: data.read(w.getKey()), version: readSafe(w.getVersion(), 'version') };
  if (w.getHasValue()) item.value = data.read(w.getValue());
  return item;
}

function readError(e: wire.ErrorReply): ErrReply {
  const code = e.getCode();
  const message = e.getMessage();
  const reply: ErrReply = { ok: false, code: errorName(code) ?? 'INTERNAL', message };
  if (errorName(code) === undefined) {
    // A newer server's code this client does not know: keep the detail visible.
    reply.message = `unknown error ${code} (${e.getName()}): ${message}`;
  }
  if (e.getHasCurrentVersion()) reply.currentVersion = readSafe(e.getCurrentVersion(), 'currentVersion');
  return reply;
}

function readSafe(value: bigint, field: string): number {
  const n = safeNumber(value);
  if (n === null || n < 0) throw new WireDecodeError(`${field} ${value} is beyond 2^53`);
  return n;
}
