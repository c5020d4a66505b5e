// The watch feature's pure parts: which change each command reports, the
// feed's bounds, resume tokens, and (model-based) that a watcher's stream,
// across resumes, replays to exactly the shard's committed state for its
// prefix.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Request } from '../../core/protocol/ops.js';
import { SEQ_END } from '../../core/watch/change.js';
import { decodeResumeToken, encodeResumeToken } from '../../core/watch/resume-token.js';
import { b, latin1 } from '../core/bytes-helpers.js';
import { LOG_ID, WatchPipeline, type WatchLog } from './watch-pipeline.js';

const T0 = 1_700_000_000_000;

function kinds(log: WatchLog): string[] {
  return log.changes.map(({ change: c }) => `${c.kind} ${latin1(c.key)}${c.value ? `=${latin1(c.value)}` : ''} @${c.version}.${c.seq}`);
}

describe('changes each command reports', () => {
  it('set, incr, append, ttl changes, delete, past expiry, mset, tx, failed conditions', () => {
    const p = new WatchPipeline();
    const w = p.open('');
    expect(w.ready).not.toBeNull();
    const at = (): number => p.local.shard.appliedIndex + 1;
    const set = at(); p.handle({ op: 'set', key: b('a'), value: b('1') }, T0);
    const incr = at(); p.handle({ op: 'incr', key: b('a'), delta: 2n }, T0);
    const app = at(); p.handle({ op: 'append', key: b('a'), value: b('x') }, T0);
    const ttl = at(); p.handle({ op: 'expire', key: b('a'), ttlMs: 1000 }, T0);
    const failed = at(); p.handle({ op: 'set', key: b('a'), value: b('no'), expectedVersion: 1 }, T0);
    const del = at(); p.handle({ op: 'del', key: b('a') }, T0);
    const none = at(); p.handle({ op: 'del', key: b('a') }, T0);
    const mset = at(); p.handle({ op: 'mset', entries: [{ key: b('m1'), value: b('x') }, { key: b('m2'), value: b('y') }] }, T0);
    const past = at(); p.handle({ op: 'set', key: b('m1'), value: b('z'), expireAtMs: T0 - 1 }, T0);
    const tx = at(); p.handle({ op: 'tx', ops: [{ op: 'set', key: b('t'), value: b('1') }, { op: 'get', key: b('t') }, { op: 'del', key: b('m2') }], watch: [] }, T0);
    expect(failed + 1).toBe(del);
    expect(none + 1).toBe(mset);
    expect(kinds(w)).toEqual([
      `set a=1 @${set}.0`, `set a=3 @${incr}.0`, `set a=3x @${app}.0`, `set a=3x @${ttl}.0`, `delete a @${del}.0`,
      `set m1=x @${mset}.0`, `set m2=y @${mset}.1`, `delete m1 @${past}.0`, `set t=1 @${tx}.0`, `delete m2 @${tx}.1`,
    ]);
  });

  it('expiry: by the sweep, or found expired by a later write in the same entry; flush deletes live keys and expires due ones', () => {
    const p = new WatchPipeline();
    const w = p.open('');
    p.handle({ op: 'set', key: b('s'), value: b('1'), ttlMs: 10 }, T0);
    p.handle({ op: 'set', key: b('w'), value: b('1'), ttlMs: 10 }, T0);
    p.handle({ op: 'set', key: b('f'), value: b('1'), ttlMs: 10 }, T0);
    p.handle({ op: 'set', key: b('live'), value: b('1') }, T0);
    w.changes.length = 0;
    const append = p.local.shard.appliedIndex + 1;
    p.handle({ op: 'append', key: b('w'), value: b('2') }, T0 + 20);
    expect(kinds(w)).toEqual([`expire w @${append}.0`, `set w=2 @${append}.1`]);
    w.changes.length = 0;
    expect(p.sweep(T0 + 20)).toBe(2);
    expect(kinds(w).map((k) => k.split(' @')[0]).sort()).toEqual(['expire f', 'expire s']);
    w.changes.length = 0;
    p.handle({ op: 'set', key: b('x'), value: b('1'), ttlMs: 5 }, T0 + 20);
    w.changes.length = 0;
    p.handle({ op: 'flush' }, T0 + 30);
    expect(kinds(w).map((k) => k.split(' @')[0]).sort()).toEqual(['delete live', 'delete w', 'expire x']);
  });

  it('nothing is reported while nobody records, and writes cost no change objects then', () => {
    const p = new WatchPipeline();
    p.local.shard.changes = null;
    const w = p.open('');
    p.handle({ op: 'set', key: b('a'), value: b('1') }, T0);
    expect(w.changes).toEqual([]);
  });
});

