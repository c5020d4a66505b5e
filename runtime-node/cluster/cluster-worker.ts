// The worker thread's side of a cluster node: the replicas of the groups
// placed on this worker, and the peer traffic between them and the IO
// thread, through two more SPSC rings in shared memory (no postMessage):
// peer-in (IO -> worker: batches as they came off the socket, checked and
// split by worker on the IO thread in peer-pump.ts, and restart notices) and
// peer-out (worker -> IO: one batch for one node per record); the record
// layouts are in peer-ring-records.ts.
//
// The loop (worker-main.ts, with core/shard/worker-loop.ts deciding when to
// tick) calls takePeerInput before each turn and afterTurn after it. A
// clustered worker sleeps on a doorbell word rather than the request ring's
// signal: the IO thread rings it for requests and for peer batches alike,
// after seeing the waiting flag of either ring (announce-then-recheck, as
// core/ring/spsc-ring.ts), so neither kind of wake-up is lost.
//
// A full peer-out ring drops the batch (counted): Raft resends what matters,
// and the worker must never block on a slow network.
//
// Each hosted group's Raft state lives in `<data-dir>/shard-<g>/` like a
// lone node's (worker/group-storage.ts), or in memory with --in-memory (then
// cluster/vote-gate.ts guards restarts). A group whose directory is damaged
// where acknowledged data lives repairs from its peers: its replica starts
// behind core/raft/repair-gate.ts, and afterTurn tells the storage when the
// repair is over (core/replica/replica-repair.ts).

import { unreachable } from '../../core/assert.js';
import { DEFAULT_PEER_LIMITS, type Limits } from '../../core/limits.js';
import { DEFAULT_RAFT_TUNING } from '../../core/raft/raft.js';
import { Random } from '../../core/random.js';
import type { PeerFrame } from '../../core/replica/peer-frame.js';
import { finishRepairIfDone, gateIfRepairing } from '../../core/replica/replica-repair.js';
import { DEFAULT_SNAPSHOT_EVERY_ENTRIES, DEFAULT_SNAPSHOT_KEEP_ENTRIES, ShardReplica } from '../../core/replica/shard-replica.js';
import { SpscRing } from '../../core/ring/spsc-ring.js';
import type { ShardWorker } from '../../core/shard/shard-worker.js';
import { decodePeerBatch, encodePeerBatch } from '../../schema/peer-codec.js';
import type { FileRaftStorage } from '../storage/file-raft-storage.js';
import { GroupStorageRefused, openGroupStorage } from '../worker/group-storage.js';
import type { WorkerStorageSetup } from '../worker/worker-protocol.js';
import { GroupMembersTable } from './group-members.js';
import { GroupStatusTable } from './group-status.js';
import { controlRecordAt, PEER_OUT_HEADER_BYTES, restartRecordNode, type ControlRecord } from './peer-ring-records.js';
import { preferredLeaderMove } from './preferred-leader.js';

/** What a clustered worker gets at start-up (WorkerSetup.cluster). */
export interface WorkerClusterSetup {
  nodeId: number;
  /** Groups whose replica this worker hosts. */
  groups: number[];
  /**
   * Node ids of every group's replicas as the cluster was first placed
   * (the same on every node): a replica's bootstrap membership, which the
   * conf changes in its log (or a snapshot's membership) then update.
   */
  placement: number[][];
  /** Each group's preferred leader now: placement's first node unless an operator moved it (leader-preferences.ts). */
  preferred: number[];
  /** Node ids of the cluster in order; `linksUp` is indexed the same way. */
  memberIds: number[];
  peerInRing: SharedArrayBuffer;
  peerOutRing: SharedArrayBuffer;
  /** One Int32: bumped and notified by the IO thread to wake this worker. */
  doorbell: SharedArrayBuffer;
  /** The node's GroupStatusTable memory (this worker writes its groups' rows). */
  status: SharedArrayBuffer;
  /** The node's GroupMembersTable memory (this worker writes its groups' voters and learners). */
  members: SharedArrayBuffer;
  /** One Int32 per member: 1 while the IO thread has a live peer link to it. */
  linksUp: SharedArrayBuffer;
  tickMs: number;
  /** Seeds the replicas' election-timeout PRNG. */
  seed: number;
}

/** Ticks between checks that each group this worker leads is led by its preferred node (about 2 s at RAFT_TICK_MS). */
export const PREFERRED_LEADER_CHECK_TICKS = 40;

