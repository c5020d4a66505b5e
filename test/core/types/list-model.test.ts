// Lists through a real shard (LocalShard: Shard.apply / read with `call`
// requests) against the plain model in list-model.ts: every reply equal,
// across compact -> large -> compact conversions, with a snapshot taken
// mid-run and both shards continuing with the same commands (equal replies
// and digests).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../../core/limits.js';
import type { DataValue } from '../../../core/protocol/data-value.js';
import type { Reply, Request } from '../../../core/protocol/ops.js';
import { LocalLog, serveRequest } from '../../../core/shard/local-log.js';
import { Shard } from '../../../core/shard/shard.js';
import { readSnapshot } from '../../../core/shard/snapshot.js';
import { LIST_COMPACT_TAG } from '../../../core/types/list/list-compact.js';
import { LIST_LARGE_TAG } from '../../../core/types/list/quick-list.js';
import { b, latin1 } from '../bytes-helpers.js';
import { ListModel, type Plain } from './list-model.js';

const limits = makeLimits();

function plainData(v: DataValue): Plain {
  switch (v.t) {
    case 'nil': return null;
    case 'nilArray': return 'nilArray';
    case 'int': return Number(v.v);
    case 'bytes': return latin1(v.v);
    case 'status': return v.v;
    case 'double': return v.v;
    case 'array': case 'map': case 'set': case 'pairs': return v.v.map(plainData);
  }
}

export function plainReply(r: Reply): Plain {
  if (!r.ok) return { err: `${r.code} ${r.message}` };
  return plainData(r.data ?? { t: 'nil' });
}

type Cmd = { name: string; args: string[] } | { snapshot: true };

const KEYS = ['a', 'b', 'c', 's'];
const key = fc.constantFrom(...KEYS);
/** Short elements that repeat (LREM, LPOS, LINSERT find them), integers (their own encoding), and long ones that push a list past its compact size. */
const element = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('x', 'y', 'z', '', '7', '-12', '123456', '007', '1e3') },
  { weight: 2, arbitrary: fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('p', 'q'), fc.integer({ min: 300, max: 3000 })).map(([c, n]) => c.repeat(n)) },
);
const index = fc.oneof(fc.integer({ min: -12, max: 12 }).map(String), fc.constantFrom('-100', '100', 'nope'));
const side = fc.constantFrom('LEFT', 'RIGHT', 'left', 'up');

const command: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('lpush', 'rpush', 'lpushx', 'rpushx'), key, fc.array(element, { minLength: 1, maxLength: 6, size: 'max' }))
    .map(([name, k, els]) => ({ name, args: [k, ...els] })) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('lpop', 'rpop'), key, fc.option(fc.constantFrom('0', '1', '3', '50', '-1', 'x'), { nil: undefined }))
    .map(([name, k, n]) => ({ name, args: n === undefined ? [k] : [k, n] })) },
  { weight: 1, arbitrary: key.map((k) => ({ name: 'llen', args: [k] })) },
  { weight: 2, arbitrary: fc.tuple(key, index, index).map(([k, s, e]) => ({ name: 'lrange', args: [k, s, e] })) },
  { weight: 1, arbitrary: fc.tuple(key, index).map(([k, i]) => ({ name: 'lindex', args: [k, i] })) },
  { weight: 2, arbitrary: fc.tuple(key, index, element).map(([k, i, v]) => ({ name: 'lset', args: [k, i, v] })) },
  { weight: 2, arbitrary: fc.tuple(key, fc.constantFrom('BEFORE', 'after', 'middle'), element, element)
    .map(([k, w, p, v]) => ({ name: 'linsert', args: [k, w, p, v] })) },
  { weight: 2, arbitrary: fc.tuple(key, fc.constantFrom('0', '1', '2', '-1', '-2'), element).map(([k, n, v]) => ({ name: 'lrem', args: [k, n, v] })) },
  { weight: 1, arbitrary: fc.tuple(key, index, index).map(([k, s, e]) => ({ name: 'ltrim', args: [k, s, e] })) },
  { weight: 2, arbitrary: fc.tuple(key, element, fc.array(fc.tuple(fc.constantFrom('RANK', 'COUNT', 'MAXLEN'), fc.constantFrom('1', '2', '-1', '-2', '0', '3')), { maxLength: 2 }))
    .map(([k, v, opts]) => ({ name: 'lpos', args: [k, v, ...opts.flat()] }))
    .filter((c) => !c.args.some((a, i) => i >= 2 && (c.args[i - 1] === 'COUNT' || c.args[i - 1] === 'MAXLEN') && a.startsWith('-'))) },
  { weight: 2, arbitrary: fc.tuple(key, key, side, side).map(([s, d, f, t]) => ({ name: 'lmove', args: [s, d, f, t] })) },
  { weight: 1, arbitrary: fc.tuple(key, key).map(([s, d]) => ({ name: 'rpoplpush', args: [s, d] })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('blpop', 'brpop'), fc.array(key, { minLength: 1, maxLength: 3 }))
    .map(([name, ks]) => ({ name, args: [...ks, '0'] })) },
  { weight: 1, arbitrary: fc.tuple(fc.array(key, { minLength: 1, maxLength: 3 }), fc.constantFrom('LEFT', 'RIGHT'), fc.option(fc.constantFrom('1', '2', '20'), { nil: undefined }))
    .map(([ks, w, n]) => ({ name: 'lmpop', args: [String(ks.length), ...ks, w, ...(n === undefined ? [] : ['COUNT', n])] })) },
  { weight: 1, arbitrary: key.map((k) => ({ name: 'type', args: [k] })) },
  { weight: 1, arbitrary: fc.constant<Cmd>({ snapshot: true }) },
);

