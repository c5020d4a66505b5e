// The shard on top of the store (core/shard/shard.ts over core/store/): what
// the store's "views live until the next change" rule asks of the shard.
// Values in replies (GET, MGET, SCAN, GETRANGE, previous values of SET/DEL,
// GETEX) are the shard's copies: they keep their bytes after the key is
// rewritten, deleted and its record reused by another key. And the store's
// memory is reported.

import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../../core/limits.js';
import type { OkReply, Reply } from '../../../core/protocol/ops.js';
import { b, latin1 } from '../bytes-helpers.js';
import { LocalShard } from '../local-shard.js';

const LIMITS = makeLimits({ keyBytesMax: 64, valueBytesMax: 1024, frameBytesMax: 4096 });
const T0 = 1_000_000;

function ok(reply: Reply): OkReply {
  expect(reply.ok).toBe(true);
  return reply as OkReply;
}

/** Delete `key` and write other keys of the same size, so its record's memory is reused. */
function churn(s: LocalShard, key: string, value: string): void {
  ok(s.handle({ op: 'del', key: b(key) }, T0));
  for (let i = 0; i < 20; i++) ok(s.handle({ op: 'set', key: b(`${key.slice(0, -1)}${i % 10}`), value: b(value.replace(/./g, 'Z')) }, T0));
}

describe('shard replies own their bytes', () => {
  it('GET, MGET, GETRANGE, SCAN values survive the key being deleted and its memory reused', () => {
    const s = new LocalShard(0, LIMITS);
    ok(s.handle({ op: 'set', key: b('k1'), value: b('hello world') }, T0));
    const got = ok(s.handle({ op: 'get', key: b('k1') }, T0)).value!;
    const many = ok(s.handle({ op: 'mget', keys: [b('k1')] }, T0)).items![0]!.value!;
    const range = ok(s.handle({ op: 'getRange', key: b('k1'), start: 0, end: 4 }, T0)).value!;
    const scanned = ok(s.handle({ op: 'scan', prefix: b('k'), cursor: new Uint8Array(0), limit: 10, withValues: true }, T0)).scanItems![0]!;
    churn(s, 'k1', 'hello world');
    expect(latin1(got)).toBe('hello world');
    expect(latin1(many)).toBe('hello world');
    expect(latin1(range)).toBe('hello');
    expect(latin1(scanned.key)).toBe('k1');
    expect(latin1(scanned.value!)).toBe('hello world');
  });

  it('previous values of SET and DEL, and GETEX values, survive the write that follows them', () => {
    const s = new LocalShard(0, LIMITS);
    ok(s.handle({ op: 'set', key: b('k1'), value: b('first') }, T0));
    const previous = ok(s.handle({ op: 'set', key: b('k1'), value: b('secon'), returnPrevious: true }, T0)).previousValue!;
    expect(latin1(previous)).toBe('first');
    const getEx = ok(s.handle({ op: 'getEx', key: b('k1'), ttlMs: 50_000 }, T0)).value!;
    const deleted = ok(s.handle({ op: 'del', key: b('k1'), returnPrevious: true }, T0)).previousValue!;
    churn(s, 'k1', 'first');
    expect(latin1(previous)).toBe('first');
    expect(latin1(getEx)).toBe('secon');
    expect(latin1(deleted)).toBe('secon');
  });

  it('reports the store\'s memory, and gives it back on FLUSH', () => {
    const s = new LocalShard(0, LIMITS);
    const empty = s.shard.usedBytes;
    for (let i = 0; i < 1000; i++) ok(s.handle({ op: 'set', key: b(`key:${i}`), value: b('x'.repeat(100)) }, T0));
    expect(s.shard.usedBytes).toBeGreaterThan(empty + 1000 * 100);
    ok(s.handle({ op: 'flush' }, T0));
    expect(s.shard.usedBytes).toBe(empty);
  });
});
