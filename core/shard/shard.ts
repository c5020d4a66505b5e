// The shard state machine: one hash map of keys to versioned values with
// optional expiry. Owns all data semantics (conditions, CAS, TTL, INCR, ...).
// Deterministic: time is an argument to every call; no I/O.
//
// Two ways in, and nothing else changes the state:
// - `read(request, readTimeMs)` answers from the state as it is; it never
//   mutates it. A key whose expiry is <= the read's time is absent.
// - `apply(entry)` applies the next log entry (core/shard/command.ts). Its
//   time is the entry's timestamp, its version the entry's index, so every
//   replica applying the same entries computes the same state (see
//   docs/consensus.md).
// Expired keys leave memory only through the log: the active sweep
// (`collectExpired`) builds an expireKeys command for the writer to propose.
//
// Invariants (asserted):
// - entries are applied at index appliedIndex + 1, with a timestamp not below
//   the previous entry's and a term not below the previous entry's;
// - every stored entry has version in 1..appliedIndex;
// - a read judges expiry at a time not below the last applied entry's
//   timestamp nor the previous read's (so a key never reappears);
// - an entry with expireAtMs > 0 is in `expiring`, and only those are;
// - stored values are copies owned by the shard (requests may hold views into
//   transient buffers such as ring memory), and within limits.

import { assert, unreachable } from '../assert.js';
import { binaryStringToBytes, bytesToBinaryString, startsWith } from '../bytes.js';
import { Fnv64 } from '../fnv64.js';
import type { Limits } from '../limits.js';
import {
  errReply, type Bytes, type ItemReply, type OkReply, type Reply, type ScanItem,
} from '../protocol/ops.js';
import { scanItemBytes, scanPageBytesMax } from '../protocol/reply-size.js';
import { isInt64, parseInt64 } from '../int64.js';
import {
  assertAbsolute, EXPIRE_KEYS_PER_COMMAND_MAX, type Command, type ExpireKeysCommand, type LogEntry, type ReadRequest,
} from './command.js';
import { formatFloat, parseFiniteFloat } from './numbers.js';
import { decodeSnapshot, encodeSnapshot, type SnapshotEntry } from './snapshot.js';

export interface ShardEntry {
  value: Bytes;
  /** The index of the log entry that last changed it (value or expiry); never 0. */
  version: number;
  /** Absolute expiry in ms since the epoch; 0 = never. */
  expireAtMs: number;
}

/** Entries examined per active-expiry step, to bound the work per tick. */
export const EXPIRY_SWEEP_ENTRIES_PER_STEP = 64;

// The sweep's command must fit one entry.
assert(EXPIRY_SWEEP_ENTRIES_PER_STEP <= EXPIRE_KEYS_PER_COMMAND_MAX, 'a sweep step must fit one expireKeys command');

const textEncoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

type Op<K extends Command['op']> = Extract<Command, { op: K }>;

export class Shard {
  private readonly entries = new Map<string, ShardEntry>();
  /** Keys with a TTL: the active sweep walks only these (as Redis's `expires` dict). */
  private readonly expiring = new Map<string, ShardEntry>();
  private sweepCursor: Iterator<[string, ShardEntry]> | null = null;
  private lastIndex = 0;
  private lastTerm = 0;
  private lastTimestampMs = 0;
  /** The latest time a read judged expiry at (not state: a replica's own clock floor). */
  private readFloorMs = 0;
  /** Bytes of keys and values held, for INFO / memory reporting. */
  private bytesHeld = 0;
  /** While applying: the entry's timestamp and index. */
  private applyAtMs = 0;
  private applyVersion = 0;

  constructor(readonly index: number, private readonly limits: Limits) {}

  /** Entries stored, expired ones not yet removed by the log included. */
  get size(): number {
    return this.entries.size;
  }

  get expiringSize(): number {
    return this.expiring.size;
  }

  get dataBytes(): number {
    return this.bytesHeld;
  }

  /** Index of the last applied entry (0: none yet). */
  get appliedIndex(): number {
    return this.lastIndex;
  }

  get appliedTerm(): number {
    return this.lastTerm;
  }

  get appliedTimestampMs(): number {
    return this.lastTimestampMs;
  }

