// The shard's transaction (`tx`): one log entry, its ops applied in order at
// that one index and time, reads seeing the writes before them; a changed
// watched version applies nothing; an op's own error leaves the others be;
// a reply that would pass a frame refuses the ops past it, not the others.
// Also: a transaction round-trips a log entry, TTLs made absolute inside it,
// and replicas applying the same entries agree.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../core/limits.js';
import type { OkReply, Reply, Request, TxRequest } from '../../core/protocol/ops.js';
import { validateRequest } from '../../core/protocol/validate.js';
import { TX_OPS_MAX } from '../../core/protocol/transaction.js';
import { decodeEntryPayload, encodeEntryPayload } from '../../core/replica/entry-codec.js';
import { ByteWriter } from '../../core/ring/byte-writer.js';
import { commandOf, type Command } from '../../core/shard/command.js';
import { Shard } from '../../core/shard/shard.js';
import { arbTxRequest } from '../schema/arbitraries.js';
import { b, latin1 } from './bytes-helpers.js';
import { LocalShard } from './local-shard.js';

const LIMITS = makeLimits({ keyBytesMax: 64, valueBytesMax: 1024, frameBytesMax: 4096 });
const T0 = 1_700_000_000_000;

function ok(reply: Reply): OkReply {
  if (!reply.ok) throw new Error(`expected ok, got ${reply.code}: ${reply.message}`);
  return reply;
}

const tx = (ops: Request[], watch: TxRequest['watch'] = []): TxRequest => ({ op: 'tx', ops, watch });

