// The binary format of records on the IO<->worker rings. Internal to a node
// (both ends are the same build), so it favours speed over evolvability:
// tag (u32) routes the reply back to the waiting request on the IO thread,
// shard (u16) selects the shard inside the worker, then the op and its fields.
// Optional fields are announced in a presence bitmask. A transaction nests
// whole requests (and its reply whole replies), each in this same layout.
//
// Decoded byte fields are views into the record; the shard copies what it
// keeps, and the consumer must finish with a record before releasing it.

import { assert, unreachable } from '../assert.js';
import { ErrorCode, errorName } from '../errors.js';
import { OP_NAMES, type ItemReply, type OkReply, type Reply, type Request, type ScanItem } from '../protocol/ops.js';
import { ByteReader, ByteWriter } from './byte-writer.js';
import { decodeDataValue, encodeDataValue } from './data-value-codec.js';

// An op's opcode is its index in OP_NAMES (both ends of a ring are the same build).
const OPCODE = new Map<string, number>(OP_NAMES.map((op, i) => [op, i]));

// Presence bits for optional request fields.
const R_IF_ABSENT = 1 << 0;
const R_IF_PRESENT = 1 << 1;
const R_EXPECTED_VERSION = 1 << 2;
const R_TTL = 1 << 3;
const R_EXPIRE_AT = 1 << 4;
const R_KEEP_TTL = 1 << 5;
const R_RETURN_PREVIOUS = 1 << 6;
const R_PERSIST = 1 << 7;
const R_WITH_VALUES = 1 << 8;
const R_IF_NONE_EXIST = 1 << 9;
const R_RANDOM_SEED = 1 << 10;

export interface RequestRecord { tag: number; shard: number; request: Request }
export interface ReplyRecord { tag: number; reply: Reply }

export function encodeRequestRecord(w: ByteWriter, tag: number, shard: number, req: Request): void {
  w.u32(tag);
  w.u16(shard);
  encodeRequest(w, req);
}

/** Opcode, flags and fields: a record's request, or one op of a transaction. */
function encodeRequest(w: ByteWriter, req: Request): void {
  w.u8(OPCODE.get(req.op)!);
  let flags = 0;
  switch (req.op) {
    case 'set':
      if (req.ifAbsent) flags |= R_IF_ABSENT;
      if (req.ifPresent) flags |= R_IF_PRESENT;
      if (req.expectedVersion !== undefined) flags |= R_EXPECTED_VERSION;
      if (req.ttlMs !== undefined) flags |= R_TTL;
      if (req.expireAtMs !== undefined) flags |= R_EXPIRE_AT;
      if (req.keepTtl) flags |= R_KEEP_TTL;
      if (req.returnPrevious) flags |= R_RETURN_PREVIOUS;
      w.u16(flags);
      w.bytesField(req.key);
      w.bytesField(req.value);
      if (flags & R_EXPECTED_VERSION) w.f64(req.expectedVersion!);
      if (flags & R_TTL) w.f64(req.ttlMs!);
      if (flags & R_EXPIRE_AT) w.f64(req.expireAtMs!);
      return;
    case 'del':
      if (req.expectedVersion !== undefined) flags |= R_EXPECTED_VERSION;
      if (req.returnPrevious) flags |= R_RETURN_PREVIOUS;
      w.u16(flags);
      w.bytesField(req.key);
      if (flags & R_EXPECTED_VERSION) w.f64(req.expectedVersion!);
      return;
    case 'get': case 'exists': case 'ttl':
      w.u16(0);
      w.bytesField(req.key);
      return;
    case 'incr':
      w.u16(0);
      w.bytesField(req.key);
      w.i64(req.delta);
      return;
    case 'incrFloat':
      w.u16(0);
      w.bytesField(req.key);
      w.f64(req.delta);
      return;
    case 'append':
      w.u16(0);
      w.bytesField(req.key);
      w.bytesField(req.value);
      return;
    case 'expire': case 'getEx':
      if (req.ttlMs !== undefined) flags |= R_TTL;
      if (req.expireAtMs !== undefined) flags |= R_EXPIRE_AT;
      if (req.op === 'getEx' && req.persist) flags |= R_PERSIST;
      w.u16(flags);
      w.bytesField(req.key);
      if (flags & R_TTL) w.f64(req.ttlMs!);
      if (flags & R_EXPIRE_AT) w.f64(req.expireAtMs!);
      return;
    case 'getRange':
      w.u16(0);
      w.bytesField(req.key);
      w.f64(req.start);
      w.f64(req.end);
      return;
    case 'setRange':
      w.u16(0);
      w.bytesField(req.key);
      w.f64(req.offset);
      w.bytesField(req.value);
      return;
    case 'scan':
      w.u16((req.withValues ? R_WITH_VALUES : 0) | (req.randomSeed !== undefined ? R_RANDOM_SEED : 0));
      w.bytesField(req.prefix);
      w.bytesField(req.cursor);
      w.u32(req.limit);
      if (req.randomSeed !== undefined) w.u32(req.randomSeed);
      return;
    case 'mget':
      w.u16(0);
      w.u32(req.keys.length);
      for (const k of req.keys) w.bytesField(k);
      return;
    case 'mset':
      w.u16(req.ifNoneExist ? R_IF_NONE_EXIST : 0);
      w.u32(req.entries.length);
      for (const e of req.entries) {
        w.bytesField(e.key);
        w.bytesField(e.value);
      }
      return;
    case 'count': case 'flush':
      w.u16(0);
      return;
    case 'tx':
      // u32 ops, each a whole request; u32 watched keys, each key and f64 version.
      w.u16(0);
      w.u32(req.ops.length);
      for (const op of req.ops) encodeRequest(w, op);
      w.u32(req.watch.length);
      for (const { key, version } of req.watch) {
        w.bytesField(key);
        w.f64(version);
      }
      return;
    case 'call':
      // The command's name, u32 arguments, each length-prefixed.
      w.u16(0);
      w.bytesField(textEncoder.encode(req.name));
      w.u32(req.args.length);
      for (const arg of req.args) w.bytesField(arg);
      return;
    default:
      unreachable(req, 'request');
  }
}

