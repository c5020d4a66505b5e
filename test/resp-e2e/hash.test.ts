// Hash commands against a real node's RESP door (compiled CLI, worker
// threads, loopback): ioredis, node-redis over RESP2 and RESP3, and raw
// bytes for the exact reply shapes (HGETALL's RESP3 map). Every hash
// command, WRONGTYPE, Redis's error words, and a hash large enough to
// convert to the table (HSCAN over it returns every field).

import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { command, errorOf, RawClient, startRespNodeWithRedis, stopRespNodeWithRedis, type RespNode } from './resp-node.js';

let node: RespNode;
let redis: Redis;

beforeAll(async () => { ({ node, redis } = await startRespNodeWithRedis()); });
afterAll(() => stopRespNodeWithRedis({ node, redis }));

describe('hashes through ioredis', () => {
  it('HSET / HGET / HMGET / HMSET / HSETNX / HLEN / HSTRLEN / HEXISTS / HDEL', async () => {
    expect(await redis.hset('h:a', 'f1', 'v1', 'f2', 'v2')).toBe(2);
    expect(await redis.hset('h:a', 'f1', 'again', 'f3', '')).toBe(1);
    expect(await redis.hget('h:a', 'f1')).toBe('again');
    expect(await redis.hget('h:a', 'nope')).toBeNull();
    expect(await redis.hget('h:missing', 'f1')).toBeNull();
    expect(await redis.hmget('h:a', 'f1', 'nope', 'f3')).toEqual(['again', null, '']);
    expect(await redis.hmset('h:a', { f4: 'four' })).toBe('OK');
    expect(await redis.hsetnx('h:a', 'f4', 'x')).toBe(0);
    expect(await redis.hsetnx('h:a', 'f5', 'five')).toBe(1);
    expect(await redis.hlen('h:a')).toBe(5);
    expect(await redis.hlen('h:missing')).toBe(0);
    expect(await redis.hstrlen('h:a', 'f4')).toBe(4);
    expect(await redis.hstrlen('h:a', 'nope')).toBe(0);
    expect(await redis.hexists('h:a', 'f5')).toBe(1);
    expect(await redis.hexists('h:a', 'nope')).toBe(0);
    expect(await redis.hdel('h:a', 'f5', 'nope', 'f4')).toBe(2);
    expect(await redis.type('h:a')).toBe('hash');
    expect(await redis.hdel('h:a', 'f1', 'f2', 'f3')).toBe(3);
    expect(await redis.exists('h:a')).toBe(0);
  });

  it('HKEYS / HVALS / HGETALL in insertion order while small; binary-safe fields and values', async () => {
    await redis.hset('h:b', 'z', '1', 'a', '2', 'm', '3');
    expect(await redis.hkeys('h:b')).toEqual(['z', 'a', 'm']);
    expect(await redis.hvals('h:b')).toEqual(['1', '2', '3']);
    expect(await redis.hgetall('h:b')).toEqual({ z: '1', a: '2', m: '3' });
    expect(await redis.hgetall('h:missing')).toEqual({});
    const binary = Buffer.from([0, 255, 13, 10, 36]);
    await redis.hset('h:bin', binary, binary);
    expect(await redis.hgetBuffer('h:bin', binary)).toEqual(binary);
  });

  it('HINCRBY / HINCRBYFLOAT with Redis\'s words for every error', async () => {
    expect(await redis.hincrby('h:n', 'i', 5)).toBe(5);
    expect(await redis.hincrby('h:n', 'i', -7)).toBe(-2);
    expect(await redis.hincrbyfloat('h:n', 'f', '10.5')).toBe('10.5');
    expect(await redis.hincrbyfloat('h:n', 'f', '0.1')).toBe('10.6');
    expect(await redis.hincrbyfloat('h:n', 'f', '-5e0')).toBe('5.6');
    await redis.hset('h:n', 'text', 'abc', 'big', '9223372036854775807');
    expect(await errorOf(redis.hincrby('h:n', 'text', 1))).toBe('ERR hash value is not an integer');
    expect(await errorOf(redis.hincrby('h:n', 'big', 1))).toBe('ERR increment or decrement would overflow');
    expect(await errorOf(redis.hincrby('h:n', 'i', 'x' as unknown as number))).toBe('ERR value is not an integer or out of range');
    expect(await errorOf(redis.hincrbyfloat('h:n', 'text', '1'))).toBe('ERR hash value is not a float');
    expect(await errorOf(redis.hincrbyfloat('h:n', 'f', 'abc'))).toBe('ERR value is not a valid float');
    expect(await errorOf(redis.hincrbyfloat('h:n', 'f', 'inf'))).toBe('ERR value is NaN or Infinity');
    expect(await redis.hget('h:n', 'f')).toBe('5.6');
  });

  it('HRANDFIELD: one, a positive count (distinct), a negative count (repeats), WITHVALUES', async () => {
    await redis.hset('h:r', 'a', '1', 'b', '2', 'c', '3');
    expect(['a', 'b', 'c']).toContain(await redis.hrandfield('h:r'));
    expect(await redis.hrandfield('h:missing')).toBeNull();
    const two = await redis.hrandfield('h:r', 2) as string[];
    expect(new Set(two).size).toBe(2);
    expect((await redis.hrandfield('h:r', 10) as string[]).sort()).toEqual(['a', 'b', 'c']);
    const many = await redis.hrandfield('h:r', -8) as string[];
    expect(many).toHaveLength(8);
    for (const f of many) expect(['a', 'b', 'c']).toContain(f);
    const withValues = await redis.call('HRANDFIELD', 'h:r', '2', 'WITHVALUES');
    const flat = Array.isArray(withValues) ? withValues.flat() as string[] : Object.entries(withValues as object).flat() as string[];
    for (let i = 0; i < flat.length; i += 2) expect(flat[i + 1]).toBe({ a: '1', b: '2', c: '3' }[flat[i]!]);
    expect(await errorOf(redis.call('HRANDFIELD', 'h:r', '1', 'WITHSCORES'))).toBe('ERR syntax error');
    expect(await errorOf(redis.call('HRANDFIELD', 'h:r', 'x'))).toBe('ERR value is not an integer or out of range');
  });

  it('a hash past 128 fields converts and HSCAN (COUNT, MATCH) returns every field; a small one comes whole', async () => {
    const pairs: string[] = [];
    for (let i = 0; i < 300; i++) pairs.push(`field:${i}`, `value:${i}`);
    expect(await redis.hset('h:big', ...pairs)).toBe(300);
    expect(await redis.hlen('h:big')).toBe(300);
    const seen = new Map<string, string>();
    let cursor = '0';
    let pages = 0;
    do {
      const [next, items] = await redis.hscan('h:big', cursor, 'COUNT', 20);
      cursor = next;
      pages++;
      for (let i = 0; i < items.length; i += 2) seen.set(items[i]!, items[i + 1]!);
    } while (cursor !== '0');
    expect(pages).toBeGreaterThan(3);
    expect(seen.size).toBe(300);
    expect(seen.get('field:123')).toBe('value:123');
    const matched: string[] = [];
    cursor = '0';
    do {
      const [next, items] = await redis.hscan('h:big', cursor, 'MATCH', 'field:1?', 'COUNT', 50);
      cursor = next;
      for (let i = 0; i < items.length; i += 2) matched.push(items[i]!);
    } while (cursor !== '0');
    expect(matched.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `field:1${i}`).sort());
    expect(await redis.hscan('h:b', '0')).toEqual(['0', ['z', '1', 'a', '2', 'm', '3']]);
    expect(await redis.call('HSCAN', 'h:missing', '0', 'BOGUS')).toEqual(['0', []]);
    expect(await errorOf(redis.hscan('h:big', 'x'))).toBe('ERR invalid cursor');
    expect(await errorOf(redis.call('HSCAN', 'h:big', '0', 'COUNT', '0'))).toBe('ERR syntax error');
    expect(await redis.hdel('h:big', ...pairs.filter((_, i) => i % 2 === 0))).toBe(300);
    expect(await redis.exists('h:big')).toBe(0);
  });

  it('WRONGTYPE both ways, and wrong argument counts', async () => {
    await redis.set('h:str', 'x');
    const wrong = 'WRONGTYPE Operation against a key holding the wrong kind of value';
    expect(await errorOf(redis.hset('h:str', 'f', 'v'))).toBe(wrong);
    expect(await errorOf(redis.hget('h:str', 'f'))).toBe(wrong);
    expect(await errorOf(redis.hgetall('h:str'))).toBe(wrong);
    expect(await errorOf(redis.hscan('h:str', '0'))).toBe(wrong);
    await redis.hset('h:c', 'f', 'v');
    expect(await errorOf(redis.get('h:c'))).toBe(wrong);
    expect(await errorOf(redis.call('HSET', 'h:c', 'f'))).toBe("ERR wrong number of arguments for 'hset' command");
    expect(await errorOf(redis.call('HSET', 'h:c', 'f', 'v', 'g'))).toBe("ERR wrong number of arguments for 'hset' command");
    expect(await errorOf(redis.call('HGET', 'h:c'))).toBe("ERR wrong number of arguments for 'hget' command");
    expect(await redis.set('h:c', 'now a string')).toBe('OK');
    expect(await redis.type('h:c')).toBe('string');
  });
});

