// The shard as a replicated state machine (core/shard/shard.ts, command.ts,
// local-log.ts, snapshot.ts): what every replica relies on. Replicas applying
// the same entries hold the same state (equal digests, and equal snapshot
// bytes since they lay the store out alike; other orders give equal digests);
// reads never change the state; a snapshot restores to the same state and
// answers; an expiry sweep's entry spares keys rewritten after it looked;
// entry time never goes back, whatever the proposer's clock does.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../core/limits.js';
import type { Reply, Request } from '../../core/protocol/ops.js';
import { commandOf, isWriteRequest, type Command, type LogEntry, type ReadRequest } from '../../core/shard/command.js';
import { LocalLog } from '../../core/shard/local-log.js';
import { Shard } from '../../core/shard/shard.js';
import { compareBytes } from '../../core/shard/snapshot.js';
import { b, plain } from './bytes-helpers.js';

const LIMITS = makeLimits({ keyBytesMax: 16, valueBytesMax: 64, frameBytesMax: 4096 });
const T0 = 1_700_000_000_000;

const arbKey = fc.constantFrom('a', 'b', 'c', 'd', 'e').map(b);
const arbValue = fc.constantFrom('1', '7', 'x', '', 'hello').map(b);
const arbWrite: fc.Arbitrary<Request> = fc.oneof(
  fc.record({ key: arbKey, value: arbValue, ttl: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }) })
    .map(({ key, value, ttl }): Request => (ttl === undefined ? { op: 'set', key, value } : { op: 'set', key, value, ttlMs: ttl })),
  fc.record({ key: arbKey, value: arbValue }).map(({ key, value }): Request => ({ op: 'set', key, value, ifAbsent: true })),
  arbKey.map((key): Request => ({ op: 'del', key })),
  arbKey.map((key): Request => ({ op: 'incr', key, delta: 1n })),
  fc.record({ key: arbKey, value: arbValue }).map(({ key, value }): Request => ({ op: 'append', key, value })),
  fc.record({ key: arbKey, ms: fc.integer({ min: 1, max: 50 }) }).map(({ key, ms }): Request => ({ op: 'expire', key, ttlMs: ms })),
  fc.record({ key: arbKey, at: fc.integer({ min: -20, max: 50 }) })
    .map(({ key, at }): Request => ({ op: 'expire', key, expireAtMs: T0 + at })),
  fc.record({ key: arbKey, ms: fc.integer({ min: 1, max: 50 }) }).map(({ key, ms }): Request => ({ op: 'getEx', key, ttlMs: ms })),
  fc.array(fc.record({ key: arbKey, value: arbValue }), { minLength: 1, maxLength: 3 }).map((entries): Request => ({ op: 'mset', entries })),
);
const READS: ReadRequest[] = [
  ...['a', 'b', 'c', 'd', 'e'].flatMap((k): ReadRequest[] => [{ op: 'get', key: b(k) }, { op: 'ttl', key: b(k) }]),
  { op: 'count' },
  { op: 'scan', prefix: new Uint8Array(0), cursor: new Uint8Array(0), limit: 10, withValues: true },
  { op: 'mget', keys: ['a', 'b', 'c'].map(b) },
];

/** A step of a proposer: a write, a read, or an expiry sweep, each at a clock that may jump back. */
type Step = { kind: 'write'; req: Request; clockMs: number } | { kind: 'read'; clockMs: number } | { kind: 'sweep'; clockMs: number };
const arbClockStep = fc.integer({ min: -30, max: 40 });
const arbSteps = fc.array(fc.tuple(
  fc.oneof({ weight: 5, arbitrary: arbWrite.map((req) => ({ kind: 'write' as const, req })) },
    { weight: 2, arbitrary: fc.constant({ kind: 'read' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'sweep' as const }) }),
  arbClockStep,
), { maxLength: 80 }).map((pairs) => {
  let clockMs = T0;
  return pairs.map(([step, delta]): Step => {
    clockMs += delta;
    return { ...step, clockMs } as Step;
  });
});

/**
 * A leader: proposes through a log of one, recording each entry it applied
 * (what a follower would receive), reading now and then.
 */
