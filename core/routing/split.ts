// Splitting requests that name keys on several shards into one sub-request
// per shard, and joining the sub-replies back into one reply in the client's
// key order. Each sub-request is atomic on its shard; the whole is not
// (documented in docs/protocol.md).

import { assert, unreachable } from '../assert.js';
import { errReply, type ItemReply, type OkReply, type Reply, type Request } from '../protocol/ops.js';
import { CROSS_SLOT_MESSAGE, keysOfRequest, txKeys } from '../protocol/transaction.js';
import { callKeys } from '../types/call-request.js';
import { slotOf } from './slot-hash.js';
import type { SlotMap } from './slot-map.js';

export interface SubRequest { shard: number; request: Request }

export interface Plan {
  parts: SubRequest[];
  /** Combine the sub-replies (same order as `parts`) into the client's reply. */
  join(replies: Reply[]): Reply;
}

const firstReply = (replies: Reply[]): Reply => replies[0]!;

export function planRequest(req: Request, slots: SlotMap): Plan {
  switch (req.op) {
    case 'mget': return planMGet(req, slots);
    case 'mset': return planMSet(req, slots);
    case 'count': case 'flush': return planEveryShard(req, slots);
    case 'scan': {
      const decoded = decodeScanCursor(req.cursor, slots.shardCount);
      if (!decoded) return { parts: [], join: () => errReply('BAD_REQUEST', 'scan cursor is malformed') };
      const { shard, inner } = decoded;
      return { parts: [{ shard, request: { ...req, cursor: inner } }], join: firstReply };
    }
    case 'get': case 'set': case 'del': case 'incr': case 'incrFloat': case 'append': case 'exists':
    case 'ttl': case 'expire': case 'getRange': case 'setRange': case 'getEx':
      return { parts: [{ shard: slots.shardOf(slotOf(req.key)), request: req }], join: firstReply };
    case 'tx': case 'call': return planOneGroup(req, slots);
    default:
      return unreachable(req, 'request');
  }
}

function firstError(replies: Reply[]): Reply | null {
  for (const r of replies) if (!r.ok) return r;
  return null;
}

function planMGet(req: Extract<Request, { op: 'mget' }>, slots: SlotMap): Plan {
  const byShard = new Map<number, number[]>(); // shard -> positions in req.keys
  req.keys.forEach((key, i) => {
    const shard = slots.shardOf(slotOf(key));
    let positions = byShard.get(shard);
    if (!positions) byShard.set(shard, (positions = []));
    positions.push(i);
  });
  const shards = [...byShard.keys()];
  const parts = shards.map((shard) => ({
    shard,
    request: { op: 'mget' as const, keys: byShard.get(shard)!.map((i) => req.keys[i]!) },
  }));
  return {
    parts,
    join(replies) {
      const error = firstError(replies);
      if (error) return error;
      const items: ItemReply[] = new Array(req.keys.length);
      replies.forEach((reply, p) => {
        const positions = byShard.get(shards[p]!)!;
        const got = (reply as OkReply).items!;
        assert(got.length === positions.length, 'mget sub-reply has the wrong number of items');
        positions.forEach((pos, j) => { items[pos] = got[j]!; });
      });
      return { ok: true, items };
    },
  };
}

function planMSet(req: Extract<Request, { op: 'mset' }>, slots: SlotMap): Plan {
  const byShard = new Map<number, { key: Uint8Array; value: Uint8Array }[]>();
  for (const entry of req.entries) {
    const shard = slots.shardOf(slotOf(entry.key));
    let list = byShard.get(shard);
    if (!list) byShard.set(shard, (list = []));
    list.push(entry);
  }
  const parts = [...byShard].map(([shard, entries]) => ({
    shard,
    request: req.ifNoneExist ? { op: 'mset' as const, entries, ifNoneExist: true } : { op: 'mset' as const, entries },
  }));
  return {
    parts,
    join(replies) {
      const error = firstError(replies);
      if (error) return error;
      const found = replies.every((r) => (r as OkReply).found !== false);
      return { ok: true, found };
    },
  };
}

/**
 * A transaction, or a data command naming several keys (SMOVE, SINTERSTORE,
 * LMOVE ...), goes whole to the one shard owning all its keys (a
 * transaction's ops' and watched keys), never split: split, it would not be
 * atomic. Keys of several shards are refused up front, nothing applied (hash
 * tags `{...}` put keys on one slot). A transaction without keys (an empty
 * EXEC): nothing to do.
 */
