// Binary (Cap'n Proto) requests: the client encodes, the server decodes.
// decodeRequest never throws: every input becomes a request or an error reply.
//
// Both directions read and write the schema's wire layout directly
// (schema/fast-capnp/); capnp-ts cost several microseconds per frame on the
// server's IO thread. The capnp-ts version in schema/capnp-ts-reference/ is
// the reference these are tested against (test/schema/fast-capnp.test.ts).

import type { Limits } from '../core/limits.js';
import {
  errReply, type DelRequest, type ErrReply, type ExpireRequest, type GetExRequest, type MSetRequest, type Request,
  type ScanRequest, type SetRequest, type WatchedKey,
} from '../core/protocol/ops.js';
import { TX_OPS_MAX, txOpRefusedMessage, txOpsTooManyMessage, txWatchTooManyMessage } from '../core/protocol/transaction.js';
import { unreachable } from '../core/assert.js';
import { validateRequest } from '../core/protocol/validate.js';
import { MessageBuilder } from './fast-capnp/message-builder.js';
import { ListTooLong, MessageReader, type StructRef } from './fast-capnp/message-reader.js';
import {
  AppendRequestLayout, CallRequestLayout, DelRequestLayout, EntryLayout, ExpireRequestLayout, GetExRequestLayout, GetRangeRequestLayout,
  IncrFloatRequestLayout, IncrRequestLayout, KeyRequestLayout, MGetRequestLayout, MSetRequestLayout, RequestLayout,
  RequestTag, ScanRequestLayout, SetRangeRequestLayout, SetRequestLayout, TxRequestLayout, WatchedKeyLayout,
} from './fast-capnp/piccolo-layout.js';
import { WORD_BYTES } from './fast-capnp/wire-format.js';
import { WireEncodeError } from './wire-errors.js';
import { checkI64, checkI64Number, checkPositiveU64Number, checkU32, checkU64, checkU64Number } from './wire-numbers.js';

export type DecodedRequest =
  | { ok: true; id: bigint; request: Request }
  /** The request is readable but wrong (unknown op, bad field, over a limit): answer it; the connection stays. */
  | { ok: false; id: bigint; error: ErrReply; fatal: false }
  /**
   * The frame is not a readable message: close the connection (WS_CLOSE.BAD_FRAME,
   * or WS_CLOSE.FRAME_TOO_LARGE for that code). id is null when it could not be read.
   */
  | { ok: false; id: bigint | null; error: ErrReply; fatal: true };

/**
 * Reads one request frame. Byte fields of the result are copies, independent
 * of `bytes` (which uWebSockets.js reuses once the handler returns).
 */
export function decodeRequest(bytes: Uint8Array, limits: Limits): DecodedRequest {
  if (bytes.length > limits.frameBytesMax) {
    return {
      ok: false, id: null, fatal: true,
      error: errReply('FRAME_TOO_LARGE', `frame is ${bytes.length} bytes; the limit is ${limits.frameBytesMax}`),
    };
  }
  const message = new MessageReader(bytes);
  const root = message.root();
  const id = message.u64(root, RequestLayout.idU64);
  if (message.error !== null) return { ok: false, id: null, fatal: true, error: badFrame(message.error) };
  const request = readRequest(message, root, limits);
  // The reader stops at its first problem and the decoder at its first
  // rejection, so whichever came first is the one in hand.
  if (message.error !== null) return { ok: false, id, fatal: true, error: badFrame(message.error) };
  if (request instanceof Rejected) return { ok: false, id, fatal: false, error: request.reply };
  const invalid = validateRequest(request, limits);
  if (invalid) return { ok: false, id, fatal: false, error: invalid };
  return { ok: true, id, request };
}

/**
 * A call's arguments are not capped here: the reader bounds a list by the
 * frame's bytes (a pointer word per argument) and validateRequest judges the
 * count against the command's arity and the limits.
 */
const CALL_ARGS_LIST_COUNT_MAX = Number.MAX_SAFE_INTEGER;

/** A readable but unacceptable request: readRequest stops reading and returns this. */
class Rejected {
  constructor(readonly reply: ErrReply) {}
}

