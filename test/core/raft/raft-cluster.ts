// A deterministic cluster of Raft replicas for tests: in-memory storage that
// keeps only what was synced, a network the test controls (deliver in any
// order, drop, duplicate, partition), crash/restart, and a state machine that
// is the list of applied commands. Invariants are checked after every step;
// a violation throws with the step that broke it.

import { assert } from '../../../core/assert.js';
import { Random } from '../../../core/random.js';
import { DEFAULT_RAFT_TUNING, type PlantedBugs, type RaftTuning } from '../../../core/raft/raft.js';
import { MemoryRaftStorage } from '../../../core/raft/raft-storage.js';
import type { ConfChange, Entry, Message, ReplicaId, Snapshot } from '../../../core/raft/raft-types.js';
import { RawNode, type Ready } from '../../../core/raft/raw-node.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const encodeCommand = (text: string): Uint8Array => encoder.encode(text);
export const encodeConfChange = (change: ConfChange): Uint8Array => encoder.encode(JSON.stringify(change));
const decodeConfChange = (data: Uint8Array): ConfChange => JSON.parse(decoder.decode(data)) as ConfChange;

export class InvariantViolation extends Error {
  override name = 'InvariantViolation';
}

export interface ClusterOptions {
  seed: number;
  /** Initial voters 1..voters. */
  voters: number;
  /** Replicas that exist but are not members yet (ids after the voters), for membership tests. */
  spares?: number;
  bugs?: PlantedBugs;
  preVote?: boolean;
  /** Take a snapshot every N applied entries (0 = never). */
  snapshotEvery?: number;
  /** Entries kept behind a snapshot for slightly slow followers. */
  snapshotKeep?: number;
  /** Send messages before syncing storage (the "reply before persist" bug). */
  plantedBugSendBeforeSync?: boolean;
  forgetVoteOnRestart?: boolean;
  /**
   * Sync in the background (RawNode.advance with persisted: false): writes
   * wait for completeSync(id), and so do the messages of their Readies.
   */
  backgroundSync?: boolean;
  /** With backgroundSync: tell Raft the entries are persisted at once, before their sync (a leader counting itself early). */
  plantedBugPersistedBeforeSync?: boolean;
  /** Overrides of the Raft tuning, e.g. a small append window. */
  tuning?: Partial<RaftTuning>;
}

interface Replica {
  id: ReplicaId;
  node: RawNode | null;
  storage: MemoryRaftStorage;
  /** The state machine: every applied command, in order, and the index applied. */
  state: string[];
  appliedIndex: number;
  /** Highest commit seen in this life. */
  commitSeen: number;
  /** Reads confirmed for this replica: context -> index. */
  reads: Map<number, number>;
  /** backgroundSync: what the next completeSync makes durable, and the messages waiting for it. */
  unsynced: { last: { index: number; term: number } | null; messages: Message[] } | null;
}

export class RaftCluster {
  readonly random: Random;
  readonly replicas = new Map<ReplicaId, Replica>();
  /** Messages sent and not yet delivered or dropped. */
  inFlight: Message[] = [];
  /** Snapshot messages delivered that held part of their snapshot (chunks), for tests to see that chunking ran. */
  snapshotChunksDelivered = 0;
  /** Pairs that cannot talk: "a-b" for a -> b. */
  private readonly cut = new Set<string>();
  /** index -> the committed entry everyone must apply there. */
  private readonly committed = new Map<number, { term: number; data: string }>();
  private readonly leaderOfTerm = new Map<number, ReplicaId>();
  /** Commands acknowledged to a client: applied by the replica that proposed them as leader. */
  readonly acknowledged = new Set<string>();
  private readonly proposals = new Map<string, { id: ReplicaId; index: number; term: number }>();
  private ackedIndexMax = 0;

  constructor(readonly options: ClusterOptions) {
    this.random = Random.fromSeed(options.seed);
    const total = options.voters + (options.spares ?? 0);
    for (let id = 1; id <= total; id++) {
      const replica: Replica = { id, node: null, storage: new MemoryRaftStorage(), state: [], appliedIndex: 0, commitSeen: 0, reads: new Map(), unsynced: null };
      replica.storage.plantedBugForgetVote = options.forgetVoteOnRestart === true;
      this.replicas.set(id, replica);
      this.start(replica);
    }
  }

