// The RESP door's blocking half (runtime-node/io/resp-blocking.ts) over a
// real shard (LocalShard, in process) and real timers: what the network
// tests cannot reach from one door. A write the door never sees (made
// straight on the shard, as another door or a cluster peer would) wakes a
// waiter through the periodic probe; the probe is a read (no log entry);
// timeouts answer a nil array; a dropped owner is never answered.

import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../core/limits.js';
import type { Reply, Request } from '../../core/protocol/ops.js';
import { BLOCKING_REPOLL_MS } from '../../core/resp/blocking-waiters.js';
import { LocalLog, serveRequest } from '../../core/shard/local-log.js';
import { Shard } from '../../core/shard/shard.js';
import { RespBlocking } from '../../runtime-node/io/resp-blocking.js';
import { b } from '../core/bytes-helpers.js';

function setup(): { log: LocalLog; blocking: RespBlocking; run: (request: Request, owner: object | null) => Promise<Reply> } {
  const log = new LocalLog(new Shard(0, makeLimits()));
  // Answered on a later turn, as a worker's reply is.
  const blocking = new RespBlocking((request, onReply) => {
    const reply = serveRequest(log, request, Date.now());
    setImmediate(() => onReply(reply));
  });
  const run = (request: Request, owner: object | null): Promise<Reply> => new Promise((resolve) => blocking.execute(request, resolve, owner));
  return { log, blocking, run };
}

const call = (name: string, ...args: string[]): Request => ({ op: 'call', name, args: args.map(b) });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('RespBlocking over a real shard', () => {
  it('a write it never sees wakes the waiter within a repoll; waiting costs no log entries', async () => {
    const { log, blocking, run } = setup();
    const owner = {};
    const popped = run(call('blpop', 'q', '5'), owner);
    await sleep(20);
    expect(blocking.blockedCount).toBe(1);
    const indexParked = log.shard.appliedIndex;
    await sleep(3 * BLOCKING_REPOLL_MS);
    expect(log.shard.appliedIndex, 'probes are reads').toBe(indexParked);
    const started = Date.now();
    serveRequest(log, call('rpush', 'q', 'hidden'), Date.now());
    expect(await popped).toMatchObject({ ok: true, data: { t: 'array', v: [{ t: 'bytes', v: b('q') }, { t: 'bytes', v: b('hidden') }] } });
    expect(Date.now() - started).toBeLessThan(BLOCKING_REPOLL_MS * 3);
    expect(blocking.blockedCount).toBe(0);
    blocking.close();
  });

  it('a write through it wakes at once; the timeout answers a nil array; an owner dropped is never answered', async () => {
    const { blocking, run } = setup();
    const popped = run(call('brpop', 'k', '5'), {});
    await sleep(10);
    const started = Date.now();
    await run(call('lpush', 'k', 'v'), null);
    expect((await popped).ok).toBe(true);
    expect(Date.now() - started).toBeLessThan(BLOCKING_REPOLL_MS);

    expect(await run(call('blmove', 'none', 'd', 'LEFT', 'LEFT', '0.05'), {})).toEqual({ ok: true, data: { t: 'nilArray' } });

    const leaving = {};
    let answered = false;
    blocking.execute(call('blpop', 'gone', '0'), () => { answered = true; }, leaving);
    await sleep(10);
    blocking.dropOwner(leaving);
    await run(call('rpush', 'gone', 'x'), null);
    await sleep(2 * BLOCKING_REPOLL_MS);
    expect(answered).toBe(false);
    expect(await run(call('llen', 'gone'), null)).toMatchObject({ data: { t: 'int', v: 1n } });
    blocking.close();
  });
});
