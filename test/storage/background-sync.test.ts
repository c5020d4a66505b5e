// Background sync ('always' mode with a BackgroundSyncer, log-storage.ts):
// the fsync is left to the runtime while the replica goes on, nothing is
// written to the file while it is under way, a power loss before it finishes
// loses only what it covered (never acknowledged), and a process killed
// between the write and its fsync restarts with that write made durable
// before anything relies on it.

import { describe, expect, it } from 'vitest';
import type { Entry } from '../../core/raft/raft-types.js';
import { Random } from '../../core/random.js';
import type { BackgroundSyncer } from '../../core/storage/background-sync.js';
import type { StorageFile } from '../../core/storage/file-system.js';
import { LogStorage } from '../../core/storage/log-storage.js';
import { storedEntryArray } from '../../core/raft/packed-entries.js';
import { SimDisk } from '../../runtime-sim/sim-disk.js';
import { IDENTITY } from './storage-ops.js';

function entries(first: number, count: number, term: number): Entry[] {
  return Array.from({ length: count }, (_, i) => ({ index: first + i, term, kind: 'normal', data: new Uint8Array(24).fill((first + i) & 0xff) }));
}

/** A syncer the test finishes by hand. */
class ManualSyncer implements BackgroundSyncer {
  file: StorageFile | null = null;
  started = 0;
  start(file: StorageFile): void {
    this.file = file;
    this.started++;
  }
  finished(): boolean {
    return this.file === null;
  }
  wait(): void {
    this.finish();
  }
  finish(): void {
    this.file?.sync();
    this.file = null;
  }
}

function open(disk: SimDisk, syncer?: BackgroundSyncer): LogStorage {
  return LogStorage.open(disk, { identity: IDENTITY, ...(syncer ? { backgroundSyncer: syncer } : {}) });
}

const indexes = (storage: LogStorage): number[] => storedEntryArray(storage.load().entries).map((e) => e.index);

/** A fresh disk whose storage has written entries 1..3 and asked for their background sync (not finished). */
function firstRequested(seed: number): { disk: SimDisk; syncer: ManualSyncer; storage: LogStorage } {
  const disk = new SimDisk(Random.fromSeed(seed));
  const syncer = new ManualSyncer();
  const storage = open(disk, syncer);
  storage.appendEntries(entries(1, 3, 1));
  storage.requestSync();
  return { disk, syncer, storage };
}

describe("background sync ('always')", () => {
  it('durable only once the syncer finished; writes meanwhile wait in the buffer for the next sync point', () => {
    const disk = new SimDisk(Random.fromSeed(1));
    const syncer = new ManualSyncer();
    const storage = open(disk, syncer);
    expect(storage.syncsInBackground).toBe(true);
    const durableAtStart = storage.durableSeq;
    storage.appendEntries(entries(1, 3, 1));
    const first = storage.requestSync();
    expect(first).toBeGreaterThan(durableAtStart);
    expect(syncer.started).toBe(1);
    expect(storage.durableSeq).toBe(durableAtStart);
    expect(storage.pollSync()).toBe(false);

    const segment = syncer.file!;
    const size = segment.size();
    storage.appendEntries(entries(4, 2, 1));
    const second = storage.requestSync();
    expect(second).toBe(first + 1);
    // Nothing reaches the file while a sync is under way: at most one write follows the durable sync point.
    expect(segment.size()).toBe(size);

    syncer.finish();
    expect(storage.pollSync()).toBe(true);
    expect(storage.durableSeq).toBe(first);
    // The wanted sync started at once: its write is in the file now.
    expect(syncer.started).toBe(2);
    expect(segment.size()).toBeGreaterThan(size);
    syncer.finish();
    storage.pollSync();
    expect(storage.durableSeq).toBe(second);
  });

  it('a power loss before the sync finished loses its write and nothing before it; after, nothing', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { disk, syncer, storage } = firstRequested(seed);
      syncer.finish();
      storage.pollSync();
      storage.appendEntries(entries(4, 3, 1));
      storage.requestSync();
      disk.crash(); // the second write torn or lost
      const reopened = open(disk);
      const kept = indexes(reopened);
      expect(kept.slice(0, 3)).toEqual([1, 2, 3]);
      expect([3, 6]).toContain(kept.length);
    }
  });

  it('a process killed between the write and its fsync restarts with the write made durable first', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { disk } = firstRequested(seed);
      disk.processCrash(); // the page cache keeps the write; its fsync never ran
      const restarted = open(disk);
      // Recovery reads the write back: the restarted replica may now vote and acknowledge on it.
      expect(indexes(restarted)).toEqual([1, 2, 3]);
      disk.crash();
      // So a power loss after the restart must not take it away.
      expect(indexes(open(disk))).toEqual([1, 2, 3]);
    }
  });

  it('close() keeps what a background sync was asked for', () => {
    const disk = new SimDisk(Random.fromSeed(3));
    const syncer = new ManualSyncer();
    const storage = open(disk, syncer);
    storage.appendEntries(entries(1, 2, 1));
    storage.requestSync();
    storage.appendEntries(entries(3, 2, 1));
    storage.requestSync();
    storage.close();
    disk.crash();
    expect(indexes(open(disk))).toEqual([1, 2, 3, 4]);
  });
});