  private voterIds(): ReplicaId[] {
    return Array.from({ length: this.options.voters }, (_, i) => i + 1);
  }

  private start(replica: Replica): void {
    const stored = replica.storage.load();
    replica.node = new RawNode({
      id: replica.id, ...DEFAULT_RAFT_TUNING, ...this.options.tuning, preVote: this.options.preVote ?? true,
      random: this.random.fork(), ...(this.options.bugs ? { bugs: this.options.bugs } : {}),
    }, {
      hardState: stored.hardState, snapshot: stored.snapshot, entries: stored.entries,
      // A spare knows the voters but is not one: it waits to be added.
      membership: { voters: this.voterIds(), learners: [] },
    });
    replica.state = stored.snapshot ? (JSON.parse(decoder.decode(stored.snapshot.data)) as string[]) : [];
    replica.appliedIndex = stored.snapshot?.meta.index ?? 0;
    replica.commitSeen = stored.hardState.commit;
    replica.reads = new Map();
  }

  /** The log index of the newest acknowledged write. */
  highestAcknowledgedIndex(): number {
    return this.ackedIndexMax;
  }

  get(id: ReplicaId): Replica {
    const r = this.replicas.get(id);
    assert(r !== undefined, `no replica ${id}`);
    return r;
  }

  node(id: ReplicaId): RawNode {
    const node = this.get(id).node;
    assert(node !== null, `replica ${id} is down`);
    return node;
  }

  isUp(id: ReplicaId): boolean {
    return this.get(id).node !== null;
  }

  leader(): ReplicaId | null {
    let best: { id: ReplicaId; term: number } | null = null;
    for (const r of this.replicas.values()) {
      const s = r.node?.status();
      if (s?.role === 'leader' && (best === null || s.term > best.term)) best = { id: r.id, term: s.term };
    }
    return best?.id ?? null;
  }

  // ---- faults ----------------------------------------------------------------

  partition(groups: ReplicaId[][]): void {
    this.cut.clear();
    for (const a of this.replicas.keys()) {
      for (const b of this.replicas.keys()) {
        if (a !== b && !groups.some((g) => g.includes(a) && g.includes(b))) this.cut.add(`${a}-${b}`);
      }
    }
  }

  heal(): void {
    this.cut.clear();
  }

  crash(id: ReplicaId): void {
    const r = this.get(id);
    r.storage.crash();
    r.node = null;
    r.unsynced = null;
    this.inFlight = this.inFlight.filter((m) => m.to !== id);
  }

  restart(id: ReplicaId): void {
    const r = this.get(id);
    assert(r.node === null, `replica ${id} is up`);
    this.start(r);
  }

  // ---- driving ---------------------------------------------------------------

  tick(id: ReplicaId): void {
    this.node(id).tick();
    this.process(id);
  }

  tickAll(): void {
    for (const r of this.replicas.values()) if (r.node) this.tick(r.id);
  }

  /** Deliver message `i` of the in-flight list (or drop it when the link is cut or the target is down). */
  deliver(i: number): void {
    const [m] = this.inFlight.splice(i, 1);
    if (!m || this.cut.has(`${m.from}-${m.to}`) || !this.isUp(m.to)) return;
    if (m.type === 'snapshot' && m.snapshot.data.length < m.size) this.snapshotChunksDelivered++;
    this.node(m.to).step(m);
    this.process(m.to);
  }

  /** Deliver everything in flight, including what that produces, up to `max` messages. */
  deliverAll(max = 100_000): void {
    let n = 0;
    for (;;) {
      while (this.inFlight.length > 0 && n++ < max) this.deliver(0);
      // In the background-sync mode, what was delivered waits for syncs, and their messages for delivery.
      if (!this.options.backgroundSync || n >= max || ![...this.replicas.keys()].some((id) => this.hasUnsynced(id))) return;
      this.completeAllSyncs();
    }
  }

  /** Ticks and deliveries until a leader is up and no message is in flight. */
  settle(ticksMax = 200): ReplicaId {
    for (let t = 0; t < ticksMax; t++) {
      this.completeAllSyncs();
      this.deliverAll();
      const lead = this.leader();
      if (lead !== null && this.inFlight.length === 0 && t > 0) return lead;
      this.tickAll();
    }
    throw new Error(`no leader after ${ticksMax} ticks`);
  }

