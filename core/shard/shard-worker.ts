// The worker side of a node's hot path, without the waiting: take request
// records off the request ring, serve them through the owning shard's group,
// put reply records on the reply ring. The runtime (a worker_thread, or the
// simulator) calls `drain` and does the sleeping/notifying that the result
// asks for.
//
// A group is either a log of one (LocalLog: a node alone; the reply is ready
// at once) or one replica of a replicated group (ShardReplica: writes are
// answered when committed and applied, reads once ReadIndex confirms them).
// Replicated groups also take peer messages (`stepPeer`), time (`tick`), and
// leave messages for their peers in `peerOutbox`.
//
// Ordering: a reply is written after its request is applied; requests of one
// ring are applied in ring order. Replies of replicated groups may leave out
// of request order: each carries its request's tag, and the IO side puts
// replies back in order per connection.

import { assert, unreachable } from '../assert.js';
import type { Limits } from '../limits.js';
import { errReply, type Reply, type Request } from '../protocol/ops.js';
import type { PeerFrame } from '../replica/peer-frame.js';
import type { ReplicaOutcome, ShardReplica } from '../replica/shard-replica.js';
import { ByteWriter } from '../ring/byte-writer.js';
import { decodeRequestRecord, encodeReplyRecord } from '../ring/ring-codec.js';
import type { SpscRing } from '../ring/spsc-ring.js';
import { isWriteRequest, type ReadRequest } from './command.js';
import { memoryRefusal } from './memory-budget.js';
import { LocalLog, serveRequest, sweepGroup, type ShardGroup } from './local-log.js';
import { Shard } from './shard.js';

/** A replicated group's outcome as the reply its client gets. */
export function replyOfOutcome(outcome: ReplicaOutcome, group: number): Reply {
  switch (outcome.kind) {
    case 'reply': return outcome.reply;
    case 'notLeader': {
      const reply = errReply('NOT_LEADER', `this replica does not lead group ${group}${outcome.leader ? `; replica ${outcome.leader} does` : ''}`);
      if (outcome.leader) reply.leaderHint = outcome.leader;
      return reply;
    }
    case 'unknown': return errReply('INDETERMINATE', `the outcome of this write in group ${group} is unknown: read before retrying`);
  }
}

/**
 * A request whose byte fields are views into ring memory, copied: a
 * replicated group holds requests past the ring record's release. Only the
 * fields that hold bytes are copied; the switch names every op, so a new op
 * with bytes cannot slip through uncopied.
 */
