// The Raft state machine of one replica of one group (Ongaro's thesis, in the
// shape of etcd-io/raft): roles, elections with pre-vote and check-quorum, log
// replication with pipelining, ReadIndex reads, snapshots for lagging
// followers, leadership transfer and one-server-at-a-time membership changes.
//
// Pure: no clock (time is `tick()`), no randomness but the injected PRNG, no
// I/O. Its effects are data the caller drains (raw-node.ts bundles them):
// messages to send, entries and hard state to persist, entries to apply.
//
// Invariants (asserted): at most one vote per term; a leader's log only
// grows; the commit index never goes back; only entries of the current term
// are committed by counting replicas.

import { assert, unreachable } from '../assert.js';
import { DEFAULT_LIMITS, DEFAULT_PEER_LIMITS } from '../limits.js';
import type { Random } from '../random.js';
import { RAFT_INFLIGHT_APPENDS_MAX, RAFT_INFLIGHT_BYTES_MAX } from './inflights.js';
import { Progress, type ProgressState } from './progress.js';
import { quorumIndex, voteOutcome, hasQuorum } from './quorum.js';
import { RaftLog } from './raft-log.js';
import { SnapshotAssembly } from './snapshot-assembly.js';
import type { StoredEntries } from './packed-entries.js';
import { ForwardedReads, ReadIndexRounds, ReadsAwaitingFloor, type ReadRequest } from './read-index.js';
import type { RepairGate } from './repair-gate.js';
import {
  NO_REPLICA, type ConfChange, type Entry, type EntryKind, type HardState, type Membership, type Message,
  type ReadState, type ReplicaId, type Role, type Snapshot,
} from './raft-types.js';

/**
 * Classic Raft bugs, planted on purpose by the mutation suite to show that the
 * simulator catches each one. Never set outside tests.
 */
export interface PlantedBugs {
  /** A new leader does not append a no-op entry at the start of its term. */
  noNoopAtTermStart?: boolean;
  /** Commit an entry of an earlier term by counting replicas (thesis figure 3.7). */
  commitOldTermByCounting?: boolean;
  /** The leader answers reads from its commit index without confirming leadership. */
  readWithoutReadIndex?: boolean;
  /** A follower cuts its log after prevIndex on every append, even entries that match. */
  followerTruncatesAll?: boolean;
  /** A read that arrives while a ReadIndex round is out joins that round (confirmed by heartbeats that left before it). */
  readJoinsRoundInFlight?: boolean;
  /** The in-flight window frees an acknowledged append's bytes twice. */
  inflightDoubleFree?: boolean;
  /**
   * A read on the leader is answered at its round's index (at least its floor), and readIndex sets its replica
   * no bound on applies while it waits (ShardReplica.holdApplies holds nothing): a read can see a write sent after it.
   */
  readsSeeLaterWrites?: boolean;
  /**
   * A read on the leader is answered at its round's index when that is below its floor: served before writes
   * proposed ahead of it apply (the floor's first half undone; later writes stay held).
   */
  readsMissEarlierWrites?: boolean;
  /** A follower adds a snapshot chunk to the transfer in progress from the same leader and term even when it is of another snapshot. */
  snapshotChunkOfAnotherSnapshot?: boolean;
}

export interface RaftConfig {
  readonly id: ReplicaId;
  /** Ticks without hearing from a leader before a follower campaigns (randomized in [t, 2t)). */
  readonly electionTicks: number;
  /** Ticks between a leader's heartbeats. */
  readonly heartbeatTicks: number;
  /** Trial elections that disturb no term, so a partitioned replica cannot depose a healthy leader when it returns. */
  readonly preVote: boolean;
  /** A leader that has not heard from a majority for an election timeout steps down. */
  readonly checkQuorum: boolean;
  /** Unacknowledged appends per follower (the pipeline window, inflights.ts). */
  readonly inflightMax: number;
  /** Unacknowledged entry bytes per follower: the window is full at this many (inflights.ts). */
  readonly inflightBytesMax: number;
  /** Data bytes per append message (at least one entry is always sent). */
  readonly appendBytesMax: number;
  /** Entries per append message: many tiny entries must not exceed what a receiver accepts (PeerLimits.appendEntriesMax). */
  readonly appendEntriesMax: number;
  /** Entries a leader holds beyond its commit index before refusing proposals (bounded memory). */
  readonly uncommittedEntriesMax: number;
  /** Snapshot bytes per message: a larger snapshot goes in chunks, a few in flight (snapshot-assembly.ts). */
  readonly snapshotChunkBytes: number;
  /** The largest snapshot a follower accepts (PeerLimits.snapshotBytesMax): a larger one is not sent. */
  readonly snapshotBytesMax: number;
  readonly random: Random;
  /**
   * The payload of a new log's first entry (the first leader's no-op, index
   * 1): the state machine's identity of this log (core/replica/entry-codec.ts
   * logId). Unset: empty, like every other no-op.
   */
  readonly firstEntryData?: () => Uint8Array;
  readonly bugs?: PlantedBugs;
}

/** The knobs of RaftConfig that are numbers and switches, with their defaults below. */
export type RaftTuning = Pick<RaftConfig,
  'electionTicks' | 'heartbeatTicks' | 'preVote' | 'checkQuorum' | 'inflightMax' | 'inflightBytesMax' | 'appendBytesMax' | 'appendEntriesMax'
  | 'uncommittedEntriesMax' | 'snapshotChunkBytes' | 'snapshotBytesMax'>;

