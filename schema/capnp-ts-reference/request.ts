// The capnp-ts implementation of the binary request codec: the reference the
// fast codec (schema/binary-request.ts, schema/fast-capnp/) is tested against
// and benchmarked with (test/schema/fast-capnp.test.ts, bench/capnp-codec.ts).
// Same API and semantics as schema/binary-request.ts; not on any hot path.

import * as capnp from 'capnp-ts';
import type { Limits } from '../../core/limits.js';
import {
  errReply, type DelRequest, type ErrReply, type ExpireRequest, type GetExRequest, type MSetRequest, type Request,
  type ScanRequest, type SetRequest, type WatchedKey,
} from '../../core/protocol/ops.js';
import { TX_OPS_MAX, txOpRefusedMessage, txOpsTooManyMessage, txWatchTooManyMessage } from '../../core/protocol/transaction.js';
import { unreachable } from '../../core/assert.js';
import { validateRequest } from '../../core/protocol/validate.js';
import type { DecodedRequest } from '../binary-request.js';
import { WireEncodeError } from '../wire-errors.js';
import * as wire from '../generated/piccolo.capnp.js';
import {
  buildMessage, checkI64, checkU64, DataReader, openMessage, rewrittenWhileReading, safeNumber, toI64, toPositiveU64, toU32, toU64,
  writeData,
} from '../capnp-message.js';

/** capnp-ts error texts can quote pointer dumps; the client needs only the gist. */
const CAUSE_CHARS_MAX = 160;

/**
 * Reads one request frame. Byte fields of the result are views into a copy of
 * the frame owned by the result (see openMessage): valid after `bytes` is
 * reused, but they keep that copy alive, so slice() them before long-term storage.
 */
export function decodeRequest(bytes: Uint8Array, limits: Limits): DecodedRequest {
  return decodeRequestTraced(bytes, limits).result;
}

/**
 * decodeRequest, also telling whether capnp-ts rewrote the message while
 * reading it: it copies structs shorter than the schema's into new space and
 * zeroes the old, so on frames whose objects overlap (garbage) its answer
 * depends on the order it read fields in. The differential tests allow it to
 * differ from the fast reader then.
 */
export function decodeRequestTraced(bytes: Uint8Array, limits: Limits): { result: DecodedRequest; rewritten: boolean } {
  let message: capnp.Message | null = null;
  const result = decodeOpened(bytes, limits, (opened) => { message = opened; });
  return { result, rewritten: message !== null && rewrittenWhileReading(message, bytes) };
}

function decodeOpened(bytes: Uint8Array, limits: Limits, onOpen: (message: capnp.Message) => void): DecodedRequest {
  if (bytes.length > limits.frameBytesMax) {
    return {
      ok: false, id: null, fatal: true,
      error: errReply('FRAME_TOO_LARGE', `frame is ${bytes.length} bytes; the limit is ${limits.frameBytesMax}`),
    };
  }
  let root: wire.Request;
  let id: bigint;
  try {
    const message = openMessage(bytes);
    onOpen(message);
    root = message.getRoot(wire.Request);
    id = root.getId();
  } catch (cause) {
    return { ok: false, id: null, fatal: true, error: badFrame(cause) };
  }
  let request: Request;
  try {
    request = readRequest(root, limits, new DataReader(bytes.length));
  } catch (cause) {
    if (cause instanceof RequestRejected) return { ok: false, id, fatal: false, error: cause.reply };
    return { ok: false, id, fatal: true, error: badFrame(cause) };
  }
  const invalid = validateRequest(request, limits);
  if (invalid) return { ok: false, id, fatal: false, error: invalid };
  return { ok: true, id, request };
}

/** Thrown inside readRequest for a readable but unacceptable request; never escapes this module. */
class RequestRejected {
  constructor(readonly reply: ErrReply) {}
}

function reject(code: 'BAD_REQUEST' | 'UNKNOWN_OP' | 'LIMIT_EXCEEDED', message: string): never {
  throw new RequestRejected(errReply(code, message));
}

function badFrame(cause: unknown): ErrReply {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return errReply('BAD_FRAME', `frame is not a readable Cap'n Proto Request: ${detail.slice(0, CAUSE_CHARS_MAX)}`);
}

/** An optional UInt64 where 0 means "not given" (the field's valid values are positive). */
function optionalPositive(value: bigint, field: string): number | undefined {
  if (value === 0n) return undefined;
  return safeField(value, field);
}

function safeField(value: bigint, field: string): number {
  const n = safeNumber(value);
  if (n === null) reject('BAD_REQUEST', `${field} is out of range (largest allowed is 2^53-1)`);
  return n;
}

