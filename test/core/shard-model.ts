// A reference model of the shard's data semantics, written from the contract
// in core/protocol/ops.ts (and Redis where ops.ts defers to it), not from
// core/shard/shard.ts. The shard is fed by its log of one: every write is an
// entry, so the model counts entries (`index`) and predicts every reply field
// exactly, versions included: a change gets NEW, which `settle` checks is the
// index of the write's entry (versions are log indexes).
//
// Time: `nowMs` is the entry time of writes and the time of reads. A driver
// may hand the real shard an earlier clock reading (a clock that jumped
// back); the log stamps entries no lower than the previous one, so the model
// keeps using its own, never decreasing, `nowMs`.
//
// Expiry: an entry whose expireAtMs <= nowMs is gone for every read. The model
// keeps such entries in its map (the real shard removes them only through the
// log: a write touching them, or a sweep's expireKeys entry), which bounds how
// many entries the shard may hold until an audit sweeps them.

import { expect } from 'vitest';
import type { Limits } from '../../core/limits.js';
import type { ErrReply, OkReply, Reply, Request } from '../../core/protocol/ops.js';
import { formatFloat } from '../../core/shard/numbers.js';
import { latin1, plain } from './bytes-helpers.js';

export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;

/** Placeholder for "a version larger than any seen so far". */
export const NEW = -1;

export interface ModelEntry { value: Uint8Array; version: number; expireAtMs: number }

export class ShardModel {
  /** Keys as latin1 strings, so `<` is bytewise order. */
  readonly entries = new Map<string, ModelEntry>();
  nowMs = 1_000_000;
  /** Largest version any reply has shown. */
  lastVersion = 0;
  /** The latest time the shard has judged at (reads and entries); it never judges earlier. */
  timeFloorMs = 0;
  /** Entries in the shard's log so far: the index of the last write. */
  index = 0;

  constructor(readonly limits: Limits) {}

  live(k: string): ModelEntry | undefined {
    const e = this.entries.get(k);
    if (e && e.expireAtMs !== 0 && e.expireAtMs <= this.nowMs) return undefined;
    return e;
  }

  liveKeys(): string[] {
    return [...this.entries.keys()].filter((k) => this.live(k) !== undefined).sort();
  }

  /** Drop entries that are expired (only once the real shard has provably reclaimed them). */
  purgeExpired(): void {
    for (const k of [...this.entries.keys()]) if (!this.live(k)) this.entries.delete(k);
  }
}

// ---- Redis-strict number parsing, written independently of numbers.ts ----

export function modelParseInt64(bytes: Uint8Array): bigint | null {
  const text = latin1(bytes);
  if (!/^(0|-?[1-9][0-9]*)$/.test(text)) return null;
  const v = BigInt(text);
  return v < INT64_MIN || v > INT64_MAX ? null : v;
}

export function modelParseFloat(bytes: Uint8Array): number | null {
  if (bytes.length === 0 || bytes.length > 5120) return null;
  const text = latin1(bytes);
  if (!/^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(text)) return null;
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}

const enc = new TextEncoder();

function err(code: ErrReply['code'], currentVersion?: number): ErrReply {
  return currentVersion === undefined ? { ok: false, code, message: '' } : { ok: false, code, message: '', currentVersion };
}

/** Whether a request is logged (a write: it takes the next index) or only read; written from ops.ts. */
export function modelIsWrite(req: Request): boolean {
  switch (req.op) {
    case 'get': case 'exists': case 'ttl': case 'getRange': case 'scan': case 'mget': case 'count': return false;
    case 'call': throw new Error('the string model has no data commands');
    case 'getEx': return req.persist === true || req.ttlMs !== undefined || req.expireAtMs !== undefined;
    default: return true;
  }
}

/**
 * Predict the reply to a single-key request and apply it to the model. Entries
 * the request creates or changes get version NEW; `settle` fills it in.
 */
