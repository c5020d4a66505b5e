// Edge validation: every front door runs a decoded request through here
// before it reaches a shard, so that limits are enforced in one place and the
// shard can assert them as invariants.

import { isInt64 } from '../int64.js';
import type { Limits } from '../limits.js';
import { errReply, type ErrReply, type Request, type TxRequest } from './ops.js';
import {
  isTxAllowedOp, TX_OPS_MAX, txBytesMax, txEncodedBytesBound, txOpRefusedMessage, txOpsTooManyMessage, txWatchTooManyMessage,
} from './transaction.js';
import { validateCall } from '../types/call-request.js';

/** TTLs beyond ~285,000 years are a client bug; keeps expiry arithmetic in safe integers. */
export const TTL_MS_MAX = 2 ** 53 - 1;

/** A key is non-empty and within keyBytesMax. */
export function checkKey(key: Uint8Array, limits: Limits): ErrReply | null {
  if (key.length === 0) return errReply('BAD_REQUEST', 'key must not be empty');
  if (key.length > limits.keyBytesMax) {
    return errReply('KEY_TOO_LONG', `key is ${key.length} bytes; the limit is ${limits.keyBytesMax}`);
  }
  return null;
}

function checkValue(value: Uint8Array, limits: Limits): ErrReply | null {
  if (value.length > limits.valueBytesMax) {
    return errReply('VALUE_TOO_LARGE', `value is ${value.length} bytes; the limit is ${limits.valueBytesMax}`);
  }
  return null;
}

function checkTtl(ttlMs: number | undefined, expireAtMs: number | undefined): ErrReply | null {
  if (ttlMs !== undefined && (!Number.isSafeInteger(ttlMs) || ttlMs <= 0 || ttlMs > TTL_MS_MAX)) {
    return errReply('BAD_REQUEST', 'ttlMs must be a positive integer');
  }
  if (expireAtMs !== undefined && (!Number.isSafeInteger(expireAtMs) || expireAtMs <= 0)) {
    return errReply('BAD_REQUEST', 'expireAtMs must be a positive integer');
  }
  return null;
}

function checkVersion(v: number | undefined): ErrReply | null {
  if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) {
    return errReply('BAD_REQUEST', 'expectedVersion must be a non-negative integer');
  }
  return null;
}

function checkBatch(count: number, limits: Limits): ErrReply | null {
  if (count === 0) return errReply('BAD_REQUEST', 'batch must name at least one key');
  if (count > limits.batchKeysMax) {
    return errReply('LIMIT_EXCEEDED', `batch names ${count} keys; the limit is ${limits.batchKeysMax}`);
  }
  return null;
}

