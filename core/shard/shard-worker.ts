// The worker side of a node's hot path, without the waiting: take request
// records off the request ring, serve them through the owning shard's group,
// put reply records on the reply ring. The runtime (a worker_thread, or the
// simulator) calls `drain` and does the sleeping/notifying that the result
// asks for.
//
// Every group is a replica of a replicated group (ShardReplica): writes are
// answered when committed and applied, reads once linearizable. A node alone
// is a cluster of one (core/shard/group-replica.ts): its groups commit as
// soon as an entry is persisted, and a read with nothing pending is answered
// at once. Groups also take peer messages (`stepPeer`), time (`tick`), and
// leave messages for their peers in `peerOutbox`.
//
// Batching: a drain proposes every write it takes off the ring, then runs
// each touched group's Ready once (processReplicas): one persist and one
// sync for all of them, and only then are their replies written.
//
// Ordering: a reply is written after its request is applied and synced;
// requests of one ring are applied in ring order. Replies may leave out of
// request order: each carries its request's tag, and the IO side puts
// replies back in order per connection.

import { assert, unreachable } from '../assert.js';
import type { Limits } from '../limits.js';
import { errReply, type Reply, type Request } from '../protocol/ops.js';
import { Random } from '../random.js';
import type { PeerFrame } from '../replica/peer-frame.js';
import type { OutcomeCallback, ReplicaOutcome, ShardReplica } from '../replica/shard-replica.js';
import { ByteWriter } from '../ring/byte-writer.js';
import { decodeRequestRecord, encodeReplyRecord } from '../ring/ring-codec.js';
import type { SpscRing } from '../ring/spsc-ring.js';
import { isWriteRequest, type ReadRequest } from './command.js';
import { startVolatileLoneReplica } from './group-replica.js';
import { memoryRefusal } from './memory-budget.js';
import type { Shard } from './shard.js';
import { ChangeOutbox } from '../watch/change-record.js';
import { LEADER_WAIT_TICKS, LeaderWait, type LeaderWaitCounts, type WaitingRequest } from './leader-wait.js';

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

/** NOT_LEADER for a request of `group`, naming the leader its replica knows now (none: TRYAGAIN on RESP). */
function notLeaderNow(group: HostedGroup): Reply {
  return replyOfOutcome({ kind: 'notLeader', leader: group.replica.leader() }, group.replica.group);
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
    case 'tx':
      return { op: 'tx', ops: request.ops.map(ownedRequest), watch: request.watch.map((w) => ({ key: w.key.slice(), version: w.version })) };
    case 'call':
      return { op: 'call', name: request.name, args: request.args.map((a) => a.slice()) };
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
  /**
   * A snapshot job is under way in some group: drain again rather than sleep.
   * A job steps once per process() call; left to an idle worker's wake-ups
   * it would hold its state-sized buffer (and the log it would compact) for
   * minutes.
   */
  snapshotting: boolean;
}

/** A group this worker hosts: its replica, and the one callback that turns its outcomes into replies. */
export interface HostedGroup {
  readonly replica: ShardReplica;
  readonly onOutcome: OutcomeCallback;
  /** Has work to carry out (process()) before the drain ends. */
  touched: boolean;
  /** Requests held until the group has a leader (core/shard/leader-wait.ts); null: none. */
  waiting: LeaderWait | null;
}

export class ShardWorker {
  /** Each hosted group's replica, by group (= shard index). */
  readonly replicas = new Map<number, ShardReplica>();
  /** Messages for peer replicas, ready to send (what they promise is persisted). */
  peerOutbox: PeerFrame[] = [];
  private readonly hosted = new Map<number, HostedGroup>();
  private readonly writer = new ByteWriter(64 * 1024);
  /** An encoded reply that did not fit the reply ring yet. */
  private pendingReply: Uint8Array | null = null;
  /** Replies ready and not yet on the ring, as two parallel queues (no object per reply). */
  /** Replies ready, [completedHead, completedCount): the arrays are reused, never shrunk (setting an array's length is a slow path). */
  private readonly completedTags: number[] = [];
  private readonly completedReplies: Reply[] = [];
  private completedHead = 0;
  private completedCount = 0;
  /** Groups with work to carry out before the drain ends: the first touchedCount (`length = 0` would free the array's store, and the next touch allocate it again). */
  private readonly touched: HostedGroup[] = [];
  private touchedCount = 0;
  /** Part of a cluster: a request for a group this worker does not host is NOT_LEADER, not a bug. */
  private readonly clustered: boolean;
  /** Keys removed by the expiry sweep's entries, as their outcomes arrive. */
  private sweptKeys = 0;
  private readonly onSweepOutcome: OutcomeCallback = (outcome) => {
    if (outcome.kind === 'reply' && outcome.reply.ok) this.sweptKeys += Number(outcome.reply.integer ?? 0n);
  };
  /** Each shard's share of --maxmemory in bytes (0: no limit); the runtime sets it (core/shard/memory-budget.ts). */
  memoryBudgetBytes = 0;
  /**
   * Ticks a request may wait for its group's leader (core/shard/leader-wait.ts);
   * 0: refuse at once. The simulator draws it per seed.
   */
  leaderWaitTicks = LEADER_WAIT_TICKS;
  leaderWaitCounts: LeaderWaitCounts = { held: 0, refused: 0 };
  /** Ticks given to this worker so far (the clock of held requests). */
  private ticks = 0;
  /** The groups holding requests. */
  private readonly waitingGroups: HostedGroup[] = [];
  /** Changes for the IO thread's watches (core/watch/), once recordChanges() was called; null: none recorded. */
  private changeOutbox: ChangeOutbox | null = null;
  /** The shard each group reports its changes from (a snapshot install replaces a group's shard: it must begin again). */
  private readonly reportingShards = new Map<number, Shard>();