function lead(steps: Step[]): { shard: Shard; log: LogEntry[] } {
  const shard = new Shard(0, LIMITS);
  const log: LogEntry[] = [];
  // Capture each entry as it is applied: what a follower would receive.
  const apply = shard.apply.bind(shard);
  shard.apply = (entry: LogEntry): Reply => {
    log.push(entry);
    return apply(entry);
  };
  const local = new LocalLog(shard);
  let lastTimestampMs = 0;
  for (const step of steps) {
    if (step.kind === 'write' && isWriteRequest(step.req)) local.propose(step.req, step.clockMs);
    else if (step.kind === 'read') for (const req of READS) local.read(req, step.clockMs);
    else if (step.kind === 'sweep') {
      const cmd = shard.collectExpired(step.clockMs);
      if (cmd) local.propose(cmd, step.clockMs);
    }
    expect(shard.appliedTimestampMs, 'entry time never goes back').toBeGreaterThanOrEqual(lastTimestampMs);
    lastTimestampMs = shard.appliedTimestampMs;
  }
  return { shard, log };
}

function replay(log: LogEntry[]): Shard {
  const replica = new Shard(1, LIMITS);
  for (const entry of log) replica.apply(entry);
  return replica;
}

/**
 * Every read's reply. A SCAN page is compared as a set: its order is the
 * store's bucket order, and a restored store laid keys out in snapshot order.
 */
function answers(shard: Shard, atMs: number): unknown[] {
  return READS.map((req) => {
    const reply = shard.read(req, atMs);
    if (reply.ok && reply.scanItems) reply.scanItems.sort((x, y) => compareBytes(x.key, y.key));
    return plain(reply);
  });
}

