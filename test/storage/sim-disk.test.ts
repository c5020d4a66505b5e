// The simulated disk's faults, each reproduced by seed, and the storage
// engine over a disk that has them: recovery keeps the synced state (or the
// sync in progress), or refuses with a StorageError naming a file; it never
// returns anything else.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from '../../core/random.js';
import { StorageIoError } from '../../core/storage/file-system.js';
import { LogStorage } from '../../core/storage/log-storage.js';
import { StorageError } from '../../core/storage/storage-errors.js';
import { CRASH_ONLY_FAULTS, SimDisk, type SimDiskFaults } from '../../runtime-sim/sim-disk.js';
import { applyOp, describeDifference, newHarness, SMALL_SEGMENT_OPTIONS, storageOpArb, type StorageOp } from './storage-ops.js';

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

/** A disk with one file written in several unsynced writes after a synced prefix, then crashed. */
function crashedDisk(seed: number): { disk: SimDisk; contents: Uint8Array } {
  const disk = new SimDisk(Random.fromSeed(seed), { ...CRASH_ONLY_FAULTS, crashLostWriteChance: 0.3, crashTornWriteChance: 0.4 });
  const f = disk.open('f', 'create');
  f.append(bytes(100, 1));
  f.sync();
  disk.syncDir();
  for (let i = 2; i < 12; i++) f.append(bytes(50, i));
  disk.open('g', 'create'); // created, directory never synced
  disk.crash();
  return { disk, contents: disk.bytesOf('f').slice() };
}

describe('simulated disk faults, by seed', () => {
  it('a crash keeps synced data and loses or tears unsynced writes, the same way for the same seed', () => {
    const a = crashedDisk(42);
    const b = crashedDisk(42);
    expect(a.contents).toEqual(b.contents);
    expect(a.disk.faultLog).toEqual(b.disk.faultLog);
    expect(a.contents.subarray(0, 100)).toEqual(bytes(100, 1));
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) for (const f of crashedDisk(seed).disk.faultLog) kinds.add(f.kind);
    expect([...kinds].sort()).toEqual(['dirLost', 'lost', 'torn']);
    const torn = a.disk.faultLog.find((f) => f.kind === 'torn');
    if (torn && torn.kind === 'torn') expect(torn.kept).toBeLessThan(torn.bytes);
  });

  it('a file created without a directory fsync can vanish at a crash', () => {
    const outcomes = new Set<boolean>();
    for (let seed = 1; seed <= 20; seed++) outcomes.add(crashedDisk(seed).disk.list().includes('g'));
    expect(outcomes).toEqual(new Set([true, false]));
  });

  it('a bit flip lands at the same place for the same seed, and changes exactly one bit', () => {
    const flip = (seed: number): { fault: unknown; after: Uint8Array } => {
      const disk = new SimDisk(Random.fromSeed(seed));
      const f = disk.open('f', 'create');
      f.append(bytes(1000, 0));
      f.sync();
      return { fault: disk.flipRandomBit(), after: disk.bytesOf('f').slice() };
    };
    const a = flip(7);
    expect(flip(7)).toEqual(a);
    expect(flip(8).fault).not.toEqual(a.fault);
    const ones = [...a.after].reduce((n, b) => n + (b === 0 ? 0 : 1), 0);
    expect(ones).toBe(1);
  });

  it('an unreadable sector makes reads over it fail until it is rewritten', () => {
    const disk = new SimDisk(Random.fromSeed(3));
    const f = disk.open('f', 'create');
    f.append(bytes(2048, 5));
    f.sync();
    const fault = disk.makeRandomSectorUnreadable();
    expect(fault).toEqual(new SimDisk(Random.fromSeed(3)).makeRandomSectorUnreadable() ?? fault);
    if (!fault || fault.kind !== 'unreadable') throw new Error('no fault');
    const at = fault.sector * 512;
    expect(() => f.read(0, 2048)).toThrow(StorageIoError);
    expect(f.read(at === 0 ? 512 : 0, 512)).toEqual(bytes(512, 5));
    f.pwrite(at, bytes(512, 6));
    expect(f.read(at, 512)).toEqual(bytes(512, 6));
  });

  it('a misdirected write lands elsewhere in the same file, reproducibly', () => {
    const run = (seed: number): { log: unknown; after: Uint8Array } => {
      const disk = new SimDisk(Random.fromSeed(seed), { ...CRASH_ONLY_FAULTS, misdirectedWriteChance: 1, misdirectedWritesMax: 1 });
      const f = disk.open('f', 'create');
      f.append(bytes(4096, 1));
      f.pwrite(1024, bytes(16, 9));
      return { log: disk.faultLog, after: disk.bytesOf('f').slice() };
    };
    const a = run(11);
    expect(run(11)).toEqual(a);
    const fault = (a.log as { kind: string; intended: number; landed: number }[]).find((x) => x.kind === 'misdirected');
    expect(fault).toBeDefined();
    expect(fault!.landed).not.toBe(fault!.intended);
    expect(a.after.subarray(fault!.landed, fault!.landed + 16)).toEqual(bytes(16, 9));
  });

  it('a slow fsync is reported as latency', () => {
    const disk = new SimDisk(Random.fromSeed(5), { ...CRASH_ONLY_FAULTS, fsyncSlowChance: 1, fsyncSlowMs: 40 });
    const f = disk.open('f', 'create');
    f.append(bytes(10, 1));
    f.sync();
    f.sync();
    expect(disk.takeFsyncLatencyMs()).toBe(80);
    expect(disk.takeFsyncLatencyMs()).toBe(0);
  });
});

