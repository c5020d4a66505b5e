// One replica of a shard group: Raft (core/raft) deciding the order of
// writes, and the shard (core/shard) applying them. Writes are proposed as
// log entries and answered once applied; reads are answered by ReadIndex,
// without writing the log, once the shard has applied the read's index. On
// a leader that index is at least the log's end when the read arrived (its
// floor, core/raft/read-index.ts): a read pipelined behind a write sees it.
// (A write pipelined after a read may still be applied before the read is
// confirmed, and be seen by it: the two are concurrent.)
//
// Pure and single-threaded like its parts: the driver (a worker, or the
// simulator) calls propose/read/step/tick, then process(nowMs), and sends
// what process() leaves in `outbox` (already persisted, so sendable).
//
// Background sync: over a storage that syncs in the background (LogStorage
// with a syncer, 'always' mode), process() writes a Ready and goes on
// without waiting for its fsync; the Ready's messages wait for it, Raft
// hears its entries are persisted only then (RawNode.persisted), and so
// nothing they hold is committed, applied or answered before it is durable.
// A later process() (the driver calls it while `awaitingSync`) takes note.
//
// What a caller learns about a request (`ReplicaOutcome`):
// - reply: applied (writes) or read at a linearizable point (reads);
// - notLeader: certainly not applied (refused here, or its log slot was
//   taken by another leader's entry); retry at `leader` if known.
// - unknown: a write whose entry left this replica's log before it was
//   applied here (another leader's entry replaced it, or a snapshot covered
//   it): another replica may still hold it and commit it, so nobody knows.
// A write whose replica loses leadership stays pending until its index is
// applied with whatever entry won it, or its entry leaves the log. A read
// not confirmed within READ_TIMEOUT_TICKS (a forwarded read lost on the way)
// is answered notLeader: reads have no effect, so retrying is safe.
//
// A group of one (a node without peers, or the only voter left): it elects
// itself at once (`campaignAlone`), commits an entry as soon as it is
// persisted, and serves reads without a ReadIndex round: a read arriving
// when everything is applied is answered at once (`readNow`); one arriving
// behind writes of the same batch is answered right after the last of them
// is applied, and before any later one (the order of a Redis pipeline).
//
// Compaction: a snapshot copies the whole state, so it is taken when the log
// written since the last one is as large as the state (Redis rewrites its
// AOF at 100 % growth), never below SNAPSHOT_LOG_BYTES_MIN: its cost stays
// proportional to the log's growth, whatever the state's size. That log is
// on disk: in memory, Raft releases each entry once it is applied and every
// other member holds it (Raft.releaseApplied), and a group of one keeps no
// snapshot bytes either. A group over volatile storage (--in-memory) takes
// no snapshots unless Raft asks for one (a member joined and needs released
// entries: Raft.snapshotWanted).

import { assert } from '../assert.js';
import type { Limits } from '../limits.js';
import { errReply, type Reply } from '../protocol/ops.js';
import { DEFAULT_RAFT_TUNING, type RaftConfig } from '../raft/raft.js';
import { backgroundSyncOf, type BackgroundSyncStorage, type RaftStorage } from '../raft/raft-storage.js';
import {
  NO_REPLICA, type ConfChange, type ConfChangeKind, type Entry, type HardState, type Membership, type Message, type ReplicaId, type Snapshot,
  type SnapshotMeta,
} from '../raft/raft-types.js';
import { RawNode, type AdvanceOptions, type Ready } from '../raft/raw-node.js';
import { commandOf, type Proposal, type ReadRequest } from '../shard/command.js';
import { Shard } from '../shard/shard.js';
import { SNAPSHOT_STEP_BYTES, type WholeSnapshotJob } from '../shard/snapshot-job.js';
import { decodeEntryPayload, encodeLogIdPayload, EntryEncoder } from './entry-codec.js';
import { drawLogId } from './log-id.js';
import { drawReadContextBase } from './read-context.js';
import { HeldCommands } from './held-commands.js';

const PERSISTED: AdvanceOptions = Object.freeze({ persisted: true });
const NOT_PERSISTED: AdvanceOptions = Object.freeze({ persisted: false });

export type ReplicaOutcome =
  | { readonly kind: 'reply'; readonly reply: Reply }
  | { readonly kind: 'notLeader'; readonly leader: ReplicaId }
  /** The write may or may not have been applied (its slot was filled by a snapshot from the leader). */
  | { readonly kind: 'unknown' };

