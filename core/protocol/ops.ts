// The request/reply model shared by every front door (WebSocket binary and
// JSON, HTTP, RESP) and by the shard state machine. Codecs translate their
// wire format to and from these plain objects; nothing else does.
//
// Keys and values are bytes. A version is the index of the shard's log entry
// that last changed the key: it only grows and never repeats (safe integers;
// 2^53 entries at 10M entries/s last 28 years).

import type { ErrorName } from '../errors.js';
import type { DataValue } from './data-value.js';

export type Bytes = Uint8Array;

export interface GetRequest { op: 'get'; key: Bytes }
export interface SetRequest {
  op: 'set';
  key: Bytes;
  value: Bytes;
  /** Only set if the key is absent (SET NX). */
  ifAbsent?: boolean;
  /** Only set if the key is present (SET XX). */
  ifPresent?: boolean;
  /** Compare-and-set: only set if the current version equals this. 0 means "must be absent". */
  expectedVersion?: number;
  /** Time to live in ms from now; absent = no expiry (clears any previous TTL unless keepTtl). */
  ttlMs?: number;
  /** Absolute expiry time in ms since the epoch (PXAT); wins over ttlMs. */
  expireAtMs?: number;
  /** Keep the existing TTL (SET KEEPTTL). */
  keepTtl?: boolean;
  /** Return the previous value (SET GET / GETSET). */
  returnPrevious?: boolean;
}
export interface DelRequest { op: 'del'; key: Bytes; expectedVersion?: number; returnPrevious?: boolean }
export interface IncrRequest { op: 'incr'; key: Bytes; delta: bigint }
export interface IncrFloatRequest { op: 'incrFloat'; key: Bytes; delta: number }
export interface AppendRequest { op: 'append'; key: Bytes; value: Bytes }
export interface ExistsRequest { op: 'exists'; key: Bytes }
/** Read the remaining time to live. */
export interface TtlRequest { op: 'ttl'; key: Bytes }
/** Set (ttlMs / expireAtMs) or clear (neither: PERSIST) the time to live of an existing key. */
export interface ExpireRequest { op: 'expire'; key: Bytes; ttlMs?: number; expireAtMs?: number }
export interface GetRangeRequest { op: 'getRange'; key: Bytes; start: number; end: number }
export interface SetRangeRequest { op: 'setRange'; key: Bytes; offset: number; value: Bytes }
/** Read the value and change its expiry in one step (GETEX); persist clears it. */
export interface GetExRequest { op: 'getEx'; key: Bytes; ttlMs?: number; expireAtMs?: number; persist?: boolean }
export interface ScanRequest {
  op: 'scan';
  prefix: Bytes;
  /** Opaque cursor from the previous page; empty for the first page. */
  cursor: Bytes;
  limit: number;
  /** Also return values (the REST listing does; key-only scans are cheaper). */
  withValues?: boolean;
  /**
   * RANDOMKEY: instead of a page from the cursor, at most one live key of the
   * cursor's shard, drawn by the shard store with a PRNG seeded from this u32
   * (the door picks it, so core stays deterministic). The reply's cursor is
   * empty (this shard is done), so the node moves on when the shard is empty.
   */
  randomSeed?: number;
}
export interface MGetRequest { op: 'mget'; keys: Bytes[] }
export interface MSetRequest { op: 'mset'; entries: { key: Bytes; value: Bytes }[]; ifNoneExist?: boolean }
/** Number of live keys (DBSIZE): expired keys not yet removed through the log do not count. */
export interface CountRequest { op: 'count' }
/** Remove every key (FLUSHDB). */
export interface FlushRequest { op: 'flush' }
/** A key's version as a transaction saw it (WATCH); 0: absent. */
export interface WatchedKey { key: Bytes; version: number }
/**
 * A transaction (RESP MULTI/EXEC, the JSON batch with `atomic`): one log
 * entry on the shard group owning every key it names (ops' keys and watched
 * keys), else refused with CROSS_SLOT. Applied at one index: first every
 * watched key's version is compared (any changed: `found: false`, nothing
 * applied); then each op in order, reads seeing the writes before them. An
 * op's own error (INCR on text) does not stop the others. Keyless ops (scan,
 * count, flush) and nested transactions are refused (core/protocol/transaction.ts).
 */
