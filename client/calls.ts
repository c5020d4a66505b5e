// Each typed call as data: the Request it sends and how it reads the reply.
// PiccoloClient (client.ts) sends one and reads it at once; a Transaction
// (transaction.ts) gathers several into one `tx` request and reads each from
// its part of the transaction's reply. One definition, so both agree.

import { isInt64 } from '../core/int64.js';
import type { OkReply, Request, SetRequest } from '../core/protocol/ops.js';
import { toBytes, type BytesLike } from './bytes.js';
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
