// Binary (Cap'n Proto) responses: the server encodes, the client decodes.
// Both read and write the schema's wire layout directly (schema/fast-capnp/);
// schema/capnp-ts-reference/ is the capnp-ts version they are tested against.

import { ErrorCode, errorName } from '../core/errors.js';
import type { ErrReply, ItemReply, OkReply, Reply, ScanItem } from '../core/protocol/ops.js';
import { readDataValue, writeDataValue } from './binary-data-value.js';
import { MessageBuilder } from './fast-capnp/message-builder.js';
import { ListTooLong, MessageReader, type ListRef, type StructRef } from './fast-capnp/message-reader.js';
import {
  DataValueLayout, ErrorReplyLayout, ItemReplyLayout, OkReplyLayout, ResponseLayout, ResponseTag, ScanItemLayout,
} from './fast-capnp/piccolo-layout.js';
import { checkI64, checkU64, checkU64Number } from './wire-numbers.js';
import { WireDecodeError } from './wire-errors.js';

/** Replies are built here one at a time; the buffer is reused (see MessageBuilder). */
const builder = new MessageBuilder();

/**
 * Encodes one response frame (the server side). Throws WireEncodeError for
 * numbers the schema cannot carry (a server bug). Objects are allocated in
 * the same order as the capnp-ts reference, so both produce the same bytes.
 */
export function encodeResponse(id: bigint, reply: Reply): Uint8Array {
  const b = builder;
  const root = b.beginRoot(ResponseLayout.size);
  b.setU64(root, ResponseLayout.idU64, checkU64(id, 'id'));
  writeReply(root, reply);
  return b.finish();
}

/** The reply in a Response struct: the whole frame's, or one of a transaction's (id left 0). */
function writeReply(response: number, reply: Reply): void {
  const b = builder;
  const body = b.pointer(response, ResponseLayout.size, ResponseLayout.bodyPtr);
  if (reply.ok) {
    b.setU16(response, ResponseLayout.whichU16, ResponseTag.OK);
    writeOk(b.initStruct(body, OkReplyLayout.size), reply);
  } else {
    b.setU16(response, ResponseLayout.whichU16, ResponseTag.ERROR);
    writeError(b.initStruct(body, ErrorReplyLayout.size), reply);
  }
}

function writeOk(o: number, reply: OkReply): void {
  const b = builder;
  const L = OkReplyLayout;
  if (reply.found !== undefined) {
    b.setBit(o, L.hasFoundBit);
    if (reply.found) b.setBit(o, L.foundBit);
  }
  if (reply.value !== undefined) {
    b.setBit(o, L.hasValueBit);
    b.setData(b.pointer(o, L.size, L.valuePtr), reply.value);
  }
  if (reply.version !== undefined) {
    b.setBit(o, L.hasVersionBit);
    b.setInt64Number(o, L.versionU64, checkU64Number(reply.version, 'version'));
  }
  if (reply.integer !== undefined) {
    b.setBit(o, L.hasIntegerBit);
    b.setI64(o, L.integerI64, checkI64(reply.integer, 'integer'));
  }
  if (reply.previousFound !== undefined) {
    b.setBit(o, L.hasPreviousFoundBit);
    if (reply.previousFound) b.setBit(o, L.previousFoundBit);
  }
  if (reply.previousValue !== undefined) {
    b.setBit(o, L.hasPreviousValueBit);
    b.setData(b.pointer(o, L.size, L.previousValuePtr), reply.previousValue);
  }
  if (reply.items !== undefined) {
    b.setBit(o, L.hasItemsBit);
    const first = b.initStructList(b.pointer(o, L.size, L.itemsPtr), reply.items.length, ItemReplyLayout.size);
    reply.items.forEach((item, i) => writeItem(b.structElement(first, ItemReplyLayout.size, i), item));
  }
  if (reply.scanItems !== undefined) {
    b.setBit(o, L.hasScanItemsBit);
    const first = b.initStructList(b.pointer(o, L.size, L.scanItemsPtr), reply.scanItems.length, ScanItemLayout.size);
    reply.scanItems.forEach((item, i) => writeScanItem(b.structElement(first, ScanItemLayout.size, i), item));
  }
  if (reply.cursor !== undefined) {
    b.setBit(o, L.hasCursorBit);
    b.setData(b.pointer(o, L.size, L.cursorPtr), reply.cursor);
  }
  if (reply.replies !== undefined) {
    b.setBit(o, L.hasRepliesBit);
    const first = b.initStructList(b.pointer(o, L.size, L.repliesPtr), reply.replies.length, ResponseLayout.size);
    reply.replies.forEach((r, i) => writeReply(b.structElement(first, ResponseLayout.size, i), r));
  }
  if (reply.data !== undefined) {
    b.setBit(o, L.hasDataBit);
    writeDataValue(b, b.initStruct(b.pointer(o, L.size, L.dataPtr), DataValueLayout.size), reply.data, 1);
  }
}

