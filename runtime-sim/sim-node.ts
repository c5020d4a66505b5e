// One simulated Piccolo node, built from the same core classes runtime-node
// wires: a Dispatcher over one ShardChannel (IO side of the rings) per
// worker, and a ShardWorker per worker applying requests to its shards. What
// runtime-node does with threads, Atomics.wait/notify and waitAsync, this
// does with scheduled events on simulated threads:
//
// - a worker loop mirrors runtime-node/worker/worker-main.ts: drain a batch,
//   sweep expired keys now and then, and when idle announce sleep on the
//   ring (prepareToSleep) and sleep until notified or until the idle wake-up;
// - the IO side mirrors WorkerPool.armReplies: drain replies, then
//   prepareToSleep on the reply ring and wait for the worker's notify.
//
// Wake-ups take a seed-chosen latency and every step costs virtual CPU time
// on its thread, so requests, replies and sweeps interleave differently from
// seed to seed. Rings are small (chosen by the seed) so that backpressure
// (ShardChannel's backlog, a worker blocked on a full reply ring) and
// wrap-around happen.
//
// The node's memory is its JS objects: `crash` drops them, and a restart is
// a new SimNode. A lone node is a cluster of one: each shard a group whose
// only voter is this node, its storage on the host's simulated disk (a crash
// keeps what was synced). In a cluster, each worker hosts replicas of the shard groups
// placed on this node (core/replica): their Raft storage belongs to the
// host and keeps what was synced across a crash; peer messages leave as
// encoded Cap'n Proto batches (schema/peer-codec.ts) over the simulated
// network's datagrams, and each worker ticks its replicas on a timer.

import { AssertionError } from '../core/assert.js';
import { DEFAULT_PEER_LIMITS, type Limits } from '../core/limits.js';
import { DEFAULT_RAFT_TUNING, type PlantedBugs, type RaftTuning } from '../core/raft/raft.js';
import { MemoryRaftStorage, type RaftStorage } from '../core/raft/raft-storage.js';
import { gateIfRepairing } from '../core/replica/replica-repair.js';
import { DEFAULT_SNAPSHOT_KEEP_ENTRIES, ShardReplica } from '../core/replica/shard-replica.js';
import { LogStorage } from '../core/storage/log-storage.js';
import { ByteSlab } from '../core/byte-slab.js';
import { decodePeerBatch, encodePeerBatchInto } from '../schema/peer-codec.js';
import { groupsOfNode, nodeOfReplica, replicaIdOfNode, type ClusterSpec } from './cluster.js';
import { Dispatcher, type ShardTransport } from '../core/node/dispatcher.js';
import { ShardChannel, type ReplyCallback } from '../core/node/shard-channel.js';
import type { Request } from '../core/protocol/ops.js';
import type { Random } from '../core/random.js';
import { SpscRing } from '../core/ring/spsc-ring.js';
import { SlotMap } from '../core/routing/slot-map.js';
import type { PeerFrame } from '../core/replica/peer-frame.js';
import { LONE_REPLICA_ID, loneGroups, startGroupReplica } from '../core/shard/group-replica.js';
import { ShardWorker } from '../core/shard/shard-worker.js';
import type { LeaderWaitCounts } from '../core/shard/leader-wait.js';
import { WorkerLoop as CoreWorkerLoop } from '../core/shard/worker-loop.js';
import type { ChangeOutbox, ChangeRecord } from '../core/watch/change-record.js';
import { sampleDelayUs, type DelaySpec } from './delay.js';
import { Kind } from './event-kinds.js';
import type { NodeClock } from './node-clock.js';
import type { Simulation } from './simulation.js';

/**
 * Builds a lone node's worker over its groups of one (`replicas`, one per
 * shard, on the host's simulated disks); tests pass a broken one to check the
 * simulator catches it.
 */

/**
 * Snapshot bytes per message in the simulator: far below a node's 1 MiB, so
 * that the snapshots of its small states (a few hundred bytes to tens of KiB)
 * travel in chunks, and chunks are lost, duplicated and reordered.
 */
export const SIM_SNAPSHOT_CHUNK_BYTES = 512;

export type WorkerFactory = (
  shardIndexes: readonly number[], requests: SpscRing, replies: SpscRing, limits: Limits, replicas: ReadonlyMap<number, ShardReplica>,
) => ShardWorker;

export const defaultWorkerFactory: WorkerFactory = (shardIndexes, requests, replies, limits, replicas) =>
  new ShardWorker(shardIndexes, requests, replies, limits, replicas);