function reject(code: 'BAD_REQUEST' | 'UNKNOWN_OP' | 'LIMIT_EXCEEDED', message: string): Rejected {
  return new Rejected(errReply(code, message));
}

function badFrame(detail: string): ErrReply {
  return errReply('BAD_FRAME', `frame is not a readable Cap'n Proto Request: ${detail}`);
}

function outOfRange(field: string): Rejected {
  return reject('BAD_REQUEST', `${field} is out of range (largest allowed is 2^53-1)`);
}

/** A list's declared length comes from the sender: refuse oversized batches before touching their elements. */
function batchTooLong(list: ListTooLong, limits: Limits): Rejected {
  return reject('LIMIT_EXCEEDED', `batch names ${list.count} keys; the limit is ${limits.batchKeysMax}`);
}

/** ttlMs / expireAtMs: an optional UInt64 where 0 means "not given" (valid values are positive). */
function readTtlOptions(
  message: MessageReader, s: StructRef, ttlMsOffset: number, expireAtMsOffset: number, req: { ttlMs?: number; expireAtMs?: number },
): Rejected | null {
  const ttlMs = message.u64Number(s, ttlMsOffset);
  if (ttlMs === null) return outOfRange('ttlMs');
  if (ttlMs !== 0) req.ttlMs = ttlMs;
  const expireAtMs = message.u64Number(s, expireAtMsOffset);
  if (expireAtMs === null) return outOfRange('expireAtMs');
  if (expireAtMs !== 0) req.expireAtMs = expireAtMs;
  return null;
}

/**
 * The request in `root`, read field by field in the same order as the
 * capnp-ts reference, so that a frame with several problems reports the same
 * first one. After a reader problem every read returns its default and the
 * caller reports message.error.
 */