export const DEFAULT_RAFT_TUNING: Readonly<RaftTuning> = Object.freeze({
  electionTicks: 10,
  // A heartbeat every tick, as in etcd's example setting. Every third tick
  // would send a third of the idle heartbeats (their CPU cost is small next
  // to a write's), but it moved the simulator's planted send-before-sync
  // bug from a consensus failure at seed 5 to a 1.5-million-event message
  // storm at seed 12 (docs/simulation.md, "Replicated clusters").
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
  inflightMax: RAFT_INFLIGHT_APPENDS_MAX,
  inflightBytesMax: RAFT_INFLIGHT_BYTES_MAX,
  appendBytesMax: 1024 * 1024,
  appendEntriesMax: 4096,
  uncommittedEntriesMax: 65_536,
  // A snapshot of any size in messages a peer ring and a link's queue carry (a whole one would not fit above
  // half a ring); 1 MiB per round trip keeps the transfer itself fast.
  snapshotChunkBytes: 1024 * 1024,
  snapshotBytesMax: DEFAULT_PEER_LIMITS.snapshotBytesMax,
});

// What a leader sends must be what a follower's transport accepts.
assert(DEFAULT_RAFT_TUNING.appendEntriesMax <= DEFAULT_PEER_LIMITS.appendEntriesMax, 'appends must fit the peer entry limit');
assert(DEFAULT_RAFT_TUNING.appendBytesMax + DEFAULT_LIMITS.frameBytesMax <= DEFAULT_PEER_LIMITS.batchBytesMax,
  'an append (its byte budget plus one oversized entry) must fit a peer batch');
assert(DEFAULT_RAFT_TUNING.snapshotChunkBytes + DEFAULT_LIMITS.frameBytesMax <= DEFAULT_PEER_LIMITS.batchBytesMax,
  'a snapshot chunk (with its meta) must fit a peer batch');
// The in-flight window must hold a full append, or a follower could only ever be sent one at a time.
assert(DEFAULT_RAFT_TUNING.inflightBytesMax >= DEFAULT_RAFT_TUNING.appendBytesMax, 'the in-flight bytes hold at least one full append');

/** What a replica restarts from: its persisted hard state, snapshot and log. */
export interface RaftRestore {
  readonly hardState: HardState;
  readonly snapshot: Snapshot | null;
  /** Contiguous after the snapshot; packed when read from files (a restart makes no object per entry). */
  readonly entries: StoredEntries;
  /** Membership when there is no snapshot (the group's bootstrap configuration). */
  readonly membership: Membership;
}

export type ProposeRefusal = 'notLeader' | 'transferring' | 'overloaded' | 'confChangePending' | 'invalidConfChange';
export type ProposeResult = { ok: true; index: number; term: number } | { ok: false; reason: ProposeRefusal; leader: ReplicaId };

/** A snapshot transfer that makes no progress for this many election timeouts begins again (a probe first). */
const SNAPSHOT_RETRY_ELECTIONS = 2;
/** Snapshot chunks unanswered after this many heartbeat answers are taken as lost and sent again. */
const SNAPSHOT_CHUNK_RETRY_ANSWERS = 2;
/** Chunks of a snapshot in flight to one follower: a transfer takes size / (chunk x this) round trips. */
const SNAPSHOT_CHUNKS_IN_FLIGHT = 4;

export class Raft {
  readonly id: ReplicaId;
  term: number;
  vote: ReplicaId;
  lead: ReplicaId = NO_REPLICA;
  role: Role = 'follower';
  readonly log: RaftLog;
  voters: ReplicaId[];
  learners: ReplicaId[];
  /**
   * A snapshot made for followers too far behind, held until each has begun
   * receiving it; null otherwise (the storage keeps the latest snapshot, and
   * one is made on demand: snapshotWanted).
   */
  snapshot: Snapshot | null;
  /** Snapshots not sent because they exceed snapshotBytesMax (a follower that needs one cannot catch up). */
  snapshotsTooLarge = 0;
  /**
   * A follower needs entries no longer in the log and `snapshot` does not
   * cover them (none kept, or older than the cut): the application should take
   * a snapshot now and hand it over with snapshotTaken().
   */
  snapshotWanted = false;
  /** Set while this replica repairs lost storage from its peers (repair-gate.ts): it grants and seeks no votes. */
  repair: RepairGate | null = null;

  /** Messages to send once what they depend on is persisted (raw-node.ts drains them). */
  messages: Message[] = [];
  /** Reads confirmed (index > 0) or abandoned (index 0: retry) since the last drain. */
  readStates: ReadState[] = [];

  private readonly progress = new Map<ReplicaId, Progress>();
  /** A voter's match index, for quorumIndex (one closure for the replica's life, not one per commit check). */
  private readonly matchOfVoter = (id: ReplicaId): number => this.progress.get(id)?.match ?? 0;
  private votes = new Map<ReplicaId, boolean>();
  private electionElapsed = 0;
  /**
   * Ticks since this replica started, whatever its role. A leader heartbeats
   * when it is a multiple of heartbeatTicks, not heartbeatTicks after it was
   * elected: the replicas a worker ticks together then heartbeat on the same
   * tick, so the heartbeats of all the groups one node leads for another go
   * out in one batch per heartbeat interval (coalesced, docs/consensus.md).
   */
  private ticks = 0;
  private randomizedElectionTimeout = 0;
  private leadTransferee: ReplicaId = NO_REPLICA;
  /** Index of the newest conf-change entry; another may not be proposed until it is applied. */
  private pendingConfIndex = 0;
  private readonly rounds: ReadIndexRounds;
  /** As a follower: reads sent to the leader, failed when we stop following it. */
  private readonly forwardedReads = new ForwardedReads();
  /** Reads waiting for this leader's first commit in its term. */
  private readsBeforeFirstCommit: ReadRequest[] = [];
  /** Confirmed reads waiting for the entries proposed before them to commit (read-index.ts, the floor). */
  private readonly readsAwaitingFloor = new ReadsAwaitingFloor();
  private readonly bugs: PlantedBugs;
  /** A chunked snapshot from the leader, being put together (follower). */
  private readonly incomingSnapshot: SnapshotAssembly;
  /** The one-entry list appendEntry hands the log (reused: no array per proposal). */
  private readonly oneEntry: Entry[] = [];
  /**
   * Proposals appended since the last flush(): their appends go out at the
   * next Ready, one per follower for all of them, not one per proposal (the
   * proposals of a worker's turn share a message; nothing leaves before the
   * Ready anyway).
   */
  private appendsDue = false;