function ownedRequest(request: Request): Request {
  switch (request.op) {
    case 'get': case 'exists': case 'ttl': case 'del': case 'incr': case 'incrFloat': case 'expire': case 'getRange': case 'getEx':
      return { ...request, key: request.key.slice() };
    case 'set': case 'append': case 'setRange':
      return { ...request, key: request.key.slice(), value: request.value.slice() };
    case 'scan':
      return { ...request, prefix: request.prefix.slice(), cursor: request.cursor.slice() };
    case 'mget':
      return { ...request, keys: request.keys.map((k) => k.slice()) };
    case 'mset':
      return { ...request, entries: request.entries.map((e) => ({ key: e.key.slice(), value: e.value.slice() })) };
    case 'count': case 'flush':
      return request;
    default:
      return unreachable(request, 'request');
  }
}

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
  /** Each owned shard's group when the node is alone: a log of one (LocalLog). */
  readonly groups = new Map<number, ShardGroup>();
  /** Each owned shard's replica when the node is part of a cluster. */
  readonly replicas = new Map<number, ShardReplica>();
  /** Messages for peer replicas, ready to send (what they promise is persisted). */
  peerOutbox: PeerFrame[] = [];
  private readonly writer = new ByteWriter(64 * 1024);
  /** An encoded reply that did not fit the reply ring yet. */
  private pendingReply: Uint8Array | null = null;
  /** Replies of replicated groups, ready and not yet on the ring (tag, reply). */
  private readonly completed: { tag: number; reply: Reply }[] = [];
  private completedHead = 0;
  /** Replicated groups with work to carry out (process()) before the drain ends. */
  private readonly touched = new Set<ShardReplica>();
  /** Part of a cluster: a request for a group this worker does not host is NOT_LEADER, not a bug. */
  private readonly clustered: boolean;
  /** Each shard's share of --maxmemory in bytes (0: no limit); the runtime sets it (core/shard/memory-budget.ts). */
  memoryBudgetBytes = 0;

  constructor(
    shardIndexes: readonly number[],
    private readonly requests: SpscRing,
    private readonly replies: SpscRing,
    limits: Limits,
    /** Replicas for the shards of a clustered node; without it every shard is a log of one. */
    replicas?: ReadonlyMap<number, ShardReplica>,
  ) {
    // A clustered worker may host no replica at all (its node hosts few groups); a lone node's owns shards.
    assert(replicas !== undefined || shardIndexes.length > 0, 'a worker owns at least one shard');
    this.clustered = replicas !== undefined;
    if (replicas) for (const [shard, replica] of replicas) this.replicas.set(shard, replica);
    else for (const s of shardIndexes) this.groups.set(s, new LocalLog(new Shard(s, limits)));
  }

  /** Every owned shard's state, whichever kind of group holds it. */
  *shards(): Iterable<Shard> {
    for (const g of this.groups.values()) yield g.shard;
    for (const r of this.replicas.values()) yield r.shard;
  }

  /** Apply up to `recordsMax` requests, and write the replies replicated groups have ready. */
  drain(nowMs: number, recordsMax: number): DrainResult {
    let applied = 0;
    let blocked = false;
    // Replies written now must be published even if no request follows.
    let wrote = false;
    if (this.pendingReply && !this.replies.tryWrite(this.pendingReply)) {
      blocked = true;
    } else {
      wrote = this.pendingReply !== null;
      this.pendingReply = null;
      const flushed = this.writeCompleted();
      wrote ||= flushed.wrote;
      blocked = flushed.blocked;
      while (!blocked && applied < recordsMax) {
        const at = this.requests.peek();
        if (at < 0) break;
        const record = decodeRequestRecord(this.requests.data, at, at + this.requests.lastLength);
        const refused = this.memoryRefusal(record.shard, record.request);
        const replica = refused === null ? this.replicas.get(record.shard) : undefined;
        if (replica !== undefined) {
          this.submitToReplica(replica, record.tag, record.shard, record.request, nowMs);
          this.requests.release();
          applied++;
          continue;
        }
        const group = this.groups.get(record.shard);
        assert(group !== undefined || this.clustered, () => `request for shard ${record.shard} reached a worker that does not own it`);
        const reply = refused ?? (group !== undefined ? serveRequest(group, record.request, nowMs)
          : replyOfOutcome({ kind: 'notLeader', leader: 0 }, record.shard)); // no replica of that group here
        this.encodeReply(record.tag, reply);
        // The request's views into ring memory were last used by encode; only now may the space be reused.
        this.requests.release();
        applied++;
        wrote = true;
        if (!this.replies.tryWrite(this.writer.bytes())) {
          this.pendingReply = this.writer.bytes().slice();
          blocked = true;
          break;
        }
      }
      if (this.processReplicas(nowMs) && !blocked) {
        const after = this.writeCompleted();
        wrote ||= after.wrote;
        blocked = after.blocked;
      }
    }
    const notifyRequests = applied > 0 ? this.requests.flushHead() : false;
    const notifyReplies = wrote ? this.replies.publish() : false;
    return { applied, notifyReplies, notifyRequests, blockedOnReplies: blocked };
  }

  /** OUT_OF_MEMORY when the shard is over its memory budget and the request may grow it (core/shard/memory-budget.ts). */
  private memoryRefusal(shard: number, request: Request): Reply | null {
    if (this.memoryBudgetBytes === 0) return null;
    const owner = this.groups.get(shard)?.shard ?? this.replicas.get(shard)?.shard;
    return owner === undefined ? null : memoryRefusal(request, owner.usedBytes, this.memoryBudgetBytes);
  }

  private encodeReply(tag: number, reply: Reply): void {
    this.writer.reset();
    encodeReplyRecord(this.writer, tag, reply);
    if (this.writer.length > this.replies.payloadBytesMax) {
      // Limits bound value bytes, not per-item encoding overhead (an MGET of
      // many small values can outgrow a record): refuse, never crash the worker.
      const replyBytes = this.writer.length;
      this.writer.reset();
      encodeReplyRecord(this.writer, tag, errReply('LIMIT_EXCEEDED',
        `reply of ${replyBytes} bytes exceeds the ring record limit of ${this.replies.payloadBytesMax} bytes`));
    }
  }

  /** Write ready replies of replicated groups while the ring has room. */
  private writeCompleted(): { wrote: boolean; blocked: boolean } {
    let wrote = false;
    while (this.completedHead < this.completed.length) {
      const { tag, reply } = this.completed[this.completedHead]!;
      this.encodeReply(tag, reply);
      if (!this.replies.tryWrite(this.writer.bytes())) return { wrote, blocked: true };
      this.completed[this.completedHead++] = undefined as unknown as { tag: number; reply: Reply };
      wrote = true;
    }
    this.completed.length = 0;
    this.completedHead = 0;
    return { wrote, blocked: false };
  }

  private submitToReplica(replica: ShardReplica, tag: number, shard: number, request: Request, nowMs: number): void {
    const done = (outcome: ReplicaOutcome): void => { this.completed.push({ tag, reply: replyOfOutcome(outcome, shard) }); };
    const owned = ownedRequest(request);
    if (isWriteRequest(owned)) replica.propose(owned, nowMs, done);
    else replica.read(owned as ReadRequest, done);
    this.touched.add(replica);
  }

  /** Carry out the work of every replica touched since the last call; true if any reply became ready. */
  private processReplicas(nowMs: number): boolean {
    if (this.touched.size === 0) return false;
    const before = this.completed.length;
    for (const replica of this.touched) {
      replica.process(nowMs);
      for (const message of replica.outbox) this.peerOutbox.push({ group: replica.group, message });
      replica.outbox = [];
    }
    this.touched.clear();
    return this.completed.length > before;
  }

  /** Messages from peer replicas; the replies they complete are written at the next drain. */
  stepPeer(frames: readonly PeerFrame[], nowMs: number): void {
    for (const { group, message } of frames) {
      const replica = this.replicas.get(group);
      if (replica === undefined) continue; // a group this worker does not host (any more): Raft tolerates the loss
      replica.step(message);
      this.touched.add(replica);
    }
    this.processReplicas(nowMs);
  }

  /**
   * `ticks` Raft ticks for every replica (the runtime calls it every tick
   * interval, or with the ticks that passed once one comes due: ticksUntilDue).
   */
  tick(nowMs: number, ticks = 1): void {
    for (const replica of this.replicas.values()) {
      for (let t = 0; t < ticks; t++) replica.tick();
      this.touched.add(replica);
    }
    this.processReplicas(nowMs);
  }

  /** Ticks until some replica's tick may do something (Infinity: none ever); earlier ticks may be given late, in one call. */
  ticksUntilDue(): number {
    let due = Number.POSITIVE_INFINITY;
    for (const replica of this.replicas.values()) due = Math.min(due, replica.ticksUntilDue());
    return due;
  }

  /** Replies ready and not yet written (the runtime drains again when there are some). */
  get repliesWaiting(): number {
    return this.completed.length - this.completedHead + (this.pendingReply ? 1 : 0);
  }

  /** Take the messages for peers. */
  takePeerOutbox(): PeerFrame[] {
    const out = this.peerOutbox;
    this.peerOutbox = [];
    return out;
  }

  /**
   * Active expiry over every shard, bounded work: each shard lists the keys
   * it sees expired and the list is proposed as one expireKeys entry, so
   * keys leave memory through the log. Returns the number of keys removed.
   */
  sweepExpired(nowMs: number): number {
    let deleted = 0;
    for (const group of this.groups.values()) deleted += sweepGroup(group, nowMs);
    // A replicated group's leader proposes the expired keys it sees; followers learn it from the log.
    for (const replica of this.replicas.values()) {
      if (!replica.isLeader()) continue;
      const command = replica.shard.collectExpired(nowMs);
      if (command === null) continue;
      replica.propose(command, nowMs, () => {});
      this.touched.add(replica);
    }
    this.processReplicas(nowMs);
    return deleted;
  }

  /** Entries held over every shard (expired ones not yet removed included): for INFO's keyspace line. */
  get keyCount(): number {
    let n = 0;
    for (const shard of this.shards()) n += shard.size;
    return n;
  }
}