function readRequest(root: wire.Request, limits: Limits, data: DataReader): Request {
  const which = root.which();
  switch (which) {
    case wire.Request_Which.GET:
      return { op: 'get', key: data.read(root.getGet().getKey()) };
    case wire.Request_Which.SET: {
      const s = root.getSet();
      const req: SetRequest = { op: 'set', key: data.read(s.getKey()), value: data.read(s.getValue()) };
      if (s.getIfAbsent()) req.ifAbsent = true;
      if (s.getIfPresent()) req.ifPresent = true;
      if (s.getHasExpectedVersion()) req.expectedVersion = safeField(s.getExpectedVersion(), 'expectedVersion');
      const ttlMs = optionalPositive(s.getTtlMs(), 'ttlMs');
      if (ttlMs !== undefined) req.ttlMs = ttlMs;
      const expireAtMs = optionalPositive(s.getExpireAtMs(), 'expireAtMs');
      if (expireAtMs !== undefined) req.expireAtMs = expireAtMs;
      if (s.getKeepTtl()) req.keepTtl = true;
      if (s.getReturnPrevious()) req.returnPrevious = true;
      return req;
    }
    case wire.Request_Which.DEL: {
      const d = root.getDel();
      const req: DelRequest = { op: 'del', key: data.read(d.getKey()) };
      if (d.getHasExpectedVersion()) req.expectedVersion = safeField(d.getExpectedVersion(), 'expectedVersion');
      if (d.getReturnPrevious()) req.returnPrevious = true;
      return req;
    }
    case wire.Request_Which.INCR: {
      const r = root.getIncr();
      return { op: 'incr', key: data.read(r.getKey()), delta: r.getDelta() };
    }
    case wire.Request_Which.INCR_FLOAT: {
      const r = root.getIncrFloat();
      return { op: 'incrFloat', key: data.read(r.getKey()), delta: r.getDelta() };
    }
    case wire.Request_Which.APPEND: {
      const r = root.getAppend();
      return { op: 'append', key: data.read(r.getKey()), value: data.read(r.getValue()) };
    }
    case wire.Request_Which.EXISTS:
      return { op: 'exists', key: data.read(root.getExists().getKey()) };
    case wire.Request_Which.TTL:
      return { op: 'ttl', key: data.read(root.getTtl().getKey()) };
    case wire.Request_Which.EXPIRE: {
      const r = root.getExpire();
      const req: ExpireRequest = { op: 'expire', key: data.read(r.getKey()) };
      const ttlMs = optionalPositive(r.getTtlMs(), 'ttlMs');
      if (ttlMs !== undefined) req.ttlMs = ttlMs;
      const expireAtMs = optionalPositive(r.getExpireAtMs(), 'expireAtMs');
      if (expireAtMs !== undefined) req.expireAtMs = expireAtMs;
      return req;
    }
    case wire.Request_Which.GET_RANGE: {
      const r = root.getGetRange();
      return { op: 'getRange', key: data.read(r.getKey()), start: safeField(r.getStart(), 'start'), end: safeField(r.getEnd(), 'end') };
    }
    case wire.Request_Which.SET_RANGE: {
      const r = root.getSetRange();
      return { op: 'setRange', key: data.read(r.getKey()), offset: safeField(r.getOffset(), 'offset'), value: data.read(r.getValue()) };
    }
    case wire.Request_Which.GET_EX: {
      const r = root.getGetEx();
      const req: GetExRequest = { op: 'getEx', key: data.read(r.getKey()) };
      const ttlMs = optionalPositive(r.getTtlMs(), 'ttlMs');
      if (ttlMs !== undefined) req.ttlMs = ttlMs;
      const expireAtMs = optionalPositive(r.getExpireAtMs(), 'expireAtMs');
      if (expireAtMs !== undefined) req.expireAtMs = expireAtMs;
      if (r.getPersist()) req.persist = true;
      return req;
    }
    case wire.Request_Which.SCAN: {
      const r = root.getScan();
      const req: ScanRequest = { op: 'scan', prefix: data.read(r.getPrefix()), cursor: data.read(r.getCursor()), limit: r.getLimit() };
      if (r.getWithValues()) req.withValues = true;
      return req;
    }
    case wire.Request_Which.MGET: {
      const list = root.getMget().getKeys();
      const count = checkBatchLength(list.getLength(), limits);
      const keys = new Array<Uint8Array>(count);
      for (let i = 0; i < count; i++) keys[i] = data.read(list.get(i));
      return { op: 'mget', keys };
    }
    case wire.Request_Which.MSET: {
      const r = root.getMset();
      const list = r.getEntries();
      const count = checkBatchLength(list.getLength(), limits);
      const entries = new Array<{ key: Uint8Array; value: Uint8Array }>(count);
      for (let i = 0; i < count; i++) {
        const entry = list.get(i);
        entries[i] = { key: data.read(entry.getKey()), value: data.read(entry.getValue()) };
      }
      const req: MSetRequest = { op: 'mset', entries };
      if (r.getIfNoneExist()) req.ifNoneExist = true;
      return req;
    }
    case wire.Request_Which.COUNT:
      return { op: 'count' };
    case wire.Request_Which.FLUSH:
      return { op: 'flush' };
    case wire.Request_Which.TX:
      return readTx(root.getTx(), limits, data);
    case wire.Request_Which.CALL: {
      const r = root.getCall();
      const name = r.getName();
      const list = r.getArgs();
      const args = new Array<Uint8Array>(list.getLength());
      for (let i = 0; i < args.length; i++) args[i] = data.read(list.get(i));
      return { op: 'call', name, args };
    }
    default:
      // A newer client's op, or a corrupted tag: the frame itself is fine.
      return reject('UNKNOWN_OP', `unknown op (union tag ${which as number})`);
  }
}

