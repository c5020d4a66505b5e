// One replica of a shard group: Raft (core/raft) deciding the order of
// writes, and the shard (core/shard) applying them. Writes are proposed as
// log entries and answered once applied; reads are answered by ReadIndex,
// without writing the log, once the shard has applied the read's index.
//
// Pure and single-threaded like its parts: the driver (a worker, or the
// simulator) calls propose/read/step/tick, then process(nowMs), and sends
// what process() leaves in `outbox` (already persisted, so sendable).
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

import { assert } from '../assert.js';
import type { Limits } from '../limits.js';
import type { Reply } from '../protocol/ops.js';
import { DEFAULT_RAFT_TUNING, type RaftConfig } from '../raft/raft.js';
import type { RaftStorage } from '../raft/raft-storage.js';
import {
  type ConfChange, type ConfChangeKind, type Entry, type Membership, type Message, type ReplicaId, type Snapshot,
} from '../raft/raft-types.js';
import { RawNode, type Ready } from '../raft/raw-node.js';
import { ByteWriter } from '../ring/byte-writer.js';
import { commandOf, type Proposal, type ReadRequest } from '../shard/command.js';
import { Shard } from '../shard/shard.js';
import { decodeEntryPayload, encodeEntryPayload } from './entry-codec.js';

export type ReplicaOutcome =
  | { readonly kind: 'reply'; readonly reply: Reply }
  | { readonly kind: 'notLeader'; readonly leader: ReplicaId }
  /** The write may or may not have been applied (its slot was filled by a snapshot from the leader). */
  | { readonly kind: 'unknown' };

export type OutcomeCallback = (outcome: ReplicaOutcome) => void;

export interface ShardReplicaConfig {
  /** The shard group's number (also the shard's index). */
  readonly group: number;
  readonly raft: RaftConfig;
  readonly limits: Limits;
  /** Bootstrap membership (used when storage holds no snapshot). */
  readonly membership: Membership;
  /** Take a snapshot once this many entries were applied since the last one. */
  readonly snapshotEveryEntries: number;
  /** Entries kept behind a snapshot, so a slightly slow follower needs no snapshot. */
  readonly snapshotKeepEntries: number;
  /** Mutation suite only: messages leave before what they promise is synced (a classic bug). */
  readonly plantedBugSendBeforeSync?: boolean;
}

export const DEFAULT_SNAPSHOT_EVERY_ENTRIES = 10_000;
export const DEFAULT_SNAPSHOT_KEEP_ENTRIES = 1_000;
export { DEFAULT_RAFT_TUNING };

