// Incremental snapshots of a shard (core/shard/snapshot-job.ts over
// core/store/store-capture.ts) and the snapshot format's reader
// (core/shard/snapshot.ts):
// - a job begun at index I and stepped with small budgets while the shard
//   goes on applying writes, expiries, sweeps and FLUSHALLs between steps
//   restores to exactly the state of a replica stopped at I (digest and
//   answers), and the shard itself ends as a replay of its log;
// - the pre-images it carries are bounded by the keys changed during it;
// - a snapshot restores to an equal digest wherever its entries came from;
// - malformed bytes are refused with a SnapshotError, never a crash or another error.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../core/limits.js';
import type { Reply, Request } from '../../core/protocol/ops.js';
import { isWriteRequest, type LogEntry, type ReadRequest } from '../../core/shard/command.js';
import { LocalLog } from '../../core/shard/local-log.js';
import { Shard } from '../../core/shard/shard.js';
import {
  SNAPSHOT_ENTRY_FIXED_BYTES, SNAPSHOT_HEADER_BYTES, SnapshotError, readSnapshot, writeSnapshotEntry, writeSnapshotHeader, writeSnapshotTrailer,
} from '../../core/shard/snapshot.js';
import { ByteWriter } from '../../core/ring/byte-writer.js';
import { HashIndex } from '../../core/store/hash-index.js';
import { b, latin1, plain } from './bytes-helpers.js';

const LIMITS = makeLimits({ keyBytesMax: 16, valueBytesMax: 8192 });
const T0 = 1_700_000_000_000;
const KEYS = 120;

const arbKey = fc.nat(KEYS - 1).map((i) => b(`k${i}`));
const arbValue = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 150 }) },
  { weight: 1, arbitrary: fc.integer({ min: 4090, max: 6000 }) },
).chain((n) => fc.nat(255).map((c) => new Uint8Array(n).fill(c)));
const arbWrite: fc.Arbitrary<Request> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ key: arbKey, value: arbValue, ttl: fc.option(fc.integer({ min: 1, max: 60 }), { nil: undefined }) })
    .map(({ key, value, ttl }): Request => (ttl === undefined ? { op: 'set', key, value } : { op: 'set', key, value, ttlMs: ttl })) },
  { weight: 3, arbitrary: arbKey.map((key): Request => ({ op: 'del', key })) },
  { weight: 1, arbitrary: arbKey.map((key): Request => ({ op: 'incr', key, delta: 3n })) },
  { weight: 1, arbitrary: fc.record({ key: arbKey, value: arbValue }).map(({ key, value }): Request => ({ op: 'append', key, value })) },
  { weight: 1, arbitrary: fc.record({ key: arbKey, ms: fc.integer({ min: 1, max: 60 }) }).map(({ key, ms }): Request => ({ op: 'expire', key, ttlMs: ms })) },
  { weight: 1, arbitrary: fc.array(fc.record({ key: arbKey, value: arbValue }), { minLength: 1, maxLength: 4 })
    .map((entries): Request => ({ op: 'mset', entries })) },
);

type Step =
  | { kind: 'write'; req: Request; advanceMs: number }
  | { kind: 'sweep'; advanceMs: number }
  | { kind: 'flush' }
  | { kind: 'snap'; bytesMax: number };
const arbAdvance = fc.integer({ min: 0, max: 15 });
const arbStep = (flushWeight: number): fc.Arbitrary<Step> => fc.oneof(
  { weight: 20, arbitrary: fc.record({ kind: fc.constant('write' as const), req: arbWrite, advanceMs: arbAdvance }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('sweep' as const), advanceMs: arbAdvance }) },
  { weight: flushWeight, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('snap' as const), bytesMax: fc.integer({ min: 1, max: 3000 }) }) },
);

/** A shard fed through a log of one, recording every entry applied (what a replica would receive). */
function leader(): { shard: Shard; log: LocalLog; entries: LogEntry[]; clock: { ms: number } } {
  const shard = new Shard(0, LIMITS);
  const entries: LogEntry[] = [];
  const apply = shard.apply.bind(shard);
  shard.apply = (entry: LogEntry): Reply => {
    entries.push(entry);
    return apply(entry);
  };
  return { shard, log: new LocalLog(shard), entries, clock: { ms: T0 } };
}