describe('the shard as a replicated state machine', () => {
  it('replicas applying the same entries hold equal state, whatever reads the leader served', () => {
    fc.assert(fc.property(arbSteps, (steps) => {
      const { shard, log } = lead(steps);
      const replica = replay(log);
      expect(replica.appliedIndex).toBe(shard.appliedIndex);
      expect(replica.digest()).toBe(shard.digest());
      expect(replica.snapshot()).toEqual(shard.snapshot());
      log.forEach((entry, i) => expect(entry.index).toBe(i + 1));
      const later = shard.readClockMs + 5;
      expect(answers(replica, later)).toEqual(answers(shard, later));
    }), { numRuns: 200 });
  });

  it('reads never change the state', () => {
    fc.assert(fc.property(arbSteps, fc.integer({ min: -100, max: 100 }), (steps, offsetMs) => {
      const { shard } = lead(steps);
      const digest = shard.digest();
      const size = shard.size;
      for (const req of READS) shard.read(req, T0 + offsetMs);
      shard.collectExpired(T0 + offsetMs + 1000); // listing expired keys is a read too
      expect(shard.digest()).toBe(digest);
      expect(shard.size).toBe(size);
    }), { numRuns: 100 });
  });

  it('snapshot -> restore gives the same digest and answers, and continues at the same index', () => {
    fc.assert(fc.property(arbSteps, arbSteps, (before, after) => {
      const { shard, log } = lead(before.concat(after));
      const cut = Math.floor(log.length / 2);
      const prefix = replay(log.slice(0, cut));
      const restored = Shard.restore(2, LIMITS, prefix.snapshot());
      expect(restored.digest()).toBe(prefix.digest());
      expect(restored.appliedIndex).toBe(cut);
      const atMs = prefix.readClockMs;
      expect(answers(restored, atMs)).toEqual(answers(prefix, atMs));
      for (const entry of log.slice(cut)) restored.apply(entry);
      expect(restored.digest()).toBe(shard.digest());
    }), { numRuns: 100 });
  });

  // Snapshot bytes follow the store's layout (no sort: see core/shard/snapshot.ts), so
  // equal states written in another order may give other bytes; the digest is order-free.
  it('equal states give equal digests, and snapshots that restore to them, whatever order keys were written in', () => {
    const one = new Shard(0, LIMITS);
    const two = new Shard(0, LIMITS);
    const entries = ['a', 'b', 'c'].map((k) => ({ key: b(k), value: b(`v${k}`) }));
    one.apply({ index: 1, term: 1, timestampMs: T0, command: { op: 'mset', entries } });
    two.apply({ index: 1, term: 1, timestampMs: T0, command: { op: 'mset', entries: entries.slice().reverse() } });
    expect(two.digest()).toBe(one.digest());
    for (const bytes of [one.snapshot(), two.snapshot()]) {
      const restored = Shard.restore(3, LIMITS, bytes);
      expect(restored.digest()).toBe(one.digest());
      expect(answers(restored, T0)).toEqual(answers(one, T0));
    }
    two.apply({ index: 2, term: 1, timestampMs: T0, command: { op: 'set', key: b('a'), value: b('va') } });
    expect(two.digest()).not.toBe(one.digest()); // same data, but a's version (2) and the index differ
  });

  it('an expiry sweep\'s entry spares a key rewritten after the sweep looked', () => {
    const shard = new Shard(0, LIMITS);
    const log = new LocalLog(shard);
    log.propose({ op: 'set', key: b('k'), value: b('old'), ttlMs: 10 }, T0);
    log.propose({ op: 'set', key: b('gone'), value: b('x'), ttlMs: 10 }, T0);
    const sweep = shard.collectExpired(T0 + 10);
    expect(sweep?.keys.map((k) => new TextDecoder().decode(k.key)).sort()).toEqual(['gone', 'k']);
    // Between the sweep's look and its entry, k is written again (with a later expiry, then with none).
    log.propose({ op: 'set', key: b('k'), value: b('new'), ttlMs: 100 }, T0 + 10);
    const reply = log.propose(sweep!, T0 + 11);
    expect(reply).toMatchObject({ ok: true, integer: 1n });
    expect(shard.read({ op: 'get', key: b('k') }, T0 + 11)).toMatchObject({ found: true, value: b('new') });
    expect(shard.size).toBe(1);
  });

  it('entry time is monotonic when the proposer\'s clock jumps back, and judges expiry', () => {
    const shard = new Shard(0, LIMITS);
    const log = new LocalLog(shard);
    log.propose({ op: 'set', key: b('k'), value: b('v'), ttlMs: 100 }, T0 + 1000);
    // The clock jumps back 10 s: the entry is stamped T0 + 1000 still, so the TTL is measured from there.
    log.propose({ op: 'set', key: b('j'), value: b('v'), ttlMs: 50 }, T0 - 9000);
    expect(shard.appliedTimestampMs).toBe(T0 + 1000);
    expect(shard.read({ op: 'ttl', key: b('j') }, T0 - 9000)).toMatchObject({ integer: 50n });
    // A key a read saw expired stays expired for a later write with a clock behind the read.
    expect(shard.read({ op: 'get', key: b('k') }, T0 + 1100)).toMatchObject({ found: false });
    expect(log.propose({ op: 'set', key: b('k'), value: b('w'), ifAbsent: true }, T0 + 1050)).toMatchObject({ ok: true });
  });

  it('asserts its invariants: contiguous index, monotonic time and term, absolute TTLs only', () => {
    const shard = new Shard(0, LIMITS);
    const set = (key: string): Command => ({ op: 'set', key: b(key), value: b('v') });
    shard.apply({ index: 1, term: 2, timestampMs: T0, command: set('a') });
    expect(() => shard.apply({ index: 3, term: 2, timestampMs: T0, command: set('b') })).toThrow(/contiguous/);
    expect(() => shard.apply({ index: 2, term: 2, timestampMs: T0 - 1, command: set('b') })).toThrow(/timestamps/);
    expect(() => shard.apply({ index: 2, term: 1, timestampMs: T0, command: set('b') })).toThrow(/terms/);
    expect(() => shard.apply({ index: 2, term: 2, timestampMs: T0, command: { op: 'set', key: b('b'), value: b('v'), ttlMs: 5 } }))
      .toThrow(/relative TTL/);
    expect(shard.appliedIndex).toBe(1);
    expect(() => Shard.restore(0, LIMITS, b('not a snapshot at all'))).toThrow(/snapshot/);
  });

  it('a relative TTL becomes absolute with the entry\'s time when proposed', () => {
    expect(commandOf({ op: 'set', key: b('k'), value: b('v'), ttlMs: 30 }, T0)).toEqual({ op: 'set', key: b('k'), value: b('v'), expireAtMs: T0 + 30 });
    expect(commandOf({ op: 'expire', key: b('k'), ttlMs: 30, expireAtMs: T0 + 5 }, T0)).toEqual({ op: 'expire', key: b('k'), expireAtMs: T0 + 5 });
    expect(commandOf({ op: 'getEx', key: b('k'), ttlMs: 1 }, T0)).toEqual({ op: 'getEx', key: b('k'), expireAtMs: T0 + 1 });
    const del: Command = { op: 'del', key: b('k') };
    expect(commandOf(del, T0)).toBe(del);
  });
});