  propose(id: ReplicaId, command: string): boolean {
    const result = this.node(id).propose(encodeCommand(command));
    if (result.ok) this.proposals.set(command, { id, index: result.index, term: result.term });
    this.process(id);
    return result.ok;
  }

  proposeConfChange(id: ReplicaId, change: ConfChange): boolean {
    const result = this.node(id).proposeConfChange(change, encodeConfChange(change));
    this.process(id);
    return result.ok;
  }

  readIndex(id: ReplicaId, context: number): void {
    this.node(id).readIndex(context);
    this.process(id);
  }

  /** Carry out every Ready of replica `id`, in the order the contract demands. */
  process(id: ReplicaId): void {
    const r = this.get(id);
    const node = r.node;
    if (!node) return;
    let rounds = 0;
    while (node.hasReady()) {
      assert(++rounds < 1000, 'a replica keeps producing Ready without input');
      const ready = node.ready();
      this.persist(r, ready);
      this.apply(r, ready);
      node.advance(ready, { persisted: !this.options.backgroundSync || this.options.plantedBugPersistedBeforeSync === true });
      this.checkReplica(r);
      const every = this.options.snapshotEvery ?? 0;
      // Raft keeps no snapshot when alone, so the count starts at the stored one; a leader may also ask for one.
      const since = r.storage.snapshotIndex;
      if ((every > 0 && r.appliedIndex - since >= every) || node.raft.snapshotWanted) this.takeSnapshot(r);
    }
  }

  private persist(r: Replica, ready: Ready): void {
    if (this.options.backgroundSync) {
      this.persistInBackground(r, ready);
      return;
    }
    const send = (): void => { for (const m of ready.messages) this.inFlight.push(m); };
    if (this.options.plantedBugSendBeforeSync) send();
    if (ready.hardState) r.storage.saveHardState(ready.hardState);
    if (ready.snapshot) r.storage.saveSnapshot(ready.snapshot);
    r.storage.appendEntries(ready.entries);
    if (!this.options.plantedBugSendBeforeSync) {
      r.storage.sync();
      send();
    } else if (this.random.chance(0.5)) {
      r.storage.sync(); // the buggy runtime syncs late; sometimes a crash comes first
    }
  }

  /** Writes now, syncs at completeSync: the Ready's messages wait for it, behind any already waiting. */
  private persistInBackground(r: Replica, ready: Ready): void {
    if (ready.hardState) r.storage.saveHardState(ready.hardState);
    if (ready.snapshot) r.storage.saveSnapshot(ready.snapshot);
    r.storage.appendEntries(ready.entries);
    const writes = ready.hardState !== null || ready.snapshot !== null || ready.entries.length > 0;
    if (this.options.plantedBugSendBeforeSync) {
      for (const m of ready.messages) this.inFlight.push(m);
      if (!writes) return;
      r.unsynced ??= { last: null, messages: [] };
    } else {
      if (!writes && r.unsynced === null) {
        for (const m of ready.messages) this.inFlight.push(m);
        return;
      }
      r.unsynced ??= { last: null, messages: [] };
      r.unsynced.messages.push(...ready.messages);
    }
    const last = ready.entries[ready.entries.length - 1];
    if (last) r.unsynced.last = { index: last.index, term: last.term };
  }

  /** Whether replica `id` has writes waiting for a background sync. */
  hasUnsynced(id: ReplicaId): boolean {
    return this.get(id).unsynced !== null;
  }

  /** The background sync of replica `id` finishes: its writes are durable, Raft hears so, the held messages go. */
  completeSync(id: ReplicaId): void {
    const r = this.get(id);
    const unsynced = r.unsynced;
    if (unsynced === null || r.node === null) return;
    r.storage.sync();
    r.unsynced = null;
    if (unsynced.last) r.node.persisted(unsynced.last.index, unsynced.last.term);
    for (const m of unsynced.messages) this.inFlight.push(m);
    this.process(id);
  }

  completeAllSyncs(): void {
    for (const id of this.replicas.keys()) this.completeSync(id);
  }

  private apply(r: Replica, ready: Ready): void {
    if (ready.snapshot) {
      r.state = parseState(r.id, ready.snapshot.data);
      r.appliedIndex = ready.snapshot.meta.index;
      this.checkPrefix(r);
    }
    for (const e of ready.committedEntries) this.applyEntry(r, e);
    for (const rs of ready.readStates) r.reads.set(rs.context, rs.index);
  }