function overloadedReply(group: number): Reply {
  return errReply('OVERLOADED', `group ${group} has too many writes waiting to commit (a quorum of its replicas is behind); retry later`);
}

/** `tag` is what the caller gave with the request (0 if none): one callback can serve many requests without a closure each. */
export type OutcomeCallback = (outcome: ReplicaOutcome, tag: number) => void;

export interface ShardReplicaConfig {
  /** The shard group's number (also the shard's index). */
  readonly group: number;
  readonly raft: RaftConfig;
  readonly limits: Limits;
  /** Bootstrap membership (used when storage holds no snapshot). */
  readonly membership: Membership;
  /**
   * Take a snapshot once this many entries were applied since the last one
   * (the simulator and tests: small, so snapshots happen). The product leaves
   * it at DEFAULT_SNAPSHOT_EVERY_ENTRIES (never) and compacts by bytes.
   */
  readonly snapshotEveryEntries: number;
  /** Snapshot once the log since the last one holds this many bytes, or the state's size if larger (default SNAPSHOT_LOG_BYTES_MIN). */
  readonly snapshotLogBytesMin?: number;
  /** Entries kept behind a snapshot, so a slightly slow follower needs no snapshot. */
  readonly snapshotKeepEntries: number;
  /** Mutation suite only: messages leave before what they promise is synced (a classic bug). */
  readonly plantedBugSendBeforeSync?: boolean;
  /** Mutation suite only: a background sync is not waited for (Raft hears of persistence, and messages leave, at once). */
  readonly plantedBugSkipBackgroundSyncWait?: boolean;
  /** Bytes of records a snapshot job walks per process() call (default SNAPSHOT_STEP_BYTES); tests make it tiny. */
  readonly snapshotStepBytes?: number;
}

/** No snapshot by entry count: the product compacts by log bytes (see the header). */
export const DEFAULT_SNAPSHOT_EVERY_ENTRIES = Number.POSITIVE_INFINITY;
export const DEFAULT_SNAPSHOT_KEEP_ENTRIES = 1_000;
/**
 * The least log growth (bytes) that triggers a snapshot, so a small state is
 * not copied on every few writes. Like Redis's auto-aof-rewrite-min-size, but
 * smaller: the storage holds these bytes until the snapshot, per group (and a
 * follower's Raft log, which compacts only behind snapshots).
 */
export const SNAPSHOT_LOG_BYTES_MIN = 8 * 1024 * 1024;
/**
 * What an entry weighs beyond its data in the compaction trigger. On disk its
 * framing is far less (13 bytes), but replaying it at a restart costs a
 * decode and an apply whatever its size, and a follower's Raft log holds an
 * Entry object and byte array (about this much in V8) until a snapshot.
 * Counted so that many small writes, and no-ops, still bring the snapshot on.
 */
export const ENTRY_LOG_OVERHEAD_BYTES = 128;
/** Ticks a lone voter may need to elect itself: its election timeout is drawn in [electionTicks, 2·electionTicks). */
const ALONE_CAMPAIGN_TICKS_MAX = 2 * DEFAULT_RAFT_TUNING.electionTicks;
export { DEFAULT_RAFT_TUNING };

interface PendingWrite { readonly term: number; readonly onOutcome: OutcomeCallback; readonly tag: number }
/** Readies waiting for a background sync: its sequence, the last entry it makes durable (index 0: none), the messages behind it. */
interface UnsyncedReadies { readonly seq: number; index: number; term: number; readonly messages: Message[] }
interface PendingRead { readonly request: ReadRequest; readonly onOutcome: OutcomeCallback; readonly tag: number; readonly startTick: number }
/** A read waiting for its ReadIndex answer; `floor`: the log's last index when it arrived on the leader (Infinity elsewhere). */
interface UnconfirmedRead extends PendingRead { readonly floor: number }

/** Ticks a read may wait for its ReadIndex confirmation: two of the longest election timeouts. */
export const READ_TIMEOUT_TICKS = 4 * DEFAULT_RAFT_TUNING.electionTicks;
interface ConfirmedRead extends PendingRead { readonly index: number }

const CONF_KINDS: readonly ConfChangeKind[] = ['addVoter', 'addLearner', 'remove'];

