// Each typed call as data: the Request it sends and how it reads the reply.
// PiccoloClient (client.ts) sends one and reads it at once; a Transaction
// (transaction.ts) gathers several into one `tx` request and reads each from
// its part of the transaction's reply. One definition, so both agree.

import { isInt64 } from '../core/int64.js';
import type { DataValue } from '../core/protocol/data-value.js';
import type { CallRequest, OkReply, Request, SetRequest } from '../core/protocol/ops.js';
import { toBytes, type BytesLike } from './bytes.js';
import type { MSetEntries } from './client.js';
import {
  readBoolean, readBytesList, readBytesOrNull, readInt, readScore, readTextKeyedMap, renderDataValue,
  type BytesOut, type DataBytes, type DataReply,
} from './data-reply.js';
import { PiccoloError, ProtocolError } from './errors.js';

/** A stored value and the version the write that made it got. */
export interface Entry { value: Uint8Array; version: number }

export interface SetOptions {
  /** Expire after this many milliseconds. Without it (and without keepTtl) any old TTL is cleared. */
  ttlMs?: number;
  /** Expire at this time (ms since the epoch); wins over ttlMs. */
  expireAtMs?: number;
  /** Only write if the key is absent; else rejects with KEY_EXISTS. */
  ifAbsent?: boolean;
  /** Only write if the key exists; else rejects with NOT_FOUND. */
  ifPresent?: boolean;
  /** Only write if the key is at this version (0 = must be absent); else rejects with VERSION_MISMATCH. */
  expectedVersion?: number;
  /** Keep the key's current TTL. */
  keepTtl?: boolean;
}

export interface DelOptions {
  /** Only delete if the key is at this version; else rejects with VERSION_MISMATCH. */
  expectedVersion?: number;
}

/** A request and the reading of its (successful) reply. */
export interface Call<T> {
  readonly request: Request;
  read(reply: OkReply): T;
}

const EMPTY = new Uint8Array(0);

export function getCall(key: BytesLike): Call<Entry | null> {
  return {
    request: { op: 'get', key: toBytes(key, 'key') },
    read: (reply) => (need(reply.found, 'found', 'get') ? { value: reply.value ?? EMPTY, version: need(reply.version, 'version', 'get') } : null),
  };
}

export function setCall(key: BytesLike, value: BytesLike, options: SetOptions = {}): Call<{ version: number }> {
  const req: SetRequest = { op: 'set', key: toBytes(key, 'key'), value: toBytes(value, 'value') };
  if (options.ttlMs !== undefined) req.ttlMs = options.ttlMs;
  if (options.expireAtMs !== undefined) req.expireAtMs = options.expireAtMs;
  if (options.ifAbsent) req.ifAbsent = true;
  if (options.ifPresent) req.ifPresent = true;
  if (options.expectedVersion !== undefined) req.expectedVersion = options.expectedVersion;
  if (options.keepTtl) req.keepTtl = true;
  return { request: req, read: (reply) => ({ version: need(reply.version, 'version', 'set') }) };
}

export function delCall(key: BytesLike, options: DelOptions = {}): Call<boolean> {
  const request: Request = options.expectedVersion === undefined
    ? { op: 'del', key: toBytes(key, 'key') }
    : { op: 'del', key: toBytes(key, 'key'), expectedVersion: options.expectedVersion };
  return { request, read: (reply) => need(reply.found, 'found', 'del') };
}

export function incrCall(key: BytesLike, delta: bigint | number = 1): Call<bigint> {
  return { request: { op: 'incr', key: toBytes(key, 'key'), delta: toInt64(delta) }, read: (reply) => need(reply.integer, 'integer', 'incr') };
}

export function appendCall(key: BytesLike, value: BytesLike): Call<number> {
  return {
    request: { op: 'append', key: toBytes(key, 'key'), value: toBytes(value, 'value') },
    read: (reply) => Number(need(reply.integer, 'integer', 'append')),
  };
}

export function existsCall(key: BytesLike): Call<boolean> {
  return { request: { op: 'exists', key: toBytes(key, 'key') }, read: (reply) => need(reply.found, 'found', 'exists') };
}