  constructor(
    /**
     * The shards routed to this worker when its node is alone (each a group
     * of one); empty for a clustered worker, whose replicas say what it hosts.
     */
    shardIndexes: readonly number[],
    private readonly requests: SpscRing,
    private readonly replies: SpscRing,
    limits: Limits,
    /** The replicas to host (runtime-node and the simulator open their storage); without it, groups of one in memory. */
    replicas?: ReadonlyMap<number, ShardReplica>,
  ) {
    assert(replicas !== undefined || shardIndexes.length > 0, 'a worker owns at least one shard');
    this.clustered = shardIndexes.length === 0;
    const hosted = replicas ?? new Map(shardIndexes.map((group) => [group,
      startVolatileLoneReplica(group, limits, Random.fromSeed(group), 0)]));
    for (const [group, replica] of hosted) {
      assert(replica.group === group, 'a replica is hosted under its own group');
      this.host(replica);
    }
    for (const s of shardIndexes) assert(this.hosted.has(s), () => `shard ${s} of a lone node's worker has no replica`);
  }

  /** A cluster node starts hosting a group at run time (a replica moved here: runtime-node/cluster/replica-mover.ts). */
  addReplica(replica: ShardReplica): void {
    assert(this.clustered && !this.hosted.has(replica.group), () => `group ${replica.group} is hosted already, or this worker is not clustered`);
    this.host(replica);
  }

  private host(replica: ShardReplica): void {
    const group = replica.group;
    this.replicas.set(group, replica);
    const onOutcome: OutcomeCallback = (outcome, tag) => this.complete(tag, replyOfOutcome(outcome, group));
    this.hosted.set(group, { replica, onOutcome, touched: false, waiting: null });
  }

  /** Every hosted group's state. */
  *shards(): Iterable<Shard> {
    for (const r of this.replicas.values()) yield r.shard;
  }

  /**
   * From now on report every applied change of every hosted group on the
   * reply ring (core/watch/change-record.ts), for the IO thread's watches.
   * The reports begin at the next drain, each group's with a begin record.
   */
  recordChanges(outbox: ChangeOutbox = new ChangeOutbox()): void {
    // `outbox`: the simulator passes one that also tells its watch checker what the shards reported.
    this.changeOutbox ??= outbox;
  }

  /** Hook the change outbox into every group's shard that does not report yet, announcing where its reports begin. */
  private attachChanges(outbox: ChangeOutbox): void {
    for (const [group, replica] of this.replicas) {
      const shard = replica.shard;
      if (this.reportingShards.get(group) === shard) continue;
      shard.changes = outbox;
      this.reportingShards.set(group, shard);
      outbox.begin(group, shard.appliedIndex, shard.logId);
    }
  }

