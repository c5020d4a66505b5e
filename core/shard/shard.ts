// The shard state machine: keys to versioned values with optional expiry,
// held in a shard store (core/store/: our own hash index and slab pages, no
// JS object per key). Owns all data semantics (conditions, CAS, TTL, INCR,
// ...). Deterministic: time is an argument to every call; no I/O.
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
// - stored keys and values are copies owned by the store (requests may hold
//   views into transient buffers such as ring memory), and within limits;
// - no reply holds a view into the store: the store's views are valid only
//   until its next change, so values in replies are copies.

import { assert, unreachable } from '../assert.js';
import { startsWith } from '../bytes.js';
import { Fnv64 } from '../fnv64.js';
import type { Limits } from '../limits.js';
import {
  errReply, type Bytes, type ItemReply, type OkReply, type Reply, type Request, type ScanItem,
} from '../protocol/ops.js';
import { isTxAllowedOp, TX_OP_OVERHEAD_BYTES } from '../protocol/transaction.js';
import { scanItemBytes, scanPageBytesMax } from '../protocol/reply-size.js';
import { isInt64, parseInt64 } from '../int64.js';
import {
  assertAbsolute, EXPIRE_KEYS_PER_COMMAND_MAX, isWriteRequest, type Command, type ExpireKeysCommand, type LogEntry, type ReadRequest,
} from './command.js';
import { formatFloat, parseFiniteFloat } from './numbers.js';
import { decodeShardCursor, encodeShardCursor } from '../protocol/scan-cursor.js';
import { Random } from '../random.js';
import { ContentDigest } from '../store/content-digest.js';
import { SCAN_BUCKETS_PER_KEY_MAX, ShardStore } from '../store/store.js';
import { isCollection, type Collection } from '../store/collection.js';
import { ValueType } from '../store/value-type.js';
import { restoreValue } from '../types/collection-codecs.js';
import { writesWith } from '../types/data-command.js';
import { dataCommandOf } from '../types/data-commands.js';
import type { KeyAccess } from '../types/key-access.js';
import { wrongKind } from '../types/wrong-kind.js';
import { readSnapshot, SNAPSHOT_ENTRY_FIXED_BYTES, SnapshotError, type SnapshotApplied } from './snapshot.js';
import { LOG_ID_NONE } from '../replica/log-id.js';
import { SnapshotJob, snapshotBytesEstimate, WholeSnapshotJob } from './snapshot-job.js';
import type { ChangeKind, ChangeSink } from '../watch/change.js';

/** A key's place in the store (see core/store/store.ts); -1: absent. Valid until the store next changes. */
type Handle = number;
const ABSENT = -1;

/** Entries examined per active-expiry step, to bound the work per tick. */
export const EXPIRY_SWEEP_ENTRIES_PER_STEP = 64;

// The sweep's command must fit one entry.
assert(EXPIRY_SWEEP_ENTRIES_PER_STEP <= EXPIRE_KEYS_PER_COMMAND_MAX, 'a sweep step must fit one expireKeys command');

const textEncoder = new TextEncoder();
const EMPTY = new Uint8Array(0);
/**
 * Buckets a SCAN page may visit whatever its limit (Redis's bound is 10 per
 * key asked for): a prefix listing with a small limit over a big shard would
 * otherwise come back as a long run of empty pages, one round trip each.
 * About 100 µs of a worker's time at most (a visit reads a slot and rehashes
 * the keys homed there).
 */
export const SCAN_PAGE_BUCKETS_MIN = 1024;
/**
 * Draws RANDOMKEY makes before giving up on a shard whose keys are mostly
 * expired but not yet swept (Redis tries 100 times when every key has a TTL);
 * enough that a shard with a live key in 10 almost always answers one.
 */
export const RANDOM_KEY_DRAWS_MAX = 32;

type Op<K extends Command['op']> = Extract<Command, { op: K }>;

/** The reply to a string command on a key holding a collection (RESP: WRONGTYPE). */
const WRONG_KIND: Reply = Object.freeze(wrongKind());
/** Seeds each shard's PRNG for reads that choose at random (SRANDMEMBER ...): reads are not replicated, any seed does. */
const READ_RANDOM_SEED = 0x5eed_0001;

export class Shard {
  /** Every key's value, version (the index of the entry that last changed it, never 0) and expiry (0 = never). */
  private readonly store: ShardStore;
  private lastIndex = 0;
  private lastTerm = 0;
  private lastLogId = LOG_ID_NONE;
  private lastTimestampMs = 0;
  /** The latest time a read judged expiry at (not state: a replica's own clock floor). */
  private readFloorMs = 0;
  /** Bytes of keys and values held, for INFO / memory reporting. */
  private bytesHeld = 0;
  /** While applying: the entry's timestamp and index. */
  private applyAtMs = 0;
  private applyVersion = 0;
  /** Random choices of reads (writes seed theirs from the entry's index, the same on every replica). */
  private readonly readRandom: Random;
  /** Where applied changes go while the node records them for watches (core/watch/); null: not recording, a test per change. */
  changes: ChangeSink | null = null;