  private applyEntry(r: Replica, e: Entry): void {
    if (e.index !== r.appliedIndex + 1) throw new InvariantViolation(`replica ${r.id} applies ${e.index} after ${r.appliedIndex}`);
    const data = e.kind === 'conf' ? `conf:${decoder.decode(e.data)}` : decoder.decode(e.data);
    const known = this.committed.get(e.index);
    if (known === undefined) this.committed.set(e.index, { term: e.term, data });
    else if (known.term !== e.term || known.data !== data) {
      throw new InvariantViolation(`replica ${r.id} applies ${data}@${e.index}/t${e.term}, but ${known.data}/t${known.term} was committed there`);
    }
    r.appliedIndex = e.index;
    if (e.kind === 'conf') r.node!.applyConfChange(decodeConfChange(e.data));
    else if (e.data.length > 0) {
      r.state.push(data);
      const p = this.proposals.get(data);
      if (p && p.id === r.id && p.index === e.index && p.term === e.term) {
        this.acknowledged.add(data);
        this.ackedIndexMax = Math.max(this.ackedIndexMax, e.index);
      }
    }
  }

  private takeSnapshot(r: Replica): void {
    const node = r.node!;
    const index = r.appliedIndex;
    const term = node.raft.log.term(index);
    if (term === undefined) return;
    const snapshot: Snapshot = { meta: { index, term, membership: node.raft.membership() }, data: encoder.encode(JSON.stringify(r.state)) };
    node.snapshotTaken(snapshot, this.options.snapshotKeep ?? 5);
    r.storage.saveSnapshot(snapshot);
    r.storage.sync();
  }

  /** A replica's state machine must be exactly the committed commands up to its applied index. */
  private checkPrefix(r: Replica): void {
    const expected: string[] = [];
    for (let i = 1; i <= r.appliedIndex; i++) {
      const c = this.committed.get(i);
      if (c === undefined) return; // committed before we watched (cannot happen from an empty start)
      if (!c.data.startsWith('conf:') && c.data.length > 0) expected.push(c.data);
    }
    if (JSON.stringify(expected) !== JSON.stringify(r.state)) {
      throw new InvariantViolation(`replica ${r.id} loaded a snapshot at ${r.appliedIndex} that differs from the committed log`);
    }
  }

  private checkReplica(r: Replica): void {
    const s = r.node!.status();
    if (s.commit < r.commitSeen) throw new InvariantViolation(`replica ${r.id} commit went back from ${r.commitSeen} to ${s.commit}`);
    r.commitSeen = s.commit;
    if (s.role === 'leader') {
      const other = this.leaderOfTerm.get(s.term);
      if (other !== undefined && other !== r.id) throw new InvariantViolation(`two leaders in term ${s.term}: ${other} and ${r.id}`);
      this.leaderOfTerm.set(s.term, r.id);
    }
    // Every committed entry this replica holds must be the one committed at its index.
    const log = r.node!.raft.log;
    for (let i = Math.max(log.firstIndex(), s.commit - 8); i <= s.commit; i++) {
      const known = this.committed.get(i);
      const term = log.term(i);
      if (known !== undefined && term !== undefined && term !== known.term) {
        throw new InvariantViolation(`replica ${r.id} holds t${term} at committed index ${i}, committed was t${known.term}`);
      }
    }
  }

  /** After the faults: every acknowledged command is in every live replica's state. */
  checkNoAcknowledgedWriteLost(): void {
    for (const r of this.replicas.values()) {
      if (!r.node || !r.node.raft.isVoter()) continue;
      const have = new Set(r.state);
      for (const command of this.acknowledged) {
        if (!have.has(command)) throw new InvariantViolation(`replica ${r.id} lost acknowledged ${command}`);
      }
    }
  }
}

/** A snapshot's state; bytes that are not one (a snapshot put together wrong) break an invariant. */
function parseState(id: ReplicaId, data: Uint8Array): string[] {
  try {
    return JSON.parse(decoder.decode(data)) as string[];
  } catch (error) {
    throw new InvariantViolation(`replica ${id} loaded a snapshot that is not a state: ${(error as Error).message}`);
  }
}