export function encodeConfChange(change: ConfChange): Uint8Array {
  const bytes = new Uint8Array(5);
  bytes[0] = CONF_KINDS.indexOf(change.kind);
  new DataView(bytes.buffer).setUint32(1, change.replica, true);
  return bytes;
}

export function decodeConfChange(bytes: Uint8Array): ConfChange {
  assert(bytes.length === 5, 'a conf change is 5 bytes');
  const kind = CONF_KINDS[bytes[0]!];
  assert(kind !== undefined, 'unknown conf change kind');
  return { kind, replica: new DataView(bytes.buffer, bytes.byteOffset, 5).getUint32(1, true) };
}

export class ShardReplica {
  readonly raw: RawNode;
  shard: Shard;
  /** Messages ready to send: everything they promise is persisted. */
  outbox: Message[] = [];
  private readonly pendingWrites = new Map<number, PendingWrite>();
  private readonly pendingReads = new Map<number, UnconfirmedRead>();
  /** A read left pendingReads since the applies' hold was last set (holdApplies). */
  private pendingReadsLeft = false;
  /** Reads confirmed by ReadIndex (or, alone, by the log's end), waiting for the shard to apply their index. */
  private confirmedReads: ConfirmedRead[] = [];
  /** The lowest index among confirmedReads (Infinity when none): they are served as the applies reach it. */
  private confirmedReadsMinIndex = Infinity;
  /** Log bytes (data + ENTRY_LOG_OVERHEAD_BYTES each) applied since the last snapshot: the compaction trigger. */
  private logBytesSinceSnapshot = 0;
  /**
   * The next ReadIndex context. It starts at a random point per incarnation:
   * a replica restarted in the same term must not reuse its predecessor's
   * contexts, or the leader's late answer to an old read (confirmed at an
   * older index) would confirm a new read with the same number, stale.
   */
  private nextReadContext: number;
  /** The newest timestamp this replica stamped or saw in its log as leader of `stampTerm`. */
  private stampFloorMs = 0;
  private stampTerm = -1;
  private snapshotIndex = 0;
  /** Encodes proposed entries into shared buffers: a view each, not an ArrayBuffer (and a GC burden) nor a copy. */
  private readonly entries = new EntryEncoder();
  /** Commands proposed with proposeHeld since the last process(), by index. */
  private readonly held = new HeldCommands();
  /** Ticks so far, the clock of read timeouts. */
  private ticks = 0;
  private bugSyncSkips = 0;
  /** The term and vote of the last synced hard state: a change of either must be synced before anything is sent. */
  private syncedTermVote: HardState;
  /** The log's `rewrites` when dropReplacedWrites last looked: no rewrite since, nothing to drop. */
  private rewritesChecked = 0;
  /** The storage, when it syncs in the background (see the header); null: persist() syncs at once. */
  private readonly background: BackgroundSyncStorage | null;
  /**
   * Readies written and waiting for their background sync, oldest first. A
   * Ready with nothing to sync joins the last while any wait, so messages
   * leave in the order Raft made them.
   */
  private readonly unsynced: UnsyncedReadies[] = [];

  constructor(private readonly config: ShardReplicaConfig, private readonly storage: RaftStorage) {
    const stored = storage.load();
    this.background = backgroundSyncOf(storage);
    // Sized for the log's entries too: a restart's replay then does not grow the store's index again.
    this.shard = stored.snapshot
      ? Shard.restore(config.group, config.limits, stored.snapshot.data, stored.entries.length)
      : new Shard(config.group, config.limits);
    this.snapshotIndex = stored.snapshot?.meta.index ?? 0;
    this.syncedTermVote = stored.hardState;
    assert(this.shard.appliedIndex === this.snapshotIndex, 'a snapshot restores the shard at its own index');
    // A new log's first entry carries its identity, drawn by the leader that proposes it (core/replica/log-id.ts).
    this.nextReadContext = drawReadContextBase(config.raft.random);
    const raftConfig = { ...config.raft, firstEntryData: () => encodeLogIdPayload(drawLogId(config.raft.random)) };
    this.raw = new RawNode(raftConfig, {
      hardState: stored.hardState, snapshot: stored.snapshot, entries: stored.entries, membership: config.membership,
    });
  }

  get id(): ReplicaId {
    return this.raw.raft.id;
  }

  get group(): number {
    return this.config.group;
  }

  isLeader(): boolean {
    return this.raw.raft.role === 'leader';
  }

