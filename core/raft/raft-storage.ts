// Where a replica keeps what Raft must not forget: the hard state (term,
// vote, commit), the log, and the latest snapshot. The runtime supplies it
// (runtime-node: files; runtime-sim: simulated disks). Two in memory here:
// MemoryRaftStorage keeps exactly what was synced across a simulated crash,
// and nothing more (the simulator's and tests' model of a disk);
// VolatileRaftStorage keeps nothing, for a process whose restart loses
// everything anyway (a node with --in-memory).
//
// Contract: writes are buffered until sync(); a crash loses every write since
// the last sync(). Entries appended at index i replace stored entries from i on.

import { assert } from '../assert.js';
import { EMPTY_HARD_STATE, type Entry, type HardState, type Snapshot } from './raft-types.js';
import type { StoredEntries } from './packed-entries.js';

export interface StoredRaftState {
  readonly hardState: HardState;
  readonly snapshot: Snapshot | null;
  /** Entries after the snapshot, contiguous: packed when read from files (an Entry each only once asked for). */
  readonly entries: StoredEntries;
}

export interface RaftStorage {
  /** What a (re)starting replica loads: the synced state. */
  load(): StoredRaftState;
  saveHardState(hardState: HardState): void;
  appendEntries(entries: readonly Entry[]): void;
  /** Store a snapshot and drop the entries it covers. */
  saveSnapshot(snapshot: Snapshot): void;
  /** Make every write so far durable. */
  sync(): void;
}

/**
 * A storage that can leave its fsync to the background (LogStorage with a
 * BackgroundSyncer, core/storage/background-sync.ts): requestSync() returns
 * the sync sequence covering every write so far, durable once durableSeq
 * reaches it; pollSync() takes note of a sync that finished.
 */
export interface BackgroundSyncStorage extends RaftStorage {
  readonly syncsInBackground: boolean;
  readonly durableSeq: number;
  requestSync(): number;
  pollSync(): boolean;
}

/** The storage as one that syncs in the background, if it does. */
export function backgroundSyncOf(storage: RaftStorage): BackgroundSyncStorage | null {
  const candidate = storage as Partial<BackgroundSyncStorage>;
  return candidate.syncsInBackground === true ? storage as BackgroundSyncStorage : null;
}

interface MutableState {
  hardState: HardState;
  snapshot: Snapshot | null;
  entries: Entry[];
}

type PendingWrite =
  | { kind: 'hardState'; hardState: HardState }
  | { kind: 'entries'; entries: readonly Entry[] }
  | { kind: 'snapshot'; snapshot: Snapshot };

export class MemoryRaftStorage implements RaftStorage {
  private readonly synced: MutableState = { hardState: EMPTY_HARD_STATE, snapshot: null, entries: [] };
  /** Writes since the last sync, applied to `synced` in order by sync(), dropped by crash(). */
  private pending: PendingWrite[] = [];
  /** Mutation suite only: a restart forgets whom this replica voted for (a classic bug). */
  plantedBugForgetVote = false;

  load(): StoredRaftState {
    assert(this.pending.length === 0, 'load() sees only synced state: sync() or crash() first');
    const s = this.synced;
    const hardState = this.plantedBugForgetVote ? { ...s.hardState, vote: 0 } : s.hardState;
    return { hardState, snapshot: s.snapshot, entries: [...s.entries] };
  }

  saveHardState(hardState: HardState): void {
    this.pending.push({ kind: 'hardState', hardState });
  }

  appendEntries(entries: readonly Entry[]): void {
    if (entries.length > 0) this.pending.push({ kind: 'entries', entries });
  }

  saveSnapshot(snapshot: Snapshot): void {
    this.pending.push({ kind: 'snapshot', snapshot });
  }

  sync(): void {
    for (const write of this.pending) applyWrite(this.synced, write);
    this.pending = [];
  }

  /** A crash: unsynced writes are gone. */
  crash(): void {
    this.pending = [];
  }

  /** Synced entries after the snapshot. */
  get entryCount(): number {
    return this.synced.entries.length;
  }

  /** The index of the newest snapshot saved, synced or not (0: none). */
  get snapshotIndex(): number {
    let index = this.synced.snapshot?.meta.index ?? 0;
    for (const write of this.pending) if (write.kind === 'snapshot') index = Math.max(index, write.snapshot.meta.index);
    return index;
  }
}

function applyWrite(state: MutableState, write: PendingWrite): void {
  switch (write.kind) {
    case 'hardState':
      assert(write.hardState.term >= state.hardState.term, 'the stored term never goes back');
      state.hardState = write.hardState;
      return;
    case 'entries': {
      const base = state.snapshot?.meta.index ?? 0;
      const first = write.entries[0]!.index;
      assert(first > base, () => `entries from ${first} would overwrite the snapshot at ${base}`);
      const keep = first - base - 1;
      assert(keep <= state.entries.length, () => `entries from ${first} leave a gap after ${base + state.entries.length}`);
      state.entries.length = keep;
      for (const e of write.entries) state.entries.push(e);
      return;
    }
    case 'snapshot': {
      const { snapshot } = write;
      const base = state.snapshot?.meta.index ?? 0;
      if (snapshot.meta.index <= base) return;
      const covered = snapshot.meta.index - base;
      const coveredTerm = covered <= state.entries.length ? state.entries[covered - 1]!.term : undefined;
      // Keep the tail only if it continues the snapshot (a snapshot from the leader replaces everything).
      state.entries = coveredTerm === snapshot.meta.term ? state.entries.slice(covered) : [];
      state.snapshot = snapshot;
      return;
    }
  }
}

/**
 * Storage that is never read back: a node with --in-memory loses everything
 * when its process ends, and the only reader of stored entries is load() at
 * start. Keeping them would double the log's memory (Raft's log already
 * holds every entry somebody may still need), so it keeps nothing; Raft
 * serves its followers from its own log and snapshots. load() is for the
 * start only.
 */
export class VolatileRaftStorage implements RaftStorage {
  private hardState: HardState = EMPTY_HARD_STATE;
  private started = false;

  load(): StoredRaftState {
    assert(!this.started, 'volatile storage is loaded once, empty, at start');
    this.started = true;
    return { hardState: EMPTY_HARD_STATE, snapshot: null, entries: [] };
  }

  saveHardState(hardState: HardState): void {
    assert(hardState.term >= this.hardState.term, 'the stored term never goes back');
    this.hardState = hardState;
  }

  appendEntries(): void {
    // Never read back (see the class comment).
  }

  saveSnapshot(): void {
    // Never read back (see the class comment).
  }

  sync(): void {
    // Nothing outlives the process.
  }
}
