// The blocked-client registry (core/resp/blocking-waiters.ts) and which
// calls block (core/resp/blocking-calls.ts), driven with explicit times.

import { describe, expect, it } from 'vitest';
import { blockingCallOf, foundNothing, keysWritten } from '../../../core/resp/blocking-calls.js';
import { BLOCKING_REPOLL_MS, BLOCKING_WAITERS_MAX, BlockingWaiters } from '../../../core/resp/blocking-waiters.js';
import { b, latin1 } from '../bytes-helpers.js';

const call = (name: string, ...args: string[]) => ({ op: 'call' as const, name, args: args.map(b) });

describe('BlockingWaiters', () => {
  it('wakes a key\'s waiters in arrival order, keeping places while retrying', () => {
    const w = new BlockingWaiters<string>(0);
    const first = w.add(['k'], Infinity, 'c1')!;
    const second = w.add(['k', 'j'], Infinity, 'c2')!;
    w.add(['j'], Infinity, 'c3');
    expect(w.onKeyWritten('k').map((x) => x.owner)).toEqual(['c1', 'c2']);
    // Both retrying: another write marks them to retry once more, hands none out twice.
    expect(w.onKeyWritten('k')).toEqual([]);
    expect(w.onRetryEmpty(first, 10)).toBe(true); // rewake: run again now
    w.remove(second); // served
    expect(w.onRetryEmpty(first, 10)).toBe(false);
    expect(w.onKeyWritten('k').map((x) => x.owner)).toEqual(['c1']);
    expect(w.onKeyWritten('j').map((x) => x.owner)).toEqual(['c3']);
    expect(w.size).toBe(2);
  });

  it('times out at the deadline, names the keys to probe each repoll, says when it is next due', () => {
    const w = new BlockingWaiters<string>(0);
    expect(w.nextDueMs()).toBe(Infinity);
    w.add(['k'], 250, 'c1');
    w.add(['k'], Infinity, 'c2');
    w.add(['j'], Infinity, 'c3');
    expect(w.nextDueMs()).toBe(BLOCKING_REPOLL_MS);
    expect(w.repollKeys(BLOCKING_REPOLL_MS - 1)).toEqual([]);
    expect(w.repollKeys(BLOCKING_REPOLL_MS)).toEqual(['k', 'j']);
    expect(w.repollKeys(BLOCKING_REPOLL_MS + 1)).toEqual([]);
    expect(w.nextDueMs()).toBe(2 * BLOCKING_REPOLL_MS);
    expect(w.expired(249)).toEqual([]);
    expect(w.expired(250).map((x) => x.owner)).toEqual(['c1']);
    expect(w.repollKeys(2 * BLOCKING_REPOLL_MS)).toEqual(['k', 'j']);
  });

  it('drops a closed connection\'s waiters and refuses past the limit', () => {
    const w = new BlockingWaiters<number>(0);
    for (let i = 0; i < BLOCKING_WAITERS_MAX; i++) expect(w.add([`k${i % 7}`], Infinity, i % 3)).not.toBeNull();
    expect(w.add(['x'], Infinity, 9)).toBeNull();
    const gone = w.removeOwner(0);
    expect(gone.length).toBe(Math.ceil(BLOCKING_WAITERS_MAX / 3));
    expect(w.size).toBe(BLOCKING_WAITERS_MAX - gone.length);
    expect(w.onKeyWritten('k0').every((x) => x.owner !== 0)).toBe(true);
  });
});

describe('blocking calls', () => {
  it('know their keys and timeouts', () => {
    expect(blockingCallOf(call('blpop', 'a', 'b', '1.5'))).toEqual({ keys: [b('a'), b('b')], timeoutMs: 1500 });
    expect(blockingCallOf(call('blmpop', '0', '2', 'a', 'b', 'LEFT'))).toEqual({ keys: [b('a'), b('b')], timeoutMs: 0 });
    expect(blockingCallOf(call('blmove', 'a', 'b', 'LEFT', 'RIGHT', '0.01'))?.timeoutMs).toBe(10);
    expect(blockingCallOf(call('brpoplpush', 'a', 'b', '-1'))).toBeNull(); // fails when run instead
    expect(blockingCallOf(call('lpop', 'a'))).toBeNull();
  });

  it('see nothing found and the keys a write may fill', () => {
    expect(foundNothing({ ok: true, data: { t: 'nilArray' } })).toBe(true);
    expect(foundNothing({ ok: true, data: { t: 'nil' } })).toBe(true);
    expect(foundNothing({ ok: true, data: { t: 'bytes', v: b('x') } })).toBe(false);
    expect(foundNothing({ ok: false, code: 'WRONG_TYPE', message: '' })).toBe(false);
    expect(keysWritten(call('lmove', 'a', 'b', 'LEFT', 'LEFT'), { ok: true }).map(latin1)).toEqual(['a', 'b']);
    expect(keysWritten(call('llen', 'a'), { ok: true })).toEqual([]);
    expect(keysWritten({ op: 'tx', ops: [call('rpush', 'q', 'v')], watch: [] }, { ok: true }).map(latin1)).toEqual(['q']);
  });
});