  leader(): ReplicaId {
    return this.raw.raft.lead;
  }

  /**
   * No leader can take a request now, and one is expected: no leader is
   * known (an election is under way), or this leader is handing over.
   * The worker holds the group's requests meanwhile (core/shard/leader-wait.ts).
   */
  awaitsLeader(): boolean {
    const raft = this.raw.raft;
    return raft.lead === NO_REPLICA || (raft.role === 'leader' && raft.transferring);
  }

  /** Requests waiting for an outcome (writes and reads). */
  get pendingCount(): number {
    return this.pendingWrites.size + this.held.waitingCount + this.pendingReads.size + this.confirmedReads.length;
  }

  // ---- inputs ----------------------------------------------------------------

  /** Propose a write; its outcome comes to `onOutcome` with `tag`. The proposal is encoded at once (its bytes may be reused after). */
  propose(proposal: Proposal, nowMs: number, onOutcome: OutcomeCallback, tag = 0): void {
    this.proposeEntry(proposal, nowMs, onOutcome, tag, false);
  }

  /**
   * As propose(), and the caller keeps `proposal`'s bytes unchanged until the
   * next process() returns (the worker returns a drain's ring space only
   * after its process()): an entry applied within that call, as a group of
   * one applies its own, is applied from `proposal` itself (HeldCommands)
   * instead of being decoded back from its bytes.
   */
  proposeHeld(proposal: Proposal, nowMs: number, onOutcome: OutcomeCallback, tag = 0): void {
    this.proposeEntry(proposal, nowMs, onOutcome, tag, true);
  }

  private proposeEntry(proposal: Proposal, nowMs: number, onOutcome: OutcomeCallback, tag: number, held: boolean): void {
    const raft = this.raw.raft;
    if (raft.role !== 'leader') return onOutcome({ kind: 'notLeader', leader: raft.lead }, tag);
    const timestampMs = this.stamp(nowMs);
    const command = commandOf(proposal, timestampMs);
    const result = this.raw.propose(this.entries.encode(timestampMs, command));
    if (!result.ok) {
      // Too many entries not yet committed (a quorum cannot keep up): the client should slow down, not look for another leader.
      if (result.reason === 'overloaded') return onOutcome({ kind: 'reply', reply: overloadedReply(this.group) }, tag);
      return onOutcome({ kind: 'notLeader', leader: result.leader }, tag);
    }
    // Alone, the entry is applied within the next process(): held, it needs no decode and no pending-write record.
    if (held && this.leadsAlone()) {
      if (!this.held.continues(result.index, result.term)) this.releaseHeld();
      this.held.add(result.index, result.term, command, timestampMs, onOutcome, tag);
      return;
    }
    this.pendingWrites.set(result.index, { term: result.term, onOutcome, tag });
  }

  /** Held writes still waiting become ordinary pending writes (their commands' bytes are no longer ours to read). */
  private releaseHeld(): void {
    const held = this.held;
    for (let index = held.firstIndex; held.waitingCount > 0 && index < held.firstIndex + held.count; index++) {
      const slot = held.slot(index);
      if (slot >= 0) this.pendingWrites.set(index, { term: held.term, tag: held.tagAt(slot), onOutcome: held.take(slot) });
    }
    held.clear();
  }

  /**
   * The timestamp for a new entry: the clock, but never below anything this
   * group's log or reads have seen, so entry time is monotonic across leaders
   * (a new leader may hold entries stamped by a predecessor whose clock ran ahead).
   */
  private stamp(nowMs: number): number {
    const raft = this.raw.raft;
    if (this.stampTerm !== raft.term) {
      this.stampTerm = raft.term;
      this.stampFloorMs = Math.max(this.shard.appliedTimestampMs, this.lastLogTimestampMs());
    }
    this.stampFloorMs = Math.max(nowMs, this.stampFloorMs, this.shard.readClockMs);
    return this.stampFloorMs;
  }

  private lastLogTimestampMs(): number {
    const log = this.raw.raft.log;
    for (let i = log.lastIndex(); i > log.applied && i >= log.firstIndex(); i--) {
      const data = log.entry(i).data;
      if (log.entry(i).kind === 'normal' && data.length > 0) return decodeEntryPayload(data, 0).timestampMs;
    }
    return 0;
  }