  /** Apply up to `recordsMax` requests, and write the replies that are ready. */
  drain(nowMs: number, recordsMax: number): DrainResult {
    if (this.changeOutbox !== null) this.attachChanges(this.changeOutbox);
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
        const group = this.hosted.get(record.shard);
        assert(group !== undefined || this.clustered, () => `request for shard ${record.shard} reached a worker that does not own it`);
        const reply = group === undefined ? replyOfOutcome({ kind: 'notLeader', leader: 0 }, record.shard) // no replica of that group here
          : this.memoryRefusal(group.replica.shard, record.request) ?? this.admit(group, record.tag, record.request, this.requests.lastLength, nowMs);
        if (reply === null) {
          // Answered later (applied, or read when linearizable): the group kept what it needs of the request.
          this.requests.release();
          applied++;
          continue;
        }
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
      // Groups waiting for a background sync look whether it finished; with no request this turn, the snapshots under
      // way step too (a request-less turn is the idle worker's time for them).
      for (const group of this.hosted.values()) {
        if (group.replica.awaitingSync || (applied === 0 && group.replica.snapshotUnderway)) this.touch(group);
      }
      if (this.processReplicas(nowMs) && !blocked) {
        const after = this.writeCompleted();
        wrote ||= after.wrote;
        blocked = after.blocked;
      }
    }
    const notifyRequests = applied > 0 ? this.requests.flushHead() : false;
    const notifyReplies = wrote ? this.replies.publish() : false;
    let snapshotting = false;
    for (const group of this.hosted.values()) snapshotting ||= group.replica.snapshotUnderway;
    return { applied, notifyReplies, notifyRequests, blockedOnReplies: blocked, snapshotting };
  }

  /** serve(), unless the group has no leader to take the request: then held (null), or refused when it may hold no more. */
  private admit(group: HostedGroup, tag: number, request: Request, recordBytes: number, nowMs: number): Reply | null {
    if ((group.waiting === null && !group.replica.awaitsLeader()) || this.leaderWaitTicks === 0) return this.serve(group, tag, request, nowMs);
    if (group.waiting === null) {
      group.waiting = new LeaderWait();
      this.waitingGroups.push(group);
    }
    // Refused outright, not served: served now, it could overtake the held requests before it.
    if (!group.waiting.fits(recordBytes)) {
      this.leaderWaitCounts.refused++;
      return notLeaderNow(group);
    }
    this.leaderWaitCounts.held++;
    group.waiting.push({ tag, request: ownedRequest(request), bytes: recordBytes, sinceTick: this.ticks });
    return null;
  }

  /**
   * Groups that have a leader again release what they held, in arrival
   * order: served here if this replica leads, else every one of them (reads
   * too) NOT_LEADER naming the leader, so the client sends them there again
   * in the order it sent them (a read served here would overtake a write
   * before it that goes there). True if any group was touched.
   */
  private releaseWaiting(nowMs: number): boolean {
    let touched = false;
    for (let i = 0; i < this.waitingGroups.length; i++) {
      const group = this.waitingGroups[i]!;
      if (group.replica.awaitsLeader()) continue;
      const waiting = group.waiting!;
      group.waiting = null;
      this.waitingGroups.splice(i--, 1);
      const leads = group.replica.isLeader();
      while (waiting.size > 0) {
        const { tag, request } = this.takeHeld(waiting);
        const reply = leads ? this.serve(group, tag, request, nowMs) : notLeaderNow(group);
        if (reply !== null) this.complete(tag, reply);
      }
      touched = true;
      this.touch(group);
    }
    return touched;
  }

  /** The next held request to release: the oldest (a test overrides it to plant a bug). */
  protected takeHeld(waiting: LeaderWait): WaitingRequest {
    return waiting.shift();
  }

  /** Held requests that waited LEADER_WAIT ticks are refused, as they would have been on arrival. */
  private expireWaiting(): void {
    for (const group of this.waitingGroups) {
      const waiting = group.waiting!;
      while (waiting.size > 0 && this.ticks - waiting.oldestTick >= this.leaderWaitTicks) {
        this.leaderWaitCounts.refused++;
        this.complete(waiting.shift().tag, notLeaderNow(group));
      }
    }
  }

  /**
   * One request into its group: the reply if it is ready now (a read with
   * nothing pending before it), else null and the reply comes through the
   * group's outcome callback. Writes are encoded into the log at once, so
   * only a read that must wait copies its request out of ring memory.
   */
  protected serve(group: HostedGroup, tag: number, request: Request, nowMs: number): Reply | null {
    const replica = group.replica;
    if (isWriteRequest(request)) {
      // Held: the ring space of this drain is returned only after processReplicas (flushHead), so its bytes stay put until then.
      replica.proposeHeld(request, nowMs, group.onOutcome, tag);
    } else {
      const reply = replica.readNow(request as ReadRequest, nowMs);
      if (reply !== null) return reply;
      replica.read(ownedRequest(request) as ReadRequest, group.onOutcome, tag);
    }
    this.touch(group);
    return null;
  }

  /** A reply ready for the ring (written at the end of this drain, or the next one). */
  protected complete(tag: number, reply: Reply): void {
    this.completedTags[this.completedCount] = tag;
    this.completedReplies[this.completedCount++] = reply;
  }

  private touch(group: HostedGroup): void {
    if (group.touched) return;
    group.touched = true;
    this.touched[this.touchedCount++] = group;
  }

  /** OUT_OF_MEMORY when the shard is over its memory budget and the request may grow it (core/shard/memory-budget.ts). */
  private memoryRefusal(shard: Shard, request: Request): Reply | null {
    if (this.memoryBudgetBytes === 0) return null;
    return memoryRefusal(request, shard.usedBytes, this.memoryBudgetBytes);
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

  /** Write ready replies while the ring has room. */
  private writeCompleted(): { wrote: boolean; blocked: boolean } {
    let wrote = false;
    // Changes first: the IO thread learns of a write's change no later than of its reply.
    if (this.changeOutbox !== null && this.changeOutbox.pending > 0) {
      wrote = this.changeOutbox.writeTo(this.replies) > 0;
      if (this.changeOutbox.pending > 0) return { wrote, blocked: true };
    }
    const tags = this.completedTags;
    const replies = this.completedReplies;
    while (this.completedHead < this.completedCount) {
      this.encodeReply(tags[this.completedHead]!, replies[this.completedHead]!);
      if (!this.replies.tryWrite(this.writer.bytes())) return { wrote, blocked: true };
      replies[this.completedHead++] = undefined as unknown as Reply;
      wrote = true;
    }
    this.completedHead = 0;
    this.completedCount = 0;
    return { wrote, blocked: false };
  }

  /** Carry out the work of every group touched since the last call (one Ready each); true if replies (or changes) are waiting. */
  private processReplicas(nowMs: number): boolean {
    this.processTouched(nowMs);
    if (this.waitingGroups.length > 0 && this.releaseWaiting(nowMs)) this.processTouched(nowMs);
    return this.completedHead < this.completedCount || (this.changeOutbox?.pending ?? 0) > 0;
  }

  private processTouched(nowMs: number): void {
    const touched = this.touched;
    for (let i = 0; i < this.touchedCount; i++) {
      const group = touched[i]!;
      group.touched = false;
      const replica = group.replica;
      replica.process(nowMs);
      if (replica.outbox.length > 0) {
        const outbox = replica.outbox;
        for (let m = 0; m < outbox.length; m++) this.peerOutbox.push({ group: replica.group, message: outbox[m]! });
        replica.outbox = [];
      }
    }
    this.touchedCount = 0;
  }

  /** Messages from peer replicas; the replies they complete are written at the next drain. */
  stepPeer(frames: readonly PeerFrame[], nowMs: number): void {
    for (const { group, message } of frames) {
      const hosted = this.hosted.get(group);
      if (hosted === undefined) continue; // a group this worker does not host (any more): Raft tolerates the loss
      hosted.replica.step(message);
      this.touch(hosted);
    }
    this.processReplicas(nowMs);
  }

  /**
   * `ticks` Raft ticks for every replica (the runtime calls it every tick
   * interval, or with the ticks that passed once one comes due: ticksUntilDue).
   */
  tick(nowMs: number, ticks = 1): void {
    this.ticks += ticks;
    for (const group of this.hosted.values()) {
      for (let t = 0; t < ticks; t++) group.replica.tick();
      this.touch(group);
    }
    this.processReplicas(nowMs);
    if (this.waitingGroups.length > 0) this.expireWaiting();
  }

  /** Ticks until some replica's tick may do something (Infinity: none ever); earlier ticks may be given late, in one call. */
  ticksUntilDue(): number {
    let due = Number.POSITIVE_INFINITY;
    for (const group of this.hosted.values()) due = Math.min(due, group.replica.ticksUntilDue());
    for (const group of this.waitingGroups) due = Math.min(due, Math.max(1, group.waiting!.oldestTick + this.leaderWaitTicks - this.ticks));
    return due;
  }

  /** Replies ready and not yet written (the runtime drains again when there are some). */
  get repliesWaiting(): number {
    return this.completedCount - this.completedHead + (this.pendingReply ? 1 : 0) + (this.changeOutbox?.pending ?? 0);
  }

  /** Take the messages for peers. */
  takePeerOutbox(): PeerFrame[] {
    const out = this.peerOutbox;
    this.peerOutbox = [];
    return out;
  }

  /**
   * Active expiry over every shard, bounded work: each group's leader lists
   * the keys it sees expired and proposes the list as one expireKeys entry,
   * so keys leave memory through the log (followers learn it from the log).
   * Returns the number of keys removed by the entries applied meanwhile.
   */
  sweepExpired(nowMs: number): number {
    const before = this.sweptKeys;
    for (const group of this.hosted.values()) {
      const replica = group.replica;
      if (!replica.isLeader()) continue;
      const command = replica.shard.collectExpired(nowMs);
      if (command === null) continue;
      replica.propose(command, nowMs, this.onSweepOutcome);
      this.touch(group);
    }
    this.processReplicas(nowMs);
    return this.sweptKeys - before;
  }

  /** Entries held over every shard (expired ones not yet removed included): for INFO's keyspace line. */
  get keyCount(): number {
    let n = 0;
    for (const shard of this.shards()) n += shard.size;
    return n;
  }
}