  constructor(readonly index: number, private readonly limits: Limits) {
    this.store = new ShardStore({ keyBytesMax: limits.keyBytesMax, valueBytesMax: limits.valueBytesMax });
    this.readRandom = Random.fromSeed(READ_RANDOM_SEED + index);
  }

  /** Entries stored, expired ones not yet removed by the log included. */
  get size(): number {
    return this.store.count;
  }

  get expiringSize(): number {
    return this.store.expiringCount;
  }

  /** Keys with a TTL due by `atMs` and still held (the simulator's sweep check); changes nothing, not even the read clock. */
  expiredHeldCount(atMs: number): number {
    let n = 0;
    this.store.forEachExpiring((h) => {
      if (this.store.expireAtOf(h) <= atMs) n++;
    });
    return n;
  }

  /** Bytes of keys and values (no overhead). */
  get dataBytes(): number {
    return this.bytesHeld;
  }

  /** Bytes the store holds from the system: index, pages, large values (for --maxmemory and INFO used_memory). */
  get usedBytes(): number {
    return this.store.usedBytes;
  }

  /** Index of the last applied entry (0: none yet). */
  get appliedIndex(): number {
    return this.lastIndex;
  }

  /** The identity of the log applied (core/replica/log-id.ts): from its first entry, or the snapshot restored. */
  get logId(): number {
    return this.lastLogId;
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
    return this.readAt(req, this.readTime(readTimeMs));
  }

  /** A read judged at `atMs` exactly: a read's clamped time, or a transaction's entry time. */
  private readAt(req: ReadRequest, atMs: number): Reply {
    switch (req.op) {
      case 'get': case 'getEx': {
        assert(req.op === 'get' || !(req.persist === true || req.ttlMs !== undefined || req.expireAtMs !== undefined),
          'a GETEX that changes the expiry is a write');
        const h = this.live(req.key, atMs);
        if (h === ABSENT) return { ok: true, found: false };
        if (!this.isString(h)) return WRONG_KIND;
        return { ok: true, found: true, value: this.store.valueOf(h).slice(), version: this.store.versionOf(h) };
      }
      case 'exists': return { ok: true, found: this.live(req.key, atMs) !== ABSENT };
      case 'ttl': return this.ttl(req.key, atMs);
      case 'getRange': return this.getRange(req.key, req.start, req.end, atMs);
      case 'scan': return req.randomSeed !== undefined ? this.randomKey(req.randomSeed, atMs)
        : this.scan(req.prefix, req.cursor, req.limit, req.withValues === true, atMs);
      case 'mget': return this.mget(req.keys, atMs);
      case 'count': return { ok: true, integer: BigInt(this.liveCount(atMs)) };
      case 'call': return this.call(req, this.keyAccess(atMs, 0, this.readRandom));
      default: return unreachable(req, 'read');
    }
  }

  private readTime(readTimeMs: number): number {
    const atMs = Math.max(readTimeMs, this.readFloorMs, this.lastTimestampMs);
    this.readFloorMs = atMs;
    return atMs;
  }

  /** The key's handle if it is live at `atMs`; never mutates. */
  private live(key: Bytes, atMs: number): Handle {
    const h = this.store.lookup(key);
    if (h === ABSENT) return ABSENT;
    const expireAtMs = this.store.expireAtOf(h);
    return expireAtMs !== 0 && expireAtMs <= atMs ? ABSENT : h;
  }

  private liveCount(atMs: number): number {
    let expired = 0;
    this.store.forEachExpiring((h) => {
      if (this.store.expireAtOf(h) <= atMs) expired++;
    });
    return this.store.count - expired;
  }

  private ttl(key: Bytes, atMs: number): Reply {
    const h = this.live(key, atMs);
    if (h === ABSENT) return { ok: true, found: false, integer: -2n };
    const expireAtMs = this.store.expireAtOf(h);
    if (expireAtMs === 0) return { ok: true, found: true, integer: -1n };
    return { ok: true, found: true, integer: BigInt(expireAtMs - atMs) };
  }

  private getRange(key: Bytes, start: number, end: number, atMs: number): Reply {
    const h = this.live(key, atMs);
    if (h !== ABSENT && !this.isString(h)) return WRONG_KIND;
    const value = h !== ABSENT ? this.store.valueOf(h) : EMPTY;
    const n = value.length;
    // Redis GETRANGE: negative offsets count from the end; end is inclusive.
    let from = start < 0 ? Math.max(0, n + start) : start;
    let to = end < 0 ? n + end : Math.min(end, n - 1);
    if (n === 0 || from > to || from >= n || to < 0) return { ok: true, found: h !== ABSENT, value: EMPTY };
    from = Math.max(0, from);
    to = Math.min(to, n - 1);
    return { ok: true, found: h !== ABSENT, value: value.slice(from, to + 1) };
  }