  /** A read, answered to `onOutcome` with `tag` once linearizable. The replica keeps `request`: its bytes must stay. */
  read(request: ReadRequest, onOutcome: OutcomeCallback, tag = 0): void {
    if (this.leadsAlone()) {
      // Alone, this leader's log holds every write there is: the read is served once its end is applied.
      this.pushConfirmedRead({ request, onOutcome, tag, startTick: this.ticks, index: this.raw.raft.log.lastIndex() });
      return;
    }
    const context = this.nextReadContext++;
    // On the leader, the read's floor: until it is served, nothing proposed after it is applied (holdApplies).
    const floor = this.raw.readIndex(context);
    this.pendingReads.set(context, { request, onOutcome, tag, startTick: this.ticks, floor });
    const log = this.raw.raft.log;
    if (floor < log.applyLimit) log.applyLimit = floor;
  }

  // ---- a group of one ----------------------------------------------------------

  /** The only voter of its group, and its leader: nobody else can commit or lead. */
  leadsAlone(): boolean {
    const raft = this.raw.raft;
    return raft.role === 'leader' && raft.voters.length === 1 && raft.voters[0] === raft.id;
  }

  /**
   * A read answered now, or null when it must wait (read() then): a lone
   * leader with every entry of its log applied reads its shard as is. The
   * request's bytes are not kept.
   */
  readNow(request: ReadRequest, nowMs: number): Reply | null {
    if (!this.leadsAlone() || this.shard.appliedIndex !== this.raw.raft.log.lastIndex()) return null;
    return this.shard.read(request, nowMs);
  }

  /**
   * The only voter elects itself now instead of after an election timeout
   * (a lone node serves from its first request), and persists its term and
   * no-op (process()). Does nothing for a replica with peers.
   */
  campaignAlone(nowMs: number): void {
    const raft = this.raw.raft;
    if (raft.voters.length !== 1 || raft.voters[0] !== raft.id) return;
    for (let i = 0; i < ALONE_CAMPAIGN_TICKS_MAX && raft.role !== 'leader'; i++) this.raw.tick();
    assert(raft.role === 'leader', 'a lone voter elects itself within two election timeouts');
    this.process(nowMs);
  }

  proposeConfChange(change: ConfChange): boolean {
    return this.raw.proposeConfChange(change, encodeConfChange(change)).ok;
  }

  step(message: Message): void {
    this.raw.step(message);
  }

  tick(): void {
    this.raw.tick();
    this.ticks++;
    for (const [context, read] of this.pendingReads) {
      if (this.ticks - read.startTick < READ_TIMEOUT_TICKS) continue;
      this.pendingReads.delete(context);
      this.pendingReadsLeft = true;
      read.onOutcome({ kind: 'notLeader', leader: this.raw.raft.lead }, read.tag);
    }
    this.holdApplies();
  }

  /**
   * Pipeline order for reads on the leader: a read is answered at its floor
   * (Raft.confirmRead), so entries proposed after it arrived must not be
   * applied until it is served, or a pipeline's `GET k` then `SET k v` could
   * read v when the read's ReadIndex round is confirmed after the write
   * commits (Redis answers the GET first). Raft applies nothing above the
   * lowest floor of the reads still waiting for confirmation; confirmed reads
   * are served between applies as their index is reached (process()).
   */
  private holdApplies(): void {
    if (!this.pendingReadsLeft) return;
    this.pendingReadsLeft = false;
    let limit = Infinity;
    for (const read of this.pendingReads.values()) if (read.floor < limit) limit = read.floor;
    this.raw.raft.log.applyLimit = limit;
  }

  /** Ticks until tick() may do something: Raft's next timeout, or the oldest read's (see Raft.ticksUntilDue). */
  ticksUntilDue(): number {
    let due = this.raw.raft.ticksUntilDue();
    if (this.pendingReads.size === 0) return due;
    // Reads time out in the order they started (a Map iterates in insertion order).
    for (const read of this.pendingReads.values()) {
      due = Math.min(due, Math.max(1, READ_TIMEOUT_TICKS - (this.ticks - read.startTick)));
      break;
    }
    return due;
  }

  // ---- effects ---------------------------------------------------------------