function replay(entries: LogEntry[]): Shard {
  const replica = new Shard(1, LIMITS);
  for (const entry of entries) replica.apply(entry);
  return replica;
}

function run(l: ReturnType<typeof leader>, step: Step): void {
  if (step.kind === 'write') {
    l.clock.ms += step.advanceMs;
    if (isWriteRequest(step.req)) l.log.propose(step.req, l.clock.ms);
  } else if (step.kind === 'sweep') {
    l.clock.ms += step.advanceMs;
    const cmd = l.shard.collectExpired(l.clock.ms);
    if (cmd) l.log.propose(cmd, l.clock.ms);
  } else if (step.kind === 'flush') {
    l.log.propose({ op: 'flush' }, l.clock.ms);
  }
}

/** Every key's get and ttl, and the live count, at `atMs`. */
function answers(shard: Shard, atMs: number): unknown[] {
  const reads: ReadRequest[] = [{ op: 'count' }];
  for (let i = 0; i < KEYS; i++) reads.push({ op: 'get', key: b(`k${i}`) }, { op: 'ttl', key: b(`k${i}`) });
  return reads.map((req) => plain(shard.read(req, atMs)));
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Key -> [version, key + value bytes] of every entry stored (expired ones not yet removed included). */
function storedEntries(snapshot: Uint8Array): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  readSnapshot(snapshot, (e) => out.set(latin1(e.key), [e.version, e.key.length + e.value.length]));
  return out;
}

