// The set commands (core/types/set/) through a real node's RESP door on
// loopback: ioredis (RESP3 by default) and node-redis (RESP2) cover every
// command, WRONGTYPE, Redis's error texts, OBJECT ENCODING and CROSSSLOT;
// raw RESP3 and RESP2 check the reply shapes byte for byte (a set is `~` in
// RESP3, an array in RESP2).

import type { Redis } from 'ioredis';
import type { RedisClientType } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slotOf } from '../../core/routing/slot-hash.js';
import { SlotMap } from '../../core/routing/slot-map.js';
import { connectNodeRedis, errorOf, rawReplies, startRespNodeWithRedis, stopRespNodeWithRedis, type RespNode } from './resp-node.js';

let node: RespNode;
let redis: Redis;
const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const range = (n: number, f: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => f(i));
const sorted = (xs: string[]): string[] => [...xs].sort();
/** The node runs 2 workers, one shard each. */
const slots = new SlotMap(2, 2);
const shardOf = (key: string): number => slots.shardOf(slotOf(Buffer.from(key)));
function keysOnTwoShards(prefix: string): [string, string] {
  const a = `${prefix}:0`;
  for (let i = 1; ; i++) if (shardOf(`${prefix}:${i}`) !== shardOf(a)) return [a, `${prefix}:${i}`];
}

beforeAll(async () => { ({ node, redis } = await startRespNodeWithRedis()); }, 30_000);
afterAll(() => stopRespNodeWithRedis({ node, redis }));

