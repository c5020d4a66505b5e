// The shard state machine: one hash map of keys to versioned values with
// optional expiry. Owns all data semantics (conditions, CAS, TTL, INCR, ...).
// Deterministic: time is an argument to every call; no I/O.
//
// Invariants (asserted):
// - every stored entry has version in 1..lastVersion; lastVersion only grows;
// - an entry with expireAtMs > 0 is in `expiring`, and only those are;
// - stored values are copies owned by the shard (requests may hold views into
//   transient buffers such as ring memory), and within limits.

import { assert, unreachable } from '../assert.js';
import { binaryStringToBytes, bytesToBinaryString, startsWith } from '../bytes.js';
import type { Limits } from '../limits.js';
import {
  errReply, type Bytes, type ItemReply, type OkReply, type Reply, type Request, type ScanItem,
} from '../protocol/ops.js';
import { isInt64, parseInt64 } from '../int64.js';
import { formatFloat, parseFiniteFloat } from './numbers.js';

export interface ShardEntry {
  value: Bytes;
  /** Grows with every change of the entry (value or expiry); never 0. */
  version: number;
  /** Absolute expiry in ms since the epoch; 0 = never. */
  expireAtMs: number;
}

/** Entries examined per active-expiry step, to bound the work per tick. */
export const EXPIRY_SWEEP_ENTRIES_PER_STEP = 64;

const textEncoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

export class Shard {
  private readonly entries = new Map<string, ShardEntry>();
  /** Keys with a TTL: the active sweep walks only these (as Redis's `expires` dict). */
  private readonly expiring = new Map<string, ShardEntry>();
  private sweepCursor: Iterator<[string, ShardEntry]> | null = null;
  private lastVersion = 0;
  /** Bytes of keys and values held, for INFO / memory reporting. */
  private bytesHeld = 0;

  constructor(readonly index: number, private readonly limits: Limits) {}

  get size(): number {
    return this.entries.size;
  }

  get expiringSize(): number {
    return this.expiring.size;
  }

  get dataBytes(): number {
    return this.bytesHeld;
  }

  /** Apply one request. Requests must already be within limits (validateRequest). */
  handle(req: Request, nowMs: number): Reply {
    switch (req.op) {
      case 'get': return this.get(req.key, nowMs);
      case 'set': return this.set(req, nowMs);
      case 'del': return this.del(req.key, req.expectedVersion, req.returnPrevious === true, nowMs);
      case 'incr': return this.incr(req.key, req.delta, nowMs);
      case 'incrFloat': return this.incrFloat(req.key, req.delta, nowMs);
      case 'append': return this.append(req.key, req.value, nowMs);
      case 'exists': return { ok: true, found: this.lookup(bytesToBinaryString(req.key), nowMs) !== undefined };
      case 'ttl': return this.ttl(req.key, nowMs);
      case 'expire': return this.expire(req.key, req.ttlMs, req.expireAtMs, nowMs);
      case 'getRange': return this.getRange(req.key, req.start, req.end, nowMs);
      case 'setRange': return this.setRange(req.key, req.offset, req.value, nowMs);
      case 'getEx': return this.getEx(req, nowMs);
      case 'scan': return this.scan(req.prefix, req.cursor, req.limit, req.withValues === true, nowMs);
      case 'mget': return this.mget(req.keys, nowMs);
      case 'mset': return this.mset(req.entries, req.ifNoneExist === true, nowMs);
      case 'count': return { ok: true, integer: BigInt(this.entries.size) };
      case 'flush': return this.flush();
      default: return unreachable(req, 'request');
    }
  }

  /**
   * Active expiry: examine at most `entriesMax` keys with a TTL, deleting the
   * expired ones. Resumes where the last call stopped, so repeated calls cover
   * every expiring key. Returns the number of keys deleted.
   */
  sweepExpired(nowMs: number, entriesMax = EXPIRY_SWEEP_ENTRIES_PER_STEP): number {
    assert(entriesMax > 0, 'sweep budget must be positive');
    if (this.expiring.size === 0) return 0;
    let deleted = 0;
    for (let examined = 0; examined < entriesMax; examined++) {
      this.sweepCursor ??= this.expiring.entries();
      const next = this.sweepCursor.next();
      if (next.done) {
        this.sweepCursor = null;
        break;
      }
      const [key, entry] = next.value;
      if (entry.expireAtMs <= nowMs) {
        this.remove(key, entry);
        deleted++;
      }
    }
    return deleted;
  }

  // ---- single-key operations -------------------------------------------