  /**
   * Carry out every Ready (persist, then send, then apply and answer), then
   * snapshot if due. Call it once per batch of input: every proposal since
   * the last call shares one Ready, so one sync.
   */
  process(nowMs: number): void {
    let rounds = 0;
    this.takeDurable();
    this.holdApplies();
    while (this.raw.hasReady()) {
      assert(++rounds <= 1000, 'a replica kept producing work without new input');
      const ready = this.raw.ready();
      const waitFor = this.persist(ready);
      if (waitFor === 0 && this.unsynced.length === 0) {
        // Indexed loops: this runs for every Ready, and an iterator that escapes costs an object.
        const messages = ready.messages;
        for (let i = 0; i < messages.length; i++) this.outbox.push(messages[i]!);
      } else {
        this.holdUntilSynced(waitFor, ready);
      }
      if (ready.snapshot) this.loadSnapshot(ready.snapshot);
      // Reads confirmed in this Ready are noted before its entries are applied, so each is answered as soon as its
      // own index is, not after the rest of the Ready's (a read confirmed as its floor commits need not see a write
      // that committed with it).
      for (let i = 0; i < ready.readStates.length; i++) this.readConfirmed(ready.readStates[i]!.context, ready.readStates[i]!.index);
      if (this.confirmedReadsMinIndex <= this.shard.appliedIndex) this.serveConfirmedReads(nowMs);
      const committed = ready.committedEntries;
      for (let i = 0; i < committed.length; i++) {
        const entry = committed[i]!;
        this.applyEntry(entry);
        // Reads waiting for this index are answered before the next write changes the state.
        if (this.confirmedReadsMinIndex <= entry.index) this.serveConfirmedReads(nowMs);
      }
      this.raw.advance(ready, waitFor === 0 ? PERSISTED : NOT_PERSISTED);
      this.takeDurable();
      // Reads confirmed in this Ready no longer hold the entries behind them.
      this.holdApplies();
    }
    this.serveConfirmedReads(nowMs);
    // Held commands' bytes are the caller's again from here on (proposeHeld).
    this.releaseHeld();
    this.dropReplacedWrites();
    this.stepSnapshot();
  }

  /** Writes the Ready; returns the background sync it waits for, or 0 when it is durable already (or needs no sync). */
  private persist(ready: Ready): number {
    if (ready.hardState) this.storage.saveHardState(ready.hardState);
    if (ready.snapshot) this.storage.saveSnapshot(ready.snapshot);
    this.storage.appendEntries(ready.entries);
    // The planted bug syncs only every other time, while process() sends at once either way.
    if (this.config.plantedBugSendBeforeSync && (this.bugSyncSkips++ & 1) === 0) return 0;
    // The commit index alone needs no sync (Raft relearns it: a restarted leader commits again, a follower
    // hears it): a Ready that only commits what the previous one persisted costs no second sync.
    const last = this.syncedTermVote;
    const termOrVote = ready.hardState !== null && (ready.hardState.term !== last.term || ready.hardState.vote !== last.vote);
    if (!termOrVote && ready.snapshot === null && ready.entries.length === 0) return 0;
    if (ready.hardState) this.syncedTermVote = ready.hardState;
    const background = this.background;
    if (background === null) {
      this.storage.sync();
      return 0;
    }
    const seq = background.requestSync();
    if (this.config.plantedBugSkipBackgroundSyncWait) return 0;
    return seq <= background.durableSeq ? 0 : seq;
  }

  /** The Ready's messages (and entries) wait for sync `seq` (0: for the syncs already waited for). */
  private holdUntilSynced(seq: number, ready: Ready): void {
    const tail = this.unsynced.length > 0 ? this.unsynced[this.unsynced.length - 1]! : null;
    let waiting = tail;
    if (tail === null || seq > tail.seq) {
      waiting = { seq, index: 0, term: 0, messages: [] };
      this.unsynced.push(waiting);
    }
    const entries = ready.entries;
    if (entries.length > 0) {
      waiting!.index = entries[entries.length - 1]!.index;
      waiting!.term = entries[entries.length - 1]!.term;
    }
    for (let i = 0; i < ready.messages.length; i++) waiting!.messages.push(ready.messages[i]!);
  }

  /** Readies whose background sync finished: Raft hears their entries are persisted, and their messages go. */
  private takeDurable(): void {
    if (this.unsynced.length === 0) return;
    const background = this.background!;
    background.pollSync();
    const durable = background.durableSeq;
    let n = 0;
    while (n < this.unsynced.length && this.unsynced[n]!.seq <= durable) {
      const waited = this.unsynced[n++]!;
      if (waited.index > 0) this.raw.persisted(waited.index, waited.term);
      for (let i = 0; i < waited.messages.length; i++) this.outbox.push(waited.messages[i]!);
    }
    if (n > 0) this.unsynced.splice(0, n);
  }