  /** The time reads judge expiry at, at least: max(last entry's timestamp, latest read's time). */
  get readClockMs(): number {
    return Math.max(this.readFloorMs, this.lastTimestampMs);
  }

  // ---- reads ----------------------------------------------------------------

  /** Answer a read from the state at `readTimeMs`, clamped so read time never goes backwards. */
  read(req: ReadRequest, readTimeMs: number): Reply {
    const atMs = this.readTime(readTimeMs);
    switch (req.op) {
      case 'get': case 'getEx': {
        assert(req.op === 'get' || !(req.persist === true || req.ttlMs !== undefined || req.expireAtMs !== undefined),
          'a GETEX that changes the expiry is a write');
        const entry = this.live(bytesToBinaryString(req.key), atMs);
        if (!entry) return { ok: true, found: false };
        return { ok: true, found: true, value: entry.value, version: entry.version };
      }
      case 'exists': return { ok: true, found: this.live(bytesToBinaryString(req.key), atMs) !== undefined };
      case 'ttl': return this.ttl(req.key, atMs);
      case 'getRange': return this.getRange(req.key, req.start, req.end, atMs);
      case 'scan': return this.scan(req.prefix, req.cursor, req.limit, req.withValues === true, atMs);
      case 'mget': return this.mget(req.keys, atMs);
      case 'count': return { ok: true, integer: BigInt(this.liveCount(atMs)) };
      default: return unreachable(req, 'read');
    }
  }

  private readTime(readTimeMs: number): number {
    const atMs = Math.max(readTimeMs, this.readFloorMs, this.lastTimestampMs);
    this.readFloorMs = atMs;
    return atMs;
  }

  /** The entry for a key if it is live at `atMs`; never mutates. */
  private live(k: string, atMs: number): ShardEntry | undefined {
    const entry = this.entries.get(k);
    if (entry && entry.expireAtMs !== 0 && entry.expireAtMs <= atMs) return undefined;
    return entry;
  }

  private liveCount(atMs: number): number {
    let expired = 0;
    for (const entry of this.expiring.values()) if (entry.expireAtMs <= atMs) expired++;
    return this.entries.size - expired;
  }

  private ttl(key: Bytes, atMs: number): Reply {
    const entry = this.live(bytesToBinaryString(key), atMs);
    if (!entry) return { ok: true, found: false, integer: -2n };
    if (entry.expireAtMs === 0) return { ok: true, found: true, integer: -1n };
    return { ok: true, found: true, integer: BigInt(entry.expireAtMs - atMs) };
  }