  private get(key: Bytes, nowMs: number): Reply {
    const entry = this.lookup(bytesToBinaryString(key), nowMs);
    if (!entry) return { ok: true, found: false };
    return { ok: true, found: true, value: entry.value, version: entry.version };
  }

  private set(req: Extract<Request, { op: 'set' }>, nowMs: number): Reply {
    const k = bytesToBinaryString(req.key);
    const current = this.lookup(k, nowMs);
    if (req.ifAbsent && current) return errReply('KEY_EXISTS', 'key exists and ifAbsent was set', current.version);
    if (req.ifPresent && !current) return errReply('NOT_FOUND', 'key does not exist and ifPresent was set');
    if (req.expectedVersion !== undefined) {
      const have = current ? current.version : 0;
      if (have !== req.expectedVersion) {
        return errReply('VERSION_MISMATCH', `expected version ${req.expectedVersion}, key has version ${have}`, have);
      }
    }
    let expireAtMs = 0;
    if (req.expireAtMs !== undefined) expireAtMs = req.expireAtMs;
    else if (req.ttlMs !== undefined) expireAtMs = nowMs + req.ttlMs;
    else if (req.keepTtl && current) expireAtMs = current.expireAtMs;
    const reply: OkReply = { ok: true };
    if (req.returnPrevious) {
      reply.previousFound = current !== undefined;
      if (current) reply.previousValue = current.value;
    }
    if (expireAtMs !== 0 && expireAtMs <= nowMs) {
      // Setting a key to expire in the past is a delete (as in Redis).
      if (current) this.remove(k, current);
      reply.version = this.nextVersion();
      return reply;
    }
    reply.version = this.store(k, current, copy(req.value), expireAtMs).version;
    return reply;
  }

  private del(key: Bytes, expectedVersion: number | undefined, returnPrevious: boolean, nowMs: number): Reply {
    const k = bytesToBinaryString(key);
    const current = this.lookup(k, nowMs);
    if (expectedVersion !== undefined) {
      const have = current ? current.version : 0;
      if (have !== expectedVersion) {
        return errReply('VERSION_MISMATCH', `expected version ${expectedVersion}, key has version ${have}`, have);
      }
    }
    const reply: OkReply = { ok: true, found: current !== undefined };
    if (returnPrevious) {
      reply.previousFound = current !== undefined;
      if (current) reply.previousValue = current.value;
    }
    if (current) this.remove(k, current);
    return reply;
  }

  private incr(key: Bytes, delta: bigint, nowMs: number): Reply {
    const k = bytesToBinaryString(key);
    const current = this.lookup(k, nowMs);
    let base = 0n;
    if (current) {
      const parsed = parseInt64(current.value);
      if (parsed === null) return errReply('WRONG_TYPE', 'value is not an integer or out of range');
      base = parsed;
    }
    const result = base + delta;
    if (!isInt64(result)) {
      return errReply('OVERFLOW', 'increment or decrement would overflow');
    }
    const entry = this.store(k, current, textEncoder.encode(result.toString()), current ? current.expireAtMs : 0);
    return { ok: true, integer: result, version: entry.version };
  }

  private incrFloat(key: Bytes, delta: number, nowMs: number): Reply {
    const k = bytesToBinaryString(key);
    const current = this.lookup(k, nowMs);
    let base = 0;
    if (current) {
      const parsed = parseFiniteFloat(current.value);
      if (parsed === null) return errReply('WRONG_TYPE', 'value is not a valid float');
      base = parsed;
    }
    const result = base + delta;
    if (!Number.isFinite(result)) return errReply('OVERFLOW', 'increment would produce NaN or Infinity');
    const text = textEncoder.encode(formatFloat(result));
    const entry = this.store(k, current, text, current ? current.expireAtMs : 0);
    return { ok: true, value: text, version: entry.version };
  }

  private append(key: Bytes, value: Bytes, nowMs: number): Reply {
    const k = bytesToBinaryString(key);
    const current = this.lookup(k, nowMs);
    const oldLength = current ? current.value.length : 0;
    if (oldLength + value.length > this.limits.valueBytesMax) {
      return errReply('VALUE_TOO_LARGE', `appending would make the value ${oldLength + value.length} bytes; the limit is ${this.limits.valueBytesMax}`);
    }
    const next = new Uint8Array(oldLength + value.length);
    if (current) next.set(current.value, 0);
    next.set(value, oldLength);
    const entry = this.store(k, current, next, current ? current.expireAtMs : 0);
    return { ok: true, integer: BigInt(next.length), version: entry.version };
  }