export interface TxRequest { op: 'tx'; ops: Request[]; watch: WatchedKey[] }
/**
 * A data command (hashes, lists, sets, sorted sets, bit and string commands:
 * core/types/): its Redis name in lower case and its arguments after the
 * name, as Redis has them (keys where its key spec says). The command table
 * (core/types/data-commands.ts) says which are keys, whether it writes, and
 * how it runs; its reply is OkReply.data.
 */
export interface CallRequest { op: 'call'; name: string; args: Bytes[] }

export type Request =
  | GetRequest | SetRequest | DelRequest | IncrRequest | IncrFloatRequest | AppendRequest
  | ExistsRequest | TtlRequest | ExpireRequest | GetRangeRequest | SetRangeRequest | GetExRequest
  | ScanRequest | MGetRequest | MSetRequest | CountRequest | FlushRequest | TxRequest | CallRequest;

export type OpName = Request['op'];

export const OP_NAMES: readonly OpName[] = [
  'get', 'set', 'del', 'incr', 'incrFloat', 'append', 'exists', 'ttl', 'expire',
  'getRange', 'setRange', 'getEx', 'scan', 'mget', 'mset', 'count', 'flush',
  // Appended, never inserted: an op's index is its opcode in ring records and log entries.
  'tx', 'call',
];

export interface ItemReply { found: boolean; value?: Bytes; version?: number }
export interface ScanItem { key: Bytes; value?: Bytes; version: number }

/**
 * A successful reply. Which fields are set depends on the op:
 * - get/getEx: found, value, version
 * - set: version (new); previous* when returnPrevious
 * - del: found (whether it existed); previous* when returnPrevious
 * - incr/append/setRange: version; integer (incr: new value; append/setRange: new length)
 * - incrFloat: value (decimal text of the new value), version
 * - exists: found
 * - ttl: integer (ms left; -1 = no expiry; -2 = no such key)
 * - expire: found (whether the key existed and the TTL changed)
 * - getRange: value
 * - scan: items, cursor (empty = done)
 * - mget: items; mset: found (false when ifNoneExist refused), version (last written)
 * - count: integer; flush: integer (keys removed)
 * - tx: found (false: a watched key changed and nothing was applied), replies (one per op, in order, when found)
 * - call: data (the command's reply as a tree: core/protocol/data-value.ts); version when it wrote
 */
export interface OkReply {
  ok: true;
  found?: boolean;
  value?: Bytes;
  version?: number;
  integer?: bigint;
  previousFound?: boolean;
  previousValue?: Bytes;
  items?: ItemReply[];
  scanItems?: ScanItem[];
  cursor?: Bytes;
  replies?: Reply[];
  data?: DataValue;
}

export interface ErrReply {
  ok: false;
  code: ErrorName;
  message: string;
  /** VERSION_MISMATCH and KEY_EXISTS: the version the key has now (0 = absent). */
  currentVersion?: number;
  /** NOT_LEADER: the replica id of the group's leader, when the replica knows it. */
  leaderHint?: number;
  /**
   * NOT_LEADER from a cluster node: the key's slot and the leader's client
   * endpoints (`host:port`, null when unknown), so each door can redirect in
   * its own protocol (RESP: MOVED).
   */
  redirect?: { slot: number; resp: string | null; http: string | null };
}

export type Reply = OkReply | ErrReply;

export function errReply(code: ErrorName, message: string, currentVersion?: number): ErrReply {
  return currentVersion === undefined ? { ok: false, code, message } : { ok: false, code, message, currentVersion };
}