export function decodeRequestRecord(bytes: Uint8Array, start: number, end: number): RequestRecord {
  const r = new ByteReader(bytes, start, end);
  const tag = r.u32();
  const shard = r.u16();
  const request = decodeRequest(r);
  assert(r.remaining === 0, 'trailing bytes in ring record');
  return { tag, shard, request };
}

function decodeRequest(r: ByteReader): Request {
  const op = OP_NAMES[r.u8()];
  assert(op !== undefined, 'unknown opcode in ring record');
  const flags = r.u16();
  return decodeRequestBody(r, op, flags);
}

function decodeRequestBody(r: ByteReader, op: (typeof OP_NAMES)[number], flags: number): Request {
  switch (op) {
    case 'set': {
      const req: Request = { op, key: r.bytesView(), value: r.bytesView() };
      if (flags & R_IF_ABSENT) req.ifAbsent = true;
      if (flags & R_IF_PRESENT) req.ifPresent = true;
      if (flags & R_KEEP_TTL) req.keepTtl = true;
      if (flags & R_RETURN_PREVIOUS) req.returnPrevious = true;
      if (flags & R_EXPECTED_VERSION) req.expectedVersion = r.f64();
      if (flags & R_TTL) req.ttlMs = r.f64();
      if (flags & R_EXPIRE_AT) req.expireAtMs = r.f64();
      return req;
    }
    case 'del': {
      const req: Request = { op, key: r.bytesView() };
      if (flags & R_RETURN_PREVIOUS) req.returnPrevious = true;
      if (flags & R_EXPECTED_VERSION) req.expectedVersion = r.f64();
      return req;
    }
    case 'get': case 'exists': case 'ttl':
      return { op, key: r.bytesView() };
    case 'incr':
      return { op, key: r.bytesView(), delta: r.i64() };
    case 'incrFloat':
      return { op, key: r.bytesView(), delta: r.f64() };
    case 'append':
      return { op, key: r.bytesView(), value: r.bytesView() };
    case 'expire': case 'getEx': {
      const req: Extract<Request, { op: 'expire' | 'getEx' }> = { op, key: r.bytesView() };
      if (flags & R_TTL) req.ttlMs = r.f64();
      if (flags & R_EXPIRE_AT) req.expireAtMs = r.f64();
      if (req.op === 'getEx' && flags & R_PERSIST) req.persist = true;
      return req;
    }
    case 'getRange':
      return { op, key: r.bytesView(), start: r.f64(), end: r.f64() };
    case 'setRange':
      return { op, key: r.bytesView(), offset: r.f64(), value: r.bytesView() };
    case 'scan': {
      const req: Request = { op, prefix: r.bytesView(), cursor: r.bytesView(), limit: r.u32() };
      if (flags & R_WITH_VALUES) req.withValues = true;
      if (flags & R_RANDOM_SEED) req.randomSeed = r.u32();
      return req;
    }
    case 'mget': {
      const n = r.u32();
      const keys: Uint8Array[] = [];
      for (let i = 0; i < n; i++) keys.push(r.bytesView());
      return { op, keys };
    }
    case 'mset': {
      const n = r.u32();
      const entries: { key: Uint8Array; value: Uint8Array }[] = [];
      for (let i = 0; i < n; i++) entries.push({ key: r.bytesView(), value: r.bytesView() });
      return flags & R_IF_NONE_EXIST ? { op, entries, ifNoneExist: true } : { op, entries };
    }
    case 'count': case 'flush':
      return { op };
    case 'tx': {
      const opCount = r.u32();
      const ops: Request[] = [];
      for (let i = 0; i < opCount; i++) ops.push(decodeRequest(r));
      const watchCount = r.u32();
      const watch: { key: Uint8Array; version: number }[] = [];
      for (let i = 0; i < watchCount; i++) watch.push({ key: r.bytesView(), version: r.f64() });
      return { op, ops, watch };
    }
    case 'call': {
      const name = textDecoder.decode(r.bytesView());
      const n = r.u32();
      const args: Uint8Array[] = [];
      for (let i = 0; i < n; i++) args.push(r.bytesView());
      return { op, name, args };
    }
    default:
      return unreachable(op, 'opcode');
  }
}