interface PendingWrite { readonly term: number; readonly onOutcome: OutcomeCallback }
interface PendingRead { readonly request: ReadRequest; readonly onOutcome: OutcomeCallback; readonly startTick: number }

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
  private readonly pendingReads = new Map<number, PendingRead>();
  /** Reads confirmed by ReadIndex, waiting for the shard to apply their index (in index order). */
  private confirmedReads: ConfirmedRead[] = [];
  private nextReadContext = 1;
  /** The newest timestamp this replica stamped or saw in its log as leader of `stampTerm`. */
  private stampFloorMs = 0;
  private stampTerm = -1;
  private snapshotIndex = 0;
  private readonly writer = new ByteWriter(1024);
  /** Ticks so far, the clock of read timeouts. */
  private ticks = 0;
  private bugSyncSkips = 0;
  /** The log's `rewrites` when dropReplacedWrites last looked: no rewrite since, nothing to drop. */
  private rewritesChecked = 0;

  constructor(private readonly config: ShardReplicaConfig, private readonly storage: RaftStorage) {
    const stored = storage.load();
    this.shard = stored.snapshot ? Shard.restore(config.group, config.limits, stored.snapshot.data) : new Shard(config.group, config.limits);
    this.snapshotIndex = stored.snapshot?.meta.index ?? 0;
    assert(this.shard.appliedIndex === this.snapshotIndex, 'a snapshot restores the shard at its own index');
    this.raw = new RawNode(config.raft, {
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

  /** Requests waiting for an outcome (writes and reads). */
  get pendingCount(): number {
    return this.pendingWrites.size + this.pendingReads.size + this.confirmedReads.length;
  }

  // ---- inputs ----------------------------------------------------------------

  propose(proposal: Proposal, nowMs: number, onOutcome: OutcomeCallback): void {
    const raft = this.raw.raft;
    if (raft.role !== 'leader') return onOutcome({ kind: 'notLeader', leader: raft.lead });
    const timestampMs = this.stamp(nowMs);
    encodeEntryPayload(this.writer, timestampMs, commandOf(proposal, timestampMs));
    const result = this.raw.propose(this.writer.bytes().slice());
    if (!result.ok) return onOutcome({ kind: 'notLeader', leader: result.leader });
    this.pendingWrites.set(result.index, { term: result.term, onOutcome });
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

  read(request: ReadRequest, onOutcome: OutcomeCallback): void {
    const context = this.nextReadContext++;
    this.pendingReads.set(context, { request, onOutcome, startTick: this.ticks });
    this.raw.readIndex(context);
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
      read.onOutcome({ kind: 'notLeader', leader: this.raw.raft.lead });
    }
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

  /** Carry out every Ready (persist, then send, then apply and answer), then snapshot if due. */
  process(nowMs: number): void {
    let rounds = 0;
    while (this.raw.hasReady()) {
      assert(++rounds <= 1000, 'a replica kept producing work without new input');
      const ready = this.raw.ready();
      this.persist(ready);
      for (const m of ready.messages) this.outbox.push(m);
      if (ready.snapshot) this.loadSnapshot(ready.snapshot);
      for (const entry of ready.committedEntries) this.applyEntry(entry);
      for (const rs of ready.readStates) this.readConfirmed(rs.context, rs.index);
      this.raw.advance(ready);
    }
    this.serveConfirmedReads(nowMs);
    this.dropReplacedWrites();
    if (this.shard.appliedIndex - this.snapshotIndex >= this.config.snapshotEveryEntries) this.takeSnapshot();
  }

  private persist(ready: Ready): void {
    if (ready.hardState) this.storage.saveHardState(ready.hardState);
    if (ready.snapshot) this.storage.saveSnapshot(ready.snapshot);
    this.storage.appendEntries(ready.entries);
    // The planted bug syncs only every other time, while process() sends at once either way.
    if (this.config.plantedBugSendBeforeSync && (this.bugSyncSkips++ & 1) === 0) return;
    if (ready.hardState || ready.snapshot || ready.entries.length > 0) this.storage.sync();
  }

  private loadSnapshot(snapshot: Snapshot): void {
    this.shard = Shard.restore(this.config.group, this.config.limits, snapshot.data);
    assert(this.shard.appliedIndex === snapshot.meta.index, 'snapshot data and metadata disagree on the index');
    this.snapshotIndex = snapshot.meta.index;
    // Writes below the snapshot were decided elsewhere and we cannot tell whether ours won its slot.
    for (const [index, w] of this.pendingWrites) {
      if (index > snapshot.meta.index) continue;
      this.pendingWrites.delete(index);
      w.onOutcome({ kind: 'unknown' });
    }
  }

  private applyEntry(entry: Entry): void {
    const shard = this.shard;
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
    if (pending.term === entry.term) pending.onOutcome({ kind: 'reply', reply });
    else pending.onOutcome({ kind: 'notLeader', leader: this.raw.raft.lead });
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
      w.onOutcome({ kind: 'unknown' });
    }
  }

  private readConfirmed(context: number, index: number): void {
    const pending = this.pendingReads.get(context);
    if (pending === undefined) return;
    this.pendingReads.delete(context);
    if (index === 0) return pending.onOutcome({ kind: 'notLeader', leader: this.raw.raft.lead });
    this.confirmedReads.push({ ...pending, index });
  }

  private serveConfirmedReads(nowMs: number): void {
    if (this.confirmedReads.length === 0) return;
    const applied = this.shard.appliedIndex;
    const waiting: ConfirmedRead[] = [];
    for (const read of this.confirmedReads) {
      if (read.index > applied) waiting.push(read);
      else read.onOutcome({ kind: 'reply', reply: this.shard.read(read.request, nowMs) });
    }
    this.confirmedReads = waiting;
  }

  private takeSnapshot(): void {
    const raft = this.raw.raft;
    const index = this.shard.appliedIndex;
    const term = raft.log.term(index);
    assert(term !== undefined && index === raft.log.applied, 'the shard and Raft agree on what is applied');
    const snapshot: Snapshot = { meta: { index, term, membership: raft.membership() }, data: this.shard.snapshot() };
    this.raw.snapshotTaken(snapshot, this.config.snapshotKeepEntries);
    this.storage.saveSnapshot(snapshot);
    this.storage.sync();
    this.snapshotIndex = index;
  }
}