describe('watches over the feed', () => {
  it('resume after a token gets exactly the later matching changes; a key watch sees its key only', () => {
    const p = new WatchPipeline();
    const first = p.open('p:');
    for (let i = 0; i < 5; i++) p.handle({ op: 'set', key: b(`p:${i}`), value: b(`${i}`) }, T0);
    p.handle({ op: 'set', key: b('q:0'), value: b('no') }, T0);
    expect(first.changes).toHaveLength(5);
    const resumed = p.open('p:', first.changes[1]!.resume);
    expect(resumed.changes.map((c) => latin1(c.change.key))).toEqual(['p:2', 'p:3', 'p:4']);
    const key = p.open('p:3', first.changes[0]!.resume, 'key');
    expect(key.changes.map((c) => latin1(c.change.key))).toEqual(['p:3']);
    p.handle({ op: 'set', key: b('p:9'), value: b('9') }, T0);
    expect(resumed.changes.map((c) => latin1(c.change.key))).toEqual(['p:2', 'p:3', 'p:4', 'p:9']);
    expect(key.changes).toHaveLength(1);
  });

  it('COMPACTED past the history; a behind watch catches up on pump, or ends once the history passes it', () => {
    const p = new WatchPipeline({ historyChangesMax: 10 });
    const early = p.open('');
    const slow = p.open('');
    slow.takesMore = false;
    for (let i = 0; i < 5; i++) p.handle({ op: 'set', key: b(`k${i}`), value: b('v') }, T0);
    expect(slow.changes).toHaveLength(1); // took one, said "no more": behind
    slow.takesMore = true;
    p.watches.pump(slow.watch);
    expect(slow.changes.map((c) => latin1(c.change.key))).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    slow.takesMore = false;
    for (let i = 5; i < 30; i++) p.handle({ op: 'set', key: b(`k${i}`), value: b('v') }, T0);
    expect(slow.ended).toMatchObject({ code: 'COMPACTED', message: expect.stringContaining('fell behind') });
    const late = p.open('', early.changes[0]!.resume);
    expect(late.ended).toMatchObject({ code: 'COMPACTED' });
    expect(late.changes).toEqual([]);
    expect(p.open('', early.changes[25]!.resume).changes).toHaveLength(4);
  });

  it('tokens of another log or format are COMPACTED; a token missing a group is BAD_REQUEST; a restarted group ends live watches', () => {
    const p = new WatchPipeline();
    const w = p.open('');
    p.handle({ op: 'set', key: b('a'), value: b('1') }, T0);
    const token = decodeResumeToken(w.changes[0]!.resume);
    if (token === null || token === 'old') throw new Error('a change carries a token');
    expect(token.positions.get(0)?.logId).toBe(LOG_ID);
    expect(p.open('', encodeResumeToken({ positions: new Map([[0, { ...token.positions.get(0)!, logId: LOG_ID + 1 }]]) })).ended?.code).toBe('COMPACTED');
    expect(p.open('', encodeResumeToken({ positions: new Map([[3, { logId: LOG_ID, index: 1, seq: 0 }]]) })).ended?.code).toBe('BAD_REQUEST');
    // Version 1 (a node's per-run history id): COMPACTED.
    expect(p.open('', '01070000000100000000').ended?.code).toBe('COMPACTED');
    p.watches.handleBegin(0, p.local.shard.appliedIndex + 5, LOG_ID);
    expect(w.ended?.code).toBe('COMPACTED');
  });

  it('a watch opened before its groups are tracked starts when they begin', () => {
    const p = new WatchPipeline();
    const pending = p.watches.open({ match: 'prefix', bytes: b(''), groups: [0, 1], after: null }, {
      onReady: () => {}, onChange: () => true, onEnd: () => {},
    });
    expect(pending.state).toBe('pending');
    p.watches.handleBegin(1, 4, LOG_ID);
    expect(pending.state).toBe('live');
    expect(pending.positions.get(1)).toEqual({ index: 4, seq: SEQ_END });
  });
});