  /**
   * One page of live keys with the prefix, from the shard store's SCAN cursor
   * (core/protocol/scan-cursor.ts): O(page) work, not O(shard). Keys come in
   * the store's bucket order, not key order. Every key present for the whole
   * scan is returned at least once; a key may come twice (after the index
   * shrinks between pages), and keys added or removed meanwhile may or may
   * not come (Redis's SCAN guarantee). A page stops between buckets: at
   * `limit` keys, at half a frame of bytes, or after max(limit *
   * SCAN_BUCKETS_PER_KEY_MAX, SCAN_PAGE_BUCKETS_MIN) buckets (so a prefix
   * that matches little still costs a bounded page; such a page may be empty
   * with a cursor to go on).
   * One bucket holding more keys than `limit` is returned whole.
   */
  private scan(prefix: Bytes, cursor: Bytes, limit: number, withValues: boolean, atMs: number): Reply {
    assert(limit > 0, 'scan limit must be positive');
    let at = decodeShardCursor(cursor);
    if (at === null) return errReply('BAD_REQUEST', 'scan cursor is malformed');
    const store = this.store;
    const items: ScanItem[] = [];
    const bucket: Handle[] = [];
    const bucketItems: ScanItem[] = [];
    const bucketsMax = Math.max(limit * SCAN_BUCKETS_PER_KEY_MAX, SCAN_PAGE_BUCKETS_MIN);
    let replyBytes = 0;
    for (let buckets = 0; buckets < bucketsMax; buckets++) {
      bucket.length = 0;
      bucketItems.length = 0;
      const next = store.scanStep(at, bucket);
      let bucketBytes = 0;
      for (const h of bucket) {
        if (!store.keyHasPrefix(h, prefix)) continue;
        const expireAtMs = store.expireAtOf(h);
        if (expireAtMs !== 0 && expireAtMs <= atMs) continue;
        const item = this.scanItemOf(h, withValues);
        bucketBytes += scanItemBytes(item);
        bucketItems.push(item);
      }
      // A bucket that would overflow the page waits for the next one (the cursor stays on it).
      const overflows = items.length + bucketItems.length > limit || replyBytes + bucketBytes > scanPageBytesMax(this.limits);
      if (items.length > 0 && overflows) break;
      for (const item of bucketItems) items.push(item);
      replyBytes += bucketBytes;
      at = next;
      if (at === 0 || items.length >= limit) break;
    }
    assert(items.every((it) => startsWith(it.key, prefix)), 'scan returned a key outside the prefix');
    return { ok: true, scanItems: items, cursor: encodeShardCursor(at) };
  }

  /** A SCAN item: copies, since the store's views do not outlive its next change. */
  private scanItemOf(h: Handle, withValues: boolean): ScanItem {
    const key = this.store.keyOf(h).slice();
    // A collection has no one value to list: its key comes alone.
    return withValues && this.isString(h)
      ? { key, value: this.store.valueOf(h).slice(), version: this.store.versionOf(h) }
      : { key, version: this.store.versionOf(h) };
  }

  /**
   * RANDOMKEY on this shard: a live key drawn by the store with a PRNG seeded
   * from `seed`, as a one-item page (none when the shard is empty, or when
   * RANDOM_KEY_DRAWS_MAX draws all hit expired keys), with an empty cursor.
   */
  private randomKey(seed: number, atMs: number): Reply {
    const random = Random.fromSeed(seed);
    for (let draw = 0; draw < RANDOM_KEY_DRAWS_MAX; draw++) {
      const h = this.store.randomKey(random);
      if (h === ABSENT) break;
      const expireAtMs = this.store.expireAtOf(h);
      if (expireAtMs !== 0 && expireAtMs <= atMs) continue;
      return { ok: true, scanItems: [this.scanItemOf(h, false)], cursor: EMPTY };
    }
    return { ok: true, scanItems: [], cursor: EMPTY };
  }

  private mget(keys: Bytes[], atMs: number): Reply {
    const items: ItemReply[] = [];
    let replyBytes = 0;
    for (const key of keys) {
      const h = this.live(key, atMs);
      // As Redis's MGET: a key holding a collection reads as absent.
      if (h === ABSENT || !this.isString(h)) {
        items.push({ found: false });
        continue;
      }
      const value = this.store.valueOf(h);
      replyBytes += value.length;
      if (replyBytes > this.limits.frameBytesMax) {
        return errReply('LIMIT_EXCEEDED', `values add up to more than the frame limit of ${this.limits.frameBytesMax} bytes`);
      }
      items.push({ found: true, value: value.slice(), version: this.store.versionOf(h) });
    }
    return { ok: true, items };
  }