/** A transaction, read in the same order as the fast reader's readTx (nested tx refused before it is read). */
function readTx(t: wire.TxRequest, limits: Limits, data: DataReader): Request {
  const opList = t.getOps();
  if (opList.getLength() > TX_OPS_MAX) reject('LIMIT_EXCEEDED', txOpsTooManyMessage(opList.getLength()));
  const watchList = t.getWatch();
  if (watchList.getLength() > limits.batchKeysMax) reject('LIMIT_EXCEEDED', txWatchTooManyMessage(watchList.getLength(), limits.batchKeysMax));
  const ops = new Array<Request>(opList.getLength());
  for (let i = 0; i < ops.length; i++) {
    const op = opList.get(i);
    if (op.which() === wire.Request_Which.TX) reject('BAD_REQUEST', txOpRefusedMessage('tx'));
    ops[i] = readRequest(op, limits, data);
  }
  const watch = new Array<WatchedKey>(watchList.getLength());
  for (let i = 0; i < watch.length; i++) {
    const w = watchList.get(i);
    watch[i] = { key: data.read(w.getKey()), version: safeField(w.getVersion(), 'watched version') };
  }
  return { op: 'tx', ops, watch };
}

/**
 * A list's declared length comes from the sender and is not checked against
 * the frame until elements are read; refuse oversized batches before
 * allocating or looping over them.
 */
function checkBatchLength(count: number, limits: Limits): number {
  if (count > limits.batchKeysMax) reject('LIMIT_EXCEEDED', `batch names ${count} keys; the limit is ${limits.batchKeysMax}`);
  return count;
}

/**
 * Encodes one request frame (the client side). Throws WireEncodeError for
 * numbers the schema cannot carry (fractions, negatives in unsigned fields,
 * ids beyond 64 bits); values the server would reject for other reasons
 * (limits, empty keys) are encoded as given.
 */
export function encodeRequest(id: bigint, req: Request): Uint8Array {
  return buildMessage((message) => writeRequestMessage(message, id, req));
}

/** Writes the request as the root of `message` (tests pass messages with other arenas, e.g. multi-segment). */
export function writeRequestMessage(message: capnp.Message, id: bigint, req: Request): void {
  writeRequest(message.initRoot(wire.Request), id, req);
}