export interface NodeSettings {
  workers: number;
  shards: number;
  /** Bytes per ring (each direction, each worker): a power of two, small so the rings fill up. */
  ringBytes: number;
  limits: Limits;
  /** Records a worker applies per drain (runtime-node: WORKER_BATCH_MAX). */
  batchMax: number;
  /** Longest a worker sleeps without being notified (runtime-node: WORKER_IDLE_WAKE_MS). */
  idleWakeUs: number;
  /** Node-clock ms between a worker's expiry sweeps. */
  sweepIntervalMs: number;
  /** Latency from a notify (or setImmediate) to the woken thread running. */
  wake: DelaySpec;
  /** Virtual CPU time: per request the IO thread reads, per reply it delivers, per record a worker applies, per drain call. */
  ioRequestCostUs: number;
  ioReplyCostUs: number;
  workerRecordCostUs: number;
  drainCostUs: number;
  /** Disks finish fsyncs in the background while the worker goes on (runtime-sim/sim-background-sync.ts). */
  backgroundSync: boolean;
  /** The mutation suite only: replicas do not wait for background syncs (ShardReplicaConfig). */
  plantedBugSkipBackgroundSyncWait?: boolean;
}

/** What a node of a replicated cluster has besides its workers. */
export interface NodeCluster {
  readonly spec: ClusterSpec;
  readonly nodeIndex: number;
  /** Each hosted group's Raft storage: it belongs to the host and survives the process (its synced part). */
  readonly storages: ReadonlyMap<number, RaftStorage>;
  readonly bugs?: PlantedBugs;
  /** Mutation suite: Raft settings other than the defaults (pre-vote off). */
  readonly raftTuning?: Partial<RaftTuning>;
  readonly sendBeforeSync?: boolean;
  /** Mutation suite: the storage forgets the vote at restart. */
  readonly forgetVoteOnRestart?: boolean;
  /** Mutation suite: storage recovery skips record checksums. */
  readonly recoverWithoutChecksums?: boolean;
  /** Misdirected writes and slow fsyncs on the disks until this virtual time (disk-damage.ts); 0 or absent: none. */
  readonly diskFaultsUntilUs?: number;
  /** Extra µs the fsyncs of these replicas' disks took since the last call (slow fsyncs); absent: none. */
  readonly fsyncLatencyUs?: (replicas: readonly ShardReplica[]) => number;
  /** Snapshot every N applied entries: small in the simulator, so snapshots and InstallSnapshot happen. */
  readonly snapshotEveryEntries: number;
  /** Send an encoded peer batch to node `to` (a datagram: it may be lost, duplicated or reordered). */
  send(to: number, bytes: Uint8Array): void;
  /** After a worker carried out work on its replicas: the invariant checks look at them (the array is the worker's; keep no reference). */
  observe(node: number, replicas: readonly ShardReplica[]): void;
}

/** The simulated threads of a node host (the same across restarts). */
export interface NodeThreads {
  io: number;
  workers: readonly number[];
}

export interface NodeStats {
  requests: number;
  /** Submits that found the request ring full (or a backlog ahead) and went to ShardChannel's backlog. */
  backlogged: number;
  backlogPeak: number;
  /** Drains that stopped because the reply ring was full. */
  replyRingFull: number;
  workerSleeps: number;
  /** Sleeps ended by the idle timeout rather than a notify. */
  idleWakes: number;
  /** Wake-ups stretched by a scheduling hiccup. */
  hiccups: number;
  /** Idle timeouts that found work a notify should have announced (a bug). */
  lostWakeups: number;
  /** The first few of them, described. */
  lostWakeupNotes: string[];
  sweeps: number;
  expiredBySweep: number;
  /** Storage recoveries that cut off a torn or unsynced tail (cluster runs on simulated disks). */
  recoveredTails: number;
  /** Disks damaged while the node was down, and replica repairs from peers finished (runtime-sim/disk-damage.ts). */
  diskDamages: number;
  repairs: number;
  /** Writes misdirected on a running node's disks, and slow fsyncs waited for (disk-damage.ts). */
  misdirectedWrites: number;
  slowFsyncs: number;
  /** Requests held until their group had a leader, and those refused after the wait (core/shard/leader-wait.ts). */
  leaderWait: LeaderWaitCounts;
}

/**
 * Scheduling stalls while faults are active (part of the pause fault): now
 * and then a wake-up takes much longer (the OS ran something else), so a
 * worker or the IO thread falls behind and rings fill. Shared by all nodes;
 * cleared at quiesce.
 */
export interface SchedulingFaults {
  active: boolean;
  hiccups: { probability: number; maxUs: number } | null;
}

export const NO_SCHEDULING_FAULTS: Readonly<SchedulingFaults> = Object.freeze({ active: false, hiccups: null });

export function emptyNodeStats(): NodeStats {
  return { requests: 0, backlogged: 0, backlogPeak: 0, replyRingFull: 0, workerSleeps: 0, idleWakes: 0, hiccups: 0, lostWakeups: 0, lostWakeupNotes: [], sweeps: 0, expiredBySweep: 0, recoveredTails: 0, diskDamages: 0, repairs: 0, misdirectedWrites: 0, slowFsyncs: 0, leaderWait: { held: 0, refused: 0 } };
}