type Damage = 'bitFlip' | 'unreadable' | 'misdirected';

/**
 * Runs ops with `faults`, damages the disk, crashes, reopens: the outcome is
 * the synced state, or a refusal naming a file (a misdirected write can
 * already damage synced data on the first open, so a refusal may come early).
 */
function checkUnderDamage(seed: number, ops: readonly StorageOp[], faults: SimDiskFaults, damage: Damage): 'ok' | 'refused' {
  try {
    const h = newHarness(seed, SMALL_SEGMENT_OPTIONS, faults);
    for (const op of ops) if (op.kind !== 'crash') applyOp(h, op);
    if (damage === 'bitFlip') h.disk.flipRandomBit();
    if (damage === 'unreadable') h.disk.makeRandomSectorUnreadable();
    h.disk.crash();
    h.model.crash();
    const storage = LogStorage.open(h.disk, SMALL_SEGMENT_OPTIONS);
    const diff = describeDifference(storage.load(), h.synced);
    if (diff) throw new Error(`seed ${seed}, ${damage}: silently wrong after recovery: ${diff}\nfaults: ${JSON.stringify(h.disk.faultLog)}`);
    return 'ok';
  } catch (e) {
    if (!(e instanceof StorageError)) throw e;
    expect(e.file).toMatch(/^(log-\d+\.seg|state|snapshot-\d+\.snap)$/);
    return 'refused';
  }
}

describe('the storage engine over a faulty disk', () => {
  const opsArb = fc.array(storageOpArb, { minLength: 5, maxLength: 40 });
  for (const damage of ['bitFlip', 'unreadable', 'misdirected'] as const) {
    it(`never serves wrong data after a ${damage}`, () => {
      const outcomes = { ok: 0, refused: 0 };
      const faults = damage === 'misdirected' ? { ...CRASH_ONLY_FAULTS, misdirectedWriteChance: 0.05, misdirectedWritesMax: 1 } : CRASH_ONLY_FAULTS;
      fc.assert(fc.property(fc.integer({ min: 0, max: 1e9 }), opsArb, (seed, ops) => {
        outcomes[checkUnderDamage(seed, ops, faults, damage)]++;
      }), { numRuns: 200 });
      expect(outcomes.refused).toBeGreaterThan(10);
      expect(outcomes.ok).toBeGreaterThan(10);
    });
  }
});
