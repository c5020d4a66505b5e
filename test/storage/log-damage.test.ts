// Damage to a data directory, byte by byte: the last segment cut at every
// offset, and a bit flipped in every byte of every file. Recovery keeps
// exactly the synced state, cutting off and reporting an unsynced tail, or
// refuses with a StorageError naming the file and an offset at or before
// the damage; it never returns anything else.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredRaftState } from '../../core/raft/raft-storage.js';
import { Random } from '../../core/random.js';
import { parseSegmentName } from '../../core/storage/log-format.js';
import { SYNC_POINT_BYTES } from '../../core/storage/log-records.js';
import { LogStorage } from '../../core/storage/log-storage.js';
import { RECORD_HEADER_BYTES } from '../../core/storage/storage-limits.js';
import { parseSnapshotName } from '../../core/storage/snapshot-file.js';
import { STATE_FILE } from '../../core/storage/state-slots.js';
import { StorageError } from '../../core/storage/storage-errors.js';
import { SimCrash, SimDisk } from '../../runtime-sim/sim-disk.js';
import { applyOp, describeDifference, newHarness, SMALL_SEGMENT_OPTIONS, storageOpArb, type StorageOp } from './storage-ops.js';

interface BuiltDirectory {
  files: Map<string, Uint8Array>;
  /** Per file, how many leading bytes were durable and acknowledged at the last sync. */
  syncedBytes: Map<string, number>;
  lastSegment: string;
  synced: StoredRaftState;
}

/**
 * Runs the operations, syncs, then appends an unsynced tail (a sync that
 * stops after its write, before any fsync: records reach the file only in a
 * sync); returns the files as they stand.
 */
function build(seed: number, ops: readonly StorageOp[]): BuiltDirectory {
  const h = newHarness(seed);
  for (const op of ops) if (op.kind !== 'crash') applyOp(h, op);
  applyOp(h, { kind: 'sync' });
  const syncedBytes = new Map(h.disk.list().map((name) => [name, h.disk.bytesOf(name).length]));
  applyOp(h, { kind: 'append', at: 0.99, count: 2, termBump: false, dataBytes: 10 });
  h.disk.armCrash(2);
  expect(() => h.storage.sync()).toThrow(SimCrash);
  const files = new Map(h.disk.list().map((name) => [name, h.disk.bytesOf(name).slice()]));
  const segments = [...files.keys()].filter((n) => parseSegmentName(n) !== null).sort();
  // Without the sync's own COMMIT record the tail is records no sync point covers: what must be cut off.
  const last = files.get(segments[segments.length - 1]!)!;
  files.set(segments[segments.length - 1]!, last.subarray(0, last.length - RECORD_HEADER_BYTES - SYNC_POINT_BYTES));
  return { files, syncedBytes, lastSegment: segments[segments.length - 1]!, synced: h.synced };
}

function diskWith(files: Map<string, Uint8Array>): SimDisk {
  const disk = new SimDisk(Random.fromSeed(1));
  for (const [name, bytes] of files) {
    const f = disk.open(name, 'create');
    f.append(bytes);
    f.sync();
  }
  disk.syncDir();
  return disk;
}

type Outcome = { kind: 'ok'; state: StoredRaftState; storage: LogStorage } | { kind: 'refused'; error: StorageError };

function recoverFrom(files: Map<string, Uint8Array>): Outcome {
  try {
    const storage = LogStorage.open(diskWith(files), SMALL_SEGMENT_OPTIONS);
    return { kind: 'ok', state: storage.load(), storage };
  } catch (e) {
    if (e instanceof StorageError) return { kind: 'refused', error: e };
    throw e;
  }
}

const opsArb = fc.array(storageOpArb, { minLength: 5, maxLength: 40 });

describe('a cut last segment', () => {
  it('keeps exactly the synced state, or refuses naming the file and an offset at or before the cut', () => {
    let refusals = 0;
    let truncations = 0;
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e9 }), opsArb, (seed, ops) => {
      const dir = build(seed, ops);
      const full = dir.files.get(dir.lastSegment)!;
      // The tail may have rolled over into a segment created after the last sync.
      const createdByTail = !dir.syncedBytes.has(dir.lastSegment);
      const synced = dir.syncedBytes.get(dir.lastSegment) ?? 0;
      for (let cut = 0; cut <= full.length; cut++) {
        const files = new Map(dir.files);
        files.set(dir.lastSegment, full.subarray(0, cut));
        const outcome = recoverFrom(files);
        if (cut < synced) {
          if (outcome.kind !== 'refused') throw new Error(`cut at ${cut} inside synced data (${synced} bytes) was accepted`);
          expect(outcome.error.kind).toBe('corrupt');
          expect(outcome.error.file).toBe(dir.lastSegment);
          expect(outcome.error.offset).toBeLessThanOrEqual(cut);
          refusals++;
        } else {
          if (outcome.kind !== 'ok') throw new Error(`cut at ${cut} in the unsynced tail was refused: ${outcome.error.message}`);
          expect(describeDifference(outcome.state, dir.synced)).toBeNull();
          const finding = outcome.storage.findings.find((f) => f.file === dir.lastSegment);
          if (createdByTail) {
            expect(finding).toMatchObject({ action: 'removed' });
          } else if (cut > synced) {
            expect(finding).toMatchObject({ action: 'truncated', offset: synced, bytes: cut - synced });
            truncations++;
          } else {
            expect(finding).toBeUndefined();
          }
        }
      }
    }), { numRuns: 25 });
    expect(refusals).toBeGreaterThan(100);
    expect(truncations).toBeGreaterThan(100);
  });
});

describe('a flipped bit', () => {
  it('in any byte of any file is refused with file and offset, or (unsynced tail, a state slot) costs nothing', () => {
    const counts = { refused: 0, tail: 0, covered: 0 };
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e9 }), opsArb, (seed, ops) => {
      const dir = build(seed, ops);
      const random = Random.fromSeed(seed);
      for (const [name, bytes] of dir.files) {
        for (let offset = 0; offset < bytes.length; offset++) {
          const damaged = bytes.slice();
          damaged[offset]! ^= 1 << random.int(0, 7);
          const files = new Map(dir.files);
          files.set(name, damaged);
          const outcome = recoverFrom(files);
          const where = `${name} byte ${offset}`;
          const inSynced = offset < (dir.syncedBytes.get(name) ?? 0);
          if (parseSnapshotName(name) !== null || (parseSegmentName(name) !== null && inSynced)) {
            if (outcome.kind !== 'refused') throw new Error(`${where}: a flip in acknowledged data was not detected`);
            expect(outcome.error.file).toBe(name);
            expect(outcome.error.offset).toBeLessThanOrEqual(offset);
            counts.refused++;
          } else {
            if (outcome.kind !== 'ok') throw new Error(`${where}: ${outcome.error.message}`);
            const diff = describeDifference(outcome.state, dir.synced);
            if (diff) throw new Error(`${where}: wrong state: ${diff}`);
            if (name === STATE_FILE) counts.covered++;
            else counts.tail++;
          }
        }
      }
    }), { numRuns: 3 });
    expect(counts.refused).toBeGreaterThan(500);
    expect(counts.tail).toBeGreaterThan(50);
    expect(counts.covered).toBeGreaterThan(500);
  });
});
