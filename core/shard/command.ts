// What a shard's log carries: entries `{ index, term, timestampMs, command }`
// and the commands in them, and which requests are reads (answered from the
// state, never logged) and which are writes (proposed, then applied).
//
// A command is self-contained so that every replica applying it at the same
// index computes the same state: relative TTLs are made absolute with the
// entry's timestamp when proposed (`commandOf`), and everything time-dependent
// in the apply (NX/XX, CAS on an expired key, expiry in the past) is judged
// against the entry's timestamp, never a local clock.

import { assert } from '../assert.js';
import type {
  AppendRequest, Bytes, CallRequest, CountRequest, DelRequest, ExistsRequest, ExpireRequest, FlushRequest, GetExRequest,
  GetRangeRequest, GetRequest, IncrFloatRequest, IncrRequest, MGetRequest, MSetRequest, Request, ScanRequest,
  SetRangeRequest, SetRequest, TtlRequest, TxRequest,
} from '../protocol/ops.js';
import { TTL_MS_MAX } from '../protocol/validate.js';
import { isWriteCall } from '../types/call-request.js';

/** Requests answered from the state at the read's time; they never change it. GETEX without options is a read too. */
export type ReadRequest =
  | GetRequest | ExistsRequest | TtlRequest | GetRangeRequest | ScanRequest | MGetRequest | CountRequest | GetExRequest
  | CallRequest;

/** Requests that (may) change the state: they go through the log. A transaction always does, even of reads only (one point in the log). */
export type WriteRequest =
  | SetRequest | DelRequest | IncrRequest | IncrFloatRequest | AppendRequest | ExpireRequest | SetRangeRequest
  | GetExRequest | MSetRequest | FlushRequest | TxRequest | CallRequest;

/**
 * Physical removal of expired keys, proposed by the active expiry sweep (as a
 * Redis master sends DEL to its replicas). Each key carries the expiry it was
 * seen with: applying removes it only if it still has that expiry and it is
 * due at the entry's time, so a key rewritten since the sweep looked is kept.
 */
export interface ExpireKeysCommand {
  op: 'expireKeys';
  keys: { key: Bytes; expireAtMs: number }[];
}

/**
 * An entry that changes no data but still takes its index: a Raft leader's
 * no-op at the start of its term, or a membership change.
 */
export interface NoopCommand {
  op: 'noop';
  /** The log's identity, carried by a new log's first entry only (core/replica/entry-codec.ts). */
  logId?: number;
}

/** A write as it sits in the log: expiry absolute (`ttlMs` never set), an expiry sweep, or a no-op. */
export type Command = WriteRequest | ExpireKeysCommand | NoopCommand;

/** What a writer proposes: a client's write (relative TTLs allowed) or a sweep. */
export type Proposal = WriteRequest | ExpireKeysCommand;

export interface LogEntry {
  /** Position in the shard's log: 1, 2, 3, ... with no gaps. The version of every key it changes. */
  index: number;
  /** The leader's term when it proposed the entry (1 for a node alone). */
  term: number;
  /** The proposer's clock when it proposed, never lower than the previous entry's: the apply's "now". */
  timestampMs: number;
  command: Command;
}

/** Keys one expiry sweep may remove in one entry, so an entry stays small (the sweep budget bounds it too). */
export const EXPIRE_KEYS_PER_COMMAND_MAX = 1024;

/** Whether the request goes through the log (true) or is answered by a read (false). */
export function isWriteRequest(req: Request): req is WriteRequest {
  switch (req.op) {
    case 'get': case 'exists': case 'ttl': case 'getRange': case 'scan': case 'mget': case 'count':
      return false;
    case 'getEx':
      // GETEX without options only reads; with PERSIST or a TTL it changes the expiry.
      return req.persist === true || req.ttlMs !== undefined || req.expireAtMs !== undefined;
    case 'call':
      return isWriteCall(req);
    default:
      return true;
  }
}

/**
 * The command to log for a proposal stamped `timestampMs`: relative TTLs
 * become absolute now, once, so replicas applying later agree. Only SET,
 * EXPIRE and GETEX take a TTL; other proposals are logged as they are.
 */
export function commandOf(proposal: Proposal, timestampMs: number): Command {
  if (proposal.op === 'tx') {
    // Each op's relative TTL becomes absolute at the transaction's one timestamp.
    return { ...proposal, ops: proposal.ops.map((op) => (isWriteRequest(op) ? commandOf(op, timestampMs) as Request : op)) };
  }
  if ((proposal.op === 'set' || proposal.op === 'expire' || proposal.op === 'getEx') && proposal.ttlMs !== undefined) {
    const { ttlMs, ...rest } = proposal;
    // An absolute expiry given alongside wins over the relative one (ops.ts).
    const expireAtMs = rest.expireAtMs ?? Math.min(timestampMs + ttlMs, TTL_MS_MAX);
    return { ...rest, expireAtMs };
  }
  return proposal;
}

/** Asserts the log's own invariant on a command: no relative time reaches the apply. */
export function assertAbsolute(command: Command): void {
  if (command.op === 'tx') {
    for (const op of command.ops) assertAbsolute(op as Command);
    return;
  }
  assert(!('ttlMs' in command) || command.ttlMs === undefined, () => `a ${command.op} command in the log carries a relative TTL`);
}