function readRequest(message: MessageReader, root: StructRef, limits: Limits): Request | Rejected {
  const which = message.u16(root, RequestLayout.whichU16);
  switch (which) {
    case RequestTag.GET:
      return { op: 'get', key: message.data(message.struct(root, RequestLayout.bodyPtr), KeyRequestLayout.keyPtr) };
    case RequestTag.SET: {
      const L = SetRequestLayout;
      const s = message.struct(root, RequestLayout.bodyPtr);
      const req: SetRequest = { op: 'set', key: message.data(s, L.keyPtr), value: message.data(s, L.valuePtr) };
      if (message.bit(s, L.ifAbsentBit)) req.ifAbsent = true;
      if (message.bit(s, L.ifPresentBit)) req.ifPresent = true;
      if (message.bit(s, L.hasExpectedVersionBit)) {
        const expectedVersion = message.u64Number(s, L.expectedVersionU64);
        if (expectedVersion === null) return outOfRange('expectedVersion');
        req.expectedVersion = expectedVersion;
      }
      const rejected = readTtlOptions(message, s, L.ttlMsU64, L.expireAtMsU64, req);
      if (rejected) return rejected;
      if (message.bit(s, L.keepTtlBit)) req.keepTtl = true;
      if (message.bit(s, L.returnPreviousBit)) req.returnPrevious = true;
      return req;
    }
    case RequestTag.DEL: {
      const L = DelRequestLayout;
      const s = message.struct(root, RequestLayout.bodyPtr);
      const req: DelRequest = { op: 'del', key: message.data(s, L.keyPtr) };
      if (message.bit(s, L.hasExpectedVersionBit)) {
        const expectedVersion = message.u64Number(s, L.expectedVersionU64);
        if (expectedVersion === null) return outOfRange('expectedVersion');
        req.expectedVersion = expectedVersion;
      }
      if (message.bit(s, L.returnPreviousBit)) req.returnPrevious = true;
      return req;
    }
    case RequestTag.INCR: {
      const s = message.struct(root, RequestLayout.bodyPtr);
      return { op: 'incr', key: message.data(s, IncrRequestLayout.keyPtr), delta: message.i64(s, IncrRequestLayout.deltaI64) };
    }
    case RequestTag.INCR_FLOAT: {
      const s = message.struct(root, RequestLayout.bodyPtr);
      return { op: 'incrFloat', key: message.data(s, IncrFloatRequestLayout.keyPtr), delta: message.f64(s, IncrFloatRequestLayout.deltaF64) };
    }
    case RequestTag.APPEND: {
      const s = message.struct(root, RequestLayout.bodyPtr);
      return { op: 'append', key: message.data(s, AppendRequestLayout.keyPtr), value: message.data(s, AppendRequestLayout.valuePtr) };
    }
    case RequestTag.EXISTS:
      return { op: 'exists', key: message.data(message.struct(root, RequestLayout.bodyPtr), KeyRequestLayout.keyPtr) };
    case RequestTag.TTL:
      return { op: 'ttl', key: message.data(message.struct(root, RequestLayout.bodyPtr), KeyRequestLayout.keyPtr) };
    case RequestTag.EXPIRE: {
      const L = ExpireRequestLayout;
      const s = message.struct(root, RequestLayout.bodyPtr);
      const req: ExpireRequest = { op: 'expire', key: message.data(s, L.keyPtr) };
      return readTtlOptions(message, s, L.ttlMsU64, L.expireAtMsU64, req) ?? req;
    }
    case RequestTag.GET_RANGE: {
      const L = GetRangeRequestLayout;
      const s = message.struct(root, RequestLayout.bodyPtr);
      const key = message.data(s, L.keyPtr);
      const start = message.i64Number(s, L.startI64);
      if (start === null) return outOfRange('start');
      const end = message.i64Number(s, L.endI64);
      if (end === null) return outOfRange('end');
      return { op: 'getRange', key, start, end };
    }
    case RequestTag.SET_RANGE: {
      const L = SetRangeRequestLayout;
      const s = message.struct(root, RequestLayout.bodyPtr);
      const key = message.data(s, L.keyPtr);
      const offset = message.u64Number(s, L.offsetU64);
      if (offset === null) return outOfRange('offset');
      return { op: 'setRange', key, offset, value: message.data(s, L.valuePtr) };
    }
    case RequestTag.GET_EX: {
      const L = GetExRequestLayout;
      const s = message.struct(root, RequestLayout.bodyPtr);
      const req: GetExRequest = { op: 'getEx', key: message.data(s, L.keyPtr) };
      const rejected = readTtlOptions(message, s, L.ttlMsU64, L.expireAtMsU64, req);
      if (rejected) return rejected;
      if (message.bit(s, L.persistBit)) req.persist = true;
      return req;
    }
    case RequestTag.SCAN: {
      const L = ScanRequestLayout;
      const s = message.struct(root, RequestLayout.bodyPtr);
      const req: ScanRequest = {
        op: 'scan', prefix: message.data(s, L.prefixPtr), cursor: message.data(s, L.cursorPtr), limit: message.u32(s, L.limitU32),
      };
      if (message.bit(s, L.withValuesBit)) req.withValues = true;
      return req;
    }
    case RequestTag.MGET: {
      const list = message.pointerList(message.struct(root, RequestLayout.bodyPtr), MGetRequestLayout.keysPtr, limits.batchKeysMax);
      if (list instanceof ListTooLong) return batchTooLong(list, limits);
      const keys = new Array<Uint8Array>(list.count);
      for (let i = 0; i < list.count; i++) keys[i] = message.dataElement(list, i);
      return { op: 'mget', keys };
    }
    case RequestTag.MSET: {
      const s = message.struct(root, RequestLayout.bodyPtr);
      const list = message.structList(s, MSetRequestLayout.entriesPtr, limits.batchKeysMax);
      if (list instanceof ListTooLong) return batchTooLong(list, limits);
      const entries = new Array<{ key: Uint8Array; value: Uint8Array }>(list.count);
      for (let i = 0; i < list.count; i++) {
        const entry = message.structElement(list, i);
        entries[i] = { key: message.data(entry, EntryLayout.keyPtr), value: message.data(entry, EntryLayout.valuePtr) };
      }
      const req: MSetRequest = { op: 'mset', entries };
      if (message.bit(s, MSetRequestLayout.ifNoneExistBit)) req.ifNoneExist = true;
      return req;
    }
    case RequestTag.COUNT:
      return { op: 'count' };
    case RequestTag.FLUSH:
      return { op: 'flush' };
    case RequestTag.TX:
      return readTx(message, message.struct(root, RequestLayout.bodyPtr), limits);
    case RequestTag.CALL: {
      const s = message.struct(root, RequestLayout.bodyPtr);
      const name = message.text(s, CallRequestLayout.namePtr);
      // The count is bounded by the frame (a pointer per argument); validateRequest judges it against the command.
      const list = message.pointerList(s, CallRequestLayout.argsPtr, CALL_ARGS_LIST_COUNT_MAX);
      if (list instanceof ListTooLong) return batchTooLong(list, limits);
      const args = new Array<Uint8Array>(list.count);
      for (let i = 0; i < list.count; i++) args[i] = message.dataElement(list, i);
      return { op: 'call', name, args };
    }
    default:
      // A newer client's op, or a corrupted tag: the frame itself is fine.
      return reject('UNKNOWN_OP', `unknown op (union tag ${which})`);
  }
}