  /** Makes every write so far durable now, waiting for any background sync, and carries on (process). */
  syncNow(nowMs: number): void {
    if (this.unsynced.length === 0) return;
    this.storage.sync();
    this.process(nowMs);
  }

  /** Writes wait for a background sync: call process() again (each drain) until it has finished. */
  get awaitingSync(): boolean {
    return this.unsynced.length > 0;
  }

  /** Compaction trigger (see the header): by entries (tests, simulator) or by log bytes against the state's size. */
  private snapshotDue(): boolean {
    if (this.shard.appliedIndex - this.snapshotIndex >= this.config.snapshotEveryEntries) return true;
    const floor = this.config.snapshotLogBytesMin ?? SNAPSHOT_LOG_BYTES_MIN;
    // The state's size as a snapshot copies it: its keys' and values' bytes (usedBytes counts whole store pages).
    return this.logBytesSinceSnapshot >= floor && this.logBytesSinceSnapshot >= this.shard.dataBytes;
  }

  private loadSnapshot(snapshot: Snapshot): void {
    this.releaseHeld();
    this.cancelSnapshot();
    this.shard = Shard.restore(this.config.group, this.config.limits, snapshot.data);
    assert(this.shard.appliedIndex === snapshot.meta.index, 'snapshot data and metadata disagree on the index');
    this.snapshotIndex = snapshot.meta.index;
    this.logBytesSinceSnapshot = 0;
    // Writes below the snapshot were decided elsewhere and we cannot tell whether ours won its slot.
    for (const [index, w] of this.pendingWrites) {
      if (index > snapshot.meta.index) continue;
      this.pendingWrites.delete(index);
      w.onOutcome({ kind: 'unknown' }, w.tag);
    }
  }

  private applyEntry(entry: Entry): void {
    const shard = this.shard;
    this.logBytesSinceSnapshot += entry.data.length + ENTRY_LOG_OVERHEAD_BYTES;
    const heldSlot = this.held.slot(entry.index);
    if (heldSlot >= 0) {
      if (entry.term === this.held.term && entry.kind === 'normal') return this.applyHeld(entry, heldSlot);
      // Another leader's entry took the slot: ours becomes an ordinary pending write, answered below.
      this.pendingWrites.set(entry.index, { term: this.held.term, tag: this.held.tagAt(heldSlot), onOutcome: this.held.take(heldSlot) });
    }
    let reply: Reply;
    if (entry.kind === 'conf') {
      this.raw.applyConfChange(decodeConfChange(entry.data));
      reply = shard.apply({ index: entry.index, term: entry.term, timestampMs: shard.appliedTimestampMs, command: { op: 'noop' } });
    } else {
      const payload = decodeEntryPayload(entry.data, shard.appliedTimestampMs);
      // Clamped as well as stamped monotonic: identical on every replica, and a bug upstream cannot stop the apply.
      const timestampMs = Math.max(payload.timestampMs, shard.appliedTimestampMs);
      reply = shard.apply({ index: entry.index, term: entry.term, timestampMs, command: payload.command });
    }
    const pending = this.pendingWrites.get(entry.index);
    if (pending === undefined) return;
    this.pendingWrites.delete(entry.index);
    // Our entry, or another leader's that took its slot (then ours was never applied).
    if (pending.term === entry.term) pending.onOutcome({ kind: 'reply', reply }, pending.tag);
    else pending.onOutcome({ kind: 'notLeader', leader: this.raw.raft.lead }, pending.tag);
  }

  /** Our own held write's entry (HeldCommands): applied from the command it was encoded from, what decoding would give. */
  private applyHeld(entry: Entry, slot: number): void {
    const held = this.held;
    const shard = this.shard;
    // The timestamp the entry was encoded with, clamped as applyEntry does.
    const timestampMs = Math.max(held.timestampMsAt(slot), shard.appliedTimestampMs);
    const reply = shard.apply({ index: entry.index, term: entry.term, timestampMs, command: held.commandAt(slot) });
    const tag = held.tagAt(slot);
    held.take(slot)({ kind: 'reply', reply }, tag);
  }