/** EXPIRE with ttlMs; PERSIST (the TTL removed) without. */
export function expireCall(key: BytesLike, ttlMs?: number): Call<boolean> {
  const request: Request = ttlMs === undefined ? { op: 'expire', key: toBytes(key, 'key') } : { op: 'expire', key: toBytes(key, 'key'), ttlMs };
  return { request, read: (reply) => need(reply.found, 'found', ttlMs === undefined ? 'persist' : 'expire') };
}

export function toInt64(delta: bigint | number): bigint {
  if (typeof delta === 'number') {
    if (!Number.isSafeInteger(delta)) throw new PiccoloError('BAD_REQUEST', `delta must be an integer, got ${delta}`);
    return BigInt(delta);
  }
  if (typeof delta !== 'bigint' || !isInt64(delta)) {
    throw new PiccoloError('BAD_REQUEST', 'delta must be a signed 64-bit integer');
  }
  return delta;
}

/** A reply field the op always carries; its absence means the server broke the protocol. */
export function need<T>(value: T | undefined, field: string, op: string): T {
  if (value === undefined) throw new ProtocolError(`${op} reply has no ${field}`);
  return value;
}

// --- data commands (the `call` op: docs/protocol.md, "Data commands") ---

/** A data command's argument: bytes, text (sent as UTF-8), or a number (sent as its decimal text, as Redis takes it). */
export type CallArg = BytesLike | number | bigint;


function callArg(arg: CallArg, i: number): Uint8Array {
  if (typeof arg === 'bigint') return toBytes(arg.toString(), `args[${i}]`);
  if (typeof arg === 'number') {
    if (!Number.isFinite(arg)) throw new PiccoloError('BAD_REQUEST', `args[${i}] must be a finite number, got ${arg}`);
    return toBytes(String(arg), `args[${i}]`);
  }
  return toBytes(arg, `args[${i}]`);
}

function callRequest(name: string, args: readonly CallArg[]): CallRequest {
  if (typeof name !== 'string' || name === '') throw new PiccoloError('BAD_REQUEST', 'a data command needs its name, e.g. "hset"');
  return { op: 'call', name: name.toLowerCase(), args: args.map(callArg) };
}

/** A call whose reply tree is read by `read`. */
function dataCall<T>(name: string, args: readonly CallArg[], read: (data: DataValue) => T): Call<T> {
  return { request: callRequest(name, args), read: (reply) => read(need(reply.data, 'data', name)) };
}

/** Any data command (its name, case-insensitive, and Redis's arguments after it), the reply as plain JavaScript (data-reply.ts). */
export function anyCall<B extends DataBytes>(out: BytesOut<B>, name: string, args: readonly CallArg[]): Call<DataReply<B>> {
  return dataCall(name, args, (data) => renderDataValue(data, out));
}

function fieldValueArgs(fieldValues: MSetEntries): BytesLike[] {
  const pairs: Iterable<readonly [BytesLike, BytesLike]> = isIterable(fieldValues) ? fieldValues : Object.entries(fieldValues);
  const args: BytesLike[] = [];
  for (const [field, value] of pairs) args.push(field, value);
  if (args.length === 0) throw new PiccoloError('BAD_REQUEST', 'hset needs at least one field');
  return args;
}