describe('incremental snapshot', () => {
  it('restores to the state at its index while the shard goes on applying between steps', () => {
    let preservedRuns = 0;
    fc.assert(fc.property(
      fc.array(arbStep(0), { maxLength: 250, size: 'max' }), fc.array(arbStep(1), { maxLength: 250, size: 'max' }),
      (before, during) => {
        const l = leader();
        for (const step of before) run(l, step);
        const cut = l.shard.appliedIndex;
        const job = l.shard.beginSnapshot();
        expect(job.applied.index).toBe(cut);
        const chunks: Uint8Array[] = [];
        let preservedAtStep = { entries: 0, bytes: 0 };
        for (const step of during) {
          if (step.kind !== 'snap') run(l, step);
          else {
            // What the job holds between steps is exactly the pre-images encoded since the last one.
            const p = job.preserved;
            const held = (p.bytes - preservedAtStep.bytes) + (p.entries - preservedAtStep.entries) * SNAPSHOT_ENTRY_FIXED_BYTES;
            if (chunks.length > 0 && !job.done) expect(job.pendingBytes).toBe(held);
            const chunk = job.step(step.bytesMax);
            if (chunk !== null) chunks.push(chunk);
            preservedAtStep = job.preserved;
          }
        }
        for (let chunk = job.step(500); chunk !== null; chunk = job.step(500)) chunks.push(chunk);
        expect(job.done).toBe(true);
        const bytes = concat(chunks);
        const stopped = replay(l.entries.slice(0, cut));
        const restored = Shard.restore(2, LIMITS, bytes);
        expect(restored.appliedIndex).toBe(cut);
        expect(restored.digest()).toBe(stopped.digest());
        expect(answers(restored, stopped.readClockMs)).toEqual(answers(stopped, stopped.readClockMs));
        // The shard was not disturbed: it is what replaying its whole log gives.
        expect(l.shard.digest()).toBe(replay(l.entries).digest());
        // Pre-images: at most the keys present at the cut that a later entry changed or removed, at their size then.
        const atCut = storedEntries(bytes);
        const now = storedEntries(l.shard.snapshot());
        let bound = 0;
        for (const [key, [version, size]] of atCut) if (now.get(key)?.[0] !== version) bound += size;
        expect(job.preserved.bytes).toBeLessThanOrEqual(bound);
        if (job.preserved.entries > 0) preservedRuns++;
      },
    ), { numRuns: 60 });
    expect(preservedRuns, 'writes reached entries before the walk in some runs').toBeGreaterThan(0);
  });

  it('snapshot() is the job run at once; a cancelled job stops costing and returns null', () => {
    const l = leader();
    for (let i = 0; i < 300; i++) l.log.propose({ op: 'set', key: b(`k${i % KEYS}`), value: b(`v${i}`) }, T0 + i);
    const stepped: Uint8Array[] = [];
    const job = l.shard.beginSnapshot();
    for (let chunk = job.step(100); chunk !== null; chunk = job.step(100)) stepped.push(chunk);
    // No write in between: the same walk, so the same bytes.
    expect(concat(stepped)).toEqual(l.shard.snapshot());
    const cancelled = l.shard.beginSnapshot();
    expect(cancelled.step(100)).not.toBeNull();
    cancelled.cancel();
    expect(cancelled.step(100)).toBeNull();
    expect(cancelled.done).toBe(true);
    l.log.propose({ op: 'set', key: b('k1'), value: b('after') }, T0 + 1000);
    expect(cancelled.preserved.entries).toBe(0);
  });

  it('replicas built in different orders, or restored from a snapshot, have equal digests at equal index', () => {
    fc.assert(fc.property(
      fc.uniqueArray(fc.nat(KEYS - 1), { minLength: 1, maxLength: 60 }), fc.nat(), arbValue,
      (ids, seed, value) => {
        const entries = ids.map((i) => ({ key: b(`k${i}`), value }));
        const shuffled = entries.slice().sort((x, y) => ((x.key.length * 31 + x.key[1]! + seed) % 13) - ((y.key.length * 31 + y.key[1]! + seed) % 13));
        const one = new Shard(0, LIMITS);
        const two = new Shard(0, LIMITS);
        one.apply({ index: 1, term: 1, timestampMs: T0, command: { op: 'mset', entries } });
        two.apply({ index: 1, term: 1, timestampMs: T0, command: { op: 'mset', entries: shuffled } });
        expect(two.digest()).toBe(one.digest());
        const restored = Shard.restore(2, LIMITS, two.snapshot());
        expect(restored.digest()).toBe(one.digest());
        // The restored shard goes on in step with the others.
        const next: LogEntry = { index: 2, term: 1, timestampMs: T0 + 1, command: { op: 'del', key: entries[0]!.key } };
        one.apply(next);
        restored.apply(next);
        expect(restored.digest()).toBe(one.digest());
        expect(restored.digest()).not.toBe(two.digest());
      },
    ), { numRuns: 100 });
  });
});

describe('restoring sizes the store', () => {
  it('for the snapshot\'s keys plus the entries to apply after it, with the same contents either way', () => {
    const source = leader();
    for (let i = 0; i < 300; i++) source.log.propose({ op: 'set', key: b(`k${i}`), value: b(`v${i}`) }, T0 + i);
    const bytes = source.shard.snapshot();
    const plain = Shard.restore(1, LIMITS, bytes);
    const sized = Shard.restore(1, LIMITS, bytes, 3000);
    expect(sized.digest()).toBe(plain.digest());
    // 5 bytes an index slot: 300 keys fit 512 slots, 3300 need 8192.
    expect(sized.usedBytes - plain.usedBytes).toBe((HashIndex.slotsFor(3300, 64) - HashIndex.slotsFor(300, 64)) * 5);
    const twin = new LocalLog(sized);
    for (let i = 300; i < 3300; i++) twin.propose({ op: 'set', key: b(`k${i}`), value: b(`v${i}`) }, T0 + i);
    const more = new LocalLog(plain);
    for (let i = 300; i < 3300; i++) more.propose({ op: 'set', key: b(`k${i}`), value: b(`v${i}`) }, T0 + i);
    expect(sized.digest()).toBe(plain.digest());
    expect(sized.size).toBe(3300);
  });
});