/** Returns null when the request is within limits, or the error to answer with. */
export function validateRequest(req: Request, limits: Limits): ErrReply | null {
  switch (req.op) {
    case 'get': case 'exists': case 'ttl':
      return checkKey(req.key, limits);
    case 'set':
      if (req.ifAbsent && req.ifPresent) return errReply('BAD_REQUEST', 'ifAbsent and ifPresent exclude each other');
      if (req.keepTtl && (req.ttlMs !== undefined || req.expireAtMs !== undefined)) {
        return errReply('BAD_REQUEST', 'keepTtl excludes ttlMs and expireAtMs');
      }
      return checkKey(req.key, limits) ?? checkValue(req.value, limits)
        ?? checkTtl(req.ttlMs, req.expireAtMs) ?? checkVersion(req.expectedVersion);
    case 'del':
      return checkKey(req.key, limits) ?? checkVersion(req.expectedVersion);
    case 'incr':
      if (typeof req.delta !== 'bigint' || !isInt64(req.delta)) {
        return errReply('BAD_REQUEST', 'delta must be a signed 64-bit integer');
      }
      return checkKey(req.key, limits);
    case 'incrFloat':
      if (!Number.isFinite(req.delta)) return errReply('BAD_REQUEST', 'delta must be a finite number');
      return checkKey(req.key, limits);
    case 'append':
      return checkKey(req.key, limits) ?? checkValue(req.value, limits);
    case 'expire':
      return checkKey(req.key, limits) ?? checkTtl(req.ttlMs, req.expireAtMs);
    case 'getEx':
      if (req.persist && (req.ttlMs !== undefined || req.expireAtMs !== undefined)) {
        return errReply('BAD_REQUEST', 'persist excludes ttlMs and expireAtMs');
      }
      return checkKey(req.key, limits) ?? checkTtl(req.ttlMs, req.expireAtMs);
    case 'getRange':
      if (!Number.isSafeInteger(req.start) || !Number.isSafeInteger(req.end)) {
        return errReply('BAD_REQUEST', 'start and end must be integers');
      }
      return checkKey(req.key, limits);
    case 'setRange':
      if (!Number.isSafeInteger(req.offset) || req.offset < 0) return errReply('BAD_REQUEST', 'offset must be a non-negative integer');
      if (req.offset + req.value.length > limits.valueBytesMax) {
        return errReply('VALUE_TOO_LARGE', `offset + value length exceeds the value limit of ${limits.valueBytesMax}`);
      }
      return checkKey(req.key, limits);
    case 'scan':
      if (!Number.isSafeInteger(req.limit) || req.limit <= 0) return errReply('BAD_REQUEST', 'limit must be a positive integer');
      if (req.limit > limits.scanLimitMax) return errReply('LIMIT_EXCEEDED', `limit is ${req.limit}; the maximum is ${limits.scanLimitMax}`);
      if (req.prefix.length > limits.keyBytesMax) return errReply('KEY_TOO_LONG', 'prefix is longer than the key limit');
      if (req.cursor.length > limits.keyBytesMax + 16) return errReply('BAD_REQUEST', 'cursor is malformed');
      if (req.randomSeed !== undefined && !(Number.isInteger(req.randomSeed) && req.randomSeed >= 0 && req.randomSeed <= 0xffff_ffff)) {
        return errReply('BAD_REQUEST', 'randomSeed must be a 32-bit unsigned integer');
      }
      return null;
    case 'mget': {
      const e = checkBatch(req.keys.length, limits);
      if (e) return e;
      for (const k of req.keys) { const ke = checkKey(k, limits); if (ke) return ke; }
      return null;
    }
    case 'mset': {
      const e = checkBatch(req.entries.length, limits);
      if (e) return e;
      for (const { key, value } of req.entries) {
        const ke = checkKey(key, limits) ?? checkValue(value, limits);
        if (ke) return ke;
      }
      return null;
    }
    case 'count': case 'flush':
      return null;
    case 'tx':
      return checkTx(req, limits);
    case 'call':
      return validateCall(req, limits);
  }
}

/** A transaction within TX_OPS_MAX ops and one frame of bytes, every op and watched key valid. */
function checkTx(req: TxRequest, limits: Limits): ErrReply | null {
  if (req.ops.length > TX_OPS_MAX) {
    return errReply('LIMIT_EXCEEDED', txOpsTooManyMessage(req.ops.length));
  }
  if (req.watch.length > limits.batchKeysMax) {
    return errReply('LIMIT_EXCEEDED', txWatchTooManyMessage(req.watch.length, limits.batchKeysMax));
  }
  for (const op of req.ops) {
    if (!isTxAllowedOp(op.op)) return errReply('BAD_REQUEST', txOpRefusedMessage(op.op));
    const e = validateRequest(op, limits);
    if (e) return e;
  }
  for (const w of req.watch) {
    const e = checkKey(w.key, limits) ?? checkVersion(w.version);
    if (e) return e;
  }
  const bytes = txEncodedBytesBound(req);
  if (bytes > txBytesMax(limits)) {
    return errReply('LIMIT_EXCEEDED', `transaction is about ${bytes} bytes; the limit is ${txBytesMax(limits)} (one frame)`);
  }
  return null;
}
