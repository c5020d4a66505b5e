// Test-only: random sequences of RaftStorage operations, applied in step to
// the storage engine over a simulated disk and to MemoryRaftStorage (the
// model), with the model's synced state recorded after each sync so a crash
// at any point has a known right answer.

import fc from 'fast-check';
import { MemoryRaftStorage, type StoredRaftState } from '../../core/raft/raft-storage.js';
import type { Entry, HardState, Snapshot } from '../../core/raft/raft-types.js';
import { Random } from '../../core/random.js';
import { LogStorage, type LogStorageOptions } from '../../core/storage/log-storage.js';
import { CRASH_ONLY_FAULTS, SimCrash, SimDisk, type SimDiskFaults } from '../../runtime-sim/sim-disk.js';
import { storedEntryArray } from '../../core/raft/packed-entries.js';

/** Abstract choices in [0, 1), resolved against the current state when applied, so every generated sequence is valid. */
export type StorageOp =
  | { kind: 'append'; at: number; count: number; termBump: boolean; dataBytes: number }
  | { kind: 'hardState'; termBump: boolean; vote: number; commit: number }
  | { kind: 'snapshot'; at: number; continues: boolean; dataBytes: number }
  | { kind: 'sync' }
  | { kind: 'crash' };

export const storageOpArb: fc.Arbitrary<StorageOp> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('append' as const), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), count: fc.integer({ min: 1, max: 5 }), termBump: fc.boolean(), dataBytes: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('hardState' as const), termBump: fc.boolean(), vote: fc.integer({ min: 0, max: 3 }), commit: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('snapshot' as const), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), continues: fc.boolean(), dataBytes: fc.integer({ min: 0, max: 64 }) }) },
  { weight: 4, arbitrary: fc.constant({ kind: 'sync' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'crash' as const }) },
);

export const IDENTITY = { nodeId: 7, groupId: 3 };

/** Small segments, so sequences of a few dozen operations roll over several times. */
export const SMALL_SEGMENT_OPTIONS: LogStorageOptions = { identity: IDENTITY, segmentBytesTarget: 300 };

/** The write-side view both stores agree on: what the next operation must be consistent with. */
class PendingView {
  base = 0;
  baseTerm = 0;
  terms: number[] = [];
  term = 0;
  hardState: HardState = { term: 0, vote: 0, commit: 0 };
  counter = 0;

  get last(): number {
    return this.base + this.terms.length;
  }

  reset(state: StoredRaftState): void {
    this.base = state.snapshot?.meta.index ?? 0;
    this.baseTerm = state.snapshot?.meta.term ?? 0;
    this.terms = storedEntryArray(state.entries).map((e) => e.term);
    this.hardState = state.hardState;
    this.term = Math.max(this.hardState.term, this.baseTerm, ...this.terms);
  }

  bytes(n: number): Uint8Array {
    this.counter++;
    return Uint8Array.from({ length: n }, (_, i) => (this.counter * 31 + i * 7) & 0xff);
  }
}

export interface Harness {
  disk: SimDisk;
  storage: LogStorage;
  model: MemoryRaftStorage;
  view: PendingView;
  /** The model's synced state after the latest sync. */
  synced: StoredRaftState;
  options: LogStorageOptions;
}

export function newHarness(seed: number, options: LogStorageOptions = SMALL_SEGMENT_OPTIONS, faults: SimDiskFaults = CRASH_ONLY_FAULTS): Harness {
  const disk = new SimDisk(Random.fromSeed(seed), faults);
  const storage = LogStorage.open(disk, options);
  const model = new MemoryRaftStorage();
  return { disk, storage, model, view: new PendingView(), synced: model.load(), options };
}