function writeItem(w: number, item: ItemReply): void {
  const b = builder;
  const L = ItemReplyLayout;
  if (item.found) b.setBit(w, L.foundBit);
  if (item.value !== undefined) {
    b.setBit(w, L.hasValueBit);
    b.setData(b.pointer(w, L.size, L.valuePtr), item.value);
  }
  if (item.version !== undefined) {
    b.setBit(w, L.hasVersionBit);
    b.setInt64Number(w, L.versionU64, checkU64Number(item.version, 'version'));
  }
}

function writeScanItem(w: number, item: ScanItem): void {
  const b = builder;
  const L = ScanItemLayout;
  b.setData(b.pointer(w, L.size, L.keyPtr), item.key);
  if (item.value !== undefined) {
    b.setBit(w, L.hasValueBit);
    b.setData(b.pointer(w, L.size, L.valuePtr), item.value);
  }
  b.setInt64Number(w, L.versionU64, checkU64Number(item.version, 'version'));
}

function writeError(e: number, reply: ErrReply): void {
  const b = builder;
  const L = ErrorReplyLayout;
  b.setU16(e, L.codeU16, ErrorCode[reply.code]);
  b.setText(b.pointer(e, L.size, L.namePtr), reply.code);
  b.setText(b.pointer(e, L.size, L.messagePtr), reply.message);
  if (reply.currentVersion !== undefined) {
    b.setBit(e, L.hasCurrentVersionBit);
    b.setInt64Number(e, L.currentVersionU64, checkU64Number(reply.currentVersion, 'currentVersion'));
  }
}

/** A reply list may be as long as the frame lets it be (the reader bounds it by the frame's size). */
const REPLY_LIST_COUNT_MAX = Number.MAX_SAFE_INTEGER;

/** Reads one response frame (the client side). Throws WireDecodeError for anything that is not a valid response. */
export function decodeResponse(bytes: Uint8Array): { id: bigint; reply: Reply } {
  const message = new MessageReader(bytes);
  const root = message.root();
  const id = message.u64(root, ResponseLayout.idU64);
  const reply = readReply(message, root, true);
  throwIfUnreadable(message);
  return { id, reply };
}

/** The reply in a Response struct; only the frame's own may hold a transaction's replies (they never nest further). */
function readReply(message: MessageReader, response: StructRef, mayHoldReplies: boolean): Reply {
  const which = message.u16(response, ResponseLayout.whichU16);
  switch (which) {
    case ResponseTag.OK: return readOk(message, message.struct(response, ResponseLayout.bodyPtr), mayHoldReplies);
    case ResponseTag.ERROR: return readError(message, message.struct(response, ResponseLayout.bodyPtr));
    default:
      throwIfUnreadable(message);
      throw new WireDecodeError(`unknown response kind (union tag ${which})`);
  }
}

function throwIfUnreadable(message: MessageReader): void {
  if (message.error !== null) throw new WireDecodeError(`response frame is not a readable Cap'n Proto Response: ${message.error}`);
}