describe('sets over ioredis (RESP3)', () => {
  it('SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS, TYPE, OBJECT ENCODING through the conversions', async () => {
    expect(await redis.sadd('io:s', 'a', 'b', 'a')).toBe(2);
    expect(await redis.scard('io:s')).toBe(2);
    expect(await redis.sismember('io:s', 'a')).toBe(1);
    expect(await redis.smismember('io:s', 'a', 'z')).toEqual([1, 0]);
    expect(sorted(await redis.smembers('io:s'))).toEqual(['a', 'b']);
    expect(await redis.type('io:s')).toBe('set');
    expect(await redis.object('ENCODING', 'io:s')).toBe('listpack');
    expect(await redis.srem('io:s', 'a', 'q')).toBe(1);
    await redis.sadd('io:n', '1', '2', '3');
    expect(await redis.object('ENCODING', 'io:n')).toBe('intset');
    await redis.sadd('io:n', ...range(600, String));
    expect(await redis.object('ENCODING', 'io:n')).toBe('hashtable');
    expect(await redis.scard('io:n')).toBe(600);
    expect(await redis.srem('io:s', 'b')).toBe(1);
    expect(await redis.exists('io:s')).toBe(0);
  });

  it('SRANDMEMBER and SPOP', async () => {
    await redis.sadd('io:r', ...range(20, (i) => `m${i}`));
    expect(await redis.srandmember('io:r')).toMatch(/^m\d+$/);
    const five = await redis.srandmember('io:r', 5);
    expect(new Set(five).size).toBe(5);
    expect(await redis.srandmember('io:r', -30)).toHaveLength(30);
    expect(await redis.srandmember('io:none')).toBeNull();
    const popped = await redis.spop('io:r');
    expect(await redis.sismember('io:r', popped!)).toBe(0);
    const three = await redis.spop('io:r', 3);
    expect(new Set(three).size).toBe(3);
    expect(await redis.scard('io:r')).toBe(16);
    expect(await errorOf(redis.spop('io:r', -1))).toBe('ERR value is out of range, must be positive');
    expect(await errorOf(redis.call('SPOP', 'io:r', '1', '2'))).toBe('ERR syntax error');
    expect(await errorOf(redis.call('SRANDMEMBER', 'io:r', 'x'))).toBe('ERR value is not an integer or out of range');
    expect(await redis.spop('io:none')).toBeNull();
  });

  it('SMOVE, SINTER SUNION SDIFF and STORE forms, SINTERCARD (hash tags put the keys on one shard)', async () => {
    await redis.sadd('{io}1', 'a', 'b', 'c', 'd');
    await redis.sadd('{io}2', 'c');
    await redis.sadd('{io}3', 'a', 'c', 'e');
    expect(await redis.sinter('{io}1', '{io}2', '{io}3')).toEqual(['c']);
    expect(sorted(await redis.sunion('{io}1', '{io}2', '{io}3'))).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(sorted(await redis.sdiff('{io}1', '{io}2', '{io}3'))).toEqual(['b', 'd']);
    expect(await redis.sinterstore('{io}d', '{io}1', '{io}3')).toBe(2);
    expect(await redis.sunionstore('{io}d', '{io}1', '{io}3')).toBe(5);
    expect(await redis.sdiffstore('{io}d', '{io}1', '{io}3')).toBe(2);
    expect(sorted(await redis.smembers('{io}d'))).toEqual(['b', 'd']);
    expect(await redis.call('SINTERCARD', '2', '{io}1', '{io}3')).toBe(2);
    expect(await redis.call('SINTERCARD', '2', '{io}1', '{io}3', 'LIMIT', '1')).toBe(1);
    expect(await errorOf(redis.call('SINTERCARD', '0', '{io}1'))).toBe('ERR numkeys should be greater than 0');
    expect(await errorOf(redis.call('SINTERCARD', '5', '{io}1'))).toBe("ERR Number of keys can't be greater than number of args");
    expect(await redis.smove('{io}1', '{io}2', 'a')).toBe(1);
    expect(await redis.smove('{io}1', '{io}2', 'zz')).toBe(0);
    expect(sorted(await redis.smembers('{io}2'))).toEqual(['a', 'c']);
    const [a, b] = keysOnTwoShards('io:cross');
    expect(await errorOf(redis.sinter(a, b))).toMatch(/^CROSSSLOT/);
    expect(await errorOf(redis.smove(a, b, 'x'))).toMatch(/^CROSSSLOT/);
  });

  it('SSCAN walks a large set by cursor, with MATCH and COUNT', async () => {
    await redis.sadd('io:big', ...range(1000, (i) => `m${i}`));
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, members] = await redis.sscan('io:big', cursor, 'COUNT', 100);
      members.forEach((m) => seen.add(m));
      cursor = next;
    } while (cursor !== '0');
    expect(seen.size).toBe(1000);
    const matched: string[] = [];
    do {
      const [next, members] = await redis.sscan('io:n', cursor, 'MATCH', '59?');
      matched.push(...members);
      cursor = next;
    } while (cursor !== '0');
    expect(sorted(matched)).toEqual(range(10, (i) => `59${i}`));
    expect(await errorOf(redis.sscan('io:big', 'x'))).toBe('ERR invalid cursor');
  });

  it('COPY and RENAME move a large set whole', async () => {
    await redis.sadd('{io}big', ...range(300, (i) => `m${i}`));
    expect(await redis.copy('{io}big', '{io}copy')).toBe(1);
    expect(await redis.rename('{io}big', '{io}moved')).toBe('OK');
    expect(await redis.exists('{io}big')).toBe(0);
    await redis.srem('{io}copy', 'm0');
    expect(await redis.scard('{io}moved')).toBe(300);
    expect(await redis.scard('{io}copy')).toBe(299);
    expect(await redis.object('ENCODING', '{io}copy')).toBe('hashtable');
  });

  it('WRONGTYPE both ways', async () => {
    await redis.set('io:str', 'x');
    await redis.sadd('io:set', 'x');
    expect(await errorOf(redis.sadd('io:str', 'a'))).toBe(WRONGTYPE);
    expect(await errorOf(redis.smembers('io:str'))).toBe(WRONGTYPE);
    expect(await errorOf(redis.get('io:set'))).toBe(WRONGTYPE);
    expect(await errorOf(redis.call('SSCAN', 'io:str', '0'))).toBe(WRONGTYPE);
    expect(await errorOf(redis.call('SADD', 'io:set'))).toBe("ERR wrong number of arguments for 'sadd' command");
  });
});