function writeRequest(root: wire.Request, id: bigint, req: Request): void {
  root.setId(checkU64(id, 'id'));
  switch (req.op) {
    case 'get':
      writeData((n) => root.initGet().initKey(n), req.key);
      break;
    case 'set': {
      const s = root.initSet();
      writeData((n) => s.initKey(n), req.key);
      writeData((n) => s.initValue(n), req.value);
      if (req.ifAbsent) s.setIfAbsent(true);
      if (req.ifPresent) s.setIfPresent(true);
      if (req.expectedVersion !== undefined) {
        s.setHasExpectedVersion(true);
        s.setExpectedVersion(toU64(req.expectedVersion, 'expectedVersion'));
      }
      if (req.ttlMs !== undefined) s.setTtlMs(toPositiveU64(req.ttlMs, 'ttlMs'));
      if (req.expireAtMs !== undefined) s.setExpireAtMs(toPositiveU64(req.expireAtMs, 'expireAtMs'));
      if (req.keepTtl) s.setKeepTtl(true);
      if (req.returnPrevious) s.setReturnPrevious(true);
      break;
    }
    case 'del': {
      const d = root.initDel();
      writeData((n) => d.initKey(n), req.key);
      if (req.expectedVersion !== undefined) {
        d.setHasExpectedVersion(true);
        d.setExpectedVersion(toU64(req.expectedVersion, 'expectedVersion'));
      }
      if (req.returnPrevious) d.setReturnPrevious(true);
      break;
    }
    case 'incr': {
      const r = root.initIncr();
      writeData((n) => r.initKey(n), req.key);
      r.setDelta(checkI64(req.delta, 'delta'));
      break;
    }
    case 'incrFloat': {
      const r = root.initIncrFloat();
      writeData((n) => r.initKey(n), req.key);
      r.setDelta(req.delta);
      break;
    }
    case 'append': {
      const r = root.initAppend();
      writeData((n) => r.initKey(n), req.key);
      writeData((n) => r.initValue(n), req.value);
      break;
    }
    case 'exists':
      writeData((n) => root.initExists().initKey(n), req.key);
      break;
    case 'ttl':
      writeData((n) => root.initTtl().initKey(n), req.key);
      break;
    case 'expire': {
      const r = root.initExpire();
      writeData((n) => r.initKey(n), req.key);
      if (req.ttlMs !== undefined) r.setTtlMs(toPositiveU64(req.ttlMs, 'ttlMs'));
      if (req.expireAtMs !== undefined) r.setExpireAtMs(toPositiveU64(req.expireAtMs, 'expireAtMs'));
      break;
    }
    case 'getRange': {
      const r = root.initGetRange();
      writeData((n) => r.initKey(n), req.key);
      r.setStart(toI64(req.start, 'start'));
      r.setEnd(toI64(req.end, 'end'));
      break;
    }
    case 'setRange': {
      const r = root.initSetRange();
      writeData((n) => r.initKey(n), req.key);
      r.setOffset(toU64(req.offset, 'offset'));
      writeData((n) => r.initValue(n), req.value);
      break;
    }
    case 'getEx': {
      const r = root.initGetEx();
      writeData((n) => r.initKey(n), req.key);
      if (req.ttlMs !== undefined) r.setTtlMs(toPositiveU64(req.ttlMs, 'ttlMs'));
      if (req.expireAtMs !== undefined) r.setExpireAtMs(toPositiveU64(req.expireAtMs, 'expireAtMs'));
      if (req.persist) r.setPersist(true);
      break;
    }
    case 'scan': {
      const r = root.initScan();
      writeData((n) => r.initPrefix(n), req.prefix);
      writeData((n) => r.initCursor(n), req.cursor);
      r.setLimit(toU32(req.limit, 'limit'));
      if (req.withValues) r.setWithValues(true);
      break;
    }
    case 'mget': {
      const list = root.initMget().initKeys(req.keys.length);
      req.keys.forEach((key, i) => writeListData(list, i, key));
      break;
    }
    case 'mset': {
      const r = root.initMset();
      const list = r.initEntries(req.entries.length);
      req.entries.forEach(({ key, value }, i) => {
        const entry = list.get(i);
        writeData((n) => entry.initKey(n), key);
        writeData((n) => entry.initValue(n), value);
      });
      if (req.ifNoneExist) r.setIfNoneExist(true);
      break;
    }
    case 'count':
      root.setCount();
      break;
    case 'flush':
      root.setFlush();
      break;
    case 'tx': {
      const t = root.initTx();
      const ops = t.initOps(req.ops.length);
      req.ops.forEach((op, i) => {
        if (op.op === 'tx') throw new WireEncodeError(txOpRefusedMessage('tx'));
        writeRequest(ops.get(i), 0n, op);
      });
      const watch = t.initWatch(req.watch.length);
      req.watch.forEach(({ key, version }, i) => {
        const w = watch.get(i);
        writeData((n) => w.initKey(n), key);
        w.setVersion(toU64(version, 'watched version'));
      });
      break;
    }
    case 'call': {
      const r = root.initCall();
      r.setName(req.name);
      const list = r.initArgs(req.args.length);
      req.args.forEach((arg, i) => writeListData(list, i, arg));
      break;
    }
    default:
      unreachable(req, 'request op');
  }
}

function writeListData(list: capnp.List<capnp.Data>, index: number, bytes: Uint8Array): void {
  if (bytes.length === 0) return;
  const element = list.get(index);
  capnp.List.initList(capnp.ListElementSize.BYTE, bytes.length, element);
  element.copyBuffer(bytes);
}