/** The model's view of a key set as a string: `s` starts as one. */
function freshPair(): { log: LocalLog; model: ListModel } {
  const log = new LocalLog(new Shard(0, limits));
  const model = new ListModel();
  serveRequest(log, { op: 'set', key: b('s'), value: b('text') }, 1000);
  model.keys.set('s', 'string');
  return { log, model };
}

function call(name: string, args: string[]): Request {
  return { op: 'call', name, args: args.map(b) };
}

describe('lists against a model', () => {
  it('every reply matches the model; a snapshot restored mid-way continues identically', () => {
    /** Lists seen in each form in the snapshots taken, so the runs are known to cover both. */
    const forms = { compact: 0, large: 0 };
    fc.assert(fc.property(fc.array(command, { minLength: 1, maxLength: 120, size: 'max' }), (cmds) => {
      const { log, model } = freshPair();
      let twin: LocalLog | null = null;
      let now = 2000;
      for (const cmd of cmds) {
        now += 1;
        if ('snapshot' in cmd) {
          const image = log.shard.snapshot();
          readSnapshot(image, (e) => {
            if (e.value[0] === LIST_LARGE_TAG) forms.large++;
            else if (e.value[0] === LIST_COMPACT_TAG) forms.compact++;
          });
          const restored = Shard.restore(0, limits, image);
          expect(restored.digest()).toBe(log.shard.digest());
          twin = new LocalLog(restored);
          continue;
        }
        const expected = model.run(cmd.name, cmd.args);
        const got = plainReply(serveRequest(log, call(cmd.name, cmd.args), now));
        expect(got, `${cmd.name} ${cmd.args.map((a) => a.slice(0, 20)).join(' ')}`).toEqual(expected);
        if (twin !== null) {
          expect(plainReply(serveRequest(twin, call(cmd.name, cmd.args), now))).toEqual(got);
          expect(twin.shard.digest()).toBe(log.shard.digest());
        }
      }
      // TYPE and contents of every key agree at the end.
      for (const k of KEYS) {
        const v = model.keys.get(k);
        const type = plainReply(serveRequest(log, call('type', [k]), now));
        expect(type).toBe(v === undefined ? 'none' : v === 'string' ? 'string' : 'list');
        if (Array.isArray(v)) expect(plainReply(serveRequest(log, call('lrange', [k, '0', '-1']), now))).toEqual(v);
      }
    }), { numRuns: 200 });
    expect(forms.compact).toBeGreaterThan(0);
    expect(forms.large).toBeGreaterThan(0);
  });

  it('a list grown past the compact size and shrunk again is the same list (both conversions)', () => {
    const { log, model } = freshPair();
    const big = 'e'.repeat(300);
    let now = 2000;
    const step = (name: string, args: string[]): void => {
      expect(plainReply(serveRequest(log, call(name, args), ++now))).toEqual(model.run(name, args));
    };
    for (let i = 0; i < 60; i++) step(i % 2 === 0 ? 'rpush' : 'lpush', ['a', `${big}${i}`, String(i)]);
    step('lrange', ['a', '0', '-1']);
    for (let i = 0; i < 55; i++) step('lpop', ['a']);
    step('lrange', ['a', '0', '-1']);
    step('ltrim', ['a', '1', '-2']);
    step('lrange', ['a', '0', '-1']);
  });

  it('a snapshot taken while large lists keep changing restores to the state at its start (pre-images)', () => {
    fc.assert(fc.property(fc.array(command, { minLength: 20, maxLength: 80, size: 'max' }), fc.array(command, { minLength: 1, maxLength: 80, size: 'max' }), (before, during) => {
      const { log, model } = freshPair();
      let now = 2000;
      const apply = (cmd: Cmd): void => {
        if ('snapshot' in cmd) return;
        model.run(cmd.name, cmd.args);
        serveRequest(log, call(cmd.name, cmd.args), ++now);
      };
      // A large list for the writes during the job to edit in place.
      apply({ name: 'rpush', args: ['a', ...Array.from({ length: 40 }, (_, i) => `${'w'.repeat(300)}${i}`)] });
      for (const cmd of before) apply(cmd);
      const atCut = log.shard.digest();
      const job = log.shard.beginWholeSnapshot();
      let whole: Uint8Array | null = null;
      for (const cmd of during) {
        apply(cmd);
        if ('snapshot' in cmd && whole === null) whole = job.step(2048);
      }
      while (whole === null) whole = job.step(2048);
      const restored = Shard.restore(0, limits, whole);
      // Its digest counts the index and time of the cut, which the live shard has moved past: compare the cut's.
      expect(restored.digest()).toBe(atCut);
    }), { numRuns: 100 });
  });
});