/**
 * A lone node's groups snapshot once this much log was written since the last
 * snapshot (and the log outgrew the state): far below the product's floor, so
 * snapshots, and restarts from them, happen in every run.
 */
const LONE_SNAPSHOT_LOG_BYTES_MIN = 16 * 1024;

/** Encoded peer batches live until the network delivers them (decoding copies what it keeps): cut from slabs. */
const peerBatchSlab = new ByteSlab();

/** Lost wake-ups described per node; the count goes on. */
const LOST_WAKEUP_NOTES_MAX = 5;

type WorkerState = 'running' | 'sleep-requests' | 'sleep-space' | 'waking';
type IoState = 'draining' | 'armed' | 'waking';

export class SimNode implements ShardTransport {
  readonly slotMap: SlotMap;
  readonly dispatcher: Dispatcher;
  alive = true;
  private readonly loops: SimWorkerThread[] = [];

  constructor(
    readonly sim: Simulation,
    readonly threads: NodeThreads,
    readonly clock: NodeClock,
    readonly settings: NodeSettings,
    readonly rng: Random,
    readonly stats: NodeStats,
    workerFactory: WorkerFactory = defaultWorkerFactory,
    private readonly scheduling: Readonly<SchedulingFaults> = NO_SCHEDULING_FAULTS,
    readonly cluster: NodeCluster | null = null,
    /** A lone node (no cluster): each shard's Raft storage, owned by the host (what was synced survives a crash). */
    loneStorages: ReadonlyMap<number, RaftStorage> = new Map(),
  ) {
    this.slotMap = new SlotMap(settings.shards, settings.workers);
    const hosted = cluster ? new Set(groupsOfNode(cluster.spec, cluster.nodeIndex)) : null;
    for (let w = 0; w < settings.workers; w++) {
      const requests = SpscRing.allocate(settings.ringBytes, false);
      const replies = SpscRing.allocate(settings.ringBytes, false);
      const shards = this.slotMap.shardsOfWorker(w);
      // A cluster's workers come from the factory too, so a test can plant a broken worker in a replicated run.
      const worker = cluster && hosted
        ? workerFactory([], requests, replies, settings.limits, this.replicasFor(cluster, shards.filter((g) => hosted.has(g))))
        : workerFactory(shards, requests, replies, settings.limits, this.loneReplicas(shards, loneStorages));
      if (cluster) {
        worker.leaderWaitTicks = cluster.spec.leaderWaitTicks;
        worker.leaderWaitCounts = stats.leaderWait;
      }
      this.loops.push(new SimWorkerThread(this, threads.workers[w]!, new ShardChannel(requests, replies), worker, requests, replies));
    }
    this.dispatcher = new Dispatcher(this, settings.limits);
  }

  /** A lone node's shards as groups of one, recovered from their storage and leading (the same path as a cluster's). */
  private loneReplicas(shards: readonly number[], storages: ReadonlyMap<number, RaftStorage>): Map<number, ShardReplica> {
    const nowMs = this.clock.nowMs(this.sim.nowUs);
    return new Map(loneGroups(shards).map((members) => [members.group, startGroupReplica(members, LONE_REPLICA_ID, this.settings.limits,
      storages.get(members.group) ?? new MemoryRaftStorage(), this.rng.fork(), nowMs, { snapshotLogBytesMin: LONE_SNAPSHOT_LOG_BYTES_MIN },
      this.settings.plantedBugSkipBackgroundSyncWait ? { plantedBugSkipBackgroundSyncWait: true } : {})]));
  }

  private replicasFor(cluster: NodeCluster, groups: readonly number[]): Map<number, ShardReplica> {
    const id = replicaIdOfNode(cluster.nodeIndex);
    const replicas = new Map<number, ShardReplica>();
    for (const group of groups) {
      replicas.set(group, new ShardReplica({
        group,
        raft: {
          id, ...DEFAULT_RAFT_TUNING, snapshotChunkBytes: SIM_SNAPSHOT_CHUNK_BYTES, ...cluster.raftTuning, random: this.rng.fork(),
          ...(cluster.bugs ? { bugs: cluster.bugs } : {}),
        },
        limits: this.settings.limits,
        membership: { voters: cluster.spec.placement[group]!.map(replicaIdOfNode), learners: [] },
        snapshotEveryEntries: cluster.snapshotEveryEntries,
        snapshotKeepEntries: Math.min(DEFAULT_SNAPSHOT_KEEP_ENTRIES, cluster.snapshotEveryEntries),
        ...(cluster.sendBeforeSync ? { plantedBugSendBeforeSync: true } : {}),
        ...(this.settings.plantedBugSkipBackgroundSyncWait ? { plantedBugSkipBackgroundSyncWait: true } : {}),
      }, cluster.storages.get(group)!));
      // A storage that lost acknowledged data (disk damage) holds its replica out of elections until repaired.
      const storage = cluster.storages.get(group)!;
      if (storage instanceof LogStorage) gateIfRepairing(replicas.get(group)!, storage);
    }
    return replicas;
  }