export class ClusterWorker {
  readonly replicas = new Map<number, ShardReplica>();
  /** Each group's storage on disk (none with --in-memory), by group: flushed in 'batch' mode and closed at stop by the loop. */
  readonly files = new Map<number, FileRaftStorage>();
  /** The same storages as a list the worker loop keeps (flushes, closes at stop); groups hosted later are added to it. */
  readonly fileList: FileRaftStorage[] = [];
  /** What recovery repaired or found damaged, one line per finding (announced at ready). */
  readonly recovered: string[] = [];
  readonly tickMs: number;
  private readonly peerIn: SpscRing;
  private readonly peerOut: SpscRing;
  private readonly doorbell: Int32Array;
  private readonly status: GroupStatusTable;
  private readonly members: GroupMembersTable;
  /** Each replica's voters and learners arrays when last published (Raft replaces them on a change: compared by identity). */
  private readonly publishedMembers = new Map<number, { voters: readonly number[]; learners: readonly number[] }>();
  private readonly random: Random;
  private readonly linksUp: Int32Array;
  private peerOutPublished = false;
  private ticksSeen = 0;
  /** Batches dropped because the peer-out ring was full or a batch was larger than a ring record. */
  droppedBatches = 0;

  /** Opens every hosted group's storage; throws GroupStorageRefused (after closing what it opened) for a directory it must not use. */
  constructor(private readonly setup: WorkerClusterSetup, private readonly limits: Limits, private readonly storage: WorkerStorageSetup | null) {
    this.tickMs = setup.tickMs;
    this.peerIn = new SpscRing(setup.peerInRing);
    this.peerOut = new SpscRing(setup.peerOutRing);
    this.doorbell = new Int32Array(setup.doorbell);
    this.status = new GroupStatusTable(setup.status, setup.placement.length);
    this.linksUp = new Int32Array(setup.linksUp);
    this.members = new GroupMembersTable(setup.members, setup.placement.length);
    this.random = Random.fromSeed(setup.seed);
    try {
      for (const group of setup.groups) this.startGroup(group);
    } catch (error) {
      for (const file of this.files.values()) file.close();
      throw error;
    }
    this.publishStatus();
  }

  private startGroup(group: number): ShardReplica {
    const voters = this.setup.placement[group]!;
    // A group with other replicas repairs damage from them; a group of one has nobody to ask and refuses, as a lone node.
    const opened = openGroupStorage(this.storage, group, voters.length > 1);
    if (opened.file !== null) {
      this.files.set(group, opened.file);
      this.fileList.push(opened.file);
    }
    this.recovered.push(...opened.recovered);
    const replica = new ShardReplica({
      group,
      raft: { id: this.setup.nodeId, ...DEFAULT_RAFT_TUNING, random: this.random.fork() },
      limits: this.limits,
      membership: { voters, learners: [] },
      snapshotEveryEntries: DEFAULT_SNAPSHOT_EVERY_ENTRIES,
      snapshotKeepEntries: DEFAULT_SNAPSHOT_KEEP_ENTRIES,
    }, opened.storage);
    if (opened.file !== null) gateIfRepairing(replica, opened.file);
    this.replicas.set(group, replica);
    return replica;
  }

  /** Step every peer batch waiting on the peer-in ring; returns how many there were. */
  takePeerInput(worker: ShardWorker, nowMs: number): number {
    let batches = 0;
    for (let at = this.peerIn.peek(); at >= 0; at = this.peerIn.peek()) {
      const restarted = restartRecordNode(this.peerIn.data, at, this.peerIn.lastLength);
      if (restarted !== null) {
        this.peerIn.release();
        // Groups this worker leads stop trusting what they knew that node's replica held.
        for (const replica of this.replicas.values()) replica.raw.raft.followerRestarted(restarted);
        continue;
      }
      const control = controlRecordAt(this.peerIn.data, at, this.peerIn.lastLength);
      if (control !== null) {
        this.peerIn.release();
        this.handleControl(control, worker);
        continue;
      }
      const decoded = decodePeerBatch(this.peerIn.data.subarray(at, at + this.peerIn.lastLength), DEFAULT_PEER_LIMITS);
      // decodePeerBatch copies what it keeps: the record can be released at once.
      this.peerIn.release();
      batches++;
      // The IO thread checked the batch before passing it on; a refusal here would be a bug there, and is only skipped.
      if (decoded.ok) worker.stepPeer(decoded.frames, nowMs);
    }
    if (batches > 0) this.peerIn.flushHead();
    return batches;
  }

  /** After a turn: send what the replicas left for peers, move leadership home, publish the status. */
  afterTurn(worker: ShardWorker, ticked: boolean): void {
    if (ticked && ++this.ticksSeen % PREFERRED_LEADER_CHECK_TICKS === 0) this.movePreferredLeaders();
    if (ticked) this.finishRepairs();
    const frames = worker.takePeerOutbox();
    if (frames.length > 0) this.sendFrames(frames);
    if (this.peerOutPublished) {
      this.peerOutPublished = false;
      if (this.peerOut.publish()) Atomics.notify(this.peerOut.header, SpscRing.signalConsumerIndex);
    }
    this.publishStatus();
  }