// Presence bits for reply fields.
const P_FOUND = 1 << 0;
const P_FOUND_TRUE = 1 << 1;
const P_VALUE = 1 << 2;
const P_VERSION = 1 << 3;
const P_INTEGER = 1 << 4;
const P_PREV_FOUND = 1 << 5;
const P_PREV_FOUND_TRUE = 1 << 6;
const P_PREV_VALUE = 1 << 7;
const P_ITEMS = 1 << 8;
const P_SCAN_ITEMS = 1 << 9;
const P_CURSOR = 1 << 10;
const P_CURRENT_VERSION = 1 << 11;
const P_LEADER_HINT = 1 << 12;
const P_REPLIES = 1 << 13;
const P_DATA = 1 << 14;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

export function encodeReplyRecord(w: ByteWriter, tag: number, reply: Reply): void {
  w.u32(tag);
  encodeReply(w, reply);
}

/** A record's reply, or one op's reply inside a transaction's. */
function encodeReply(w: ByteWriter, reply: Reply): void {
  if (!reply.ok) {
    w.u8(0);
    w.u8(ErrorCode[reply.code]);
    w.u16((reply.currentVersion !== undefined ? P_CURRENT_VERSION : 0) | (reply.leaderHint !== undefined ? P_LEADER_HINT : 0));
    w.bytesField(textEncoder.encode(reply.message));
    if (reply.currentVersion !== undefined) w.f64(reply.currentVersion);
    if (reply.leaderHint !== undefined) w.f64(reply.leaderHint);
    return;
  }
  w.u8(1);
  let p = 0;
  if (reply.found !== undefined) p |= P_FOUND | (reply.found ? P_FOUND_TRUE : 0);
  if (reply.value !== undefined) p |= P_VALUE;
  if (reply.version !== undefined) p |= P_VERSION;
  if (reply.integer !== undefined) p |= P_INTEGER;
  if (reply.previousFound !== undefined) p |= P_PREV_FOUND | (reply.previousFound ? P_PREV_FOUND_TRUE : 0);
  if (reply.previousValue !== undefined) p |= P_PREV_VALUE;
  if (reply.items !== undefined) p |= P_ITEMS;
  if (reply.scanItems !== undefined) p |= P_SCAN_ITEMS;
  if (reply.cursor !== undefined) p |= P_CURSOR;
  if (reply.replies !== undefined) p |= P_REPLIES;
  if (reply.data !== undefined) p |= P_DATA;
  w.u16(p);
  if (p & P_VALUE) w.bytesField(reply.value!);
  if (p & P_VERSION) w.f64(reply.version!);
  if (p & P_INTEGER) w.i64(reply.integer!);
  if (p & P_PREV_VALUE) w.bytesField(reply.previousValue!);
  if (p & P_ITEMS) {
    w.u32(reply.items!.length);
    for (const it of reply.items!) {
      w.u8(it.found ? 1 : 0);
      if (it.found) {
        w.bytesField(it.value!);
        w.f64(it.version!);
      }
    }
  }
  if (p & P_SCAN_ITEMS) {
    w.u32(reply.scanItems!.length);
    for (const it of reply.scanItems!) {
      w.bytesField(it.key);
      w.f64(it.version);
      w.u8(it.value !== undefined ? 1 : 0);
      if (it.value !== undefined) w.bytesField(it.value);
    }
  }
  if (p & P_CURSOR) w.bytesField(reply.cursor!);
  if (p & P_REPLIES) {
    w.u32(reply.replies!.length);
    for (const inner of reply.replies!) encodeReply(w, inner);
  }
  if (p & P_DATA) encodeDataValue(w, reply.data!);
}

