// The storage side of repair from peers (core/storage/repair-marker.ts):
// opened with repairFromPeers, a directory damaged where acknowledged data
// lives is cleared behind a durable REPAIR marker and opens empty but for the
// term and vote it had persisted; a power loss at any point of that clearing
// opens in repair again, never as a clean short log; the marker goes only
// with repaired(). A lone node (no repairFromPeers) refuses a directory that
// is being repaired.

import { describe, expect, it } from 'vitest';
import { Random } from '../../core/random.js';
import { parseSegmentName } from '../../core/storage/log-format.js';
import { LogStorage } from '../../core/storage/log-storage.js';
import { decodeRepairMarker, encodeRepairMarker, REPAIR_FILE } from '../../core/storage/repair-marker.js';
import { STATE_FILE } from '../../core/storage/state-slots.js';
import { StorageError } from '../../core/storage/storage-errors.js';
import { STATE_SLOT_BYTES } from '../../core/storage/storage-limits.js';
import { SimCrash, SimDisk } from '../../runtime-sim/sim-disk.js';
import { storedEntryArray } from '../../core/raft/packed-entries.js';

const encoder = new TextEncoder();
const OPTIONS = { identity: { nodeId: 2, groupId: 0 }, segmentBytesTarget: 1024, repairFromPeers: true } as const;
const TERM = 7;
const VOTE = 3;
const SYNCS = 40;

/** A directory with SYNCS synced entries (term TERM, vote VOTE), then a bit flipped in the middle of its first segment. */
function damagedDisk(seed: number): SimDisk {
  const disk = new SimDisk(Random.fromSeed(seed));
  const storage = LogStorage.open(disk, OPTIONS);
  for (let index = 1; index <= SYNCS; index++) {
    storage.appendEntries([{ index, term: TERM, kind: 'normal', data: encoder.encode(`entry-${index}`) }]);
    storage.saveHardState({ term: TERM, vote: VOTE, commit: index });
    storage.sync();
  }
  storage.close();
  const first = disk.list().filter((n) => parseSegmentName(n) !== null).sort()[0]!;
  const bytes = disk.bytesOf(first).slice();
  bytes[Math.floor(bytes.length / 2)]! ^= 0x04;
  disk.setBytes(first, bytes);
  return disk;
}

