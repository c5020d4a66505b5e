// SORT and SORT_RO through a real node's RESP door on loopback: ioredis
// (RESP3) and node-redis (RESP2) drive every option (BY a key or a hash
// field, BY nosort, LIMIT, GET patterns and #, ASC / DESC, ALPHA, STORE read
// back with LRANGE) on lists, sets and sorted sets; Redis's error words
// (WRONGTYPE, a weight that is no number, a pattern whose keys may be in
// another slot, syntax, SORT_RO's STORE); CROSSSLOT for a destination on
// another shard; a BLPOP woken by a STORE; keyspace events (sortstore, del);
// COMMAND INFO's rows; the wire shapes (a nil GET is `_` in
// RESP3, `$-1` in RESP2); and the typed client's sort / sortStore over the
// same node's WebSocket door, in both formats and in a transaction.
// Needs `npm run build` (the node runs bin/piccolo.js).

import type { Redis } from 'ioredis';
import type { RedisClientType } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { slotOf } from '../../core/routing/slot-hash.js';
import { SlotMap } from '../../core/routing/slot-map.js';
import { connectNodeRedis, errorOf, rawReplies, startRespNodeWithRedis, stopRespNodeWithRedis, type RespNode } from './resp-node.js';

let node: RespNode;
let redis: Redis;
const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const NOT_DOUBLE = "ERR One or more scores can't be converted into double";
const BY_DENIED = 'ERR BY option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots.';
const GET_DENIED = 'ERR GET option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots.';
/** The node runs 2 workers, one shard each. */
const slots = new SlotMap(2, 2);
const shardOf = (key: string): number => slots.shardOf(slotOf(Buffer.from(key)));

beforeAll(async () => { ({ node, redis } = await startRespNodeWithRedis()); }, 30_000);
afterAll(() => stopRespNodeWithRedis({ node, redis }));