/**
 * Decode a reply record. Byte fields are copied out of the ring, because the
 * reply outlives the record (it waits for earlier replies on its connection).
 */
export function decodeReplyRecord(bytes: Uint8Array, start: number, end: number): ReplyRecord {
  const r = new ByteReader(bytes, start, end);
  const tag = r.u32();
  const reply = decodeReply(r);
  assert(r.remaining === 0, 'trailing bytes in reply record');
  return { tag, reply };
}

function decodeReply(r: ByteReader): Reply {
  const ok = r.u8();
  if (ok === 0) {
    const code = errorName(r.u8());
    assert(code !== undefined, 'unknown error code in ring record');
    const p = r.u16();
    const message = textDecoder.decode(r.bytesView());
    const reply: Reply = { ok: false, code, message };
    if (p & P_CURRENT_VERSION) reply.currentVersion = r.f64();
    if (p & P_LEADER_HINT) reply.leaderHint = r.f64();
    return reply;
  }
  const p = r.u16();
  const reply: OkReply = { ok: true };
  if (p & P_FOUND) reply.found = (p & P_FOUND_TRUE) !== 0;
  if (p & P_PREV_FOUND) reply.previousFound = (p & P_PREV_FOUND_TRUE) !== 0;
  if (p & P_VALUE) reply.value = r.bytesView().slice();
  if (p & P_VERSION) reply.version = r.f64();
  if (p & P_INTEGER) reply.integer = r.i64();
  if (p & P_PREV_VALUE) reply.previousValue = r.bytesView().slice();
  if (p & P_ITEMS) {
    const n = r.u32();
    const items: ItemReply[] = [];
    for (let i = 0; i < n; i++) {
      if (r.u8() === 1) items.push({ found: true, value: r.bytesView().slice(), version: r.f64() });
      else items.push({ found: false });
    }
    reply.items = items;
  }
  if (p & P_SCAN_ITEMS) {
    const n = r.u32();
    const items: ScanItem[] = [];
    for (let i = 0; i < n; i++) {
      const key = r.bytesView().slice();
      const version = r.f64();
      items.push(r.u8() === 1 ? { key, version, value: r.bytesView().slice() } : { key, version });
    }
    reply.scanItems = items;
  }
  if (p & P_CURSOR) reply.cursor = r.bytesView().slice();
  if (p & P_REPLIES) {
    const n = r.u32();
    const replies: Reply[] = [];
    for (let i = 0; i < n; i++) replies.push(decodeReply(r));
    reply.replies = replies;
  }
  if (p & P_DATA) reply.data = decodeDataValue(r);
  return reply;
}