describe('restoring malformed snapshots', () => {
  const source = leader();
  for (let i = 0; i < 40; i++) {
    source.log.propose({ op: 'set', key: b(`k${i}`), value: new Uint8Array(i * 130).fill(i), ...(i % 3 === 0 ? { ttlMs: 1000 } : {}) }, T0 + i);
  }
  const good = source.shard.snapshot();

  /** Restore must either succeed or throw a SnapshotError: never an assertion, a RangeError or a crash. */
  function restoreOrSnapshotError(bytes: Uint8Array): Shard | SnapshotError {
    try {
      return Shard.restore(3, LIMITS, bytes);
    } catch (e) {
      if (e instanceof SnapshotError) return e;
      throw e;
    }
  }

  it('refuses every truncation and trailing bytes', () => {
    expect(restoreOrSnapshotError(good)).toBeInstanceOf(Shard);
    for (let n = 0; n < good.length; n += 1 + (n >> 6)) expect(restoreOrSnapshotError(good.subarray(0, n))).toBeInstanceOf(SnapshotError);
    expect(restoreOrSnapshotError(concat([good, new Uint8Array(1)]))).toBeInstanceOf(SnapshotError);
  });

  it('refuses a changed byte anywhere past the header (the trailer\'s digest catches what the structure does not)', () => {
    fc.assert(fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), (at, flip) => {
      const bad = good.slice();
      bad[at] = bad[at]! ^ flip;
      const result = restoreOrSnapshotError(bad);
      if (at >= SNAPSHOT_HEADER_BYTES) expect(result).toBeInstanceOf(SnapshotError);
    }), { numRuns: 500 });
  });

  it('refuses a damaged entry count, however large, as a SnapshotError (the restore sizes its store by it first)', () => {
    const countAt = SNAPSHOT_HEADER_BYTES - 4;
    for (const count of [0xffffffff, 0x7fffffff, 41, 39, 0]) {
      const bad = good.slice();
      new DataView(bad.buffer).setUint32(countAt, count, true);
      expect(restoreOrSnapshotError(bad), `count ${count}`).toBeInstanceOf(SnapshotError);
    }
    const seen: string[] = [];
    readSnapshot(good, () => seen.push('entry'), (header) => seen.push(`header ${header.count}`));
    expect(seen[0]).toBe('header 40');
    expect(seen.length).toBe(41);
  });

  it('refuses random bytes, with a message that says snapshot', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      expect(restoreOrSnapshotError(bytes)).toBeInstanceOf(SnapshotError);
    }), { numRuns: 300 });
    expect(() => Shard.restore(0, LIMITS, b('not a snapshot at all'))).toThrow(/malformed shard snapshot: not a shard snapshot/);
  });

  it('refuses a key twice, a version past the index, and keys or values over the restoring node\'s limits', () => {
    const craft = (index: number, entries: [string, number, number][], digest: [number, number] = [0, 0]): Uint8Array => {
      const w = new ByteWriter(256);
      writeSnapshotHeader(w, { applied: { index, term: 1, timestampMs: T0, logId: 0 }, count: entries.length });
      for (const [key, valueLength, version] of entries) {
        const k = b(key);
        const v = new Uint8Array(valueLength);
        writeSnapshotEntry(w, k, 0, k.length, v, 0, v.length, version, 0, 0);
      }
      writeSnapshotTrailer(w, digest[0], digest[1]);
      return w.bytes().slice();
    };
    expect(() => Shard.restore(0, LIMITS, craft(5, [['a', 1, 1], ['a', 1, 2]]))).toThrow(/a key appears twice/);
    expect(() => Shard.restore(0, LIMITS, craft(5, [['a', 1, 6]]))).toThrow(/version 6, outside 1..5/);
    expect(() => Shard.restore(0, LIMITS, craft(5, [['a', 1, 0]]))).toThrow(/version 0/);
    expect(() => Shard.restore(0, LIMITS, craft(5, [['a'.repeat(17), 1, 1]]))).toThrow(/key of 17 bytes/);
    expect(() => Shard.restore(0, LIMITS, craft(5, [['a', 8193, 1]]))).toThrow(/value of 8193 bytes/);
    expect(() => Shard.restore(0, LIMITS, craft(5, [['a', 1, 1]]))).toThrow(/do not match the digest in the trailer/);
  });
});