  /** A group's background sync finished on its disk: the worker that hosts it takes note at its next drain. */
  backgroundSyncFinished(group: number): void {
    if (!this.alive) return;
    this.loops[this.slotMap.workerOf(group)]!.backgroundSyncFinished();
  }

  /** A peer batch arrived (on the IO thread): hand each worker its frames, on its own thread. */
  receivePeer(bytes: Uint8Array): void {
    if (!this.alive) return;
    const decoded = decodePeerBatch(bytes, DEFAULT_PEER_LIMITS);
    // Our own encoder made these bytes and the simulated network does not corrupt them: a refusal is a codec bug.
    if (!decoded.ok) throw new AssertionError(`a peer batch from our own encoder was refused: ${decoded.error}`);
    const frames = decoded.frames;
    const firstWorker = this.slotMap.workerOf(frames[0]!.group);
    let oneWorker = true;
    for (let i = 1; i < frames.length && oneWorker; i++) oneWorker = this.slotMap.workerOf(frames[i]!.group) === firstWorker;
    // Most batches are for one worker: hand them over whole, without sorting.
    if (oneWorker) return this.loops[firstWorker]!.peerInput(frames);
    const byWorker = new Map<number, PeerFrame[]>();
    for (const frame of frames) {
      const w = this.slotMap.workerOf(frame.group);
      let list = byWorker.get(w);
      if (list === undefined) byWorker.set(w, list = []);
      list.push(frame);
    }
    for (const [w, list] of byWorker) this.loops[w]!.peerInput(list);
  }

  /** Send what a worker's replicas left for their peers, one batch per destination node. */
  sendPeerOutbox(worker: ShardWorker, replicas: readonly ShardReplica[]): void {
    const cluster = this.cluster;
    if (cluster === null) return;
    cluster.observe(cluster.nodeIndex, replicas);
    const frames = worker.takePeerOutbox();
    if (frames.length === 0) return;
    // Most turns send to one node (a follower answers its leader): the outbox is that batch, no lists to build.
    const first = nodeOfReplica(frames[0]!.message.to);
    let oneNode = true;
    for (let i = 1; i < frames.length && oneNode; i++) oneNode = nodeOfReplica(frames[i]!.message.to) === first;
    if (oneNode) return cluster.send(first, encodePeerBatchInto(frames, peerBatchSlab));
    // One batch per destination, in order of first appearance (as a Map would iterate them).
    const byNode: PeerFrame[][] = [];
    const order: number[] = [];
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i]!;
      const to = nodeOfReplica(frame.message.to);
      let list = byNode[to];
      if (list === undefined) {
        byNode[to] = list = [];
        order.push(to);
      }
      list.push(frame);
    }
    for (let d = 0; d < order.length; d++) cluster.send(order[d]!, encodePeerBatchInto(byNode[order[d]!]!, peerBatchSlab));
  }

  /** Every replica this process hosts (for the final convergence check). */
  *replicas(): Iterable<ShardReplica> {
    for (const loop of this.loops) yield* loop.worker.replicas.values();
  }
  /**
   * This process's Raft timers run `slowdown` times slower from now on (1:
   * as they should): a clock source that drifts, an overloaded host whose
   * timers fire late while its sockets are served. A leader's check-quorum
   * then notices late that it lost its majority, so it goes on serving
   * clients as a deposed leader for longer; reads stay safe only by
   * ReadIndex, never by a lease (the `leader` fault's isolate strikes).
   */
  slowTimers(slowdown: number): void {
    for (const loop of this.loops) loop.slowTimers(slowdown);
  }


  /** Records a lost wake-up (see SimWorkerThread.checkNoLostWakeup). */
  noteLostWakeup(note: string): void {
    this.stats.lostWakeups++;
    if (this.stats.lostWakeupNotes.length < LOST_WAKEUP_NOTES_MAX) this.stats.lostWakeupNotes.push(note);
  }

  /** Starts the worker loops and arms the reply drains, as runtime-node does at start-up. */
  start(): this {
    for (const loop of this.loops) loop.start();
    return this;
  }

  /** A client request read by the IO thread (call from an event on `threads.io`). */
  execute(request: Request, onReply: ReplyCallback): void {
    this.stats.requests++;
    this.sim.consume(this.threads.io, this.settings.ioRequestCostUs);
    this.dispatcher.execute(request, onReply);
  }

  /** ShardTransport: hand a shard request to its worker's ring. */
  submit(shard: number, request: Request, onReply: ReplyCallback): void {
    const loop = this.loops[this.slotMap.workerOf(shard)]!;
    const notify = loop.channel.submit(shard, request, onReply);
    const backlog = loop.channel.backlogLength;
    if (backlog > 0) {
      this.stats.backlogged++;
      if (backlog > this.stats.backlogPeak) this.stats.backlogPeak = backlog;
    }
    if (notify) loop.notifyRequests();
  }

  /**
   * Every worker reports its groups' changes from now on (a watch opened:
   * sim-watch-hub.ts), each through an outbox from `outbox`; the IO side
   * hands the records to `onRecord`. Like runtime-node's control word, the
   * worker sees it at its next drain, woken now if asleep.
   */
  recordChanges(outbox: () => ChangeOutbox, onRecord: (record: ChangeRecord) => void): void {
    for (const loop of this.loops) {
      if (loop.channel.onChange !== null) continue;
      loop.channel.onChange = onRecord;
      loop.worker.recordChanges(outbox());
      loop.notifyRequests();
    }
  }

  /** The groups this process holds (a lone node: its shards). */
  get groups(): number[] {
    return this.cluster ? groupsOfNode(this.cluster.spec, this.cluster.nodeIndex) : Array.from({ length: this.settings.shards }, (_, s) => s);
  }

  /** The process dies: its memory and every pending callback are gone. */
  crash(): void {
    this.alive = false;
  }

  wakeDelayUs(): number {
    const d = sampleDelayUs(this.rng, this.settings.wake);
    const { active, hiccups } = this.scheduling;
    if (active && hiccups !== null && this.rng.chance(hiccups.probability)) {
      this.stats.hiccups++;
      return d + this.rng.int(0, hiccups.maxUs);
    }
    return d;
  }

  /** Requests submitted and not yet answered, over all workers. */
  get inFlight(): number {
    let n = 0;
    for (const loop of this.loops) n += loop.channel.inFlight;
    return n;
  }

  get backlogLength(): number {
    let n = 0;
    for (const loop of this.loops) n += loop.channel.backlogLength;
    return n;
  }

  /**
   * Times the busiest ring has been gone round: bytes consumed (the ring's
   * free-running HEAD position) over its capacity. Above 1, records have
   * wrapped around the end of the ring.
   */
  get ringLaps(): number {
    let laps = 0;
    for (const loop of this.loops) {
      for (const ring of [loop.channel.requests, loop.channel.replies]) {
        laps = Math.max(laps, Math.floor((ring.header[SpscRing.signalProducerIndex]! >>> 0) / ring.capacity));
      }
    }
    return laps;
  }

  /** Keys stored with a TTL and not yet removed (lazily or by a sweep), over all shards. */
  get expiringKeys(): number {
    let n = 0;
    for (const loop of this.loops) for (const shard of loop.worker.shards()) n += shard.expiringSize;
    return n;
  }
}

