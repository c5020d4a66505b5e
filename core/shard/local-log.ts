// A shard fed by a log of one, applied at once, without Raft or storage:
// for tests and microbenchmarks of the shard alone (test/core/local-shard.ts,
// bench/). `propose` stamps the next index, term 1 and a timestamp, and
// applies the entry at once; `read` answers from the shard.
//
// Not the product path: a node alone runs each shard as a group of one
// (ShardReplica, core/shard/group-replica.ts), the same path as a cluster.

import { assert } from '../assert.js';
import type { Reply, Request } from '../protocol/ops.js';
import { commandOf, isWriteRequest, type LogEntry, type Proposal, type ReadRequest } from './command.js';
import type { Shard } from './shard.js';

/** What the worker needs of a shard's group: a way to write and a way to read. */
export interface ShardGroup {
  readonly shard: Shard;
  /** Log a write stamped with (at least) `nowMs` and reply once it is applied. */
  propose(proposal: Proposal, nowMs: number): Reply;
  /** Answer a read at (at least) `readTimeMs`. */
  read(request: ReadRequest, readTimeMs: number): Reply;
}

/** This log's term: no elections happen, so every entry is of term 1. */
export const LOCAL_TERM = 1;

export class LocalLog implements ShardGroup {
  constructor(readonly shard: Shard) {}

  propose(proposal: Proposal, nowMs: number): Reply {
    const shard = this.shard;
    // Never below the previous entry's time (entries' time is monotonic), nor
    // below what reads have already judged expiry at: a write must not find
    // alive a key that a read has already seen expired.
    const timestampMs = Math.max(nowMs, shard.appliedTimestampMs, shard.readClockMs);
    const entry: LogEntry = { index: shard.appliedIndex + 1, term: LOCAL_TERM, timestampMs, command: commandOf(proposal, timestampMs) };
    const reply = shard.apply(entry);
    assert(shard.appliedIndex === entry.index, 'the log of one applies each entry at once');
    return reply;
  }

  read(request: ReadRequest, readTimeMs: number): Reply {
    return this.shard.read(request, readTimeMs);
  }
}

/**
 * One step of active expiry on a group: the shard lists keys it sees expired
 * (at most `entriesMax` examined) and the list is proposed as one entry, so
 * keys leave memory through the log on every replica alike. Returns the
 * number of keys removed.
 */
export function sweepGroup(group: ShardGroup, nowMs: number, entriesMax?: number): number {
  const command = group.shard.collectExpired(nowMs, entriesMax);
  if (command === null) return 0;
  const reply = group.propose(command, nowMs);
  assert(reply.ok, 'an expireKeys entry cannot fail');
  return Number(reply.integer ?? 0n);
}

/** One request through a group: writes are proposed, reads are read. */
export function serveRequest(group: ShardGroup, request: Request, nowMs: number): Reply {
  return isWriteRequest(request) ? group.propose(request, nowMs) : group.read(request as ReadRequest, nowMs);
}