/** Applies one operation to both; for 'crash', crashes the disk, reopens and returns the recovered state. */
export function applyOp(h: Harness, op: StorageOp): StoredRaftState | null {
  const v = h.view;
  switch (op.kind) {
    case 'append': {
      const first = v.base + 1 + Math.floor(op.at * (v.terms.length + 1));
      if (op.termBump) v.term++;
      const entries: Entry[] = Array.from({ length: op.count }, (_, i) => ({
        index: first + i, term: v.term, kind: (first + i) % 5 === 0 ? 'conf' : 'normal', data: v.bytes(op.dataBytes),
      }));
      v.terms.length = first - v.base - 1;
      for (const e of entries) v.terms.push(e.term);
      h.model.appendEntries(entries);
      h.storage.appendEntries(entries);
      return null;
    }
    case 'hardState': {
      if (op.termBump) v.term++;
      const hardState = { term: Math.max(v.term, v.hardState.term), vote: op.vote, commit: Math.floor(op.commit * (v.last + 1)) };
      v.hardState = hardState;
      h.model.saveHardState(hardState);
      h.storage.saveHardState(hardState);
      return null;
    }
    case 'snapshot': {
      const index = v.base + 1 + Math.floor(op.at * (v.terms.length + 2));
      const covered = index - v.base;
      const continues = op.continues && covered <= v.terms.length;
      const term = continues ? v.terms[covered - 1]! : v.term + 1;
      const snapshot: Snapshot = { meta: { index, term, membership: { voters: [1, 2, 3], learners: index % 2 ? [4] : [] } }, data: v.bytes(op.dataBytes) };
      v.terms = continues ? v.terms.slice(covered) : [];
      v.base = index;
      v.baseTerm = term;
      h.model.saveSnapshot(snapshot);
      h.storage.saveSnapshot(snapshot);
      return null;
    }
    case 'sync':
      h.storage.sync();
      h.model.sync();
      h.synced = h.model.load();
      return null;
    case 'crash': {
      h.disk.crash();
      h.model.crash();
      return reopen(h);
    }
  }
}

export function reopen(h: Harness): StoredRaftState {
  h.storage = LogStorage.open(h.disk, h.options);
  const state = h.storage.load();
  h.view.reset(state);
  return state;
}

/** Runs `ops` and crashes at the `crashAt`-th mutating call: which synced states recovery may legitimately show. */
export function runWithCrashAt(seed: number, ops: readonly StorageOp[], crashAt: number | null): { recovered: StoredRaftState; allowed: StoredRaftState[]; mismatches: string[] } {
  const disk = new SimDisk(Random.fromSeed(seed), CRASH_ONLY_FAULTS);
  if (crashAt !== null) disk.armCrash(crashAt);
  const model = new MemoryRaftStorage();
  const h: Harness = { disk, storage: null as unknown as LogStorage, model, view: new PendingView(), synced: model.load(), options: SMALL_SEGMENT_OPTIONS };
  const mismatches: string[] = [];
  let allowed: StoredRaftState[] = [h.synced];
  try {
    h.storage = LogStorage.open(disk, h.options);
    for (const op of ops) {
      allowed = [h.synced];
      if (op.kind === 'sync') allowed.push(syncedAfter(h));
      const recovered = applyOp(h, op);
      if (recovered) {
        const diff = describeDifference(recovered, h.synced);
        if (diff) mismatches.push(`after a crash op: ${diff}`);
      }
    }
    allowed = [h.synced];
  } catch (e) {
    if (!(e instanceof SimCrash)) throw e;
  }
  h.disk.crash();
  h.model.crash();
  return { recovered: reopen(h), allowed, mismatches };
}

/**
 * The model's synced state if its pending writes were synced now, without
 * changing it: MemoryRaftStorage has no clone, so a copy is made through its
 * private fields (test-only).
 */
function syncedAfter(h: Harness): StoredRaftState {
  const model = h.model as unknown as { pending: unknown[]; synced: StoredRaftState };
  const clone = new MemoryRaftStorage();
  const c = clone as unknown as { pending: unknown[]; synced: { hardState: HardState; snapshot: Snapshot | null; entries: Entry[] } };
  c.synced = { hardState: model.synced.hardState, snapshot: model.synced.snapshot, entries: [...storedEntryArray(model.synced.entries)] };
  c.pending = [...model.pending];
  clone.sync();
  return clone.load();
}

/** null when equal, else what differs. */
export function describeDifference(actual: StoredRaftState, expected: StoredRaftState): string | null {
  const hs = (s: HardState): string => `${s.term}/${s.vote}/${s.commit}`;
  if (hs(actual.hardState) !== hs(expected.hardState)) return `hard state ${hs(actual.hardState)} != ${hs(expected.hardState)}`;
  const snap = (s: Snapshot | null): string => (s ? `${s.meta.index}/${s.meta.term}/${s.meta.membership.voters}/${s.meta.membership.learners}/${[...s.data]}` : 'none');
  if (snap(actual.snapshot) !== snap(expected.snapshot)) return `snapshot ${snap(actual.snapshot)} != ${snap(expected.snapshot)}`;
  const ents = (es: readonly Entry[]): string => es.map((e) => `${e.index}:${e.term}:${e.kind}:${[...e.data].join('.')}`).join(' ');
  const [a, e] = [storedEntryArray(actual.entries), storedEntryArray(expected.entries)];
  if (ents(a) !== ents(e)) return `entries\n  ${ents(a)}\n  !=\n  ${ents(e)}`;
  return null;
}