export function modelHandle(m: ShardModel, req: Request): Reply {
  const now = m.nowMs;
  if (modelIsWrite(req)) m.index++;
  switch (req.op) {
    case 'get': {
      const e = m.live(latin1(req.key));
      return e ? { ok: true, found: true, value: e.value, version: e.version } : { ok: true, found: false };
    }
    case 'set': {
      const k = latin1(req.key);
      const cur = m.live(k);
      if (req.ifAbsent && cur) return err('KEY_EXISTS', cur.version);
      if (req.ifPresent && !cur) return err('NOT_FOUND');
      if (req.expectedVersion !== undefined) {
        const have = cur ? cur.version : 0;
        if (have !== req.expectedVersion) return err('VERSION_MISMATCH', have);
      }
      const reply: OkReply = { ok: true, version: NEW };
      if (req.returnPrevious) {
        reply.previousFound = cur !== undefined;
        if (cur) reply.previousValue = cur.value;
      }
      const expireAtMs = req.expireAtMs ?? (req.ttlMs !== undefined ? now + req.ttlMs : req.keepTtl && cur ? cur.expireAtMs : 0);
      if (expireAtMs !== 0 && expireAtMs <= now) m.entries.delete(k); // already expired: a delete, as in Redis
      else m.entries.set(k, { value: req.value.slice(), version: NEW, expireAtMs });
      return reply;
    }
    case 'del': {
      const k = latin1(req.key);
      const cur = m.live(k);
      if (req.expectedVersion !== undefined) {
        const have = cur ? cur.version : 0;
        if (have !== req.expectedVersion) return err('VERSION_MISMATCH', have);
      }
      const reply: OkReply = { ok: true, found: cur !== undefined };
      if (req.returnPrevious) {
        reply.previousFound = cur !== undefined;
        if (cur) reply.previousValue = cur.value;
      }
      m.entries.delete(k);
      return reply;
    }
    case 'incr': {
      const k = latin1(req.key);
      const cur = m.live(k);
      const base = cur ? modelParseInt64(cur.value) : 0n;
      if (base === null) return err('WRONG_TYPE');
      const result = base + req.delta;
      if (result < INT64_MIN || result > INT64_MAX) return err('OVERFLOW');
      m.entries.set(k, { value: enc.encode(result.toString()), version: NEW, expireAtMs: cur ? cur.expireAtMs : 0 });
      return { ok: true, integer: result, version: NEW };
    }
    case 'incrFloat': {
      const k = latin1(req.key);
      const cur = m.live(k);
      const base = cur ? modelParseFloat(cur.value) : 0;
      if (base === null) return err('WRONG_TYPE');
      const result = base + req.delta;
      if (!Number.isFinite(result)) return err('OVERFLOW');
      const text = enc.encode(formatFloat(result));
      // Whatever INCRBYFLOAT stores must itself be a valid float for the next one.
      expect(modelParseFloat(text), `incrFloat stored ${formatFloat(result)}, which is not a finite float`).not.toBeNull();
      m.entries.set(k, { value: text, version: NEW, expireAtMs: cur ? cur.expireAtMs : 0 });
      return { ok: true, value: text, version: NEW };
    }
    case 'append': {
      const k = latin1(req.key);
      const cur = m.live(k);
      const old = cur ? cur.value : new Uint8Array(0);
      if (old.length + req.value.length > m.limits.valueBytesMax) return err('VALUE_TOO_LARGE');
      const next = new Uint8Array(old.length + req.value.length);
      next.set(old, 0);
      next.set(req.value, old.length);
      m.entries.set(k, { value: next, version: NEW, expireAtMs: cur ? cur.expireAtMs : 0 });
      return { ok: true, integer: BigInt(next.length), version: NEW };
    }
    case 'exists':
      return { ok: true, found: m.live(latin1(req.key)) !== undefined };
    case 'ttl': {
      const e = m.live(latin1(req.key));
      if (!e) return { ok: true, found: false, integer: -2n };
      return { ok: true, found: true, integer: e.expireAtMs === 0 ? -1n : BigInt(e.expireAtMs - now) };
    }
    case 'expire': {
      const k = latin1(req.key);
      const cur = m.live(k);
      if (!cur) return { ok: true, found: false };
      if (req.ttlMs === undefined && req.expireAtMs === undefined) {
        if (cur.expireAtMs === 0) return { ok: true, found: false, version: cur.version };
        m.entries.set(k, { ...cur, version: NEW, expireAtMs: 0 });
        return { ok: true, found: true, version: NEW };
      }
      const at = req.expireAtMs ?? now + req.ttlMs!;
      if (at <= now) {
        m.entries.delete(k);
        return { ok: true, found: true };
      }
      m.entries.set(k, { ...cur, version: NEW, expireAtMs: at });
      return { ok: true, found: true, version: NEW };
    }
    case 'getRange': {
      const e = m.live(latin1(req.key));
      const v = e ? e.value : new Uint8Array(0);
      const n = v.length;
      // Inclusive end; negative offsets count from the end; a negative end
      // before the start of the value selects nothing (Redis >= 8 semantics).
      const s = req.start < 0 ? Math.max(0, n + req.start) : req.start;
      let t = req.end < 0 ? n + req.end : req.end;
      let value = new Uint8Array(0);
      if (t >= 0 && s < n && s <= t) {
        t = Math.min(t, n - 1);
        value = v.slice(s, t + 1);
      }
      return { ok: true, found: e !== undefined, value };
    }
    case 'setRange': {
      const k = latin1(req.key);
      const cur = m.live(k);
      const old = cur ? cur.value : new Uint8Array(0);
      // SETRANGE with nothing to write changes nothing and creates nothing.
      if (req.value.length === 0) return { ok: true, integer: BigInt(old.length), version: cur ? cur.version : 0 };
      const next = new Uint8Array(Math.max(old.length, req.offset + req.value.length));
      next.set(old, 0);
      next.set(req.value, req.offset);
      m.entries.set(k, { value: next, version: NEW, expireAtMs: cur ? cur.expireAtMs : 0 });
      return { ok: true, integer: BigInt(next.length), version: NEW };
    }
    case 'getEx': {
      const k = latin1(req.key);
      const cur = m.live(k);
      if (!cur) return { ok: true, found: false };
      let version = cur.version;
      if (req.persist) {
        if (cur.expireAtMs !== 0) {
          m.entries.set(k, { ...cur, version: NEW, expireAtMs: 0 });
          version = NEW;
        }
      } else if (req.ttlMs !== undefined || req.expireAtMs !== undefined) {
        const at = req.expireAtMs ?? now + req.ttlMs!;
        if (at <= now) m.entries.delete(k);
        else {
          m.entries.set(k, { ...cur, version: NEW, expireAtMs: at });
          version = NEW;
        }
      }
      return { ok: true, found: true, value: cur.value, version };
    }
    case 'mget': {
      let bytes = 0;
      const items: NonNullable<OkReply['items']> = [];
      for (const key of req.keys) {
        const e = m.live(latin1(key));
        if (!e) {
          items.push({ found: false });
          continue;
        }
        bytes += e.value.length;
        if (bytes > m.limits.frameBytesMax) return err('LIMIT_EXCEEDED');
        items.push({ found: true, value: e.value, version: e.version });
      }
      return { ok: true, items };
    }
    case 'mset': {
      if (req.ifNoneExist && req.entries.some((e) => m.live(latin1(e.key)) !== undefined)) return { ok: true, found: false };
      for (const e of req.entries) m.entries.set(latin1(e.key), { value: e.value.slice(), version: NEW, expireAtMs: 0 });
      return { ok: true, found: true, version: NEW };
    }
    case 'scan': case 'count': case 'flush': case 'tx': case 'call':
      throw new Error(`modelHandle: ${req.op} is checked by its own command`);
  }
}