function isIterable(value: unknown): value is Iterable<readonly [BytesLike, BytesLike]> {
  return typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

function zaddArgs(key: BytesLike, scoreMembers: readonly (readonly [number, BytesLike])[]): CallArg[] {
  if (scoreMembers.length === 0) throw new PiccoloError('BAD_REQUEST', 'zadd needs at least one [score, member]');
  const args: CallArg[] = [key];
  for (const [score, member] of scoreMembers) {
    if (typeof score !== 'number' || Number.isNaN(score)) throw new PiccoloError('BAD_REQUEST', `zadd score must be a number, got ${String(score)}`);
    args.push(score === Infinity ? '+inf' : score === -Infinity ? '-inf' : score, member);
  }
  return args;
}

/** SORT's options, Redis's by name (docs/data-structures.md, "SORT and SORT_RO"). */
export interface SortOptions {
  /** BY: `*` is replaced by the element, naming a key (or with `->field` a hash field) to sort by; without `*` (e.g. 'nosort') the collection's order is kept. */
  by?: BytesLike;
  limit?: { offset: number; count: number };
  /** GET patterns: each element is replaced by what they name (`#`: the element itself; null when nothing is there). */
  get?: readonly BytesLike[];
  desc?: boolean;
  /** Compare as bytes, not as numbers. */
  alpha?: boolean;
}

function sortArgs(key: BytesLike, o: SortOptions): CallArg[] {
  const args: CallArg[] = [key];
  if (o.by !== undefined) args.push('BY', o.by);
  if (o.limit !== undefined) args.push('LIMIT', o.limit.offset, o.limit.count);
  for (const pattern of o.get ?? []) args.push('GET', pattern);
  if (o.desc) args.push('DESC');
  if (o.alpha) args.push('ALPHA');
  return args;
}

/** The typed data commands, bound to a client's bytes type; a client and its transactions share them. */
export function dataCalls<B extends DataBytes>(out: BytesOut<B>) {
  return {
    /** HSET: the number of fields that were new. */
    hset: (key: BytesLike, fieldValues: MSetEntries): Call<number> =>
      dataCall('hset', [key, ...fieldValueArgs(fieldValues)], (d) => readInt(d, 'hset')),
    hget: (key: BytesLike, field: BytesLike): Call<B | null> => dataCall('hget', [key, field], (d) => readBytesOrNull(d, out, 'hget')),
    /** HGETALL: fields as text (decoded as UTF-8), values in the client's bytes type. */
    hgetall: (key: BytesLike): Call<Map<string, B>> => dataCall('hgetall', [key], (d) => readTextKeyedMap(d, out, 'hgetall')),
    /** LPUSH / RPUSH: the list's length after. */
    lpush: (key: BytesLike, values: readonly BytesLike[]): Call<number> => dataCall('lpush', [key, ...values], (d) => readInt(d, 'lpush')),
    rpush: (key: BytesLike, values: readonly BytesLike[]): Call<number> => dataCall('rpush', [key, ...values], (d) => readInt(d, 'rpush')),
    /** LRANGE, start and stop inclusive, negative counting from the end. */
    lrange: (key: BytesLike, start: number, stop: number): Call<B[]> =>
      dataCall('lrange', [key, start, stop], (d) => readBytesList(d, out, 'lrange')),
    lpop: (key: BytesLike): Call<B | null> => dataCall('lpop', [key], (d) => readBytesOrNull(d, out, 'lpop')),
    /** SADD: the number of members that were new. */
    sadd: (key: BytesLike, members: readonly BytesLike[]): Call<number> => dataCall('sadd', [key, ...members], (d) => readInt(d, 'sadd')),
    smembers: (key: BytesLike): Call<B[]> => dataCall('smembers', [key], (d) => readBytesList(d, out, 'smembers')),
    sismember: (key: BytesLike, member: BytesLike): Call<boolean> => dataCall('sismember', [key, member], (d) => readBoolean(d, 'sismember')),
    /** ZADD of [score, member] pairs: the number of members that were new. */
    zadd: (key: BytesLike, scoreMembers: readonly (readonly [number, BytesLike])[]): Call<number> =>
      dataCall('zadd', zaddArgs(key, scoreMembers), (d) => readInt(d, 'zadd')),
    /** ZRANGE by rank, start and stop inclusive: the members in score order. */
    zrange: (key: BytesLike, start: number, stop: number): Call<B[]> =>
      dataCall('zrange', [key, start, stop], (d) => readBytesList(d, out, 'zrange')),
    zscore: (key: BytesLike, member: BytesLike): Call<number | null> => dataCall('zscore', [key, member], (d) => readScore(d, 'zscore')),
    /** SORT (a read): the elements sorted, or with `get` what its patterns name (null when nothing). */
    sort: (key: BytesLike, options: SortOptions = {}): Call<(B | null)[]> => dataCall('sort', sortArgs(key, options),
      (d) => (d.t === 'array' ? d.v.map((item) => readBytesOrNull(item, out, 'sort')) : readBytesList(d, out, 'sort'))),
    /** SORT ... STORE destination (a write): the destination becomes the result as a list (deleted when empty); its length. */
    sortStore: (key: BytesLike, destination: BytesLike, options: SortOptions = {}): Call<number> =>
      dataCall('sort', [...sortArgs(key, options), 'STORE', destination], (d) => readInt(d, 'sort')),
  };
}