describe('storage repair from peers', () => {
  it('clears a damaged directory behind a marker, keeping the persisted term, vote and commit to reach', () => {
    const disk = damagedDisk(1);
    const storage = LogStorage.open(disk, OPTIONS);
    expect(storage.repair).not.toBeNull();
    expect(storage.repair!.hardState).toEqual({ term: TERM, vote: VOTE, commit: SYNCS });
    expect(storage.repair!.file).toMatch(/^log-\d+\.seg$/);
    const loaded = storage.load();
    expect(storedEntryArray(loaded.entries)).toEqual([]);
    expect(loaded.snapshot).toBeNull();
    expect(loaded.hardState).toEqual({ term: TERM, vote: VOTE, commit: 0 });
    expect(storage.findings.some((f) => f.action === 'removed' && /cleared to repair/.test(f.reason))).toBe(true);
    expect(disk.list()).toContain(REPAIR_FILE);
    // Still repairing after a restart; repaired() removes the marker, and then a restart is a normal one.
    disk.processCrash();
    const again = LogStorage.open(disk, OPTIONS);
    expect(again.repair!.hardState.term).toBe(TERM);
    again.appendEntries([{ index: 1, term: TERM, kind: 'normal', data: encoder.encode('from the leader') }]);
    again.sync();
    again.repaired();
    expect(again.repair).toBeNull();
    expect(disk.list()).not.toContain(REPAIR_FILE);
    again.close();
    const normal = LogStorage.open(disk, OPTIONS);
    expect(normal.repair).toBeNull();
    expect(storedEntryArray(normal.load().entries).map((e) => e.index)).toEqual([1]);
    expect(normal.load().hardState.term).toBe(TERM);
  });

  it('a power loss at any step of the clearing opens in repair again, with the term and vote kept', () => {
    let finished = false;
    for (let step = 1; step < 200 && !finished; step++) {
      const disk = damagedDisk(step);
      disk.armCrash(step);
      try {
        LogStorage.open(disk, OPTIONS);
        finished = true;
      } catch (e) {
        if (!(e instanceof SimCrash)) throw e;
      }
      disk.crash();
      const storage = LogStorage.open(disk, OPTIONS);
      if (storage.repair === null) {
        // Only a crash before the marker was durable may leave the damage as it was: then it is found again.
        throw new Error(`step ${step}: opened without repair`);
      }
      expect(storage.load().hardState.term, `step ${step}`).toBe(TERM);
      expect(storage.load().hardState.vote, `step ${step}`).toBe(VOTE);
    }
    expect(finished, 'the clearing completes within the steps tried').toBe(true);
  });

  it('a lone node refuses a directory that is being repaired', () => {
    const disk = damagedDisk(2);
    LogStorage.open(disk, OPTIONS).close();
    const lone = { ...OPTIONS, repairFromPeers: false };
    expect(() => LogStorage.open(disk, lone)).toThrow(StorageError);
    expect(() => LogStorage.open(disk, lone)).toThrow(/being repaired/);
  });

  it('a damaged marker still means "repairing", with nothing known', () => {
    const bytes = encodeRepairMarker({ hardState: { term: 5, vote: 1, commit: 9 }, file: 'segment-x', offset: 12, reason: 'crc' });
    expect(decodeRepairMarker(bytes).hardState).toEqual({ term: 5, vote: 1, commit: 9 });
    const flipped = bytes.slice();
    flipped[5]! ^= 1;
    expect(decodeRepairMarker(flipped).hardState).toEqual({ term: 0, vote: 0, commit: 0 });
    expect(decodeRepairMarker(new Uint8Array(0)).reason).toMatch(/damaged/);
  });

  it('keeps the vote of the newest sync when both state slots are damaged (the log still holds it)', () => {
    const disk = new SimDisk(Random.fromSeed(3));
    const storage = LogStorage.open(disk, OPTIONS);
    storage.appendEntries([{ index: 1, term: TERM - 1, kind: 'normal', data: encoder.encode('old term') }]);
    storage.saveHardState({ term: TERM - 1, vote: 1, commit: 1 });
    storage.sync();
    storage.saveHardState({ term: TERM, vote: VOTE, commit: 1 });
    storage.sync();
    storage.close();
    // One range overwritten with bytes meant for another offset, across the end of slot 0's body and the start of slot 1.
    const state = disk.bytesOf(STATE_FILE).slice();
    state.copyWithin(20, STATE_SLOT_BYTES * 2 - STATE_SLOT_BYTES, STATE_SLOT_BYTES * 2);
    disk.setBytes(STATE_FILE, state);
    const reopened = LogStorage.open(disk, OPTIONS);
    expect(reopened.repair).not.toBeNull();
    expect(reopened.repair!.file).toBe(STATE_FILE);
    // Not the zeros of "nothing known" (the simulator found two leaders in one term that way): the log's newest COMMIT.
    expect(reopened.repair!.hardState).toEqual({ term: TERM, vote: VOTE, commit: 1 });
    expect(reopened.load().hardState).toMatchObject({ term: TERM, vote: VOTE });
  });

  it('keeps the vote of an election when the log holds its only COMMIT behind a damaged record (the state slot has it too)', () => {
    const disk = new SimDisk(Random.fromSeed(4));
    const storage = LogStorage.open(disk, { ...OPTIONS, segmentBytesTarget: 1 << 20 });
    storage.appendEntries([{ index: 1, term: TERM - 1, kind: 'normal', data: encoder.encode('old term') }]);
    storage.saveHardState({ term: TERM - 1, vote: 1, commit: 1 });
    storage.sync();
    // An election: a new term and vote, synced (then a vote may be sent), in the same segment; then kill -9.
    storage.saveHardState({ term: TERM, vote: VOTE, commit: 1 });
    storage.sync();
    disk.processCrash();
    // At rest, a bit flips in the first entry's record: every record after it, the new term's COMMIT too, is out of reach.
    const segment = disk.list().filter((n) => parseSegmentName(n) !== null).sort()[0]!;
    const bytes = disk.bytesOf(segment).slice();
    const at = bytes.indexOf('o'.charCodeAt(0), 32); // inside 'old term'
    expect(at).toBeGreaterThan(0);
    bytes[at]! ^= 0x01;
    disk.setBytes(segment, bytes);
    const reopened = LogStorage.open(disk, OPTIONS);
    expect(reopened.repair).not.toBeNull();
    // Forgotten, the repairing replica would take a deposed leader of an older term for its leader (sim seed 94).
    expect(reopened.repair!.hardState).toMatchObject({ term: TERM, vote: VOTE });
  });
});