describe('Shard: transactions', () => {
  it('applies every op at one index: one entry, every written key gets its version', () => {
    const s = new LocalShard(0, LIMITS);
    ok(s.handle({ op: 'set', key: b('x'), value: b('1') }, T0));
    const before = s.shard.appliedIndex;
    const reply = ok(s.handle(tx([
      { op: 'set', key: b('a'), value: b('1') },
      { op: 'incr', key: b('a'), delta: 4n },
      { op: 'get', key: b('a') },
      { op: 'del', key: b('x') },
      { op: 'exists', key: b('x') },
      { op: 'mget', keys: [b('a'), b('x')] },
    ]), T0));
    expect(s.shard.appliedIndex).toBe(before + 1);
    const index = s.shard.appliedIndex;
    expect(reply.found).toBe(true);
    const replies = reply.replies!;
    expect(replies).toHaveLength(6);
    expect(replies[0]).toEqual({ ok: true, version: index });
    expect(replies[1]).toEqual({ ok: true, integer: 5n, version: index });
    expect(replies[2]).toMatchObject({ ok: true, found: true, version: index });
    expect(latin1((replies[2] as OkReply).value!)).toBe('5');
    expect(replies[3]).toEqual({ ok: true, found: true });
    expect(replies[4]).toEqual({ ok: true, found: false });
    expect((replies[5] as OkReply).items!.map((i) => i.found)).toEqual([true, false]);
  });

  it('a changed watched version applies nothing; unchanged ones (0 = absent) commit', () => {
    const s = new LocalShard(0, LIMITS);
    const v = ok(s.handle({ op: 'set', key: b('w'), value: b('1') }, T0)).version!;
    const write = { op: 'set', key: b('out'), value: b('done') } as const;
    expect(ok(s.handle(tx([write], [{ key: b('w'), version: v - 1 }]), T0))).toEqual({ ok: true, found: false });
    expect(ok(s.handle(tx([write], [{ key: b('w'), version: 0 }]), T0))).toEqual({ ok: true, found: false });
    expect(ok(s.handle({ op: 'exists', key: b('out') }, T0)).found).toBe(false);
    expect(ok(s.handle(tx([write], [{ key: b('w'), version: v }, { key: b('none'), version: 0 }]), T0)).found).toBe(true);
    expect(ok(s.handle({ op: 'exists', key: b('out') }, T0)).found).toBe(true);
  });

  it('a deleted and recreated key has a new version: the watch sees it', () => {
    const s = new LocalShard(0, LIMITS);
    const v = ok(s.handle({ op: 'set', key: b('k'), value: b('same') }, T0)).version!;
    ok(s.handle({ op: 'del', key: b('k') }, T0));
    const v2 = ok(s.handle({ op: 'set', key: b('k'), value: b('same') }, T0)).version!;
    expect(v2).not.toBe(v);
    expect(ok(s.handle(tx([{ op: 'set', key: b('k'), value: b('mine') }], [{ key: b('k'), version: v }]), T0)).found).toBe(false);
  });

  it('versions survive a snapshot: a watch taken before it still matches after a restore, and later writes get higher versions', () => {
    const s = new LocalShard(0, LIMITS);
    const v = ok(s.handle({ op: 'set', key: b('k'), value: b('v') }, T0)).version!;
    ok(s.handle({ op: 'set', key: b('other'), value: b('x') }, T0));
    const restored = Shard.restore(0, LIMITS, s.shard.snapshot());
    const at = restored.appliedIndex;
    const apply = (command: Command): Reply => restored.apply({ index: restored.appliedIndex + 1, term: 1, timestampMs: T0, command });
    expect(ok(apply(tx([{ op: 'set', key: b('k'), value: b('w') }], [{ key: b('k'), version: v }]))).found).toBe(true);
    expect(ok(restored.read({ op: 'get', key: b('k') }, T0)).version).toBe(at + 1);
    // The old version never comes back: a watch holding it now fails.
    expect(ok(apply(tx([{ op: 'del', key: b('k') }], [{ key: b('k'), version: v }]))).found).toBe(false);
  });

  it('a watched key that expired by the entry\'s time reads as changed', () => {
    const s = new LocalShard(0, LIMITS);
    const v = ok(s.handle({ op: 'set', key: b('k'), value: b('v'), ttlMs: 10 }, T0)).version!;
    expect(ok(s.handle(tx([{ op: 'set', key: b('o'), value: b('1') }], [{ key: b('k'), version: v }]), T0 + 5)).found).toBe(true);
    expect(ok(s.handle(tx([{ op: 'set', key: b('o'), value: b('2') }], [{ key: b('k'), version: v }]), T0 + 10)).found).toBe(false);
  });

  it('an op\'s error (INCR on text) is its reply; the ops around it apply', () => {
    const s = new LocalShard(0, LIMITS);
    ok(s.handle({ op: 'set', key: b('t'), value: b('text') }, T0));
    const replies = ok(s.handle(tx([
      { op: 'set', key: b('a'), value: b('1') },
      { op: 'incr', key: b('t'), delta: 1n },
      { op: 'set', key: b('c'), value: b('3') },
    ]), T0)).replies!;
    expect(replies[1]).toMatchObject({ ok: false, code: 'WRONG_TYPE' });
    expect(ok(s.handle({ op: 'mget', keys: [b('a'), b('c')] }, T0)).items!.every((i) => i.found)).toBe(true);
  });

  it('relative TTLs inside become absolute at the transaction\'s timestamp', () => {
    const command = commandOf(tx([{ op: 'set', key: b('k'), value: b('v'), ttlMs: 100 }, { op: 'get', key: b('k') }]), T0) as TxRequest;
    expect(command.ops[0]).toEqual({ op: 'set', key: b('k'), value: b('v'), expireAtMs: T0 + 100 });
    const s = new LocalShard(0, LIMITS);
    ok(s.handle(tx([{ op: 'set', key: b('k'), value: b('v'), ttlMs: 100 }]), T0));
    expect(ok(s.handle({ op: 'ttl', key: b('k') }, T0)).integer).toBe(100n);
  });

  it('values past the reply budget: those reads answer LIMIT_EXCEEDED, the writes still apply', () => {
    const s = new LocalShard(0, LIMITS);
    const big = new Uint8Array(1000).fill(0x61);
    ok(s.handle(tx([0, 1, 2, 3].map((i) => ({ op: 'set', key: b(`k${i}`), value: big }))), T0));
    // The budget is a frame (4096 here) less room for each reply's other fields: three of the four values fit.
    const replies = ok(s.handle(tx([
      ...[0, 1, 2, 3].map((i): Request => ({ op: 'get', key: b(`k${i}`) })),
      { op: 'set', key: b('after'), value: b('1') },
    ]), T0)).replies!;
    expect(replies.slice(0, 3).every((r) => r.ok && r.value!.length === 1000)).toBe(true);
    expect(replies[3]).toMatchObject({ ok: false, code: 'LIMIT_EXCEEDED' });
    expect(replies[4]).toMatchObject({ ok: true });
    expect(ok(s.handle({ op: 'exists', key: b('after') }, T0)).found).toBe(true);
  });

  it('validation refuses keyless and nested ops, too many ops, and too many bytes', () => {
    expect(validateRequest(tx([{ op: 'count' }]), LIMITS)).toMatchObject({ code: 'BAD_REQUEST' });
    expect(validateRequest(tx([tx([])]), LIMITS)).toMatchObject({ code: 'BAD_REQUEST' });
    const many = Array.from({ length: TX_OPS_MAX + 1 }, (): Request => ({ op: 'get', key: b('k') }));
    expect(validateRequest(tx(many), makeLimits({}))).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    const big = new Uint8Array(1000);
    const heavy = Array.from({ length: 5 }, (_, i): Request => ({ op: 'set', key: b(`k${i}`), value: big }));
    expect(validateRequest(tx(heavy), LIMITS)).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    expect(validateRequest(tx([{ op: 'get', key: b('') }]), LIMITS)).toMatchObject({ code: 'BAD_REQUEST' });
    expect(validateRequest(tx([], [{ key: b('k'), version: -1 }]), LIMITS)).toMatchObject({ code: 'BAD_REQUEST' });
    expect(validateRequest(tx([{ op: 'get', key: b('k') }], [{ key: b('k'), version: 3 }]), LIMITS)).toBeNull();
  });
});

describe('transactions in the log', () => {
  it('round-trip a log entry payload', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 47 }), arbTxRequest, (timestampMs, request) => {
      const w = new ByteWriter(64);
      encodeEntryPayload(w, timestampMs, request as Command);
      expect(decodeEntryPayload(w.bytes().slice(), 0)).toEqual({ timestampMs, command: request });
    }));
  });

  it('two replicas applying the same entries (transactions among them) have the same digest', () => {
    const ops: Request[] = [
      { op: 'set', key: b('a'), value: b('1'), expireAtMs: T0 + 50 },
      { op: 'incr', key: b('n'), delta: 2n },
      { op: 'get', key: b('a') },
    ];
    const entries: Command[] = [
      { op: 'set', key: b('a'), value: b('0') },
      tx(ops, [{ key: b('a'), version: 1 }]),
      tx(ops, [{ key: b('a'), version: 1 }]), // the first changed a: applies nothing
      tx([{ op: 'del', key: b('a') }, { op: 'append', key: b('n'), value: b('0') }]),
    ];
    const replicas = [new Shard(0, LIMITS), new Shard(0, LIMITS)];
    const replies = replicas.map((shard) => entries.map((command, i) => shard.apply({ index: i + 1, term: 1, timestampMs: T0 + i, command })));
    expect(replicas[0]!.digest()).toBe(replicas[1]!.digest());
    expect(replies[0]).toEqual(replies[1]);
    expect(replies[0]![2]).toEqual({ ok: true, found: false });
  });
});