describe('SORT over ioredis (RESP3)', () => {
  it('a list: numbers, DESC, LIMIT, ALPHA, BY nosort', async () => {
    await redis.rpush('{io}l', '10', '2', '-1.5', '3e1', '2');
    expect(await redis.sort('{io}l')).toEqual(['-1.5', '2', '2', '10', '3e1']);
    expect(await redis.sort('{io}l', 'DESC')).toEqual(['3e1', '10', '2', '2', '-1.5']);
    expect(await redis.sort('{io}l', 'LIMIT', 1, 2)).toEqual(['2', '2']);
    expect(await redis.sort('{io}l', 'ALPHA')).toEqual(['-1.5', '10', '2', '2', '3e1']);
    expect(await redis.call('SORT', '{io}l', 'BY', 'nosort', 'DESC', 'LIMIT', '0', '2')).toEqual(['2', '3e1']);
    expect(await redis.call('SORT_RO', '{io}l', 'LIMIT', '0', '3', 'asc')).toEqual(['-1.5', '2', '2']);
  });

  it('a set and a sorted set; BY nosort keeps the sorted set\'s order', async () => {
    await redis.sadd('{io}s', 'pear', 'apple', 'fig');
    expect(await redis.sort('{io}s', 'ALPHA')).toEqual(['apple', 'fig', 'pear']);
    expect(await errorOf(redis.sort('{io}s'))).toBe(NOT_DOUBLE);
    await redis.zadd('{io}z', 3, 'c', 1, 'b', 2, 'a');
    expect(await redis.sort('{io}z', 'ALPHA')).toEqual(['a', 'b', 'c']);
    expect(await redis.sort('{io}z', 'BY', 'nosort')).toEqual(['b', 'a', 'c']);
    expect(await redis.sort('{io}z', 'BY', 'nosort', 'LIMIT', 1, 5, 'DESC')).toEqual(['a', 'b']);
    expect(await redis.sort('{io}missing')).toEqual([]);
  });

  it('BY a weight key or a hash field, GET patterns and #, nil for what is missing', async () => {
    await redis.rpush('{u}ids', '1', '2', '3');
    await redis.mset('{u}age_1', '40', '{u}age_2', '25', '{u}age_3', '31');
    await redis.hset('{u}user_1', 'name', 'ann', 'rank', '2');
    await redis.hset('{u}user_2', 'name', 'bob', 'rank', '1');
    expect(await redis.sort('{u}ids', 'BY', '{u}age_*')).toEqual(['2', '3', '1']);
    expect(await redis.sort('{u}ids', 'BY', '{u}user_*->rank', 'GET', '#', 'GET', '{u}user_*->name', 'GET', '{u}age_*'))
      .toEqual(['3', null, '31', '2', 'bob', '25', '1', 'ann', '40']);
    expect(await redis.sort('{u}ids', 'BY', '{u}user_*->name', 'GET', '{u}user_*->name', 'DESC', 'ALPHA')).toEqual(['bob', 'ann', null]);
  });

  it('STORE writes a list (read back with LRANGE), replaces the destination and drops its TTL; an empty result deletes it', async () => {
    await redis.rpush('{st}src', 'b', 'c', 'a');
    await redis.set('{st}dst', 'old', 'EX', 100);
    expect(await redis.sort('{st}src', 'ALPHA', 'STORE', '{st}dst')).toBe(3);
    expect(await redis.type('{st}dst')).toBe('list');
    expect(await redis.lrange('{st}dst', 0, -1)).toEqual(['a', 'b', 'c']);
    expect(await redis.ttl('{st}dst')).toBe(-1);
    expect(await redis.sort('{st}src', 'LIMIT', 1, 1, 'GET', '#', 'GET', '{st}none_*', 'ALPHA', 'STORE', '{st}dst')).toBe(2);
    expect(await redis.lrange('{st}dst', 0, -1)).toEqual(['b', '']);
    expect(await redis.sort('{st}none', 'STORE', '{st}dst')).toBe(0);
    expect(await redis.exists('{st}dst')).toBe(0);
  });

  it('errors: WRONGTYPE, a weight that is no number, the slot rule, syntax, SORT_RO with STORE', async () => {
    await redis.set('{e}str', 'x');
    await redis.hset('{e}hash', 'f', 'v');
    await redis.rpush('{e}l', '1', '2');
    await redis.set('{e}w_1', 'heavy');
    expect(await errorOf(redis.sort('{e}str'))).toBe(WRONGTYPE);
    expect(await errorOf(redis.call('SORT_RO', '{e}hash'))).toBe(WRONGTYPE);
    expect(await errorOf(redis.sort('{e}l', 'BY', '{e}w_*'))).toBe(NOT_DOUBLE);
    expect(await errorOf(redis.sort('{e}l', 'BY', 'w_*'))).toBe(BY_DENIED);
    expect(await errorOf(redis.sort('{e}l', 'GET', '{x}w_*'))).toBe(GET_DENIED);
    expect(await errorOf(redis.sort('{e}l', 'LIMIT', 'a', '1'))).toBe('ERR value is not an integer or out of range');
    expect(await errorOf(redis.call('SORT', '{e}l', 'SIDEWAYS'))).toBe('ERR syntax error');
    expect(await errorOf(redis.call('SORT_RO', '{e}l', 'STORE', '{e}d'))).toBe('ERR syntax error');
    expect(await errorOf(redis.call('SORT'))).toBe("ERR wrong number of arguments for 'sort' command");
    expect(await redis.exists('{e}d')).toBe(0);
  });

  it('STORE to a key on another shard is CROSSSLOT, and nothing is written', async () => {
    await redis.rpush('xs:src', '1');
    let destination = 'xs:dst';
    for (let i = 0; shardOf(destination) === shardOf('xs:src'); i++) destination = `xs:dst${i}`;
    expect(await errorOf(redis.sort('xs:src', 'STORE', destination))).toMatch(/^CROSSSLOT /);
    expect(await redis.exists(destination)).toBe(0);
  });

  it('SORT ... STORE wakes a BLPOP waiting on its destination', async () => {
    const waiter = redis.duplicate();
    try {
      const popped = waiter.blpop('{bw}dst', 5);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await redis.rpush('{bw}src', 'b', 'a');
      expect(await redis.sort('{bw}src', 'ALPHA', 'STORE', '{bw}dst')).toBe(2);
      expect(await popped).toEqual(['{bw}dst', 'a']);
      expect(await redis.lrange('{bw}dst', 0, -1)).toEqual(['b']);
    } finally {
      waiter.disconnect();
    }
  });

  it('keyspace events: sortstore on the destination, del when an empty result deleted it', async () => {
    const subscriber = redis.duplicate();
    try {
      expect(await redis.config('SET', 'notify-keyspace-events', 'KEA')).toBe('OK');
      const got: string[] = [];
      subscriber.on('message', (channel: string, key: string) => got.push(`${channel} ${key}`));
      await subscriber.subscribe('__keyevent@0__:sortstore', '__keyevent@0__:del');
      await redis.rpush('{ev}src', '2', '1');
      expect(await redis.sort('{ev}src', 'STORE', '{ev}dst')).toBe(2);
      expect(await redis.sort('{ev}none', 'STORE', '{ev}dst')).toBe(0);
      expect(await redis.sort('{ev}src')).toEqual(['1', '2']);
      for (let i = 0; i < 100 && got.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(got).toEqual(['__keyevent@0__:sortstore {ev}dst', '__keyevent@0__:del {ev}dst']);
    } finally {
      await redis.config('SET', 'notify-keyspace-events', '');
      subscriber.disconnect();
    }
  });

  it('COMMAND INFO reports Redis 7\'s rows for sort and sort_ro', async () => {
    const [sort, sortRo] = await redis.call('COMMAND', 'INFO', 'sort', 'sort_ro') as unknown[][];
    expect(sort!.slice(0, 6)).toEqual(['sort', -2, ['write', 'denyoom', 'movablekeys'], 1, 1, 1]);
    expect(sortRo!.slice(0, 6)).toEqual(['sort_ro', -2, ['readonly'], 1, 1, 1]);
  });
});

describe('SORT over node-redis (RESP2)', () => {
  let client: RedisClientType;
  beforeAll(async () => { client = await connectNodeRedis(node.respPort); });
  afterAll(async () => { await client.close(); });

  it('sort, sortRo and sortStore with every option', async () => {
    await client.rPush('{nr}l', ['3', '1', '2']);
    await client.hSet('{nr}o_1', { w: '9', name: 'one' });
    await client.hSet('{nr}o_2', { w: '5', name: 'two' });
    await client.hSet('{nr}o_3', { w: '7', name: 'three' });
    expect(await client.sort('{nr}l')).toEqual(['1', '2', '3']);
    expect(await client.sort('{nr}l', { DIRECTION: 'DESC', LIMIT: { offset: 0, count: 2 } })).toEqual(['3', '2']);
    expect(await client.sort('{nr}l', { BY: '{nr}o_*->w', GET: ['#', '{nr}o_*->name'] })).toEqual(['2', 'two', '3', 'three', '1', 'one']);
    expect(await client.sortRo('{nr}l', { BY: '{nr}o_*->name', ALPHA: true, GET: '{nr}o_*->w' })).toEqual(['9', '7', '5']);
    expect(await client.sortStore('{nr}l', '{nr}out', { BY: 'nosort', DIRECTION: 'DESC' })).toBe(3);
    expect(await client.lRange('{nr}out', 0, -1)).toEqual(['2', '1', '3']);
    await client.sAdd('{nr}s', ['b', 'a', 'c']);
    // A set BY nosort with STORE is sorted (ALPHA), as Redis does so replicas agree.
    expect(await client.sortStore('{nr}s', '{nr}out', { BY: 'nosort' })).toBe(3);
    expect(await client.lRange('{nr}out', 0, -1)).toEqual(['a', 'b', 'c']);
    await expect(client.sort('{nr}s')).rejects.toThrow(NOT_DOUBLE);
    await expect(client.sort('{nr}l', { BY: 'o_*' })).rejects.toThrow(BY_DENIED);
    await client.set('{nr}str', 'x');
    await expect(client.sortRo('{nr}str')).rejects.toThrow(WRONGTYPE);
  });
});

describe('the typed client (WebSocket, both formats)', () => {
  for (const format of ['binary', 'json'] as const) {
    it(`${format}: sort, sortStore, and both in a transaction`, async () => {
      const db = await connect(`ws://127.0.0.1:${node.httpPort}/v1/ws`, { format, dataBytesAs: 'text' });
      try {
        const k = `{tc-${format}}`;
        await db.rpush(`${k}l`, '3', '1', '2');
        await db.hset(`${k}o_1`, { name: 'one' });
        expect(await db.sort(`${k}l`)).toEqual(['1', '2', '3']);
        expect(await db.sort(`${k}l`, { desc: true, limit: { offset: 0, count: 2 }, get: ['#', `${k}o_*->name`] })).toEqual(['3', null, '2', null]);
        expect(await db.sort(`${k}l`, { by: 'nosort', alpha: true })).toEqual(['3', '1', '2']);
        expect(await db.sortStore(`${k}l`, `${k}out`, { desc: true })).toBe(3);
        expect(await db.lrange(`${k}out`, 0, -1)).toEqual(['3', '2', '1']);
        await expect(db.sort(`${k}l`, { by: 'w_*' })).rejects.toThrow(/BY option of SORT denied/);
        const outcome = await db.transaction((tx) => ({ stored: tx.sortStore(`${k}l`, `${k}tx`, { get: [`${k}o_*->name`] }), read: tx.sort(`${k}tx`, { alpha: true }) }));
        expect(outcome.committed).toBe(true);
        if (outcome.committed) expect([outcome.result.stored.value, outcome.result.read.value]).toEqual([3, ['', '', 'one']]);
      } finally {
        await db.close();
      }
    });
  }
});

describe('reply shapes on the wire', () => {
  const exchange = (proto: '2' | '3', ...commands: string[][]): Promise<string> => rawReplies(node.respPort, proto, ...commands);

  it('RESP3: an array with `_` for a missing GET; STORE an integer', async () => {
    const text = await exchange('3', ['RPUSH', '{w3}l', '2', '1'], ['SORT', '{w3}l', 'GET', '#', 'GET', '{w3}n_*'], ['SORT', '{w3}l', 'STORE', '{w3}d']);
    expect(text).toBe(':2\r\n*4\r\n$1\r\n1\r\n_\r\n$1\r\n2\r\n_\r\n:2\r\n');
  });

  it('RESP2: the same with null bulks', async () => {
    const text = await exchange('2', ['RPUSH', '{w2}l', '2', '1'], ['SORT_RO', '{w2}l', 'GET', '{w2}n_*', 'GET', '#']);
    expect(text).toBe(':2\r\n*4\r\n$-1\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n');
  });
});