/**
 * Compare the real reply with the prediction. A NEW version must be the
 * index of the write's entry (and so larger than every version seen so far);
 * entries the model marked NEW take it.
 */
export function settle(m: ShardModel, req: Request, expected: Reply, actual: Reply): void {
  const context = `${describeRequest(req)} at now=${m.nowMs}`;
  if (!actual.ok) expect(actual.message, `${context}: error replies carry a message`).toMatch(/\S/);
  let expectedPlain = plain(expected) as Record<string, unknown>;
  const actualPlain = plain(actual) as Record<string, unknown>;
  if (!actual.ok) delete actualPlain.message;
  if (!expected.ok) delete expectedPlain.message;
  if (expected.ok && expected.version === NEW) {
    const v = (actual as OkReply).version;
    expect(Number.isSafeInteger(v) && v! > m.lastVersion, `${context}: a change must return a version above ${m.lastVersion}, got ${v}`).toBe(true);
    expect(v, `${context}: a change's version is its entry's index`).toBe(m.index);
    m.lastVersion = v!;
    expectedPlain = { ...expectedPlain, version: v };
    for (const e of m.entries.values()) if (e.version === NEW) e.version = v!;
  }
  expect(actualPlain, context).toEqual(expectedPlain);
  for (const e of m.entries.values()) expect(e.version, `${context}: model left a NEW version`).not.toBe(NEW);
}

export function describeRequest(req: Request): string {
  return JSON.stringify(plain(req));
}