  /** Pending writes whose entry is no longer in this log: their outcome is unknown here. */
  private dropReplacedWrites(): void {
    const log = this.raw.raft.log;
    // Only a rewrite of the log removes entries (process() runs on every input; this stays O(1) then).
    if (this.pendingWrites.size === 0 || log.rewrites === this.rewritesChecked) return;
    this.rewritesChecked = log.rewrites;
    for (const [index, w] of this.pendingWrites) {
      const term = index >= log.firstIndex() || index === log.firstIndex() - 1 ? log.term(index) : undefined;
      if (index <= log.lastIndex() && (term === undefined || term === w.term)) continue;
      this.pendingWrites.delete(index);
      w.onOutcome({ kind: 'unknown' }, w.tag);
    }
  }

  private readConfirmed(context: number, index: number): void {
    const pending = this.pendingReads.get(context);
    if (pending === undefined) return;
    this.pendingReads.delete(context);
    this.pendingReadsLeft = true;
    if (index === 0) return pending.onOutcome({ kind: 'notLeader', leader: this.raw.raft.lead }, pending.tag);
    assert(index <= pending.floor, () => `a read on the leader answered at ${index}, above its floor ${pending.floor}: it could see a later write`);
    this.pushConfirmedRead({ request: pending.request, onOutcome: pending.onOutcome, tag: pending.tag, startTick: pending.startTick, index });
  }

  private pushConfirmedRead(read: ConfirmedRead): void {
    this.confirmedReads.push(read);
    if (read.index < this.confirmedReadsMinIndex) this.confirmedReadsMinIndex = read.index;
  }

  /** Answer the confirmed reads whose index the shard has applied; the others keep their order. */
  private serveConfirmedReads(nowMs: number): void {
    if (this.confirmedReads.length === 0) return;
    const applied = this.shard.appliedIndex;
    let kept = 0;
    let minIndex = Infinity;
    const reads = this.confirmedReads;
    for (let i = 0; i < reads.length; i++) {
      const read = reads[i]!;
      if (read.index > applied) {
        reads[kept++] = read;
        if (read.index < minIndex) minIndex = read.index;
      } else {
        read.onOutcome({ kind: 'reply', reply: this.shard.read(read.request, nowMs) }, read.tag);
      }
    }
    reads.length = kept;
    this.confirmedReadsMinIndex = minIndex;
  }

  // ---- snapshots, taken a step per process() call -----------------------------

  /** The snapshot job under way (core/shard/snapshot-job.ts) and the Raft metadata of its index, fixed when it began. */
  private snapshotJob: { job: WholeSnapshotJob; meta: SnapshotMeta } | null = null;

  /**
   * Begin a snapshot when due and advance the one under way by one step, so
   * the worker pauses for a step, not for the whole shard; entries applied
   * meanwhile are not in it (it is the state at its own index).
   */
  private stepSnapshot(): void {
    if (this.snapshotJob === null) {
      // Raft asks for one when a member needs entries it released (a group of one keeps no snapshot).
      if (!this.snapshotDue() && !this.raw.raft.snapshotWanted) return;
      const raft = this.raw.raft;
      const index = this.shard.appliedIndex;
      const term = raft.log.term(index);
      assert(term !== undefined && index === raft.log.applied, 'the shard and Raft agree on what is applied');
      this.snapshotJob = { job: this.shard.beginWholeSnapshot(), meta: { index, term, membership: raft.membership() } };
      // Log written from here on counts toward the next snapshot: this one covers up to its index.
      this.logBytesSinceSnapshot = 0;
    }
    const data = this.snapshotJob.job.step(this.config.snapshotStepBytes ?? SNAPSHOT_STEP_BYTES);
    if (data === null) return;
    const snapshot: Snapshot = { meta: this.snapshotJob.meta, data };
    this.snapshotJob = null;
    this.raw.snapshotTaken(snapshot, this.config.snapshotKeepEntries);
    this.storage.saveSnapshot(snapshot);
    this.storage.sync();
    this.snapshotIndex = snapshot.meta.index;
  }

  /** Whether a snapshot job is under way (it steps once per process() call). */
  get snapshotUnderway(): boolean {
    return this.snapshotJob !== null;
  }

  /** A leader's snapshot replaces the shard: the job on the old one is moot. */
  private cancelSnapshot(): void {
    this.snapshotJob?.job.cancel();
    this.snapshotJob = null;
  }
}
