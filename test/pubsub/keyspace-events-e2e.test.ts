// Keyspace notifications of the data commands and of expiry, on a real node
// (compiled CLI, two real workers, loopback) with ioredis: the hash, list,
// sorted-set and bit commands' Redis 7 events in command order, a blocked BLPOP's pop when
// a push wakes it, and `expired` from the workers' active expiry (the change
// feed), only while `x` is on. Needs `npm run build`.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRespNode, type RespNode } from '../resp-e2e/resp-node.js';

/** Longest a test waits for events that should arrive at once (loopback). */
const DELIVERY_MS_MAX = 5_000;
/** Longest a test waits for an expired key's event: workers sweep every WORKER_IDLE_WAKE_MS (100 ms), so 3 s is ample on a busy machine. */
const EXPIRED_MS_MAX = 3_000;

let node: RespNode;
const clients: Redis[] = [];

function ioredis(): Redis {
  const client = new Redis({ port: node.respPort, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  clients.push(client);
  return client;
}

/** A subscriber on every keyevent channel; `next(n)` resolves with the next n `event key` lines, or rejects after `waitMs`. */
async function keyevents(): Promise<{ next(count: number, waitMs?: number): Promise<string[]> }> {
  const sub = ioredis();
  await sub.connect();
  await sub.psubscribe('__keyevent@0__:*');
  const queue: string[] = [];
  let wake: (() => void) | null = null;
  sub.on('pmessage', (_pattern: string, channel: string, key: string) => {
    queue.push(`${channel.slice('__keyevent@0__:'.length)} ${key}`);
    wake?.();
  });
  return {
    async next(count, waitMs = DELIVERY_MS_MAX) {
      const deadline = Date.now() + waitMs;
      while (queue.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`only ${queue.length} of ${count} events arrived: ${JSON.stringify(queue)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => { clearTimeout(timer); resolve(); };
        });
        wake = null;
      }
      return queue.splice(0, count);
    },
  };
}

/** A client that turned notifications on with `flags`, and a subscriber to every keyevent channel from then on. */
async function notifyingWith(flags: string): Promise<{ ctl: Redis; events: Awaited<ReturnType<typeof keyevents>> }> {
  const ctl = ioredis();
  await ctl.connect();
  expect(await ctl.config('SET', 'notify-keyspace-events', flags)).toBe('OK');
  return { ctl, events: await keyevents() };
}

beforeAll(async () => {
  node = await startRespNode();
}, 60_000);
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await node?.stop();
});

describe('keyspace events of the data commands', () => {
  it('HSET / HDEL / HINCRBY, LPUSH / LPOP / RPOP COUNT / LMOVE, SETBIT, COPY, RENAMENX: Redis 7 names, nothing for no change', async () => {
    const { ctl, events } = await notifyingWith('KEA');
    await ctl.hset('{d}h', 'f', '1', 'g', '2');
    await ctl.hdel('{d}h', 'missing');
    await ctl.hdel('{d}h', 'f');
    await ctl.hincrby('{d}h', 'g', 5);
    await ctl.hsetnx('{d}h', 'g', 'no');
    await ctl.lpush('{d}l', 'a', 'b', 'c');
    await ctl.lpop('{d}l');
    await ctl.lpop('{d}missing');
    await ctl.lmove('{d}l', '{d}m', 'LEFT', 'RIGHT');
    // One element left and three asked: the pop empties the list, so `del` follows.
    expect(await ctl.rpop('{d}l', 3)).toEqual(['a']);
    await ctl.setbit('{d}bits', 3, 1);
    expect(await ctl.copy('{d}h', '{d}h2')).toBe(1);
    expect(await ctl.copy('{d}h', '{d}h2')).toBe(0);
    expect(await ctl.renamenx('{d}h2', '{d}h3')).toBe(1);
    expect(await ctl.renamenx('{d}h3', '{d}m')).toBe(0);
    expect(await events.next(13)).toEqual([
      'hset {d}h', 'hdel {d}h', 'hincrby {d}h',
      'lpush {d}l', 'lpop {d}l', 'rpush {d}m', 'lpop {d}l', 'rpop {d}l', 'del {d}l',
      'setbit {d}bits', 'copy_to {d}h2', 'rename_from {d}h2', 'rename_to {d}h3',
    ]);
    // Nothing above fired more: a marker published now is the next message.
    await ctl.publish('__keyevent@0__:marker', 'end');
    expect(await events.next(1)).toEqual(['marker end']);
  });

  it('ZADD / ZADD INCR / ZINCRBY / ZREM / ZREMRANGEBYSCORE / ZPOPMIN / ZMPOP COUNT / ZUNIONSTORE: zset events, nothing for no change', async () => {
    const { ctl, events } = await notifyingWith('KEA');
    await ctl.zadd('{z}s', 1, 'a', 2, 'b', 3, 'c', 4, 'd', 5, 'e');
    await ctl.zadd('{z}s', 'NX', 1, 'a');
    await ctl.zadd('{z}s', 1, 'a');
    await ctl.zadd('{z}s', 'INCR', 1, 'a');
    await ctl.zincrby('{z}s', 1, 'b');
    await ctl.zrem('{z}s', 'missing');
    await ctl.zrem('{z}s', 'a');
    await ctl.zremrangebyscore('{z}s', 100, 200);
    await ctl.zremrangebyscore('{z}s', 3, 3);
    await ctl.zpopmin('{z}s');
    expect(await ctl.zunionstore('{z}u', 1, '{z}s')).toBe(1);
    expect(await ctl.zunionstore('{z}none', 1, '{z}missing')).toBe(0);
    // One member left, two asked: the pop empties the sorted set.
    expect(await ctl.call('ZMPOP', '1', '{z}s', 'MAX', 'COUNT', '2')).toEqual(['{z}s', [['e', '5']]]);
    expect(await events.next(9)).toEqual([
      'zadd {z}s', 'zincr {z}s', 'zincr {z}s', 'zrem {z}s', 'zremrangebyscore {z}s', 'zpopmin {z}s',
      'zunionstore {z}u', 'zpopmax {z}s', 'del {z}s',
    ]);
    await ctl.publish('__keyevent@0__:marker', 'end');
    expect(await events.next(1)).toEqual(['marker end']);
  });

  it('a BLPOP woken by an LPUSH fires lpop after the push', async () => {
    const { ctl, events } = await notifyingWith('El');
    const blocked = ioredis();
    await blocked.connect();
    const popped = blocked.blpop('{b}l', 5);
    // Time for the BLPOP to reach the node and park (a push before it would be popped at once: the same events).
    await sleep(100);
    await ctl.lpush('{b}l', 'x');
    expect(await popped).toEqual(['{b}l', 'x']);
    expect(await events.next(2)).toEqual(['lpush {b}l', 'lpop {b}l']);
  });
});

describe('expired events', () => {
  it('a key whose TTL runs out publishes expired (class x) from the workers\' sweep; none while x is off', async () => {
    // Generic and string events, not x: the removal of an expired key publishes nothing.
    const { ctl, events } = await notifyingWith('Eg$');
    await ctl.set('x:quiet', 'v', 'PX', 50);
    expect(await events.next(2)).toEqual(['set x:quiet', 'expire x:quiet']);
    await sleep(150);
    // Removed by now: by the sweep, or by this write (which finds it expired, so deletes nothing: no del).
    expect(await ctl.del('x:quiet')).toBe(0);
    expect(await ctl.config('SET', 'notify-keyspace-events', 'Ex$')).toBe('OK');
    await ctl.set('x:k', 'v', 'PX', 100);
    expect(await events.next(1)).toEqual(['set x:k']);
    expect(await events.next(1, EXPIRED_MS_MAX)).toEqual(['expired x:k']);
    expect(await ctl.exists('x:k')).toBe(0);
    await ctl.publish('__keyevent@0__:marker', 'end');
    expect(await events.next(1)).toEqual(['marker end']);
  });

  it('a key found expired by a write fires expired before the write\'s own event, whoever removed it', async () => {
    const { ctl, events } = await notifyingWith('Ex$');
    await ctl.set('x:lazy', 'v', 'PX', 20);
    await sleep(40);
    await ctl.set('x:lazy', 'w');
    expect(await events.next(3)).toEqual(['set x:lazy', 'expired x:lazy', 'set x:lazy']);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