describe('hashes through node-redis', () => {
  for (const RESP of [2, 3] as const) {
    it(`RESP${RESP}: HSET, HGETALL (an object), HMGET, HINCRBYFLOAT, HSCAN, WRONGTYPE`, async () => {
      const client = createClient({ RESP, socket: { host: '127.0.0.1', port: node.respPort, reconnectStrategy: false } });
      client.on('error', () => {});
      await client.connect();
      try {
        const key = `h:nr${RESP}`;
        expect(await client.hSet(key, { a: '1', b: '2' })).toBe(2);
        const all = await client.hGetAll(key);
        expect({ ...all }).toEqual({ a: '1', b: '2' });
        expect(await client.hmGet(key, ['a', 'zz'])).toEqual(['1', null]);
        expect(String(await client.hIncrByFloat(key, 'a', 0.5))).toBe('1.5');
        expect(await client.hLen(key)).toBe(2);
        const page = await client.hScan(key, '0');
        expect(page.cursor.toString()).toBe('0');
        expect(page.entries.map((e) => `${e.field}=${e.value}`)).toEqual(['a=1.5', 'b=2']);
        await client.set(`${key}:s`, 'x');
        await expect(client.hGet(`${key}:s`, 'a')).rejects.toThrow(/^WRONGTYPE/);
      } finally {
        await client.close();
      }
    });
  }
});