  private ttl(key: Bytes, nowMs: number): Reply {
    const entry = this.lookup(bytesToBinaryString(key), nowMs);
    if (!entry) return { ok: true, found: false, integer: -2n };
    if (entry.expireAtMs === 0) return { ok: true, found: true, integer: -1n };
    return { ok: true, found: true, integer: BigInt(entry.expireAtMs - nowMs) };
  }

  private expire(key: Bytes, ttlMs: number | undefined, expireAtMs: number | undefined, nowMs: number): Reply {
    const k = bytesToBinaryString(key);
    const current = this.lookup(k, nowMs);
    if (!current) return { ok: true, found: false };
    if (ttlMs === undefined && expireAtMs === undefined) {
      // PERSIST: "found" tells whether a TTL was removed.
      if (current.expireAtMs === 0) return { ok: true, found: false, version: current.version };
      const entry = this.store(k, current, current.value, 0);
      return { ok: true, found: true, version: entry.version };
    }
    const at = expireAtMs ?? nowMs + ttlMs!;
    if (at <= nowMs) {
      this.remove(k, current);
      return { ok: true, found: true };
    }
    const entry = this.store(k, current, current.value, at);
    return { ok: true, found: true, version: entry.version };
  }

  private getRange(key: Bytes, start: number, end: number, nowMs: number): Reply {
    const entry = this.lookup(bytesToBinaryString(key), nowMs);
    const value = entry ? entry.value : EMPTY;
    const n = value.length;
    // Redis GETRANGE: negative offsets count from the end; end is inclusive.
    let from = start < 0 ? Math.max(0, n + start) : start;
    let to = end < 0 ? n + end : Math.min(end, n - 1);
    if (n === 0 || from > to || from >= n || to < 0) return { ok: true, found: entry !== undefined, value: EMPTY };
    from = Math.max(0, from);
    to = Math.min(to, n - 1);
    return { ok: true, found: entry !== undefined, value: value.subarray(from, to + 1) };
  }

  private setRange(key: Bytes, offset: number, value: Bytes, nowMs: number): Reply {
    const k = bytesToBinaryString(key);
    const current = this.lookup(k, nowMs);
    const oldLength = current ? current.value.length : 0;
    if (value.length === 0) return { ok: true, integer: BigInt(oldLength), version: current?.version ?? 0 };
    const newLength = Math.max(oldLength, offset + value.length);
    assert(newLength <= this.limits.valueBytesMax, 'setRange beyond the value limit passed validation');
    const next = new Uint8Array(newLength);
    if (current) next.set(current.value, 0);
    next.set(value, offset);
    const entry = this.store(k, current, next, current ? current.expireAtMs : 0);
    return { ok: true, integer: BigInt(newLength), version: entry.version };
  }

  private getEx(req: Extract<Request, { op: 'getEx' }>, nowMs: number): Reply {
    const k = bytesToBinaryString(req.key);
    const current = this.lookup(k, nowMs);
    if (!current) return { ok: true, found: false };
    const value = current.value;
    let version = current.version;
    if (req.persist) {
      if (current.expireAtMs !== 0) version = this.store(k, current, value, 0).version;
    } else if (req.ttlMs !== undefined || req.expireAtMs !== undefined) {
      const at = req.expireAtMs ?? nowMs + req.ttlMs!;
      if (at <= nowMs) this.remove(k, current);
      else version = this.store(k, current, value, at).version;
    }
    return { ok: true, found: true, value, version };
  }

  // ---- multi-key operations (the IO thread splits them per shard) --------