type Op =
  | { kind: 'set'; key: number; ttl: boolean }
  | { kind: 'del'; key: number }
  | { kind: 'mset'; keys: number[] }
  | { kind: 'flush' }
  | { kind: 'tick'; ms: number }
  | { kind: 'reconnect'; behind: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), key: fc.nat(7), ttl: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('del' as const), key: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('mset' as const), keys: fc.uniqueArray(fc.nat(7), { minLength: 1, maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flush' as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reconnect' as const), behind: fc.boolean() }) },
);

/** Keys 'a0'..'a3' are watched (prefix 'a'), 'b0'..'b3' not. */
const keyOf = (k: number): string => `${k < 4 ? 'a' : 'b'}${k % 4}`;

describe('a watcher\'s stream is the committed history of its prefix', () => {
  it('replayed, across resumes and falling behind, it equals the shard state, each change once and in order', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
      const p = new WatchPipeline();
      let now = T0;
      let log = p.open('a');
      const seen: WatchLog['changes'] = [];
      const take = (): void => { seen.push(...log.changes); log.changes.length = 0; };
      for (const op of ops) {
        let request: Request | null = null;
        if (op.kind === 'set') request = { op: 'set', key: b(keyOf(op.key)), value: b(`${now}`), ...(op.ttl ? { ttlMs: 15 } : {}) };
        if (op.kind === 'del') request = { op: 'del', key: b(keyOf(op.key)) };
        if (op.kind === 'mset') request = { op: 'mset', entries: op.keys.map((k) => ({ key: b(keyOf(k)), value: b(`m${now}`) })) };
        if (op.kind === 'flush') request = { op: 'flush' };
        if (op.kind === 'tick') { now += op.ms; p.sweep(now); }
        if (request) p.handle(request, now);
        if (op.kind === 'reconnect') {
          take();
          p.watches.close(log.watch);
          const last = seen.at(-1)?.resume ?? log.ready!;
          log = p.open('a', last);
          log.takesMore = !op.behind;
          if (op.behind) { p.handle({ op: 'set', key: b('a0'), value: b('late') }, now); log.takesMore = true; p.watches.pump(log.watch); }
        }
        take();
      }
      now += 100;
      while (p.sweep(now) > 0);
      take();
      // Each change once, in log order.
      const positions = seen.map(({ change: c }) => c.version * 2 ** 20 + c.seq);
      expect([...positions].sort((x, y) => x - y)).toEqual(positions);
      expect(new Set(positions).size).toBe(positions.length);
      // Replayed, the stream is the state.
      const replay = new Map<string, { value: string; version: number }>();
      for (const { change: c } of seen) {
        expect(latin1(c.key).startsWith('a')).toBe(true);
        if (c.kind === 'set') replay.set(latin1(c.key), { value: latin1(c.value!), version: c.version });
        else replay.delete(latin1(c.key));
      }
      const state = new Map<string, { value: string; version: number }>();
      for (let k = 0; k < 4; k++) {
        const reply = p.local.shard.read({ op: 'get', key: b(keyOf(k)) }, now);
        if (reply.ok && reply.found) state.set(keyOf(k), { value: latin1(reply.value!), version: reply.version! });
      }
      expect(replay).toEqual(state);
    }), { numRuns: 300 });
  });
});