  private getRange(key: Bytes, start: number, end: number, atMs: number): Reply {
    const entry = this.live(bytesToBinaryString(key), atMs);
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

  /**
   * One page of keys with the prefix, in bytewise key order, after the cursor
   * (the last key of the previous page). Keys present for the whole scan are
   * returned exactly once. Cost: O(n log limit) per page over the shard.
   */
  private scan(prefix: Bytes, cursor: Bytes, limit: number, withValues: boolean, atMs: number): Reply {
    assert(limit > 0, 'scan limit must be positive');
    const after = cursor.length > 0 ? bytesToBinaryString(cursor) : null;
    const p = prefix.length > 0 ? bytesToBinaryString(prefix) : '';
    let candidates: [string, ShardEntry][] = [];
    for (const pair of this.entries) {
      const [k, entry] = pair;
      if (after !== null && k <= after) continue;
      if (p.length > 0 && !k.startsWith(p)) continue;
      if (entry.expireAtMs !== 0 && entry.expireAtMs <= atMs) continue;
      candidates.push(pair);
      if (candidates.length > 4 * limit + 64) candidates = smallestByKey(candidates, limit + 1);
    }
    candidates = smallestByKey(candidates, limit + 1);
    const more = candidates.length > limit;
    if (more) candidates.length = limit;
    const items: ScanItem[] = [];
    let replyBytes = 0;
    for (const [k, entry] of candidates) {
      const item: ScanItem = withValues
        ? { key: binaryStringToBytes(k), value: entry.value, version: entry.version }
        : { key: binaryStringToBytes(k), version: entry.version };
      replyBytes += scanItemBytes(item);
      // Keep a page within half a frame; the rest comes on the next page.
      if (items.length > 0 && replyBytes > scanPageBytesMax(this.limits)) {
        return { ok: true, scanItems: items, cursor: items[items.length - 1]!.key };
      }
      items.push(item);
    }
    assert(items.every((it) => startsWith(it.key, prefix)), 'scan returned a key outside the prefix');
    const last = items.length > 0 ? items[items.length - 1]!.key : EMPTY;
    return { ok: true, scanItems: items, cursor: more ? last : EMPTY };
  }

  private mget(keys: Bytes[], atMs: number): Reply {
    const items: ItemReply[] = [];
    let replyBytes = 0;
    for (const key of keys) {
      const entry = this.live(bytesToBinaryString(key), atMs);
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

  /**
   * Active expiry: examine at most `entriesMax` keys with a TTL and list the
   * ones expired at the read time, with the expiry they were seen with.
   * Resumes where the last call stopped, so repeated calls cover every
   * expiring key. Changes no data: the caller proposes the command, and the
   * keys go when it is applied. Null when nothing is due.
   */
  collectExpired(readTimeMs: number, entriesMax = EXPIRY_SWEEP_ENTRIES_PER_STEP): ExpireKeysCommand | null {
    assert(entriesMax > 0 && entriesMax <= EXPIRE_KEYS_PER_COMMAND_MAX, 'sweep budget must be positive and fit one command');
    const atMs = this.readTime(readTimeMs);
    if (this.expiring.size === 0) return null;
    const keys: ExpireKeysCommand['keys'] = [];
    for (let examined = 0; examined < entriesMax; examined++) {
      this.sweepCursor ??= this.expiring.entries();
      const next = this.sweepCursor.next();
      if (next.done) {
        this.sweepCursor = null;
        break;
      }
      const [key, entry] = next.value;
      if (entry.expireAtMs <= atMs) keys.push({ key: binaryStringToBytes(key), expireAtMs: entry.expireAtMs });
    }
    return keys.length > 0 ? { op: 'expireKeys', keys } : null;
  }

  // ---- apply ----------------------------------------------------------------

  /** Apply the next log entry; returns the reply for whoever proposed it. */
  apply(entry: LogEntry): Reply {
    assert(entry.index === this.lastIndex + 1, () => `applied index must be contiguous: got ${entry.index} after ${this.lastIndex}`);
    assert(Number.isSafeInteger(entry.index), 'log index exhausted');
    assert(entry.timestampMs >= this.lastTimestampMs,
      () => `entry timestamps must not go back: ${entry.timestampMs} after ${this.lastTimestampMs}`);
    assert(entry.term >= this.lastTerm, () => `entry terms must not go back: ${entry.term} after ${this.lastTerm}`);
    assertAbsolute(entry.command);
    this.lastIndex = entry.index;
    this.lastTerm = entry.term;
    this.lastTimestampMs = entry.timestampMs;
    this.applyAtMs = entry.timestampMs;
    this.applyVersion = entry.index;
    return this.applyCommand(entry.command);
  }

  private applyCommand(cmd: Command): Reply {
    switch (cmd.op) {
      case 'set': return this.set(cmd);
      case 'del': return this.del(cmd);
      case 'incr': return this.incr(cmd.key, cmd.delta);
      case 'incrFloat': return this.incrFloat(cmd.key, cmd.delta);
      case 'append': return this.append(cmd.key, cmd.value);
      case 'expire': return this.expire(cmd.key, cmd.expireAtMs);
      case 'setRange': return this.setRange(cmd.key, cmd.offset, cmd.value);
      case 'getEx': return this.getEx(cmd);
      case 'mset': return this.mset(cmd.entries, cmd.ifNoneExist === true);
      case 'flush': return this.flush();
      case 'expireKeys': return this.expireKeys(cmd.keys);
      case 'noop': return { ok: true };
      default: return unreachable(cmd, 'command');
    }
  }

  /**
   * The live entry for a key at the applying entry's time. An expired one is
   * removed here: every replica does the same at the same index.
   */
  private current(k: string): ShardEntry | undefined {
    const entry = this.entries.get(k);
    if (entry && entry.expireAtMs !== 0 && entry.expireAtMs <= this.applyAtMs) {
      this.remove(k, entry);
      return undefined;
    }
    return entry;
  }

  private set(cmd: Op<'set'>): Reply {
    const k = bytesToBinaryString(cmd.key);
    const current = this.current(k);
    if (cmd.ifAbsent && current) return errReply('KEY_EXISTS', 'key exists and ifAbsent was set', current.version);
    if (cmd.ifPresent && !current) return errReply('NOT_FOUND', 'key does not exist and ifPresent was set');
    if (cmd.expectedVersion !== undefined) {
      const have = current ? current.version : 0;
      if (have !== cmd.expectedVersion) {
        return errReply('VERSION_MISMATCH', `expected version ${cmd.expectedVersion}, key has version ${have}`, have);
      }
    }
    let expireAtMs = 0;
    if (cmd.expireAtMs !== undefined) expireAtMs = cmd.expireAtMs;
    else if (cmd.keepTtl && current) expireAtMs = current.expireAtMs;
    const reply: OkReply = { ok: true };
    if (cmd.returnPrevious) {
      reply.previousFound = current !== undefined;
      if (current) reply.previousValue = current.value;
    }
    if (expireAtMs !== 0 && expireAtMs <= this.applyAtMs) {
      // Setting a key to expire in the past is a delete (as in Redis).
      if (current) this.remove(k, current);
      reply.version = this.applyVersion;
      return reply;
    }
    reply.version = this.store(k, current, copy(cmd.value), expireAtMs).version;
    return reply;
  }

  private del(cmd: Op<'del'>): Reply {
    const k = bytesToBinaryString(cmd.key);
    const current = this.current(k);
    if (cmd.expectedVersion !== undefined) {
      const have = current ? current.version : 0;
      if (have !== cmd.expectedVersion) {
        return errReply('VERSION_MISMATCH', `expected version ${cmd.expectedVersion}, key has version ${have}`, have);
      }
    }
    const reply: OkReply = { ok: true, found: current !== undefined };
    if (cmd.returnPrevious) {
      reply.previousFound = current !== undefined;
      if (current) reply.previousValue = current.value;
    }
    if (current) this.remove(k, current);
    return reply;
  }

  private incr(key: Bytes, delta: bigint): Reply {
    const k = bytesToBinaryString(key);
    const current = this.current(k);
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

  private incrFloat(key: Bytes, delta: number): Reply {
    const k = bytesToBinaryString(key);
    const current = this.current(k);
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

  private append(key: Bytes, value: Bytes): Reply {
    const k = bytesToBinaryString(key);
    const current = this.current(k);
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

  /** Set the expiry (absolute; at or before the entry's time deletes), or clear it (PERSIST) when absent. */
  private expire(key: Bytes, expireAtMs: number | undefined): Reply {
    const k = bytesToBinaryString(key);
    const current = this.current(k);
    if (!current) return { ok: true, found: false };
    if (expireAtMs === undefined) {
      // PERSIST: "found" tells whether a TTL was removed.
      if (current.expireAtMs === 0) return { ok: true, found: false, version: current.version };
      const entry = this.store(k, current, current.value, 0);
      return { ok: true, found: true, version: entry.version };
    }
    if (expireAtMs <= this.applyAtMs) {
      this.remove(k, current);
      return { ok: true, found: true };
    }
    const entry = this.store(k, current, current.value, expireAtMs);
    return { ok: true, found: true, version: entry.version };
  }

  private setRange(key: Bytes, offset: number, value: Bytes): Reply {
    const k = bytesToBinaryString(key);
    const current = this.current(k);
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

  private getEx(cmd: Op<'getEx'>): Reply {
    const k = bytesToBinaryString(cmd.key);
    const current = this.current(k);
    if (!current) return { ok: true, found: false };
    const value = current.value;
    let version = current.version;
    if (cmd.persist) {
      if (current.expireAtMs !== 0) version = this.store(k, current, value, 0).version;
    } else if (cmd.expireAtMs !== undefined) {
      if (cmd.expireAtMs <= this.applyAtMs) this.remove(k, current);
      else version = this.store(k, current, value, cmd.expireAtMs).version;
    }
    return { ok: true, found: true, value, version };
  }

  private mset(pairs: { key: Bytes; value: Bytes }[], ifNoneExist: boolean): Reply {
    if (ifNoneExist) {
      for (const { key } of pairs) {
        if (this.live(bytesToBinaryString(key), this.applyAtMs)) return { ok: true, found: false };
      }
    }
    for (const { key, value } of pairs) {
      const k = bytesToBinaryString(key);
      this.store(k, this.current(k), copy(value), 0);
    }
    return { ok: true, found: true, version: this.applyVersion };
  }

  private flush(): Reply {
    const removed = this.liveCount(this.applyAtMs);
    this.entries.clear();
    this.expiring.clear();
    this.sweepCursor = null;
    this.bytesHeld = 0;
    return { ok: true, integer: BigInt(removed) };
  }

  /** Remove the listed keys that still have the expiry the sweep saw and are due; the rest are kept. */
  private expireKeys(keys: ExpireKeysCommand['keys']): Reply {
    assert(keys.length <= EXPIRE_KEYS_PER_COMMAND_MAX, 'expireKeys command over its size limit');
    let removed = 0;
    for (const { key, expireAtMs } of keys) {
      const k = bytesToBinaryString(key);
      const entry = this.entries.get(k);
      if (entry && entry.expireAtMs === expireAtMs && expireAtMs !== 0 && expireAtMs <= this.applyAtMs) {
        this.remove(k, entry);
        removed++;
      }
    }
    return { ok: true, integer: BigInt(removed) };
  }

  // ---- storage primitives -------------------------------------------------

  private store(k: string, current: ShardEntry | undefined, value: Bytes, expireAtMs: number): ShardEntry {
    assert(value.length <= this.limits.valueBytesMax, 'stored value exceeds the value limit');
    const version = this.applyVersion;
    assert(version > 0 && version === this.lastIndex, 'a store happens only while applying an entry');
    if (current) {
      this.bytesHeld += value.length - current.value.length;
      current.value = value;
      current.version = version;
      if (current.expireAtMs !== 0 && expireAtMs === 0) this.expiring.delete(k);
      if (current.expireAtMs === 0 && expireAtMs !== 0) this.expiring.set(k, current);
      current.expireAtMs = expireAtMs;
      return current;
    }
    return this.insert(k, { value, version, expireAtMs });
  }

  private insert(k: string, entry: ShardEntry): ShardEntry {
    assert(!this.entries.has(k), 'inserting a key that is stored');
    this.entries.set(k, entry);
    this.bytesHeld += k.length + entry.value.length;
    if (entry.expireAtMs !== 0) this.expiring.set(k, entry);
    return entry;
  }

  private remove(k: string, entry: ShardEntry): void {
    assert(this.entries.get(k) === entry, 'removing an entry that is not stored');
    this.entries.delete(k);
    if (entry.expireAtMs !== 0) this.expiring.delete(k);
    this.bytesHeld -= k.length + entry.value.length;
  }

  // ---- snapshot and digest --------------------------------------------------

  /**
   * The whole state as bytes, with the index, term and timestamp it covers.
   * Keys in bytewise order, so equal states give equal bytes whatever order
   * they were written in.
   */
  snapshot(): Uint8Array {
    const keys = [...this.entries.keys()].sort();
    const entries: SnapshotEntry[] = keys.map((k) => {
      const e = this.entries.get(k)!;
      return { key: binaryStringToBytes(k), value: e.value, version: e.version, expireAtMs: e.expireAtMs };
    });
    return encodeSnapshot({ index: this.lastIndex, term: this.lastTerm, timestampMs: this.lastTimestampMs }, entries);
  }

  /** A new shard holding the state `snapshot()` produced; it continues at the snapshot's index + 1. */
  static restore(index: number, limits: Limits, bytes: Uint8Array): Shard {
    const { applied, entries } = decodeSnapshot(bytes);
    const shard = new Shard(index, limits);
    shard.lastIndex = applied.index;
    shard.lastTerm = applied.term;
    shard.lastTimestampMs = applied.timestampMs;
    for (const e of entries) {
      assert(e.version > 0 && e.version <= applied.index, 'snapshot holds a version beyond its index');
      assert(e.value.length <= limits.valueBytesMax, 'snapshot holds a value beyond the value limit');
      shard.insert(bytesToBinaryString(e.key), { value: e.value.slice(), version: e.version, expireAtMs: e.expireAtMs });
    }
    return shard;
  }

  /** A fingerprint of the state (entries and applied index/term/timestamp): equal on replicas at the same index. */
  digest(): string {
    const hash = new Fnv64();
    hash.addBytes(this.snapshot());
    return hash.hex();
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
