// Damage to a data directory, byte by byte: the last segment cut at every
// offset, and a bit flipped in every byte of every file. A flipped bit:
// recovery keeps exactly the synced state, cutting off and reporting an
// unsynced tail, or refuses with a StorageError naming the file and an
// offset at or before the damage; it never returns anything else. A cut
// file: before the sync point in the state slot it is refused; after it, a
// cut looks like a write torn at a crash (in 'always' mode the slot is not
// written at every sync: docs/durability.md, "One fdatasync per sync"), so
// recovery keeps exactly the state of the last sync point before the cut.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredRaftState } from '../../core/raft/raft-storage.js';
import { Random } from '../../core/random.js';
import { parseSegmentName } from '../../core/storage/log-format.js';
import { SYNC_POINT_BYTES } from '../../core/storage/log-records.js';
import { LogStorage, type LogStorageOptions } from '../../core/storage/log-storage.js';
import { BEGIN_RECORD_BYTES } from '../../core/storage/log-format.js';
import { RECORD_HEADER_BYTES } from '../../core/storage/storage-limits.js';
import { parseSnapshotName } from '../../core/storage/snapshot-file.js';
import { decodeSlot, STATE_FILE } from '../../core/storage/state-slots.js';
import { STATE_SLOT_BYTES } from '../../core/storage/storage-limits.js';
import { StorageError } from '../../core/storage/storage-errors.js';
import { SimCrash, SimDisk } from '../../runtime-sim/sim-disk.js';
import { applyOp, describeDifference, IDENTITY, newHarness, SMALL_SEGMENT_OPTIONS, storageOpArb, type StorageOp } from './storage-ops.js';

interface BuiltDirectory {
  files: Map<string, Uint8Array>;
  /** Per file, how many leading bytes were durable and acknowledged at the last sync. */
  syncedBytes: Map<string, number>;
  lastSegment: string;
  synced: StoredRaftState;
  /** At open and after each sync, oldest first: the synced state and the length of the segment its sync point is in. */
  history: { state: StoredRaftState; segment: string; bytes: number }[];
}

/**
 * Runs the operations, syncs, then appends an unsynced tail (a sync that
 * stops after its write, before any fsync: records reach the file only in a
 * sync); returns the files as they stand.
 */
function build(seed: number, ops: readonly StorageOp[], options: LogStorageOptions = SMALL_SEGMENT_OPTIONS): BuiltDirectory {
  const h = newHarness(seed, options);
  const lastSegmentNow = (): string => h.disk.list().filter((n) => parseSegmentName(n) !== null).sort().pop()!;
  const history: BuiltDirectory['history'] = [{ state: h.synced, segment: lastSegmentNow(), bytes: h.disk.bytesOf(lastSegmentNow()).length }];
  for (const op of [...ops, { kind: 'sync' } as const]) {
    if (op.kind === 'crash') continue;
    applyOp(h, op);
    if (op.kind === 'sync') history.push({ state: h.synced, segment: lastSegmentNow(), bytes: h.disk.bytesOf(lastSegmentNow()).length });
  }
  const syncedBytes = new Map(h.disk.list().map((name) => [name, h.disk.bytesOf(name).length]));
  applyOp(h, { kind: 'append', at: 0.99, count: 2, termBump: false, dataBytes: 10 });
  h.disk.armCrash(2);
  expect(() => h.storage.sync()).toThrow(SimCrash);
  const files = new Map(h.disk.list().map((name) => [name, h.disk.bytesOf(name).slice()]));
  const segments = [...files.keys()].filter((n) => parseSegmentName(n) !== null).sort();
  // Without the sync's own COMMIT record the tail is records no sync point covers: what must be cut off.
  const last = files.get(segments[segments.length - 1]!)!;
  files.set(segments[segments.length - 1]!, last.subarray(0, last.length - RECORD_HEADER_BYTES - SYNC_POINT_BYTES));
  const lastSegment = segments[segments.length - 1]!;
  return { files, syncedBytes, lastSegment, synced: h.synced, history };
}