  /**
   * One page of keys with the prefix, in bytewise key order, after the cursor
   * (the last key of the previous page). Keys present for the whole scan are
   * returned exactly once. Cost: O(n log limit) per page over the shard.
   */
  private scan(prefix: Bytes, cursor: Bytes, limit: number, withValues: boolean, nowMs: number): Reply {
    assert(limit > 0, 'scan limit must be positive');
    const after = cursor.length > 0 ? bytesToBinaryString(cursor) : null;
    const p = prefix.length > 0 ? bytesToBinaryString(prefix) : '';
    let candidates: [string, ShardEntry][] = [];
    for (const pair of this.entries) {
      const [k, entry] = pair;
      if (after !== null && k <= after) continue;
      if (p.length > 0 && !k.startsWith(p)) continue;
      if (entry.expireAtMs !== 0 && entry.expireAtMs <= nowMs) continue;
      candidates.push(pair);
      if (candidates.length > 4 * limit + 64) candidates = smallestByKey(candidates, limit + 1);
    }
    candidates = smallestByKey(candidates, limit + 1);
    const more = candidates.length > limit;
    if (more) candidates.length = limit;
    const items: ScanItem[] = [];
    let replyBytes = 0;
    for (const [k, entry] of candidates) {
      const key = binaryStringToBytes(k);
      replyBytes += key.length + (withValues ? entry.value.length : 0) + 16;
      // Keep a page within one frame; the rest comes on the next page.
      if (items.length > 0 && replyBytes > this.limits.frameBytesMax / 2) {
        return { ok: true, scanItems: items, cursor: items[items.length - 1]!.key };
      }
      items.push(withValues ? { key, value: entry.value, version: entry.version } : { key, version: entry.version });
    }
    assert(items.every((it) => startsWith(it.key, prefix)), 'scan returned a key outside the prefix');
    const last = items.length > 0 ? items[items.length - 1]!.key : EMPTY;
    return { ok: true, scanItems: items, cursor: more ? last : EMPTY };
  }

  private mget(keys: Bytes[], nowMs: number): Reply {
    const items: ItemReply[] = [];
    let replyBytes = 0;
    for (const key of keys) {
      const entry = this.lookup(bytesToBinaryString(key), nowMs);
      if (!entry) {
        items.push({ found: false });
        continue;
      }
      replyBytes += entry.value.length;
      if (replyBytes > this.limits.frameBytesMax) {
        return errReply('LIMIT_EXCEEDED', `values add up to more than the frame limit of ${this.limits.frameBytesMax} bytes`);
      }
      items.push({ found: true, value: entry.value, version: entry.version });
    }
    return { ok: true, items };
  }

  private mset(pairs: { key: Bytes; value: Bytes }[], ifNoneExist: boolean, nowMs: number): Reply {
    if (ifNoneExist) {
      for (const { key } of pairs) {
        if (this.lookup(bytesToBinaryString(key), nowMs)) return { ok: true, found: false };
      }
    }
    let version = 0;
    for (const { key, value } of pairs) {
      const k = bytesToBinaryString(key);
      version = this.store(k, this.lookup(k, nowMs), copy(value), 0).version;
    }
    return { ok: true, found: true, version };
  }

  private flush(): Reply {
    const removed = this.entries.size;
    this.entries.clear();
    this.expiring.clear();
    this.sweepCursor = null;
    this.bytesHeld = 0;
    return { ok: true, integer: BigInt(removed) };
  }

  // ---- storage primitives -------------------------------------------------

  /** The live entry for a key, expiring it lazily if its time has come. */
  private lookup(k: string, nowMs: number): ShardEntry | undefined {
    const entry = this.entries.get(k);
    if (entry && entry.expireAtMs !== 0 && entry.expireAtMs <= nowMs) {
      this.remove(k, entry);
      return undefined;
    }
    return entry;
  }

  private nextVersion(): number {
    this.lastVersion++;
    assert(Number.isSafeInteger(this.lastVersion), 'version counter exhausted');
    return this.lastVersion;
  }

  private store(k: string, current: ShardEntry | undefined, value: Bytes, expireAtMs: number): ShardEntry {
    assert(value.length <= this.limits.valueBytesMax, 'stored value exceeds the value limit');
    const version = this.nextVersion();
    if (current) {
      this.bytesHeld += value.length - current.value.length;
      current.value = value;
      current.version = version;
      if (current.expireAtMs !== 0 && expireAtMs === 0) this.expiring.delete(k);
      if (current.expireAtMs === 0 && expireAtMs !== 0) this.expiring.set(k, current);
      current.expireAtMs = expireAtMs;
      return current;
    }
    const entry: ShardEntry = { value, version, expireAtMs };
    this.entries.set(k, entry);
    this.bytesHeld += k.length + value.length;
    if (expireAtMs !== 0) this.expiring.set(k, entry);
    return entry;
  }

  private remove(k: string, entry: ShardEntry): void {
    assert(this.entries.get(k) === entry, 'removing an entry that is not stored');
    this.entries.delete(k);
    if (entry.expireAtMs !== 0) this.expiring.delete(k);
    this.bytesHeld -= k.length + entry.value.length;
  }
}

function copy(bytes: Bytes): Bytes {
  return bytes.slice();
}

function smallestByKey(pairs: [string, ShardEntry][], count: number): [string, ShardEntry][] {
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  if (pairs.length > count) pairs.length = count;
  return pairs;
}