/**
 * Chance that a worker announces sleep in a later event rather than at once
 * after finding its request ring empty (or its reply ring full), so the IO
 * thread can publish (or free space) in between. That window is where a
 * lost wake-up hides: the re-checks in prepareToSleep and
 * prepareToWaitForSpace exist for it, and an immediate announce never
 * exercises them.
 */
const SPLIT_SLEEP_CHANCE = 0.25;

/** A worker thread and the IO thread's side of its rings. */
class SimWorkerThread {
  private state: WorkerState = 'running';
  /** Bumped on every notify-wake, so a stale wake-up event does nothing. */
  private token = 0;
  private ioState: IoState = 'draining';
  /** The loop's decisions, shared with runtime-node (core/shard/worker-loop.ts). */
  private readonly core: CoreWorkerLoop;
  /**
   * The idle wake-up: one pending timer event at most, re-armed lazily
   * (cheaper than an event per sleep, as most sleeps end by notify).
   */
  private idleDeadlineUs = 0;
  private idleTimerPending = false;
  private readonly drainAction = (): void => this.drain();
  private readonly drainRepliesAction = (): void => this.drainReplies();
  private readonly idleTimerAction = (): void => this.idleTimerFired();
  private readonly sleepCheckAction = (): void => this.sleepIfIdle();
  private readonly spaceCheckAction = (): void => this.waitForSpace();
  /** The reply ring's HEAD when the last drain found it full (see idleTimerFired). */
  private replyHeadWhenBlocked = 0;
  /** The worker's replicas (fixed for its life), as the array the invariant checks look at after every step. */
  private readonly replicaList: readonly ShardReplica[];

  constructor(
    private readonly node: SimNode,
    private readonly thread: number,
    readonly channel: ShardChannel,
    readonly worker: ShardWorker,
    private readonly requests: SpscRing,
    private readonly replies: SpscRing,
  ) {
    this.core = new CoreWorkerLoop(worker, node.settings.batchMax, node.settings.sweepIntervalMs);
    this.replicaList = [...worker.replicas.values()];
  }

  start(): void {
    const sim = this.node.sim;
    sim.after(this.node.wakeDelayUs(), this.thread, Kind.WORKER_DRAIN, this.thread, this.drainAction);
    sim.after(this.node.wakeDelayUs(), this.node.threads.io, Kind.IO_DRAIN, this.thread, this.drainRepliesAction);
    const cluster = this.node.cluster;
    if (cluster !== null && this.worker.replicas.size > 0) {
      this.tickTickUs = cluster.spec.tickUs;
      this.nextTickUs = sim.nowUs + this.node.rng.int(1, cluster.spec.tickUs);
      this.armTick();
    }
  }