  /** Sleep until the doorbell rings or `timeoutMs` passes, unless work arrived meanwhile. */
  sleep(requests: SpscRing, timeoutMs: number): void {
    const bell = Atomics.load(this.doorbell, 0);
    const requestTail = requests.prepareToSleep();
    const peerTail = this.peerIn.prepareToSleep();
    if (requestTail !== null && peerTail !== null && timeoutMs > 0) Atomics.wait(this.doorbell, 0, bell, timeoutMs);
    requests.wokeUp();
    this.peerIn.wokeUp();
  }

  /** Repairs Raft has ended (the gate lifts on a tick): their storages drop the REPAIR marker. */
  private finishRepairs(): void {
    for (const [group, file] of this.files) {
      if (file.repair !== null) finishRepairIfDone(this.replicas.get(group)!, file);
    }
  }

  /** Hand leadership of groups this worker leads to their preferred node; the next tick's process() sends the messages. */
  private movePreferredLeaders(): void {
    for (const replica of this.replicas.values()) {
      const preferred = preferredLeaderMove(replica, this.setup.preferred[replica.group]!, (id) => this.linkUp(id));
      if (preferred !== null) replica.raw.transferLeadership(preferred);
    }
  }

  /**
   * An operator's command. preferLeader: remember the new preference and, if
   * this replica leads, start the transfer now rather than at the next
   * periodic check (Raft catches the target up first if it lags, and gives
   * up after an election timeout; the periodic check then tries again).
   */
  private handleControl(control: ControlRecord, worker: ShardWorker): void {
    const replica = this.replicas.get(control.group);
    switch (control.kind) {
      case 'preferLeader': {
        this.setup.preferred[control.group] = control.node;
        if (replica?.isLeader() && replica.id !== control.node) replica.raw.transferLeadership(control.node);
        // The transfer's messages leave with the next process(); a tick comes within tickMs.
        break;
      }
      case 'hostGroup':
        // A replica moves here: it starts empty (or with what an earlier stay left on disk) and learns the group
        // from its leader, who adds it as a learner. Already hosted: nothing to do (the mover repeats itself).
        if (replica === undefined) this.hostGroup(control.group, worker);
        break;
      case 'addLearner': case 'addVoter': case 'remove':
        // Only a leader proposes; a refusal (not leader, a change pending, not valid) is seen by the mover, which asks again.
        if (replica?.isLeader()) replica.proposeConfChange({ kind: control.kind, replica: control.node });
        break;
      default: unreachable(control.kind, 'control record kind');
    }
  }

  /** Start a replica of `group` now; a directory that must not be used leaves the group unhosted (the mover sees no learner catch up). */
  private hostGroup(group: number, worker: ShardWorker): void {
    try {
      worker.addReplica(this.startGroup(group));
    } catch (error) {
      if (!(error instanceof GroupStorageRefused)) throw error;
      this.recovered.push(`group ${group}: not hosted: ${error.message}`);
    }
  }

  private linkUp(nodeId: number): boolean {
    const index = this.setup.memberIds.indexOf(nodeId);
    return index >= 0 && Atomics.load(this.linksUp, index) === 1;
  }

  /** One batch per destination node, split until each fits a ring record. */
  private sendFrames(frames: readonly PeerFrame[]): void {
    const byNode = new Map<number, PeerFrame[]>();
    for (const frame of frames) {
      let list = byNode.get(frame.message.to);
      if (list === undefined) byNode.set(frame.message.to, list = []);
      list.push(frame);
    }
    for (const [to, list] of byNode) this.writeBatch(to, list);
  }

  private writeBatch(to: number, frames: readonly PeerFrame[]): void {
    const bytes = encodePeerBatch(frames);
    const ring = this.peerOut;
    if (bytes.length + PEER_OUT_HEADER_BYTES > ring.payloadBytesMax) {
      if (frames.length === 1) { this.droppedBatches++; return; } // one message larger than a record (a huge snapshot): see docs/cluster.md
      const half = frames.length >> 1;
      this.writeBatch(to, frames.slice(0, half));
      this.writeBatch(to, frames.slice(half));
      return;
    }
    const at = ring.reserve(bytes.length + PEER_OUT_HEADER_BYTES);
    if (at < 0) { this.droppedBatches++; return; }
    new DataView(ring.data.buffer, ring.data.byteOffset).setUint32(at, to, true);
    ring.data.set(bytes, at + PEER_OUT_HEADER_BYTES);
    ring.commit();
    this.peerOutPublished = true;
  }

  private publishStatus(): void {
    // Read straight from Raft's fields: this runs after every turn, and status() copies the membership.
    for (const replica of this.replicas.values()) {
      const r = replica.raw.raft;
      this.status.write(replica.group, r.lead, r.term, r.log.committed, r.log.applied, r.role, r.snapshotsTooLarge);
      const published = this.publishedMembers.get(replica.group);
      if (published?.voters !== r.voters || published.learners !== r.learners) {
        this.members.write(replica.group, { voters: r.voters, learners: r.learners });
        this.publishedMembers.set(replica.group, { voters: r.voters, learners: r.learners });
      }
    }
  }
}