  /**
   * Active expiry: examine at most `entriesMax` keys with a TTL and list the
   * ones expired at the read time, with the expiry they were seen with (the
   * store's adaptive cycle: samples repeat while mostly due). Resumes where
   * the last call stopped, so repeated calls cover every expiring key.
   * Changes no data: the caller proposes the command, and the keys go when it
   * is applied. Null when nothing is due.
   */
  collectExpired(readTimeMs: number, entriesMax = EXPIRY_SWEEP_ENTRIES_PER_STEP): ExpireKeysCommand | null {
    assert(entriesMax > 0 && entriesMax <= EXPIRE_KEYS_PER_COMMAND_MAX, 'sweep budget must be positive and fit one command');
    const atMs = this.readTime(readTimeMs);
    if (this.store.expiringCount === 0) return null;
    const due: Handle[] = [];
    this.store.collectExpired(atMs, due, entriesMax);
    if (due.length === 0) return null;
    const keys = due.map((h) => ({ key: this.store.keyOf(h).slice(), expireAtMs: this.store.expireAtOf(h) }));
    return { op: 'expireKeys', keys };
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
      case 'tx': return this.tx(cmd);
      case 'call': return this.call(cmd, this.keyAccess(this.applyAtMs, this.applyVersion, Random.fromSeed(this.applyVersion)));
      case 'noop':
        if (cmd.logId !== undefined) {
          // Only a new log's first entry carries one (Raft.firstEntryData); every replica takes it at index 1.
          assert(this.lastIndex === 1, () => `a logId entry at index ${this.lastIndex}, not a log's first`);
          this.lastLogId = cmd.logId;
          this.changes?.identify(this.index, cmd.logId);
        }
        return { ok: true };
      default: return unreachable(cmd, 'command');
    }
  }

  /**
   * The live key's handle at the applying entry's time. An expired one is
   * removed here: every replica does the same at the same index.
   */
  private current(key: Bytes): Handle {
    const h = this.store.lookup(key);
    if (h === ABSENT) return ABSENT;
    const expireAtMs = this.store.expireAtOf(h);
    if (expireAtMs !== 0 && expireAtMs <= this.applyAtMs) {
      this.remove(key, h, 'expire');
      return ABSENT;
    }
    return h;
  }

  private versionOf(h: Handle): number {
    return h === ABSENT ? 0 : this.store.versionOf(h);
  }

  private expireAtOf(h: Handle): number {
    return h === ABSENT ? 0 : this.store.expireAtOf(h);
  }

  private set(cmd: Op<'set'>): Reply {
    const current = this.current(cmd.key);
    if (cmd.ifAbsent && current !== ABSENT) return errReply('KEY_EXISTS', 'key exists and ifAbsent was set', this.versionOf(current));
    if (cmd.ifPresent && current === ABSENT) return errReply('NOT_FOUND', 'key does not exist and ifPresent was set');
    if (cmd.expectedVersion !== undefined) {
      const have = this.versionOf(current);
      if (have !== cmd.expectedVersion) {
        return errReply('VERSION_MISMATCH', `expected version ${cmd.expectedVersion}, key has version ${have}`, have);
      }
    }
    // SET ... GET (GETSET) reads the old value first, and a collection has none (Redis refuses with WRONGTYPE).
    if (cmd.returnPrevious && current !== ABSENT && !this.isString(current)) return WRONG_KIND;
    let expireAtMs = 0;
    if (cmd.expireAtMs !== undefined) expireAtMs = cmd.expireAtMs;
    else if (cmd.keepTtl) expireAtMs = this.expireAtOf(current);
    const reply: OkReply = { ok: true };
    if (cmd.returnPrevious) {
      reply.previousFound = current !== ABSENT;
      // A copy: the store's view would not survive the write below.
      if (current !== ABSENT) reply.previousValue = this.store.valueOf(current).slice();
    }
    if (expireAtMs !== 0 && expireAtMs <= this.applyAtMs) {
      // Setting a key to expire in the past is a delete (as in Redis).
      if (current !== ABSENT) this.remove(cmd.key, current);
      reply.version = this.applyVersion;
      return reply;
    }
    reply.version = this.put(cmd.key, current, cmd.value, expireAtMs);
    return reply;
  }

  private del(cmd: Op<'del'>): Reply {
    const current = this.current(cmd.key);
    if (cmd.expectedVersion !== undefined) {
      const have = this.versionOf(current);
      if (have !== cmd.expectedVersion) {
        return errReply('VERSION_MISMATCH', `expected version ${cmd.expectedVersion}, key has version ${have}`, have);
      }
    }
    if (cmd.returnPrevious && current !== ABSENT && !this.isString(current)) return WRONG_KIND;
    const reply: OkReply = { ok: true, found: current !== ABSENT };
    if (cmd.returnPrevious) {
      reply.previousFound = current !== ABSENT;
      if (current !== ABSENT) reply.previousValue = this.store.valueOf(current).slice();
    }
    if (current !== ABSENT) this.remove(cmd.key, current);
    return reply;
  }

  private incr(key: Bytes, delta: bigint): Reply {
    const current = this.current(key);
    if (current !== ABSENT && !this.isString(current)) return WRONG_KIND;
    let base = 0n;
    if (current !== ABSENT) {
      const parsed = parseInt64(this.store.valueOf(current));
      if (parsed === null) return errReply('WRONG_TYPE', 'value is not an integer or out of range');
      base = parsed;
    }
    const result = base + delta;
    if (!isInt64(result)) {
      return errReply('OVERFLOW', 'increment or decrement would overflow');
    }
    const version = this.put(key, current, textEncoder.encode(result.toString()), this.expireAtOf(current));
    return { ok: true, integer: result, version };
  }

  private incrFloat(key: Bytes, delta: number): Reply {
    const current = this.current(key);
    if (current !== ABSENT && !this.isString(current)) return WRONG_KIND;
    let base = 0;
    if (current !== ABSENT) {
      const parsed = parseFiniteFloat(this.store.valueOf(current));
      if (parsed === null) return errReply('WRONG_TYPE', 'value is not a valid float');
      base = parsed;
    }
    const result = base + delta;
    if (!Number.isFinite(result)) return errReply('OVERFLOW', 'increment would produce NaN or Infinity');
    const text = textEncoder.encode(formatFloat(result));
    const version = this.put(key, current, text, this.expireAtOf(current));
    return { ok: true, value: text, version };
  }

  private append(key: Bytes, value: Bytes): Reply {
    const current = this.current(key);
    if (current !== ABSENT && !this.isString(current)) return WRONG_KIND;
    const old = current !== ABSENT ? this.store.valueOf(current) : EMPTY;
    if (old.length + value.length > this.limits.valueBytesMax) {
      return errReply('VALUE_TOO_LARGE', `appending would make the value ${old.length + value.length} bytes; the limit is ${this.limits.valueBytesMax}`);
    }
    const next = new Uint8Array(old.length + value.length);
    next.set(old, 0);
    next.set(value, old.length);
    const version = this.put(key, current, next, this.expireAtOf(current));
    return { ok: true, integer: BigInt(next.length), version };
  }

  /** Set the expiry (absolute; at or before the entry's time deletes), or clear it (PERSIST) when absent. */
  private expire(key: Bytes, expireAtMs: number | undefined): Reply {
    const current = this.current(key);
    if (current === ABSENT) return { ok: true, found: false };
    if (expireAtMs === undefined) {
      // PERSIST: "found" tells whether a TTL was removed.
      if (this.store.expireAtOf(current) === 0) return { ok: true, found: false, version: this.store.versionOf(current) };
      const version = this.reexpire(key, current, 0);
      return { ok: true, found: true, version };
    }
    if (expireAtMs <= this.applyAtMs) {
      this.remove(key, current);
      return { ok: true, found: true };
    }
    const version = this.reexpire(key, current, expireAtMs);
    return { ok: true, found: true, version };
  }

  private setRange(key: Bytes, offset: number, value: Bytes): Reply {
    const current = this.current(key);
    if (current !== ABSENT && !this.isString(current)) return WRONG_KIND;
    const old = current !== ABSENT ? this.store.valueOf(current) : EMPTY;
    if (value.length === 0) return { ok: true, integer: BigInt(old.length), version: this.versionOf(current) };
    const newLength = Math.max(old.length, offset + value.length);
    assert(newLength <= this.limits.valueBytesMax, 'setRange beyond the value limit passed validation');
    const next = new Uint8Array(newLength);
    next.set(old, 0);
    next.set(value, offset);
    const version = this.put(key, current, next, this.expireAtOf(current));
    return { ok: true, integer: BigInt(newLength), version };
  }

  private getEx(cmd: Op<'getEx'>): Reply {
    const current = this.current(cmd.key);
    if (current === ABSENT) return { ok: true, found: false };
    if (!this.isString(current)) return WRONG_KIND;
    // A copy for the reply, taken before the write below moves or reuses the record.
    const value = this.store.valueOf(current).slice();
    let version = this.store.versionOf(current);
    if (cmd.persist) {
      if (this.store.expireAtOf(current) !== 0) version = this.put(cmd.key, current, value, 0);
    } else if (cmd.expireAtMs !== undefined) {
      if (cmd.expireAtMs <= this.applyAtMs) this.remove(cmd.key, current);
      else version = this.put(cmd.key, current, value, cmd.expireAtMs);
    }
    return { ok: true, found: true, value, version };
  }

  private mset(pairs: { key: Bytes; value: Bytes }[], ifNoneExist: boolean): Reply {
    if (ifNoneExist) {
      for (const { key } of pairs) {
        if (this.live(key, this.applyAtMs) !== ABSENT) return { ok: true, found: false };
      }
    }
    for (const { key, value } of pairs) this.put(key, this.current(key), value, 0);
    return { ok: true, found: true, version: this.applyVersion };
  }

  private flush(): Reply {
    const removed = this.liveCount(this.applyAtMs);
    if (this.changes !== null) this.reportFlush(this.changes);
    this.store.clear();
    this.bytesHeld = 0;
    return { ok: true, integer: BigInt(removed) };
  }

  /**
   * A transaction, whole at this entry's index and time: if any watched key's
   * version changed (a key expired or deleted since reads as 0), nothing is
   * applied and the reply says so (`found: false`); else each op in order, a
   * read seeing the writes before it, an op's error leaving the others be.
   * The reply must fit one frame: an op whose values (a read's, a write's
   * previous value) would take the reply's past txReplyValueBytesMax is not
   * run and answers LIMIT_EXCEEDED instead (judged on the state, so every
   * replica skips the same ops).
   */
  private tx(cmd: Op<'tx'>): Reply {
    for (const { key, version } of cmd.watch) {
      if (this.versionOf(this.current(key)) !== version) return { ok: true, found: false };
    }
    const budget = this.txReplyValueBytesMax(cmd.ops.length);
    let valueBytes = 0;
    const replies: Reply[] = [];
    for (const op of cmd.ops) {
      assert(isTxAllowedOp(op.op), 'a keyless or nested op in a transaction passed validation');
      const bytes = this.replyValueBytesOf(op);
      if (bytes > 0 && valueBytes + bytes > budget) {
        replies.push(errReply('LIMIT_EXCEEDED', `the transaction's reply would pass ${budget} bytes of values; this command was not run`));
        continue;
      }
      valueBytes += bytes;
      replies.push(isWriteRequest(op) ? this.applyCommand(op as Command) : this.readAt(op as ReadRequest, this.applyAtMs));
    }
    return { ok: true, found: true, replies };
  }

  /** Bytes of values a transaction of `ops` ops may carry in its reply: a frame, less room for each reply's other fields. */
  private txReplyValueBytesMax(ops: number): number {
    return this.limits.frameBytesMax - (ops + 1) * TX_OP_OVERHEAD_BYTES;
  }

  /** At most the value bytes an op's reply carries, from the state before it runs. */
  private replyValueBytesOf(op: Request): number {
    const valueLength = (key: Bytes): number => {
      const h = this.live(key, this.applyAtMs);
      return h === ABSENT || !this.isString(h) ? 0 : this.store.valueOf(h).length;
    };
    switch (op.op) {
      case 'get': case 'getEx': case 'getRange': return valueLength(op.key);
      case 'set': case 'del': return op.returnPrevious ? valueLength(op.key) : 0;
      case 'mget': return op.keys.reduce((n, key) => n + valueLength(key), 0);
      // INCRBYFLOAT's reply is its number's text.
      case 'incrFloat': return 32;
      default: return 0;
    }
  }

  /** Remove the listed keys that still have the expiry the sweep saw and are due; the rest are kept. */
  private expireKeys(keys: ExpireKeysCommand['keys']): Reply {
    assert(keys.length <= EXPIRE_KEYS_PER_COMMAND_MAX, 'expireKeys command over its size limit');
    let removed = 0;
    for (const { key, expireAtMs } of keys) {
      const h = this.store.lookup(key);
      if (h !== ABSENT && this.store.expireAtOf(h) === expireAtMs && expireAtMs !== 0 && expireAtMs <= this.applyAtMs) {
        this.remove(key, h, 'expire');
        removed++;
      }
    }
    return { ok: true, integer: BigInt(removed) };
  }

  // ---- storage primitives -------------------------------------------------

  /**
   * Store the value under the key (the store copies both: requests may hold
   * views into ring memory) at the applying entry's version; `current` is
   * the key's handle or ABSENT. Returns the version.
   */
  private put(key: Bytes, current: Handle, value: Bytes, expireAtMs: number, type: ValueType = ValueType.STRING): number {
    assert(value.length <= this.limits.valueBytesMax, 'stored value exceeds the value limit');
    const version = this.applyVersion;
    assert(version > 0 && version === this.lastIndex, 'a store happens only while applying an entry');
    this.bytesHeld += current !== ABSENT ? value.length - this.valueBytesOf(current) : key.length + value.length;
    this.store.set(key, value, version, expireAtMs, type);
    this.recordSet(key, type, value);
    return version;
  }

  /** put() for a large collection (the store keeps the object). */
  private putCollection(key: Bytes, current: Handle, collection: Collection, expireAtMs: number): number {
    const version = this.applyVersion;
    assert(version > 0 && version === this.lastIndex, 'a store happens only while applying an entry');
    // Measured before the store holds it: a replaced record may be this very collection (a new expiry).
    const bytes = collection.memoryBytes;
    this.bytesHeld += current !== ABSENT ? bytes - this.valueBytesOf(current) : key.length + bytes;
    this.store.setCollection(key, collection, version, expireAtMs);
    this.recordSet(key, collection.type, null);
    return version;
  }

  /**
   * Tell watchers (core/watch/) the key was set at this entry: a string with
   * its value; a collection without one (a watch reports that it changed and
   * its version; read it for its contents).
   */
  private recordSet(key: Bytes, type: ValueType, value: Bytes | null): void {
    this.changes?.record(this.index, this.applyVersion, 'set', key, type === ValueType.STRING ? value : null);
  }

  /** The key's value as it is, under a new expiry (0 = none), at this entry's version: EXPIRE and PERSIST on any type. */
  private reexpire(key: Bytes, h: Handle, expireAtMs: number): number {
    const collection = this.store.collectionOf(h);
    if (collection !== null) return this.putCollection(key, h, collection, expireAtMs);
    return this.put(key, h, this.store.valueOf(h), expireAtMs, this.store.typeOf(h));
  }

  /** Remove a key while applying; `kind` says why, for watches: deleted by a command, or its TTL ran out. */
  private remove(key: Bytes, h: Handle, kind: ChangeKind = 'delete'): void {
    this.bytesHeld -= key.length + this.valueBytesOf(h);
    assert(this.store.delete(key), 'removing a key that is not stored');
    this.changes?.record(this.index, this.applyVersion, kind, key, null);
  }

  /** FLUSH as changes: each live key deleted, each held key whose TTL ran out expired (a watcher saw neither go yet). */
  private reportFlush(changes: ChangeSink): void {
    this.store.forEach((h) => {
      const expireAtMs = this.store.expireAtOf(h);
      changes.record(this.index, this.applyVersion, expireAtMs !== 0 && expireAtMs <= this.applyAtMs ? 'expire' : 'delete', this.store.keyOf(h), null);
    });
  }

  /** Bytes the key's value holds: a string's or compact encoding's length, or a large collection's memory. */
  private valueBytesOf(h: Handle): number {
    const collection = this.store.collectionOf(h);
    return collection !== null ? collection.memoryBytes : this.store.valueOf(h).length;
  }

  private isString(h: Handle): boolean {
    return this.store.typeOf(h) === ValueType.STRING;
  }

  // ---- data commands ----------------------------------------------------------

  /** A data command (core/types/), on this shard's keys through `keys`. */
  private call(req: Op<'call'>, keys: KeyAccess): Reply {
    const command = dataCommandOf(req.name);
    assert(command !== undefined, () => `an unknown data command ${req.name} passed validation`);
    assert(writesWith(command, req.args) === (keys.version > 0), () => `${req.name} run as a ${keys.version > 0 ? 'write' : 'read'}`);
    return command.run(keys, req.args);
  }

  /**
   * The shard's keys as a data command sees them (core/types/key-access.ts):
   * at `atMs`; writable when `version` > 0 (the entry being applied).
   */
  private keyAccess(atMs: number, version: number, random: Random): KeyAccess {
    const store = this.store;
    const writing = version > 0;
    const assertWriting = (): void => assert(writing, 'a read changed the state');
    const keepOr = (h: Handle, expireAtMs: number | undefined): number => expireAtMs ?? this.expireAtOf(h);
    return {
      atMs, version, limits: this.limits, random,
      find: (key) => (writing ? this.current(key) : this.live(key, atMs)),
      typeOf: (h) => store.typeOf(h),
      bytesOf: (h) => store.valueOf(h),
      collectionOf: (h) => store.collectionOf(h),
      versionOf: (h) => store.versionOf(h),
      expireAtOf: (h) => store.expireAtOf(h),
      putBytes: (key, h, type, bytes, expireAtMs) => {
        assertWriting();
        this.put(key, h, bytes, keepOr(h, expireAtMs), type);
        return store.lookup(key);
      },
      putCollection: (key, h, collection, expireAtMs) => {
        assertWriting();
        this.putCollection(key, h, collection, keepOr(h, expireAtMs));
        return store.lookup(key);
      },
      edit: (h, change) => {
        assertWriting();
        const before = this.valueBytesOf(h);
        const result = store.editCollection(h, version, change);
        this.bytesHeld += this.valueBytesOf(h) - before;
        if (this.changes !== null) this.recordSet(store.keyOf(h).slice(), store.typeOf(h), null);
        return result;
      },
      setExpiry: (key, h, expireAtMs) => {
        assertWriting();
        assert(expireAtMs === 0 || expireAtMs > atMs, 'an expiry already past is a delete');
        this.reexpire(key, h, expireAtMs);
      },
      remove: (key, h) => {
        assertWriting();
        this.remove(key, h);
      },
    };
  }

  // ---- snapshot and digest --------------------------------------------------

  /**
   * Start a snapshot of the state as it is now (this applied index, term and
   * timestamp), produced a chunk per `job.step()` while entries go on being
   * applied (core/shard/snapshot-job.ts). Run it to its end or cancel it.
   */
  beginSnapshot(): SnapshotJob {
    return new SnapshotJob(this.store, this.appliedHeader());
  }

  /** `beginSnapshot()` for a caller that needs the snapshot in one piece: its last step returns the whole. */
  beginWholeSnapshot(): WholeSnapshotJob {
    return new WholeSnapshotJob(this.beginSnapshot(), snapshotBytesEstimate(this.store));
  }

  /**
   * The whole state as bytes in one call (a snapshot job run to its end at
   * once): for tests and small shards; a worker steps a job instead. Entries
   * come in the store's layout order: equal states restore to equal states
   * and have equal digests, but their bytes may differ.
   */
  snapshot(): Uint8Array {
    const job = new SnapshotJob(this.store, this.appliedHeader(), snapshotBytesEstimate(this.store));
    const chunk = job.step(Infinity);
    assert(chunk !== null && job.done, 'a snapshot run at once ends in one step');
    return chunk;
  }

  /** What a snapshot of the state as it is now covers. */
  private appliedHeader(): SnapshotApplied {
    return { index: this.lastIndex, term: this.lastTerm, timestampMs: this.lastTimestampMs, logId: this.lastLogId };
  }

  /**
   * A new shard holding the state a snapshot (in one piece) describes; it
   * continues at the snapshot's index + 1. Throws SnapshotError when the
   * bytes are not a valid snapshot or do not fit `limits`.
   * `entriesToApply`: the entries the caller will apply right after (a
   * restart's log after the snapshot); the store is sized for the
   * snapshot's keys plus one per entry (a SET adds at most one; the index
   * still grows if more come), so a replay that adds keys does not grow it
   * again: measured on a restart of 1M keys, half of them in the log, that
   * was 0.3-0.45 s of the replica's 1.5 s start (docs/durability.md).
   */
  static restore(index: number, limits: Limits, bytes: Uint8Array, entriesToApply = 0): Shard {
    assert(Number.isSafeInteger(entriesToApply) && entriesToApply >= 0, 'a count of entries to apply');
    const shard = new Shard(index, limits);
    const store = shard.store;
    const digest = new ContentDigest();
    const summary = readSnapshot(bytes, (e) => {
      if (e.key.length > limits.keyBytesMax) throw new SnapshotError(`a key of ${e.key.length} bytes is over the limit of ${limits.keyBytesMax}`);
      const value = restoreValue(e.type, e.value);
      if (typeof value === 'string') throw new SnapshotError(`an entry of type ${e.type} cannot be restored: ${value}`);
      if (!isCollection(value) && value.length > limits.valueBytesMax) {
        throw new SnapshotError(`a value of ${value.length} bytes is over the limit of ${limits.valueBytesMax}`);
      }
      const countBefore = store.count;
      if (isCollection(value)) store.setCollection(e.key, value, e.version, e.expireAtMs);
      else store.set(e.key, value, e.version, e.expireAtMs, e.type);
      // A replace instead of an insert: the shard is thrown away, so no need to look before.
      if (store.count === countBefore) throw new SnapshotError('a key appears twice');
      digest.add(e.key, 0, e.key.length, e.value, 0, e.value.length, e.version, e.expireAtMs, e.type);
      shard.bytesHeld += e.key.length + (isCollection(value) ? value.memoryBytes : value.length);
    }, (header) => {
      // Sized once for every key rather than grown key by key (each doubling rehashes every key so far); a
      // damaged count cannot exceed the entries the bytes could hold, so it never asks for a huge index.
      store.reserve(Math.min(header.count, Math.floor(bytes.length / SNAPSHOT_ENTRY_FIXED_BYTES)) + entriesToApply);
    });
    if (digest.lo !== summary.digestLo || digest.hi !== summary.digestHi) {
      throw new SnapshotError('the entries do not match the digest in the trailer (damaged in storage or transit?)');
    }
    shard.lastIndex = summary.applied.index;
    shard.lastTerm = summary.applied.term;
    shard.lastTimestampMs = summary.applied.timestampMs;
    shard.lastLogId = summary.applied.logId;
    return shard;
  }

  /**
   * A fingerprint of the state (applied index, term, timestamp, and every
   * entry's key, value, version and expiry): equal on replicas with equal
   * state at the same index, whatever order they built it in. One pass over
   * the store summing per-entry hashes (core/store/content-digest.ts):
   * nothing is sorted, copied or encoded.
   */
  digest(): string {
    // (A large collection is hashed through its image: Collection.encode.)
    const content = this.store.contentDigest();
    const hash = new Fnv64();
    hash.addInt(this.lastIndex);
    hash.addInt(this.lastTerm);
    hash.addInt(this.lastTimestampMs);
    hash.addInt(this.store.count);
    hash.addU32(content.lo);
    hash.addU32(content.hi);
    return hash.hex();
  }
}
