// The worker side of a node's hot path, without the waiting: take request
// records off the request ring, serve them through the owning shard's group
// (writes proposed to its log, reads answered from its state; see
// local-log.ts), put reply records on the reply ring. The runtime (a worker_thread, or the simulator)
// calls `drain` and does the sleeping/notifying that the result asks for.
//
// Ordering: a reply is written after its request is applied; requests of one
// ring are applied in ring order, so replies leave in request order.

import { assert } from '../assert.js';
import type { Limits } from '../limits.js';
import { errReply } from '../protocol/ops.js';
import { ByteWriter } from '../ring/byte-writer.js';
import { decodeRequestRecord, encodeReplyRecord } from '../ring/ring-codec.js';
import type { SpscRing } from '../ring/spsc-ring.js';
import { LocalLog, serveRequest, sweepGroup, type ShardGroup } from './local-log.js';
import { Shard } from './shard.js';

export interface DrainResult {
  /** Requests applied in this call. */
  applied: number;
  /** The reply ring's consumer sleeps: notify it. */
  notifyReplies: boolean;
  /** The request ring's producer waits for space: notify it. */
  notifyRequests: boolean;
  /** Stopped because the reply ring is full: wait for space, then drain again. */
  blockedOnReplies: boolean;
}

export class ShardWorker {
  /** Each owned shard's group: today a log of one (LocalLog). */
  readonly groups = new Map<number, ShardGroup>();
  private readonly writer = new ByteWriter(64 * 1024);
  /** An encoded reply that did not fit the reply ring yet. */
  private pendingReply: Uint8Array | null = null;

  constructor(
    shardIndexes: readonly number[],
    private readonly requests: SpscRing,
    private readonly replies: SpscRing,
    limits: Limits,
  ) {
    assert(shardIndexes.length > 0, 'a worker owns at least one shard');
    for (const s of shardIndexes) this.groups.set(s, new LocalLog(new Shard(s, limits)));
  }

  /** Apply up to `recordsMax` requests. */
  drain(nowMs: number, recordsMax: number): DrainResult {
    let applied = 0;
    let blocked = false;
    // A pending reply written now must be published even if no request follows.
    let wrotePending = false;
    if (this.pendingReply && !this.replies.tryWrite(this.pendingReply)) {
      blocked = true;
    } else {
      wrotePending = this.pendingReply !== null;
      this.pendingReply = null;
      while (applied < recordsMax) {
        const at = this.requests.peek();
        if (at < 0) break;
        const record = decodeRequestRecord(this.requests.data, at, at + this.requests.lastLength);
        const group = this.groups.get(record.shard);
        assert(group !== undefined, () => `request for shard ${record.shard} reached a worker that does not own it`);
        const reply = serveRequest(group, record.request, nowMs);
        this.writer.reset();
        encodeReplyRecord(this.writer, record.tag, reply);
        if (this.writer.length > this.replies.payloadBytesMax) {
          // Limits bound value bytes, not per-item encoding overhead (an MGET of
          // many small values can outgrow a record): refuse, never crash the worker.
          const replyBytes = this.writer.length;
          this.writer.reset();
          encodeReplyRecord(this.writer, record.tag, errReply('LIMIT_EXCEEDED',
            `reply of ${replyBytes} bytes exceeds the ring record limit of ${this.replies.payloadBytesMax} bytes`));
        }
        // The request's views into ring memory were last used by encode; only now may the space be reused.
        this.requests.release();
        applied++;
        if (!this.replies.tryWrite(this.writer.bytes())) {
          this.pendingReply = this.writer.bytes().slice();
          blocked = true;
          break;
        }
      }
    }
    const notifyRequests = applied > 0 ? this.requests.flushHead() : false;
    const notifyReplies = applied > 0 || wrotePending ? this.replies.publish() : false;
    return { applied, notifyReplies, notifyRequests, blockedOnReplies: blocked };
  }

  /**
   * Active expiry over every shard, bounded work: each shard lists the keys
   * it sees expired and the list is proposed as one expireKeys entry, so
   * keys leave memory through the log. Returns the number of keys removed.
   */
  sweepExpired(nowMs: number): number {
    let deleted = 0;
    for (const group of this.groups.values()) deleted += sweepGroup(group, nowMs);
    return deleted;
  }

  /** Entries held over every shard (expired ones not yet removed included): for INFO's keyspace line. */
  get keyCount(): number {
    let n = 0;
    for (const group of this.groups.values()) n += group.shard.size;
    return n;
  }
}