function readOk(message: MessageReader, o: StructRef, mayHoldReplies: boolean): OkReply {
  const L = OkReplyLayout;
  const reply: OkReply = { ok: true };
  if (message.bit(o, L.hasFoundBit)) reply.found = message.bit(o, L.foundBit);
  if (message.bit(o, L.hasValueBit)) reply.value = message.data(o, L.valuePtr);
  if (message.bit(o, L.hasVersionBit)) reply.version = readSafe(message, o, L.versionU64, 'version');
  if (message.bit(o, L.hasIntegerBit)) reply.integer = message.i64(o, L.integerI64);
  if (message.bit(o, L.hasPreviousFoundBit)) reply.previousFound = message.bit(o, L.previousFoundBit);
  if (message.bit(o, L.hasPreviousValueBit)) reply.previousValue = message.data(o, L.previousValuePtr);
  if (message.bit(o, L.hasItemsBit)) {
    const list = readList(message, message.structList(o, L.itemsPtr, REPLY_LIST_COUNT_MAX));
    reply.items = Array.from({ length: list.count }, (_, i) => readItem(message, message.structElement(list, i)));
  }
  if (message.bit(o, L.hasScanItemsBit)) {
    const list = readList(message, message.structList(o, L.scanItemsPtr, REPLY_LIST_COUNT_MAX));
    reply.scanItems = Array.from({ length: list.count }, (_, i) => readScanItem(message, message.structElement(list, i)));
  }
  if (message.bit(o, L.hasCursorBit)) reply.cursor = message.data(o, L.cursorPtr);
  if (message.bit(o, L.hasRepliesBit)) {
    if (!mayHoldReplies) {
      throwIfUnreadable(message);
      throw new WireDecodeError('a transaction\'s reply holds replies of its own');
    }
    const list = readList(message, message.structList(o, L.repliesPtr, REPLY_LIST_COUNT_MAX));
    reply.replies = Array.from({ length: list.count }, (_, i) => readReply(message, message.structElement(list, i), false));
  }
  if (message.bit(o, L.hasDataBit)) reply.data = readDataValue(message, message.struct(o, L.dataPtr), 1);
  return reply;
}

function readList(message: MessageReader, list: ListRef | ListTooLong): ListRef {
  if (list instanceof ListTooLong) throw new WireDecodeError(`reply list of ${list.count} elements is too long`);
  throwIfUnreadable(message); // before allocating an array of the declared length
  return list;
}

function readItem(message: MessageReader, w: StructRef): ItemReply {
  const L = ItemReplyLayout;
  const item: ItemReply = { found: message.bit(w, L.foundBit) };
  if (message.bit(w, L.hasValueBit)) item.value = message.data(w, L.valuePtr);
  if (message.bit(w, L.hasVersionBit)) item.version = readSafe(message, w, L.versionU64, 'version');
  return item;
}

function readScanItem(message: MessageReader, w: StructRef): ScanItem {
  const L = ScanItemLayout;
  const item: ScanItem = { key: message.data(w, L.keyPtr), version: readSafe(message, w, L.versionU64, 'version') };
  if (message.bit(w, L.hasValueBit)) item.value = message.data(w, L.valuePtr);
  return item;
}

function readError(message: MessageReader, e: StructRef): ErrReply {
  const L = ErrorReplyLayout;
  const code = message.u16(e, L.codeU16);
  const text = message.text(e, L.messagePtr);
  const name = errorName(code);
  const reply: ErrReply = { ok: false, code: name ?? 'INTERNAL', message: text };
  if (name === undefined) {
    // A newer server's code this client does not know: keep the detail visible.
    reply.message = `unknown error ${code} (${message.text(e, L.namePtr)}): ${text}`;
  }
  if (message.bit(e, L.hasCurrentVersionBit)) reply.currentVersion = readSafe(message, e, L.currentVersionU64, 'currentVersion');
  return reply;
}

/** A UInt64 the model holds as a JS number. A reader problem found earlier is reported first. */
function readSafe(message: MessageReader, s: StructRef, byteOffset: number, field: string): number {
  const value = message.u64Number(s, byteOffset);
  if (value !== null) return value;
  throwIfUnreadable(message);
  throw new WireDecodeError(`${field} ${message.u64(s, byteOffset)} is beyond 2^53`);
}