  constructor(private readonly config: RaftConfig, restore: RaftRestore) {
    assert(config.id !== NO_REPLICA, 'replica id 0 is reserved');
    assert(config.electionTicks > config.heartbeatTicks && config.heartbeatTicks > 0, 'election timeout must exceed the heartbeat interval');
    this.id = config.id;
    this.bugs = config.bugs ?? {};
    this.rounds = new ReadIndexRounds(this.bugs.readJoinsRoundInFlight === true);
    this.incomingSnapshot = new SnapshotAssembly(this.bugs.snapshotChunkOfAnotherSnapshot === true);
    const snap = restore.snapshot;
    const membership = snap ? snap.meta.membership : restore.membership;
    this.voters = [...membership.voters];
    this.learners = [...membership.learners];
    this.snapshot = snap;
    this.log = new RaftLog(snap ? snap.meta : { index: 0, term: 0 }, restore.entries,
      Math.max(restore.hardState.commit, snap ? snap.meta.index : 0));
    this.term = restore.hardState.term;
    this.vote = restore.hardState.vote;
    this.becomeFollower(this.term, NO_REPLICA);
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  membership(): Membership {
    return { voters: [...this.voters], learners: [...this.learners] };
  }

  isVoter(id: ReplicaId = this.id): boolean {
    return this.voters.includes(id);
  }

  // ---- roles ---------------------------------------------------------------

  private reset(term: number): void {
    if (term !== this.term) {
      assert(term > this.term, () => `term ${term} would go back from ${this.term}`);
      this.term = term;
      this.vote = NO_REPLICA;
    }
    this.lead = NO_REPLICA;
    this.electionElapsed = 0;
    this.randomizedElectionTimeout = this.config.random.int(this.config.electionTicks, 2 * this.config.electionTicks - 1);
    this.votes = new Map();
    this.leadTransferee = NO_REPLICA;
    this.appendsDue = false;
    // A snapshot wanted as leader (for a follower behind the log) is no follower's business: do not build it.
    this.snapshotWanted = false;
    // Chunks from the leader of another term or role never continue: drop what we held of them.
    this.incomingSnapshot.clear();
    this.abandonReads();
  }

  /** Every read this replica holds, as leader or forwarded to one, fails now (index 0: retry): leadership changed. */
  private abandonReads(): void {
    for (const r of [...this.rounds.abandon(), ...this.readsBeforeFirstCommit, ...this.readsAwaitingFloor.abandon()]) this.answerRead(r, 0);
    this.readsBeforeFirstCommit = [];
    for (const context of this.forwardedReads.abandon()) this.readStates.push({ context, index: 0 });
  }

  becomeFollower(term: number, lead: ReplicaId): void {
    this.reset(term);
    this.role = 'follower';
    this.lead = lead;
  }

  private becomePreCandidate(): void {
    assert(this.role !== 'leader', 'a leader does not campaign');
    // A trial election: term and vote stay as they are.
    this.votes = new Map();
    this.lead = NO_REPLICA;
    this.abandonReads();
    this.role = 'preCandidate';
  }

  private becomeCandidate(): void {
    assert(this.role !== 'leader', 'a leader does not campaign');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private newProgress(next: number, isLearner: boolean): Progress {
    const limits = { appendsMax: this.config.inflightMax, bytesMax: this.config.inflightBytesMax };
    return new Progress(next, isLearner, limits, this.bugs.inflightDoubleFree === true);
  }

  private becomeLeader(): void {
    assert(this.role === 'candidate', 'only a candidate becomes leader');
    const term = this.term;
    this.reset(term);
    this.role = 'leader';
    this.lead = this.id;
    this.progress.clear();
    const next = this.log.lastIndex() + 1;
    for (const id of [...this.voters, ...this.learners]) {
      const pr = this.newProgress(next, this.learners.includes(id));
      if (id === this.id) pr.match = this.log.stableIndex;
      pr.recentActive = true;
      this.progress.set(id, pr);
    }
    // Entries of earlier terms are committed only through an entry of this
    // term (thesis §3.6.2): the no-op gets there without waiting for a client.
    if (!this.bugs.noNoopAtTermStart) {
      const first = this.log.lastIndex() === 0 && this.config.firstEntryData !== undefined;
      this.appendEntry('normal', first ? this.config.firstEntryData!() : new Uint8Array(0));
    }
    // A conf change in the uncommitted tail may still be pending.
    this.pendingConfIndex = this.log.lastIndex();
    this.broadcastAppend(true);
  }

  /**
   * Start an election: a trial one first when pre-vote is on, a real one
   * after the trial is won, and straight away for a leadership transfer.
   */
  private campaign(kind: 'timeout' | 'afterPreVote' | 'transfer'): void {
    if (!this.isVoter() || this.repair !== null) return;
    const preVote = kind === 'timeout' && this.config.preVote;
    const transfer = kind === 'transfer';
    if (preVote) this.becomePreCandidate(); else this.becomeCandidate();
    const term = preVote ? this.term + 1 : this.term;
    this.votes.set(this.id, true);
    if (this.tallyVotes(preVote)) return;
    for (const id of this.voters) {
      if (id === this.id) continue;
      this.send({ type: 'vote', from: this.id, to: id, term, preVote, transfer, lastIndex: this.log.lastIndex(), lastTerm: this.log.lastTerm() });
    }
  }

  /** Act on the votes so far; true when the election is decided. */
  private tallyVotes(preVote: boolean): boolean {
    switch (voteOutcome(this.voters, this.votes)) {
      case 'won':
        if (preVote) this.campaign('afterPreVote');
        else this.becomeLeader();
        return true;
      case 'lost':
        this.becomeFollower(this.term, NO_REPLICA);
        return true;
      case 'pending':
        return false;
    }
  }

  // ---- time ----------------------------------------------------------------

  tick(): void {
    this.ticks++;
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  /**
   * Ticks until tick() may do something (campaign, heartbeat, check the
   * quorum), at least 1; Infinity when nothing ever comes due (a learner).
   * Ticks before that only count, so a driver may let them pile up and give
   * them all at once, provided it does before any other input (step, read,
   * proposal): those look at the counts (leases, the heartbeat phase).
   */
  ticksUntilDue(): number {
    if (this.role === 'leader') {
      const heartbeat = this.config.heartbeatTicks - (this.ticks % this.config.heartbeatTicks);
      return Math.max(1, Math.min(heartbeat, this.config.electionTicks - this.electionElapsed));
    }
    if (!this.isVoter()) return Number.POSITIVE_INFINITY;
    return Math.max(1, this.randomizedElectionTimeout - this.electionElapsed);
  }

  private tickElection(): void {
    if (this.repair?.repaired(this.log.committed, this.log.term(this.log.committed) ?? 0)) this.repair = null;
    this.electionElapsed++;
    if (this.isVoter() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.campaign('timeout');
    }
  }

  private tickLeader(): void {
    this.electionElapsed++;
    if (this.electionElapsed >= this.config.electionTicks) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum && !hasQuorum(this.voters, (id) => id === this.id || this.progress.get(id)?.recentActive === true)) {
        this.becomeFollower(this.term, NO_REPLICA);
        return;
      }
      for (const [id, pr] of this.progress) {
        if (id !== this.id) pr.recentActive = false;
        if (pr.state === 'snapshot' && ++pr.snapshotTicks >= SNAPSHOT_RETRY_ELECTIONS) pr.becomeProbe();
      }
      // A transfer that has not happened within an election timeout is abandoned.
      this.leadTransferee = NO_REPLICA;
    }
    // Reads waiting for a round ride the periodic heartbeat: a round out that was lost delays them this long at most.
    if (this.ticks % this.config.heartbeatTicks === 0) this.broadcastHeartbeat(this.rounds.startRound(this.id) || this.rounds.latestSeq());
  }

  // ---- local requests ------------------------------------------------------

  /** Propose a command (leader only). The entry is committed later, or lost if leadership is lost first. */
  propose(data: Uint8Array): ProposeResult {
    return this.proposeEntry('normal', data);
  }

  /** Propose a membership change; `encoded` is the ConfChange as the application encodes it. */
  proposeConfChange(change: ConfChange, encoded: Uint8Array): ProposeResult {
    if (this.role === 'leader') {
      if (this.pendingConfIndex > this.log.applied) return { ok: false, reason: 'confChangePending', leader: this.lead };
      if (!this.validConfChange(change)) return { ok: false, reason: 'invalidConfChange', leader: this.lead };
    }
    const result = this.proposeEntry('conf', encoded);
    if (result.ok) this.pendingConfIndex = result.index;
    return result;
  }

  private validConfChange(change: ConfChange): boolean {
    switch (change.kind) {
      case 'addVoter': return !this.voters.includes(change.replica);
      case 'addLearner': return !this.voters.includes(change.replica) && !this.learners.includes(change.replica);
      case 'remove': return (this.voters.includes(change.replica) && this.voters.length > 1) || this.learners.includes(change.replica);
    }
  }

  private proposeEntry(kind: EntryKind, data: Uint8Array): ProposeResult {
    if (this.role !== 'leader') return { ok: false, reason: 'notLeader', leader: this.lead };
    if (this.leadTransferee !== NO_REPLICA) return { ok: false, reason: 'transferring', leader: this.lead };
    if (this.log.lastIndex() - this.log.committed >= this.config.uncommittedEntriesMax) {
      return { ok: false, reason: 'overloaded', leader: this.lead };
    }
    const entry = this.appendEntry(kind, data);
    this.appendsDue = true;
    return { ok: true, index: entry.index, term: entry.term };
  }

  /** Append one entry of this term (every write passes here: the Entry is the only object made). */
  private appendEntry(kind: EntryKind, data: Uint8Array): Entry {
    const entry: Entry = { index: this.log.lastIndex() + 1, term: this.term, kind, data };
    this.oneEntry[0] = entry;
    this.log.append(this.oneEntry);
    this.oneEntry[0] = undefined as unknown as Entry; // hold no entry past its append
    return entry;
  }

  /**
   * Ask for a linearizable read. The answer arrives in `readStates`: serve the
   * read once the state machine has applied its index; index 0 means retry.
   * On a leader the index is the log's last index now (the floor,
   * read-index.ts): the read comes after every write proposed before it, and
   * before every one proposed after it. Returns that floor, above which the
   * application must apply nothing until the read is served (ShardReplica's
   * hold); Infinity when the read has no such bound (forwarded to a leader).
   */
  readIndex(context: number): number {
    if (this.role === 'leader') {
      const floor = this.log.lastIndex();
      this.leaderReadIndex({ context, from: this.id, floor });
      return this.bugs.readsSeeLaterWrites ? Infinity : floor;
    }
    const request: ReadRequest = { context, from: this.id, floor: 0 };
    if (this.lead === NO_REPLICA) {
      this.answerRead(request, 0);
      return Infinity;
    }
    this.forwardedReads.add(context);
    this.send({ type: 'readIndex', from: this.id, to: this.lead, term: this.term, context });
    return Infinity;
  }

  private leaderReadIndex(request: ReadRequest): void {
    if (this.bugs.readWithoutReadIndex) return this.confirmRead(request, this.log.committed);
    // Until an entry of this term commits, our commit index may lag what an
    // earlier leader committed: wait for the no-op.
    if (this.log.term(this.log.committed) !== this.term) {
      this.readsBeforeFirstCommit.push(request);
      return;
    }
    if (this.voters.length === 1) return this.confirmRead(request, this.log.committed);
    // It waits for the next round (read-index.ts): flush() starts one at once if none is out.
    this.rounds.add(request, this.log.committed);
  }

  // ---- what a Ready sends for the inputs of a turn ----------------------------

  /** flush() has something to send: proposals' appends, or a read round that may start. O(1), allocation-free. */
  flushDue(): boolean {
    return this.appendsDue || (this.role === 'leader' && this.rounds.roundDue());
  }

  /**
   * Send what the turn's inputs left due (RawNode.ready() calls it first): one
   * append per follower for every proposal since the last flush, and a read
   * round for the reads waiting when none is out. Done here, not per input,
   * so inputs that arrive together share one message and one round.
   */
  flush(): void {
    if (this.appendsDue) {
      this.appendsDue = false;
      if (this.role === 'leader') this.broadcastAppend(false);
    }
    if (this.role === 'leader' && this.rounds.roundDue()) this.broadcastHeartbeat(this.rounds.startRound(this.id));
  }

  /**
   * Leadership confirmed for `request` at `index`: answered now, or once its
   * floor commits. A read made here is answered at its floor, not at a later
   * round index: every write committed before it arrived is at or below the
   * floor, and a write proposed after it must not be seen (a pipeline's `GET
   * k` then `SET k v` reads the old value; the replica holds later entries'
   * applies until the read is served). A forwarded read has floor 0.
   */
  private confirmRead(request: ReadRequest, index: number): void {
    let at = request.floor > 0 && !this.bugs.readsSeeLaterWrites ? request.floor : Math.max(index, request.floor);
    if (this.bugs.readsMissEarlierWrites && request.floor > 0) at = Math.min(index, request.floor);
    if (at > this.log.committed) return this.readsAwaitingFloor.add({ request, index: at });
    this.answerRead(request, at);
  }

  private answerRead(request: ReadRequest, index: number): void {
    // The reader waits for its shard to apply `index`: only a committed one is sure to get there.
    assert(index <= this.log.committed, () => `read answered at ${index}, beyond the commit index ${this.log.committed}`);
    if (request.from === this.id) this.readStates.push({ context: request.context, index });
    else this.send({ type: 'readIndexResponse', from: this.id, to: request.from, term: this.term, context: request.context, index });
  }

  /** As the leader: how it sends to `id` (state and in-flight window); undefined when not leader or unknown. */
  progressOf(id: ReplicaId): { readonly state: ProgressState; readonly next: number; readonly inflightCount: number; readonly inflightBytes: number } | undefined {
    return this.role === 'leader' ? this.progress.get(id) : undefined;
  }

  /** As the leader: the last index `id`'s log is known to share with ours (0 when not leader or unknown). */
  matchOf(id: ReplicaId): number {
    return this.role === 'leader' ? this.progress.get(id)?.match ?? 0 : 0;
  }

  /**
   * As the leader: `id` restarted without its log (a node without durable
   * storage). Forget how far it matched, so its rejections are no longer
   * taken for stale answers, and probe it back from our last index. Safe: a
   * lower match only delays commits, and the commit index never goes back.
   */
  followerRestarted(id: ReplicaId): void {
    const pr = this.progress.get(id);
    if (this.role !== 'leader' || id === this.id || pr === undefined) return;
    this.progress.set(id, this.newProgress(this.log.lastIndex() + 1, pr.isLearner));
  }

  /** A leadership transfer is under way: this leader takes no proposals until it ends (or is abandoned after an election timeout). */
  get transferring(): boolean {
    return this.leadTransferee !== NO_REPLICA;
  }

  /** Hand leadership to `to` (a voter): it campaigns as soon as its log is complete. */
  transferLeadership(to: ReplicaId): boolean {
    if (this.role !== 'leader' || to === this.id || !this.voters.includes(to)) return false;
    this.leadTransferee = to;
    this.electionElapsed = 0;
    const pr = this.progress.get(to)!;
    if (pr.match === this.log.lastIndex()) this.send({ type: 'timeoutNow', from: this.id, to, term: this.term });
    else this.sendAppend(to, false);
    return true;
  }

  /** A committed conf-change entry was applied: the membership changes now. */
  applyConfChange(change: ConfChange): Membership {
    const { replica } = change;
    const without = (list: ReplicaId[]): ReplicaId[] => list.filter((id) => id !== replica);
    switch (change.kind) {
      case 'addVoter': this.voters = [...without(this.voters), replica]; this.learners = without(this.learners); break;
      case 'addLearner': this.learners = [...without(this.learners), replica]; this.voters = without(this.voters); break;
      case 'remove': this.voters = without(this.voters); this.learners = without(this.learners); break;
      default: unreachable(change.kind, 'conf change');
    }
    assert(this.voters.length > 0, 'a group keeps at least one voter');
    if (this.role === 'leader') {
      if (change.kind === 'remove') this.progress.delete(replica);
      else {
        const existing = this.progress.get(replica);
        if (existing) existing.isLearner = change.kind === 'addLearner';
        else this.progress.set(replica, this.newProgress(this.log.lastIndex() + 1, change.kind === 'addLearner'));
      }
      if (!this.voters.includes(this.id)) {
        // Removed from the group: stop leading; the others elect a leader among themselves.
        this.becomeFollower(this.term, NO_REPLICA);
      } else if (this.maybeCommit()) {
        this.broadcastAppend(true);
      }
    }
    return this.membership();
  }

  /** Entries up to (index, term) are on stable storage. */
  persisted(index: number, term: number): void {
    this.log.stableTo(index, term);
    if (this.role === 'leader') {
      this.progress.get(this.id)?.maybeUpdate(this.log.stableIndex);
      // Followers learn the new commit index with the next append or heartbeat (see handleAppendResponse).
      this.maybeCommit();
    }
  }

  /** The application took a snapshot at `snapshot.meta.index` (≤ applied): compact the log behind it. */
  snapshotTaken(snapshot: Snapshot, keepEntries: number): void {
    assert(snapshot.meta.index <= this.log.applied, 'a snapshot covers only applied entries');
    // It is at the applied index, which the log's cut point never passes: it covers what was wanted.
    const wanted = this.snapshotWanted;
    this.snapshotWanted = false;
    if (this.snapshot && this.snapshot.meta.index >= snapshot.meta.index) return;
    // Its bytes are kept only for a follower that needs them now (see heldSnapshotNeeded); the next one
    // needed later is made then. Keeping each one held a second copy of the state on every replica.
    this.snapshot = wanted && !this.alone() ? snapshot : null;
    this.log.compact(Math.max(0, snapshot.meta.index - keepEntries));
  }

  // ---- memory: entries and snapshot bytes nobody needs ---------------------------

  /** The only member of its group: no replica will ever ask it for entries or a snapshot. */
  private alone(): boolean {
    return this.voters.length === 1 && this.voters[0] === this.id && this.learners.length === 0;
  }

  /**
   * Release from the log the entries this replica applied and every other
   * member holds (its match index), so memory does not grow with the log
   * until a snapshot: alone, each batch goes once applied. A member that
   * later needs a released entry (one that joins, or lost its log) gets a
   * snapshot, made on demand (snapshotWanted). Only a leader knows what the
   * others hold; a follower compacts behind snapshots as before.
   */
  releaseApplied(): void {
    if (this.snapshot !== null && !this.heldSnapshotNeeded()) this.snapshot = null;
    if (this.role !== 'leader') return;
    let index = this.log.applied;
    for (const [id, pr] of this.progress) if (id !== this.id && pr.match < index) index = pr.match;
    this.log.compact(index);
  }

  /**
   * Whether a follower will be sent the held snapshot: one whose next entry
   * is no longer in the log and whose transfer has not begun (a transfer
   * under way holds its own snapshot, Progress.sendingSnapshot).
   */
  private heldSnapshotNeeded(): boolean {
    if (this.role !== 'leader') return false;
    const first = this.log.firstIndex();
    for (const [id, pr] of this.progress) if (id !== this.id && pr.state !== 'snapshot' && pr.next < first) return true;
    return false;
  }

  /** A snapshot that covers the log's cut point, or null after asking the application for one. */
  private snapshotToSend(): Snapshot | null {
    const snapshot = this.snapshot;
    if (snapshot !== null && snapshot.meta.index >= this.log.firstIndex() - 1) return snapshot;
    this.snapshotWanted = true;
    return null;
  }

  // ---- messages --------------------------------------------------------------

  private send(message: Message): void {
    this.messages.push(message);
  }

  step(m: Message): void {
    if (m.term > this.term) {
      if (m.type === 'vote') {
        // Check-quorum leases: a replica that heard from a leader within the
        // election timeout ignores votes, so a rejoining replica cannot depose it.
        const inLease = this.config.checkQuorum && this.lead !== NO_REPLICA && this.electionElapsed < this.config.electionTicks;
        if (inLease && !m.transfer) return;
      }
      const keepsTerm = (m.type === 'vote' && m.preVote) || (m.type === 'voteResponse' && m.preVote && m.granted);
      if (!keepsTerm) {
        const fromLeader = m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot';
        this.becomeFollower(m.term, fromLeader ? m.from : NO_REPLICA);
      }
    } else if (m.term < this.term) {
      if ((this.config.checkQuorum || this.config.preVote) && (m.type === 'append' || m.type === 'heartbeat')) {
        // A deposed leader that we ignore would never learn the new term: tell it.
        this.send({ type: 'appendResponse', from: this.id, to: m.from, term: this.term, rejected: true, index: 0, hintIndex: 0 });
      } else if (m.type === 'vote' && m.preVote) {
        this.send({ type: 'voteResponse', from: this.id, to: m.from, term: this.term, preVote: true, granted: false });
      }
      return;
    }

    if (m.type === 'vote') return this.handleVote(m);
    switch (this.role) {
      case 'follower': return this.stepFollower(m);
      case 'preCandidate': case 'candidate': return this.stepCandidate(m);
      case 'leader': return this.stepLeader(m);
      default: return unreachable(this.role, 'role');
    }
  }

  private handleVote(m: Extract<Message, { type: 'vote' }>): void {
    const canVote = this.vote === m.from
      || (this.vote === NO_REPLICA && this.lead === NO_REPLICA)
      || (m.preVote && m.term > this.term);
    const granted = this.repair === null && canVote && this.log.isUpToDate(m.lastIndex, m.lastTerm);
    // A granted pre-vote answers in the asked-for term, so the pre-candidate does not step down.
    this.send({ type: 'voteResponse', from: this.id, to: m.from, term: granted ? m.term : this.term, preVote: m.preVote, granted });
    if (granted && !m.preVote) {
      assert(this.vote === NO_REPLICA || this.vote === m.from, 'one vote per term');
      this.vote = m.from;
      this.electionElapsed = 0;
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'append': this.heardFromLeader(m.from); this.repair?.onLeaderAppend(m.term, m.commit); return this.handleAppend(m);
      case 'heartbeat': this.heardFromLeader(m.from); if (this.repair !== null) this.rejectStaleMatch(m); return this.handleHeartbeat(m);
      case 'snapshot': this.heardFromLeader(m.from); return this.handleSnapshot(m);
      case 'timeoutNow': return this.campaign('transfer');
      case 'readIndexResponse':
        if (this.forwardedReads.answered(m.context)) this.readStates.push({ context: m.context, index: m.index });
        return;
      case 'readIndex':
        // We are not the leader (any more): the reader retries.
        this.send({ type: 'readIndexResponse', from: this.id, to: m.from, term: this.term, context: m.context, index: 0 });
        return;
      default: return; // answers to a role we no longer have
    }
  }

  private heardFromLeader(from: ReplicaId): void {
    this.electionElapsed = 0;
    this.lead = from;
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case 'append': case 'heartbeat': case 'snapshot':
        // A leader of our term exists: follow it.
        this.becomeFollower(m.term, m.from);
        return this.stepFollower(m);
      case 'voteResponse': {
        const preVote = this.role === 'preCandidate';
        if (m.preVote !== preVote) return;
        this.votes.set(m.from, m.granted);
        this.tallyVotes(preVote);
        return;
      }
      case 'readIndex':
        this.send({ type: 'readIndexResponse', from: this.id, to: m.from, term: this.term, context: m.context, index: 0 });
        return;
      default: return;
    }
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case 'appendResponse': return this.handleAppendResponse(m);
      case 'heartbeatResponse': return this.handleHeartbeatResponse(m);
      case 'snapshotResponse': return this.handleSnapshotResponse(m);
      // A forwarded read has no floor: its follower cannot know what we had proposed (read-index.ts).
      case 'readIndex': return this.leaderReadIndex({ context: m.context, from: m.from, floor: 0 });
      default: return;
    }
  }

  // ---- follower side -------------------------------------------------------

  private handleAppend(m: Extract<Message, { type: 'append' }>): void {
    const respond = (rejected: boolean, index: number, hintIndex = 0): void =>
      this.send({ type: 'appendResponse', from: this.id, to: m.from, term: this.term, rejected, index, hintIndex });
    if (m.prevIndex < this.log.committed) return respond(false, this.log.committed);
    const lastNew = this.log.tryAppend(m.prevIndex, m.prevTerm, m.entries, this.bugs.followerTruncatesAll === true);
    if (lastNew === null) return respond(true, m.prevIndex, this.log.lastIndex());
    this.log.commitTo(Math.min(m.commit, lastNew));
    respond(false, lastNew);
  }

  /**
   * Repairing (repair-gate.ts): a heartbeat's commit is min(our match, the
   * leader's commit), so one beyond our last index means the leader trusts a
   * match our cleared log no longer has. Say so as a rejection at that index:
   * the leader starts over with us (handleAppendResponse) even when idle.
   */
  private rejectStaleMatch(m: Extract<Message, { type: 'heartbeat' }>): void {
    const last = this.log.lastIndex();
    if (m.commit > last) this.send({ type: 'appendResponse', from: this.id, to: m.from, term: this.term, rejected: true, index: m.commit, hintIndex: last });
  }

  private handleHeartbeat(m: Extract<Message, { type: 'heartbeat' }>): void {
    // The leader sends min(our match, its commit), so this never exceeds what we hold.
    this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
    this.send({ type: 'heartbeatResponse', from: this.id, to: m.from, term: this.term, context: m.context });
  }

  /** A snapshot, or a chunk of one: installed once whole, unless our log already holds what it covers. */
  private handleSnapshot(m: Extract<Message, { type: 'snapshot' }>): void {
    const { index, term } = m.snapshot.meta;
    if (index <= this.log.committed) {
      // Old news: we already have all of it (whatever chunk this is).
      this.incomingSnapshot.clear();
    } else if (this.log.matchTerm(index, term)) {
      this.incomingSnapshot.clear();
      this.log.commitTo(index); // our log already holds it: just move the commit
    } else {
      const whole = this.incomingSnapshot.add(m);
      if (typeof whole === 'number') {
        this.send({ type: 'snapshotResponse', from: this.id, to: m.from, term: this.term, index, received: whole });
        return;
      }
      this.log.restore(whole);
      this.voters = [...whole.meta.membership.voters];
      this.learners = [...whole.meta.membership.learners];
    }
    this.send({ type: 'appendResponse', from: this.id, to: m.from, term: this.term, rejected: false, index: this.log.lastIndex(), hintIndex: 0 });
  }

  // ---- leader side ---------------------------------------------------------

  private handleAppendResponse(m: Extract<Message, { type: 'appendResponse' }>): void {
    const pr = this.progress.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    if (m.rejected && m.index === pr.match && m.hintIndex < pr.match) {
      // It rejects the very entry it acknowledged: its log is gone (cleared for a repair from its peers,
      // repair-gate.ts), and a progress that trusts the old match would probe at it forever. Start over with it.
      this.followerRestarted(m.from);
      this.progress.get(m.from)!.recentActive = true;
      this.sendAppend(m.from, false);
      return;
    }
    if (m.rejected) {
      if (pr.state === 'snapshot' || pr.maybeDecrease(m.index, m.hintIndex)) {
        if (pr.state !== 'probe') pr.becomeProbe();
        this.sendAppend(m.from, false);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    // A probe answered at our current match (e.g. an empty log) confirms the match point too.
    const confirmsProbe = pr.state === 'probe' && m.index === pr.match;
    if (!pr.maybeUpdate(m.index) && !confirmsProbe) return;
    // A follower that installed a snapshot gets an append at once, empty if need be: it learns the commit index
    // (a repairing replica waits for one, repair-gate.ts) without waiting for the next write.
    const installedSnapshot = pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot;
    if (pr.state === 'probe') pr.becomeReplicate();
    else if (installedSnapshot) { pr.becomeProbe(); pr.becomeReplicate(); }
    // A new commit index is not broadcast in empty appends: followers learn it with the next append or heartbeat
    // (every heartbeat interval), which halves the messages a write costs (docs/consensus.md, "Commit propagation").
    this.maybeCommit();
    if (wasPaused || installedSnapshot) this.sendAppend(m.from, installedSnapshot);
    // Pipelining: keep the window full while there is more to send.
    while (this.sendAppend(m.from, false, true)) { /* sent one more batch */ }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.send({ type: 'timeoutNow', from: this.id, to: m.from, term: this.term });
    }
  }

  private handleHeartbeatResponse(m: Extract<Message, { type: 'heartbeatResponse' }>): void {
    const pr = this.progress.get(m.from);
    if (!pr) return;
    pr.onHeartbeatResponse();
    // Snapshot chunks that had a heartbeat interval to be answered and were not: lost, send them again.
    if (pr.state === 'snapshot' && pr.snapshotAnswersIdle >= SNAPSHOT_CHUNK_RETRY_ANSWERS) {
      pr.rewindSnapshot();
      this.sendSnapshotChunks(m.from, pr);
    }
    // Behind: resend (an empty append with our last index makes a follower that lost appends reject, and we back up),
    // unless what it lacks was sent within the last heartbeat interval and may simply still be on its way.
    if (pr.match < this.log.lastIndex() && !pr.appendsInFlightFresh()) this.sendAppend(m.from, true);
    if (m.context === 0 || !this.voters.includes(m.from)) return;
    for (const { request, index } of this.rounds.acknowledge(m.context, m.from, this.voters)) this.confirmRead(request, index);
  }

  /** Advance the commit index to what a majority holds, if that entry is of our term. */
  private maybeCommit(): boolean {
    const index = quorumIndex(this.voters, this.matchOfVoter);
    if (index <= this.log.committed) return false;
    if (this.log.term(index) !== this.term && !this.bugs.commitOldTermByCounting) return false;
    this.log.commitTo(index);
    if (this.readsBeforeFirstCommit.length > 0 && this.log.term(this.log.committed) === this.term) {
      const waiting = this.readsBeforeFirstCommit;
      this.readsBeforeFirstCommit = [];
      for (const r of waiting) this.leaderReadIndex(r);
    }
    if (this.readsAwaitingFloor.count > 0) {
      for (const { request, index } of this.readsAwaitingFloor.release(this.log.committed)) this.answerRead(request, index);
    }
    return true;
  }

  private broadcastAppend(sendIfEmpty: boolean): void {
    // Leading alone (a group of one): nobody to send to, and no Map iterator per proposal.
    if (this.progress.size === 1 && this.progress.has(this.id)) return;
    for (const id of this.progress.keys()) if (id !== this.id) this.sendAppend(id, sendIfEmpty);
  }

  /** Send `to` what it lacks (or a snapshot); false when paused or, unless `sendIfEmpty`, nothing to send. */
  private sendAppend(to: ReplicaId, sendIfEmpty: boolean, onlyWithEntries = false): boolean {
    const pr = this.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === undefined) {
      // Compacted or released: only a snapshot can catch this follower up (retried on its next heartbeat answer).
      const snapshot = this.snapshotToSend();
      if (snapshot === null) return false;
      if (snapshot.data.length > this.config.snapshotBytesMax) {
        // Its chunks would be refused (peer rules): sending them would only load the link. Counted; the follower
        // stays behind until the group shrinks (docs/cluster.md).
        this.snapshotsTooLarge++;
        return false;
      }
      pr.becomeSnapshot(snapshot);
      this.sendSnapshotChunks(to, pr);
      return true;
    }
    const last = this.log.lastIndex();
    const entries = pr.next <= last ? this.log.slice(pr.next, last, this.config.appendBytesMax, this.config.appendEntriesMax) : [];
    if (entries.length === 0 && (onlyWithEntries || (!sendIfEmpty && pr.state === 'replicate'))) return false;
    this.send({ type: 'append', from: this.id, to, term: this.term, prevIndex, prevTerm, entries, commit: this.log.committed });
    let bytes = 0;
    for (const entry of entries) bytes += entry.data.length;
    pr.sentAppend(entries.length > 0 ? entries[entries.length - 1]!.index : prevIndex, entries.length, bytes);
    return entries.length > 0;
  }

  /** Send `to` the next chunks of the snapshot under way, while the window has room (the whole, when it fits one chunk). */
  private sendSnapshotChunks(to: ReplicaId, pr: Progress): void {
    const snapshot = pr.sendingSnapshot;
    assert(snapshot !== null, 'a snapshot under way');
    const size = snapshot.data.length;
    const chunk = this.config.snapshotChunkBytes;
    for (let offset = pr.nextSnapshotChunk(chunk * SNAPSHOT_CHUNKS_IN_FLIGHT); offset >= 0; offset = pr.nextSnapshotChunk(chunk * SNAPSHOT_CHUNKS_IN_FLIGHT)) {
      const end = Math.min(size, offset + chunk);
      const part = offset === 0 && end === size ? snapshot : { meta: snapshot.meta, data: snapshot.data.subarray(offset, end) };
      this.send({ type: 'snapshot', from: this.id, to, term: this.term, snapshot: part, offset, size });
      pr.sentSnapshotChunk(end);
    }
  }

  /** The follower holds `received` bytes of the snapshot we send it: the window moves on. */
  private handleSnapshotResponse(m: Extract<Message, { type: 'snapshotResponse' }>): void {
    const pr = this.progress.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    if (pr.state !== 'snapshot' || m.index !== pr.pendingSnapshot) return; // an answer about an earlier transfer
    if (pr.snapshotAnswer(m.received)) this.sendSnapshotChunks(m.from, pr);
  }

  private broadcastHeartbeat(context = this.rounds.latestSeq()): void {
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      this.send({ type: 'heartbeat', from: this.id, to: id, term: this.term, commit: Math.min(pr.match, this.log.committed), context });
    }
  }
}
