// One fdatasync per sync in 'always' mode (docs/durability.md): the usual
// sync flushes the log alone, a new term and vote included, and the last
// acknowledged write is still told apart from a torn one without the state
// slot: damaged or misdirected it is refused, never cut off. A directory
// reopened in another mode keeps the rule of the mode that wrote each part.

import { describe, expect, it } from 'vitest';
import type { Entry } from '../../core/raft/raft-types.js';
import { Random } from '../../core/random.js';
import { parseSegmentName } from '../../core/storage/log-format.js';
import { LogStorage, type SyncMode } from '../../core/storage/log-storage.js';
import { StorageError } from '../../core/storage/storage-errors.js';
import { CRASH_ONLY_FAULTS, SimDisk } from '../../runtime-sim/sim-disk.js';
import { IDENTITY } from './storage-ops.js';
import { storedEntryArray } from '../../core/raft/packed-entries.js';

/** Seeds per property: each a few syncs over a fresh simulated disk. */
const SEEDS = 40;

function entries(first: number, count: number, term: number): Entry[] {
  return Array.from({ length: count }, (_, i) => ({ index: first + i, term, kind: 'normal', data: new Uint8Array(24).fill((first + i) & 0xff) }));
}

function open(disk: SimDisk, syncMode: SyncMode = { kind: 'always' }): LogStorage {
  return LogStorage.open(disk, { identity: IDENTITY, syncMode, nowMs: () => 0 });
}

function openError(disk: SimDisk, syncMode?: SyncMode): StorageError | null {
  try {
    open(disk, syncMode);
    return null;
  } catch (e) {
    if (e instanceof StorageError) return e;
    throw e;
  }
}

/** A fresh simulated disk whose log holds entries 1..3, synced (acknowledged). */
function firstSynced(seed: number, faults = CRASH_ONLY_FAULTS): { disk: SimDisk; storage: LogStorage } {
  const disk = new SimDisk(Random.fromSeed(seed), faults);
  const storage = open(disk);
  storage.appendEntries(entries(1, 3, 1));
  storage.sync();
  return { disk, storage };
}

function lastSegment(disk: SimDisk): string {
  return disk.list().filter((n) => parseSegmentName(n) !== null).sort().pop()!;
}

describe("one fdatasync per sync ('always')", () => {
  it('a sync of entries is one fsync of the log; a new term and vote, of the log and the state slot; both survive a power loss', () => {
    const disk = new SimDisk(Random.fromSeed(1));
    const storage = open(disk);
    storage.saveHardState({ term: 1, vote: 1, commit: 0 });
    storage.sync();
    const before = disk.calls.fsync;
    storage.appendEntries(entries(1, 5, 1));
    storage.sync();
    expect(disk.calls.fsync - before).toBe(1);
    // Two copies of a vote (the log's COMMIT and the state slot): damage at rest to one must not make a replica forget it.
    storage.saveHardState({ term: 2, vote: 3, commit: 0 });
    storage.sync();
    expect(disk.calls.fsync - before).toBe(3);
    disk.crash();
    const state = open(disk).load();
    expect(state.hardState).toEqual({ term: 2, vote: 3, commit: 0 });
    expect(storedEntryArray(state.entries).map((e) => e.index)).toEqual([1, 2, 3, 4, 5]);
  });

  it('the last acknowledged write, misdirected on its way, is refused after a power loss, not cut off as torn', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const { disk, storage } = firstSynced(seed);
      disk.faults = { ...CRASH_ONLY_FAULTS, misdirectedWriteChance: 1, misdirectedWritesMax: 1 };
      storage.appendEntries(entries(4, 2, 1));
      storage.sync(); // acknowledged: its fdatasync returned
      expect(disk.misdirectedWriteCount).toBe(1);
      disk.crash();
      const error = openError(disk);
      expect(error?.kind, `seed ${seed}`).toBe('corrupt');
    }
  });

  it('the last acknowledged write, overwritten with zeros (its bytes never landed), is refused', () => {
    const { disk, storage } = firstSynced(2);
    const start = disk.bytesOf(lastSegment(disk)).length;
    storage.appendEntries(entries(4, 2, 1));
    storage.sync();
    const bytes = disk.bytesOf(lastSegment(disk)).slice();
    bytes.fill(0, start);
    disk.setBytes(lastSegment(disk), bytes);
    const error = openError(disk);
    expect(error?.kind).toBe('corrupt');
    expect(error?.offset).toBe(start);
  });

  it('the same write torn by a power loss during its sync is cut off: the state of the sync before', () => {
    let torn = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const { disk, storage } = firstSynced(seed, { ...CRASH_ONLY_FAULTS, crashLostWriteChance: 0, crashTornWriteChance: 1 });
      storage.appendEntries(entries(4, 2, 1));
      disk.armCrash(2); // the write happens, its fdatasync does not
      expect(() => storage.sync()).toThrow();
      disk.crash();
      expect(disk.faultLog.some((f) => f.kind === 'torn')).toBe(true);
      expect(storedEntryArray(open(disk).load().entries).map((e) => e.index), `seed ${seed}`).toEqual([1, 2, 3]);
      torn++;
    }
    expect(torn).toBe(SEEDS);
  });
});

describe('a directory reopened in another mode', () => {
  it("'never' after 'always': power-loss tears of several unsynced writes are cut, not refused; 'always' again: a damaged last write is refused", () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const { disk } = firstSynced(seed);
      disk.processCrash();
      let storage: LogStorage;
      storage = open(disk, { kind: 'never' });
      const synced = [3];
      for (let i = 0; i < 4; i++) {
        storage.appendEntries(entries(4 + i, 1, 1));
        storage.sync();
        synced.push(4 + i);
      }
      disk.crash(); // each of the four writes kept, torn or lost, in any order
      storage = open(disk, { kind: 'never' });
      const last = storedEntryArray(storage.load().entries).at(-1)!.index;
      expect(synced, `seed ${seed}`).toContain(last);
      disk.processCrash();
      storage = open(disk);
      storage.appendEntries(entries(last + 1, 2, 2));
      storage.sync();
      const name = lastSegment(disk);
      const bytes = disk.bytesOf(name).slice();
      bytes[bytes.length - 30]! ^= 0x10; // inside the acknowledged write, before its COMMIT
      disk.setBytes(name, bytes);
      expect(openError(disk)?.kind, `seed ${seed}`).toBe('corrupt');
    }
  });
});