/**
 * A transaction: each op is read as a request of its own. A nested tx is
 * refused before it is read, so the recursion is one level deep whatever the
 * frame holds; list lengths are judged before their elements are touched.
 */
function readTx(message: MessageReader, s: StructRef, limits: Limits): Request | Rejected {
  const opList = message.structList(s, TxRequestLayout.opsPtr, TX_OPS_MAX);
  if (opList instanceof ListTooLong) return reject('LIMIT_EXCEEDED', txOpsTooManyMessage(opList.count));
  const watchList = message.structList(s, TxRequestLayout.watchPtr, limits.batchKeysMax);
  if (watchList instanceof ListTooLong) return reject('LIMIT_EXCEEDED', txWatchTooManyMessage(watchList.count, limits.batchKeysMax));
  const ops = new Array<Request>(opList.count);
  for (let i = 0; i < opList.count; i++) {
    const element = message.structElement(opList, i);
    if (message.u16(element, RequestLayout.whichU16) === RequestTag.TX) return reject('BAD_REQUEST', txOpRefusedMessage('tx'));
    const op = readRequest(message, element, limits);
    if (op instanceof Rejected) return op;
    ops[i] = op;
  }
  const watch = new Array<WatchedKey>(watchList.count);
  for (let i = 0; i < watchList.count; i++) {
    const element = message.structElement(watchList, i);
    const key = message.data(element, WatchedKeyLayout.keyPtr);
    const version = message.u64Number(element, WatchedKeyLayout.versionU64);
    if (version === null) return outOfRange('watched version');
    watch[i] = { key, version };
  }
  return { op: 'tx', ops, watch };
}

/** Requests are built here one at a time; the buffer is reused (see MessageBuilder). */
const builder = new MessageBuilder();

/**
 * Encodes one request frame (the client side). Throws WireEncodeError for
 * numbers the schema cannot carry (fractions, negatives in unsigned fields,
 * ids beyond 64 bits); values the server would reject for other reasons
 * (limits, empty keys) are encoded as given.
 */
export function encodeRequest(id: bigint, req: Request): Uint8Array {
  const root = builder.beginRoot(RequestLayout.size);
  builder.setU64(root, RequestLayout.idU64, checkU64(id, 'id'));
  writeRequest(root, req);
  return builder.finish();
}

/**
 * Objects are allocated in the same order as the capnp-ts reference, so both
 * produce the same bytes (the differential tests compare them).
 */