function planOneGroup(req: Extract<Request, { op: 'tx' | 'call' }>, slots: SlotMap): Plan {
  const keys = keysOfRequest(req);
  if (keys.length === 0) {
    assert(req.op === 'tx', 'a data command names a key (validated)');
    return { parts: [], join: () => ({ ok: true, found: true, replies: [] }) };
  }
  const shard = slots.shardOf(slotOf(keys[0]!));
  for (const key of keys) {
    if (slots.shardOf(slotOf(key)) !== shard) {
      const what = req.op === 'tx' ? "a transaction's keys" : `the keys of ${req.name.toUpperCase()}`;
      const refusal = errReply('CROSS_SLOT', `${CROSS_SLOT_MESSAGE}: ${what} must all live on one shard group (use a hash tag, {...})`);
      return { parts: [], join: () => refusal };
    }
  }
  return { parts: [{ shard, request: req }], join: firstReply };
}

function planEveryShard(req: Extract<Request, { op: 'count' | 'flush' }>, slots: SlotMap): Plan {
  const parts: SubRequest[] = [];
  for (let shard = 0; shard < slots.shardCount; shard++) parts.push({ shard, request: req });
  return {
    parts,
    join(replies) {
      const error = firstError(replies);
      if (error) return error;
      let total = 0n;
      for (const r of replies) total += (r as OkReply).integer ?? 0n;
      return { ok: true, integer: total };
    },
  };
}

// ---- scan cursors -----------------------------------------------------------
// A node-level cursor is [shard (u16 big-endian)] ++ [the shard's own cursor]
// (core/protocol/scan-cursor.ts: the shard store's bucket cursor). Empty means
// "from the start"; the reply's empty cursor means "done". A node page is
// joined from shard pages in shard order; a page that would pass the byte
// budget is not cut inside (a shard cursor sits between buckets): the next
// node page asks that shard again from the same cursor.

/**
 * Shard pages one node-level SCAN page may gather. A shard's page stops
 * after a bounded number of buckets, so a prefix that matches few keys gives
 * short pages; the node asks on (the same shard from its new cursor, or the
 * next shard) to fill the client's page, but within this many round trips
 * to the workers, so one client page costs bounded work.
 */
export const SCAN_ROUNDS_PER_PAGE_MAX = 16;

export function encodeScanCursor(shard: number, inner: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + inner.length);
  out[0] = shard >> 8;
  out[1] = shard & 0xff;
  out.set(inner, 2);
  return out;
}

/** The shard and its cursor, or null when the cursor cannot have come from this node. */
export function decodeScanCursor(cursor: Uint8Array, shardCount: number): { shard: number; inner: Uint8Array } | null {
  if (cursor.length === 0) return { shard: 0, inner: new Uint8Array(0) };
  if (cursor.length < 2) return null;
  const shard = (cursor[0]! << 8) | cursor[1]!;
  if (shard >= shardCount) return null;
  return { shard, inner: cursor.subarray(2) };
}

/**
 * After one shard's page: the node-level cursor to hand out, or, when the
 * shard is exhausted and more shards remain, the next shard to continue on.
 */
export function advanceScan(shard: number, shardCount: number, innerNext: Uint8Array): { cursor: Uint8Array; nextShard: number | null } {
  if (innerNext.length > 0) return { cursor: encodeScanCursor(shard, innerNext), nextShard: null };
  if (shard + 1 < shardCount) return { cursor: encodeScanCursor(shard + 1, new Uint8Array(0)), nextShard: shard + 1 };
  return { cursor: new Uint8Array(0), nextShard: null };
}

/**
 * The key a request is routed by in a cluster: its key, a multi-key
 * request's first (the node it reaches splits the rest), null for keyless
 * requests (count, flush, scan).
 */
export function routingKeyOf(req: Request): Uint8Array | null {
  switch (req.op) {
    case 'mget': return req.keys[0] ?? null;
    case 'mset': return req.entries[0]?.key ?? null;
    case 'count': case 'flush': case 'scan': return null;
    case 'tx': return txKeys(req)[0] ?? null;
    case 'call': return callKeys(req)[0] ?? null;
    default: return req.key;
  }
}