  // ---- replication (worker thread) ---------------------------------------------

  // Ticks fall on a grid (nextTickUs, then every tickUs), but the timer only
  // fires at the tick where some replica has something to do
  // (ShardWorker.ticksUntilDue: a heartbeat, an election or check-quorum
  // timeout, a read's timeout). The ticks in between only count, so they
  // are given late, all at once, before anything else reaches the replicas
  // (catchUpTicks): every input sees the counts it would have seen. Idle
  // followers then cost no event per tick; a worker paused by a fault gets
  // the ticks it missed when it runs again, as a process with a monotonic
  // clock would.

  /** Virtual time of the next tick not yet given to the replicas (-1: this worker hosts none). */
  private nextTickUs = -1;
  private tickTickUs = 0;
  /** When the pending tick timer is due (-1: none pending). */
  private tickTimerUs = -1;
  /** Bumped whenever a timer is armed: a timer event with an older token was superseded by an earlier one. */
  private tickToken = 0;

  private raftTick(token: number): void {
    const node = this.node;
    // Deferred by a busy or paused thread, the current timer still runs (late); a superseded one does nothing.
    if (!node.alive || token !== this.tickToken) return;
    this.tickTimerUs = -1;
    this.catchUpTicks();
    this.afterReplicaWork();
  }

  /** Ticks come every `slowdown` tick periods from now on (SimNode.slowTimers); on this worker's thread, as its timers run. */
  slowTimers(slowdown: number): void {
    const cluster = this.node.cluster;
    if (this.nextTickUs < 0 || cluster === null) return;
    const sim = this.node.sim;
    sim.at(sim.nowUs, this.thread, Kind.RAFT_TICK, this.thread, () => {
      if (!this.node.alive) return;
      this.catchUpTicks(); // the ticks so far, at the old rate
      this.tickTickUs = cluster.spec.tickUs * slowdown;
      this.tickTimerUs = -1;
      this.tickToken++; // a pending timer was set at the old rate
      this.afterReplicaWork();
    });
  }

  /** Give the replicas every tick that has passed (call before any other input reaches them). */
  private catchUpTicks(): void {
    const nowUs = this.node.sim.nowUs;
    if (this.nextTickUs < 0 || nowUs < this.nextTickUs) return;
    const ticks = Math.floor((nowUs - this.nextTickUs) / this.tickTickUs) + 1;
    this.nextTickUs += ticks * this.tickTickUs;
    this.worker.tick(this.node.clock.nowMs(nowUs), ticks);
  }

  /** Make sure a tick timer fires at the tick where something comes due (inputs may have brought it closer). */
  private armTick(): void {
    // Nothing comes due before the next tick: a timer there is as early as any (a leader's, every heartbeat).
    if (this.nextTickUs < 0 || this.tickTimerUs === this.nextTickUs) return;
    const due = this.worker.ticksUntilDue();
    if (due === Number.POSITIVE_INFINITY) return;
    const atUs = this.nextTickUs + (due - 1) * this.tickTickUs;
    if (this.tickTimerUs >= 0 && this.tickTimerUs <= atUs) return;
    this.tickTimerUs = atUs;
    const token = ++this.tickToken;
    this.node.sim.atWith(atUs, this.thread, Kind.RAFT_TICK, this.thread, this.raftTickAction, token);
  }

  private readonly raftTickAction = (token: number): void => this.raftTick(token);

  /**
   * Peer frames handed over and not yet stepped (null: no step is scheduled). Like a worker's inbox: frames
   * that arrive before the worker gets to them wait there and are stepped together, one Ready per group.
   */
  private peerInbox: PeerFrame[] | null = null;
  private readonly peerStepAction = (): void => this.stepPeerInbox();

  /** Peer frames for this worker's replicas, decoded on the IO thread (the array is the worker's): step them on its thread. */
  peerInput(frames: PeerFrame[]): void {
    if (this.peerInbox !== null) {
      for (let i = 0; i < frames.length; i++) this.peerInbox.push(frames[i]!);
      return;
    }
    this.peerInbox = frames;
    const node = this.node;
    node.sim.after(node.wakeDelayUs(), this.thread, Kind.PEER_STEP, this.thread, this.peerStepAction);
  }

  private stepPeerInbox(): void {
    const node = this.node;
    const frames = this.peerInbox;
    this.peerInbox = null;
    if (!node.alive || frames === null) return;
    this.catchUpTicks();
    this.worker.stepPeer(frames, node.clock.nowMs(node.sim.nowUs));
    this.afterReplicaWork();
  }