describe('hashes over raw RESP: the reply shapes', () => {
  it('HGETALL is a flat array in RESP2 and a map in RESP3; HRANDFIELD WITHVALUES an array of pairs in RESP3 (Redis 7)', async () => {
    const c = await RawClient.connect(node.respPort);
    try {
      c.write(command('HSET', 'h:raw', 'f', 'v'));
      await c.waitForText(':1\r\n');
      c.write(command('HGETALL', 'h:raw'));
      expect(await c.waitForText(':1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n')).toBe(':1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n');
      const before = c.receivedBytes;
      c.write(command('HELLO', '3'));
      await c.waitFor((b) => b.length > before && b.subarray(before).includes('proto'));
      await new Promise((r) => setTimeout(r, 50));
      const mark = c.receivedBytes;
      c.write(command('HGETALL', 'h:raw'));
      c.write(command('HRANDFIELD', 'h:raw', '1', 'WITHVALUES'));
      c.write(command('HGET', 'h:raw', 'nope'));
      const want = '%1\r\n$1\r\nf\r\n$1\r\nv\r\n*1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n_\r\n';
      const got = await c.waitFor((b) => b.length >= mark + want.length);
      expect(got.subarray(mark).toString('latin1')).toBe(want);
    } finally {
      c.close();
    }
  });
});