function writeRequest(root: number, req: Request): void {
  const b = builder;
  /** Sets the union tag and allocates the op's struct. */
  const body = (tag: number, size: { dataWords: number; pointers: number }): number => {
    b.setU16(root, RequestLayout.whichU16, tag);
    return b.initStruct(b.pointer(root, RequestLayout.size, RequestLayout.bodyPtr), size);
  };
  switch (req.op) {
    case 'get': {
      const s = body(RequestTag.GET, KeyRequestLayout.size);
      b.setData(b.pointer(s, KeyRequestLayout.size, KeyRequestLayout.keyPtr), req.key);
      break;
    }
    case 'set': {
      const L = SetRequestLayout;
      const s = body(RequestTag.SET, L.size);
      b.setData(b.pointer(s, L.size, L.keyPtr), req.key);
      b.setData(b.pointer(s, L.size, L.valuePtr), req.value);
      if (req.ifAbsent) b.setBit(s, L.ifAbsentBit);
      if (req.ifPresent) b.setBit(s, L.ifPresentBit);
      if (req.expectedVersion !== undefined) {
        b.setBit(s, L.hasExpectedVersionBit);
        b.setInt64Number(s, L.expectedVersionU64, checkU64Number(req.expectedVersion, 'expectedVersion'));
      }
      if (req.ttlMs !== undefined) b.setInt64Number(s, L.ttlMsU64, checkPositiveU64Number(req.ttlMs, 'ttlMs'));
      if (req.expireAtMs !== undefined) b.setInt64Number(s, L.expireAtMsU64, checkPositiveU64Number(req.expireAtMs, 'expireAtMs'));
      if (req.keepTtl) b.setBit(s, L.keepTtlBit);
      if (req.returnPrevious) b.setBit(s, L.returnPreviousBit);
      break;
    }
    case 'del': {
      const L = DelRequestLayout;
      const s = body(RequestTag.DEL, L.size);
      b.setData(b.pointer(s, L.size, L.keyPtr), req.key);
      if (req.expectedVersion !== undefined) {
        b.setBit(s, L.hasExpectedVersionBit);
        b.setInt64Number(s, L.expectedVersionU64, checkU64Number(req.expectedVersion, 'expectedVersion'));
      }
      if (req.returnPrevious) b.setBit(s, L.returnPreviousBit);
      break;
    }
    case 'incr': {
      const L = IncrRequestLayout;
      const s = body(RequestTag.INCR, L.size);
      b.setData(b.pointer(s, L.size, L.keyPtr), req.key);
      b.setI64(s, L.deltaI64, checkI64(req.delta, 'delta'));
      break;
    }
    case 'incrFloat': {
      const L = IncrFloatRequestLayout;
      const s = body(RequestTag.INCR_FLOAT, L.size);
      b.setData(b.pointer(s, L.size, L.keyPtr), req.key);
      b.setF64(s, L.deltaF64, req.delta);
      break;
    }
    case 'append': {
      const L = AppendRequestLayout;
      const s = body(RequestTag.APPEND, L.size);
      b.setData(b.pointer(s, L.size, L.keyPtr), req.key);
      b.setData(b.pointer(s, L.size, L.valuePtr), req.value);
      break;
    }
    case 'exists': case 'ttl': {
      const s = body(req.op === 'exists' ? RequestTag.EXISTS : RequestTag.TTL, KeyRequestLayout.size);
      b.setData(b.pointer(s, KeyRequestLayout.size, KeyRequestLayout.keyPtr), req.key);
      break;
    }
    case 'expire': {
      const L = ExpireRequestLayout;
      const s = body(RequestTag.EXPIRE, L.size);
      b.setData(b.pointer(s, L.size, L.keyPtr), req.key);
      if (req.ttlMs !== undefined) b.setInt64Number(s, L.ttlMsU64, checkPositiveU64Number(req.ttlMs, 'ttlMs'));
      if (req.expireAtMs !== undefined) b.setInt64Number(s, L.expireAtMsU64, checkPositiveU64Number(req.expireAtMs, 'expireAtMs'));
      break;
    }
    case 'getRange': {
      const L = GetRangeRequestLayout;
      const s = body(RequestTag.GET_RANGE, L.size);
      b.setData(b.pointer(s, L.size, L.keyPtr), req.key);
      b.setInt64Number(s, L.startI64, checkI64Number(req.start, 'start'));
      b.setInt64Number(s, L.endI64, checkI64Number(req.end, 'end'));
      break;
    }
    case 'setRange': {
      const L = SetRangeRequestLayout;
      const s = body(RequestTag.SET_RANGE, L.size);
      b.setData(b.pointer(s, L.size, L.keyPtr), req.key);
      b.setInt64Number(s, L.offsetU64, checkU64Number(req.offset, 'offset'));
      b.setData(b.pointer(s, L.size, L.valuePtr), req.value);
      break;
    }
    case 'getEx': {
      const L = GetExRequestLayout;
      const s = body(RequestTag.GET_EX, L.size);
      b.setData(b.pointer(s, L.size, L.keyPtr), req.key);
      if (req.ttlMs !== undefined) b.setInt64Number(s, L.ttlMsU64, checkPositiveU64Number(req.ttlMs, 'ttlMs'));
      if (req.expireAtMs !== undefined) b.setInt64Number(s, L.expireAtMsU64, checkPositiveU64Number(req.expireAtMs, 'expireAtMs'));
      if (req.persist) b.setBit(s, L.persistBit);
      break;
    }
    case 'scan': {
      const L = ScanRequestLayout;
      const s = body(RequestTag.SCAN, L.size);
      b.setData(b.pointer(s, L.size, L.prefixPtr), req.prefix);
      b.setData(b.pointer(s, L.size, L.cursorPtr), req.cursor);
      b.setU32(s, L.limitU32, checkU32(req.limit, 'limit'));
      if (req.withValues) b.setBit(s, L.withValuesBit);
      break;
    }
    case 'mget': {
      const s = body(RequestTag.MGET, MGetRequestLayout.size);
      const first = b.initPointerList(b.pointer(s, MGetRequestLayout.size, MGetRequestLayout.keysPtr), req.keys.length);
      req.keys.forEach((key, i) => b.setData(first + i * WORD_BYTES, key));
      break;
    }
    case 'mset': {
      const L = MSetRequestLayout;
      const s = body(RequestTag.MSET, L.size);
      const E = EntryLayout;
      const first = b.initStructList(b.pointer(s, L.size, L.entriesPtr), req.entries.length, E.size);
      req.entries.forEach(({ key, value }, i) => {
        const entry = b.structElement(first, E.size, i);
        b.setData(b.pointer(entry, E.size, E.keyPtr), key);
        b.setData(b.pointer(entry, E.size, E.valuePtr), value);
      });
      if (req.ifNoneExist) b.setBit(s, L.ifNoneExistBit);
      break;
    }
    case 'count':
      b.setU16(root, RequestLayout.whichU16, RequestTag.COUNT);
      break;
    case 'flush':
      b.setU16(root, RequestLayout.whichU16, RequestTag.FLUSH);
      break;
    case 'tx': {
      const L = TxRequestLayout;
      const s = body(RequestTag.TX, L.size);
      const first = b.initStructList(b.pointer(s, L.size, L.opsPtr), req.ops.length, RequestLayout.size);
      req.ops.forEach((op, i) => {
        // The schema could carry one, but no server accepts it: say so here rather than build an unbounded nesting.
        if (op.op === 'tx') throw new WireEncodeError(txOpRefusedMessage('tx'));
        writeRequest(b.structElement(first, RequestLayout.size, i), op);
      });
      const W = WatchedKeyLayout;
      const watchFirst = b.initStructList(b.pointer(s, L.size, L.watchPtr), req.watch.length, W.size);
      req.watch.forEach(({ key, version }, i) => {
        const w = b.structElement(watchFirst, W.size, i);
        b.setData(b.pointer(w, W.size, W.keyPtr), key);
        b.setInt64Number(w, W.versionU64, checkU64Number(version, 'watched version'));
      });
      break;
    }
    case 'call': {
      const L = CallRequestLayout;
      const s = body(RequestTag.CALL, L.size);
      b.setText(b.pointer(s, L.size, L.namePtr), req.name);
      const first = b.initPointerList(b.pointer(s, L.size, L.argsPtr), req.args.length);
      req.args.forEach((arg, i) => b.setData(first + i * WORD_BYTES, arg));
      break;
    }
    default:
      unreachable(req, 'request op');
  }
}