describe('sets over node-redis', () => {
  let client: RedisClientType;
  beforeAll(async () => { client = await connectNodeRedis(node.respPort); });
  afterAll(async () => { await client.close(); });

  it('every set command', async () => {
    expect(await client.sAdd('{nr}a', ['1', '2', '3', 'x'])).toBe(4);
    expect(await client.sRem('{nr}a', '1')).toBe(1);
    expect(await client.sCard('{nr}a')).toBe(3);
    expect(await client.sIsMember('{nr}a', 'x')).toBe(1);
    expect(await client.smIsMember('{nr}a', ['x', 'y'])).toEqual([1, 0]);
    expect(sorted(await client.sMembers('{nr}a'))).toEqual(['2', '3', 'x']);
    expect(['2', '3', 'x']).toContain(await client.sRandMember('{nr}a'));
    expect(await client.sRandMemberCount('{nr}a', 2)).toHaveLength(2);
    await client.sAdd('{nr}b', ['3', 'y']);
    expect(await client.sInter(['{nr}a', '{nr}b'])).toEqual(['3']);
    expect(sorted(await client.sUnion(['{nr}a', '{nr}b']))).toEqual(['2', '3', 'x', 'y']);
    expect(sorted(await client.sDiff(['{nr}a', '{nr}b']))).toEqual(['2', 'x']);
    expect(await client.sInterStore('{nr}c', ['{nr}a', '{nr}b'])).toBe(1);
    expect(await client.sUnionStore('{nr}c', ['{nr}a', '{nr}b'])).toBe(4);
    expect(await client.sDiffStore('{nr}c', ['{nr}a', '{nr}b'])).toBe(2);
    expect(await client.sInterCard(['{nr}a', '{nr}b'])).toBe(1);
    expect(await client.sMove('{nr}a', '{nr}b', 'x')).toBe(1);
    const scan = await client.sScan('{nr}b', '0');
    expect(scan.cursor).toBe('0');
    expect(sorted(scan.members)).toEqual(['3', 'x', 'y']);
    const popped = await client.sPopCount('{nr}c', 5);
    expect(sorted(popped as string[])).toEqual(['2', 'x']);
    expect(await client.exists('{nr}c')).toBe(0);
    expect(await client.sPop('{nr}c')).toBeNull();
    await client.set('{nr}s', 'v');
    await expect(client.sAdd('{nr}s', 'a')).rejects.toThrow(WRONGTYPE);
  });
});

describe('reply shapes on the wire', () => {
  const exchange = (proto: '2' | '3', ...commands: string[][]): Promise<string> => rawReplies(node.respPort, proto, ...commands);

  it('RESP3: SMEMBERS, SINTER and SPOP with a count are sets (~), SRANDMEMBER with a count and SSCAN arrays', async () => {
    const text = await exchange('3',
      ['SADD', '{w3}a', 'x'], ['SMEMBERS', '{w3}a'], ['SINTER', '{w3}a'], ['SRANDMEMBER', '{w3}a', '1'], ['SMISMEMBER', '{w3}a', 'x', 'y'],
      ['SSCAN', '{w3}a', '0'], ['SPOP', '{w3}a', '5'], ['SPOP', '{w3}a'], ['SMEMBERS', '{w3}a']);
    expect(text).toBe(':1\r\n~1\r\n$1\r\nx\r\n~1\r\n$1\r\nx\r\n*1\r\n$1\r\nx\r\n*2\r\n:1\r\n:0\r\n'
      + '*2\r\n$1\r\n0\r\n*1\r\n$1\r\nx\r\n~1\r\n$1\r\nx\r\n_\r\n~0\r\n');
  });

  it('RESP2: the same as arrays and null bulks', async () => {
    const text = await exchange('2', ['SADD', '{w2}a', 'x'], ['SMEMBERS', '{w2}a'], ['SPOP', '{w2}a', '5'], ['SPOP', '{w2}a'], ['SRANDMEMBER', '{w2}a']);
    expect(text).toBe(':1\r\n*1\r\n$1\r\nx\r\n*1\r\n$1\r\nx\r\n$-1\r\n$-1\r\n');
  });
});