/** The end of the state file's newest sync point if it is in `segment` (cuts before it are refused), else 0. */
function slotEndIn(files: Map<string, Uint8Array>, segment: string): number {
  let best = { syncSeq: -1, end: 0 };
  for (const offset of [0, STATE_SLOT_BYTES]) {
    const slot = decodeSlot(files.get(STATE_FILE)!, offset, IDENTITY);
    if (slot.kind === 'valid' && slot.point.syncSeq > best.syncSeq) {
      best = { syncSeq: slot.point.syncSeq, end: parseSegmentName(segment) === slot.point.segmentSeq ? slot.point.endOffset : 0 };
    }
  }
  return best.end;
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

function recoverFrom(files: Map<string, Uint8Array>, options: LogStorageOptions = SMALL_SEGMENT_OPTIONS): Outcome {
  try {
    const storage = LogStorage.open(diskWith(files), options);
    return { kind: 'ok', state: storage.load(), storage };
  } catch (e) {
    if (e instanceof StorageError) return { kind: 'refused', error: e };
    throw e;
  }
}

const CUT_SEGMENT_OPTIONS: LogStorageOptions = { ...SMALL_SEGMENT_OPTIONS, segmentBytesTarget: 1_500 };

const opsArb = fc.array(storageOpArb, { minLength: 5, maxLength: 40 });

describe('a cut last segment', () => {
  it('before the state slot\'s sync point is refused naming the file and an offset at or before the cut; after it keeps the last sync point before the cut', () => {
    const counts = { refusals: 0, truncations: 0, olderSync: 0 };
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e9 }), opsArb, (seed, ops) => {
      // Segments of a few syncs each, so that several syncs follow the one in the state slot.
      const dir = build(seed, ops, CUT_SEGMENT_OPTIONS);
      const full = dir.files.get(dir.lastSegment)!;
      // The tail may have rolled over into a segment created after the last sync.
      const createdByTail = !dir.syncedBytes.has(dir.lastSegment);
      const synced = dir.syncedBytes.get(dir.lastSegment) ?? 0;
      const slotEnd = slotEndIn(dir.files, dir.lastSegment);
      for (let cut = 0; cut <= full.length; cut++) {
        const files = new Map(dir.files);
        files.set(dir.lastSegment, full.subarray(0, cut));
        const outcome = recoverFrom(files, CUT_SEGMENT_OPTIONS);
        if (cut < slotEnd) {
          if (outcome.kind !== 'refused') throw new Error(`cut at ${cut} before the state slot's sync point (${slotEnd}) was accepted`);
          expect(outcome.error.kind).toBe('corrupt');
          expect(outcome.error.file).toBe(dir.lastSegment);
          expect(outcome.error.offset).toBeLessThanOrEqual(cut);
          counts.refusals++;
        } else if (cut < synced) {
          // A synced write cut short reads as a torn one: the state of the last sync point whole before the cut.
          if (outcome.kind !== 'ok') throw new Error(`cut at ${cut} after the state slot's sync point was refused: ${outcome.error.message}`);
          const before = dir.history.filter((s) => s.segment === dir.lastSegment && s.bytes <= cut).pop()!;
          expect(describeDifference(outcome.state, before.state)).toBeNull();
          counts.olderSync++;
        } else {
          if (outcome.kind !== 'ok') throw new Error(`cut at ${cut} in the unsynced tail was refused: ${outcome.error.message}`);
          expect(describeDifference(outcome.state, dir.synced)).toBeNull();
          const finding = outcome.storage.findings.find((f) => f.file === dir.lastSegment);
          if (createdByTail) {
            expect(finding).toMatchObject({ action: 'removed' });
          } else if (cut > synced) {
            expect(finding).toMatchObject({ action: 'truncated', offset: synced, bytes: cut - synced });
            counts.truncations++;
          } else {
            expect(finding).toBeUndefined();
          }
        }
      }
    }), { numRuns: 25 });
    expect(counts.refusals).toBeGreaterThan(100);
    expect(counts.truncations).toBeGreaterThan(100);
    expect(counts.olderSync).toBeGreaterThan(100);
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
          // The tail's first write into a file the last sync left is whole on disk but for the COMMIT this test cut off
          // the last segment: damage to its BEGIN, or anywhere in a rollover's write sealing an older segment, cannot be
          // told from damage to an acknowledged write, and is refused.
          const tailStart = parseSegmentName(name) !== null ? dir.syncedBytes.get(name) : undefined;
          const inWholeTail = tailStart !== undefined && offset >= tailStart && (name !== dir.lastSegment || offset < tailStart + BEGIN_RECORD_BYTES);
          if (parseSnapshotName(name) !== null || (parseSegmentName(name) !== null && (inSynced || inWholeTail))) {
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