  /** Replica work may leave messages for peers and replies for clients: send the first, drain for the second. */
  private afterReplicaWork(): void {
    this.armTick();
    if (!this.waitForSlowSync(false)) this.node.sendPeerOutbox(this.worker, this.replicaList);
    if (this.worker.repliesWaiting === 0) return;
    // Like a published request: wake a worker sleeping for requests so its next drain writes the replies.
    if (this.state === 'sleep-requests') this.notifyWorker('sleep-requests');
  }

  /** Until when the IO thread must not see this worker's replies: a slow fsync of its last turn runs (virtual µs). */
  private syncDoneUs = 0;

  /**
   * A slow fsync in the work just done (NodeCluster.fsyncLatencyUs): the
   * thread blocks for it, and the replies and peer messages of the work
   * leave only when it completes, as runtime-node writes them only after
   * the sync returns. False when every fsync was quick.
   */
  private waitForSlowSync(notifyIo: boolean): boolean {
    const node = this.node;
    const us = node.cluster?.fsyncLatencyUs?.(this.replicaList) ?? 0;
    if (us === 0) return false;
    node.stats.slowFsyncs++;
    node.sim.consume(this.thread, us);
    this.syncDoneUs = Math.max(this.syncDoneUs, node.sim.nowUs + us);
    // Runs once the thread is free again, at the end of the fsync.
    node.sim.after(0, this.thread, Kind.SLOW_SYNC_DONE, this.thread, () => {
      if (!node.alive) return;
      node.sendPeerOutbox(this.worker, this.replicaList);
      if (notifyIo) this.notifyIo();
    });
    return true;
  }

  // ---- worker thread ---------------------------------------------------------

  private drain(): void {
    const node = this.node;
    if (!node.alive) return;
    const { sim, settings, stats } = node;
    this.state = 'running';
    this.syncFinishedSinceDrain = false;
    this.catchUpTicks();
    // The decisions are core's WorkerLoop, as in runtime-node's worker thread; the timing of carrying them out is ours.
    const { drained, swept, next } = this.core.turn(node.clock.nowMs(sim.nowUs));
    sim.consume(this.thread, settings.drainCostUs + drained.applied * settings.workerRecordCostUs);
    this.armTick();
    // After a slow fsync, the replies and peer messages of this turn leave when it completes (SLOW_SYNC_DONE).
    if (!this.waitForSlowSync(drained.notifyReplies)) {
      node.sendPeerOutbox(this.worker, this.replicaList);
      if (drained.notifyReplies) this.notifyIo();
    }
    // drained.notifyRequests: the IO side never sleeps waiting for request-ring space (it keeps a backlog), so no one to wake.
    if (swept !== null) {
      stats.sweeps++;
      stats.expiredBySweep += swept;
    }
    if (next === 'waitForSpace') {
      stats.replyRingFull++;
      this.replyHeadWhenBlocked = this.replyHead();
      if (node.rng.chance(SPLIT_SLEEP_CHANCE)) {
        sim.after(node.wakeDelayUs(), this.thread, Kind.WORKER_DRAIN, this.thread, this.spaceCheckAction);
      } else {
        this.waitForSpace();
      }
      return;
    }
    if (next === 'sleep') {
      if (node.rng.chance(SPLIT_SLEEP_CHANCE)) {
        sim.after(node.wakeDelayUs(), this.thread, Kind.WORKER_DRAIN, this.thread, this.sleepCheckAction);
      } else {
        this.sleepIfIdle();
      }
      return;
    }
    this.scheduleDrain();
  }

  /** worker-main's blocked path: announce waiting for space; if space was freed meanwhile, drain instead. */
  private waitForSpace(): void {
    if (!this.node.alive) return;
    if (this.replies.prepareToWaitForSpace() !== null) {
      this.sleep('sleep-space');
    } else {
      this.replies.doneWaitingForSpace();
      this.scheduleDrain();
    }
  }

  /** The reply ring's consumer position (bytes it has freed so far). */
  private replyHead(): number {
    return this.replies.header[SpscRing.signalProducerIndex]! >>> 0;
  }

  /** A background sync of one of this worker's groups finished since its last drain: drain rather than sleep. */
  private syncFinishedSinceDrain = false;

  /** The disk finished a background sync: wake the worker if it sleeps, so its next drain takes note (ShardReplica.awaitingSync). */
  backgroundSyncFinished(): void {
    this.syncFinishedSinceDrain = true;
    this.notifyWorker('sleep-requests');
  }

  /** worker-main's idle path: announce sleep; if records arrived meanwhile, drain instead. */
  private sleepIfIdle(): void {
    if (!this.node.alive) return;
    if (this.worker.repliesWaiting > 0 || this.syncFinishedSinceDrain) {
      this.scheduleDrain();
      return;
    }
    if (this.requests.prepareToSleep() !== null) {
      this.sleep('sleep-requests');
    } else {
      this.requests.wokeUp();
      this.scheduleDrain();
    }
  }

  private scheduleDrain(): void {
    this.node.sim.after(this.node.wakeDelayUs(), this.thread, Kind.WORKER_DRAIN, this.thread, this.drainAction);
  }

  private sleep(state: 'sleep-requests' | 'sleep-space'): void {
    const node = this.node;
    this.state = state;
    node.stats.workerSleeps++;
    this.idleDeadlineUs = node.sim.nowUs + node.settings.idleWakeUs;
    if (!this.idleTimerPending) {
      this.idleTimerPending = true;
      node.sim.at(this.idleDeadlineUs, this.thread, Kind.WORKER_IDLE_WAKE, this.thread, this.idleTimerAction);
    }
  }

  private idleTimerFired(): void {
    this.idleTimerPending = false;
    if (!this.node.alive) return;
    const state = this.state;
    if (state !== 'sleep-requests' && state !== 'sleep-space') return;
    const sim = this.node.sim;
    if (sim.nowUs < this.idleDeadlineUs) {
      // This sleep began after the timer was set: wait out its own deadline.
      this.idleTimerPending = true;
      sim.at(this.idleDeadlineUs, this.thread, Kind.WORKER_IDLE_WAKE, this.thread, this.idleTimerAction);
      return;
    }
    this.node.stats.idleWakes++;
    this.checkNoLostWakeup(state);
    this.wake(state);
  }

  /**
   * Only the idle timeout woke this worker, although work was there for it:
   * every publish (or freed space) after a correct sleep announcement finds
   * the waiting flag and notifies, so nothing may be visible now that was
   * not worth a notify. If something is, a wake-up was lost; runtime-node
   * would stall for up to WORKER_IDLE_WAKE_MS.
   */
  private checkNoLostWakeup(state: 'sleep-requests' | 'sleep-space'): void {
    const lost = state === 'sleep-requests'
      ? this.requests.usedBytes() > 0
      : this.replyHead() !== this.replyHeadWhenBlocked;
    if (!lost) return;
    this.node.noteLostWakeup(`worker on thread ${this.node.sim.threadName(this.thread)} slept through ${
      state === 'sleep-requests' ? 'published requests' : 'freed reply-ring space'} until its idle timeout at ${this.node.sim.nowUs}us: a lost wake-up`);
  }

  private wake(from: 'sleep-requests' | 'sleep-space'): void {
    this.token++;
    if (from === 'sleep-requests') this.requests.wokeUp();
    else this.replies.doneWaitingForSpace();
    this.drain();
  }

  /** Atomics.notify on the request ring's consumer word: wakes the worker only if it sleeps there. */
  notifyRequests(): void {
    this.notifyWorker('sleep-requests');
  }

  private notifyWorker(sleepingIn: 'sleep-requests' | 'sleep-space'): void {
    if (this.state !== sleepingIn) return;
    this.state = 'waking';
    this.wakingFrom = sleepingIn;
    const token = ++this.token;
    this.node.sim.afterWith(this.node.wakeDelayUs(), this.thread, Kind.WORKER_WAKE, this.thread, this.wakeAction, token);
  }

  /** Where the worker slept when the pending wake-up (the one with the current token) was sent. */
  private wakingFrom: 'sleep-requests' | 'sleep-space' = 'sleep-requests';
  private readonly wakeAction = (token: number): void => {
    // A newer token superseded this wake-up (and set wakingFrom anew).
    if (this.token !== token || !this.node.alive) return;
    this.wake(this.wakingFrom);
  };

  // ---- IO thread ---------------------------------------------------------------

  private drainReplies(): void {
    const node = this.node;
    if (!node.alive) return;
    if (node.sim.nowUs < this.syncDoneUs) {
      // The worker has not written them yet in runtime-node: it is still in its fsync.
      node.sim.at(this.syncDoneUs, node.threads.io, Kind.IO_DRAIN, this.thread, this.drainRepliesAction);
      return;
    }
    this.ioState = 'draining';
    this.replies.wokeUp();
    const result = this.channel.drainReplies();
    node.sim.consume(node.threads.io, result.delivered * node.settings.ioReplyCostUs);
    if (result.notifyWorkerProducer) this.notifyWorker('sleep-space');
    if (result.notifyWorkerConsumer) this.notifyWorker('sleep-requests');
    if (this.replies.prepareToSleep() === null) {
      // Replies arrived meanwhile: drain again on the next turn (setImmediate in runtime-node).
      node.sim.after(node.wakeDelayUs(), node.threads.io, Kind.IO_DRAIN, this.thread, this.drainRepliesAction);
      return;
    }
    this.ioState = 'armed';
  }

  /** Atomics.notify on the reply ring's consumer word: resolves the IO thread's waitAsync. */
  private notifyIo(): void {
    if (this.ioState !== 'armed') return;
    this.ioState = 'waking';
    const node = this.node;
    node.sim.after(node.wakeDelayUs(), node.threads.io, Kind.IO_WAKE, this.thread, this.drainRepliesAction);
  }
}
