// Lists through a real node's RESP door (2 workers, one shard each) with
// ioredis (RESP3 by default) and node-redis (RESP2 and RESP3), and raw
// sockets for the exact bytes: every list command, WRONGTYPE and Redis's
// error texts, the compact -> large conversion, and the blocking commands
// (wake on a push from another connection, timeouts, FIFO among waiters,
// a closed client's waiter gone, MULTI runs them without blocking).
// Keys share the hash tag {l} so multi-key commands stay on one shard.

import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { command, errorOf, RawClient, startRespNodeWithRedis, stopRespNodeWithRedis, type RespNode } from './resp-node.js';

let node: RespNode;
let redis: Redis;
const extra: Redis[] = [];

/** Another ioredis connection (blocking commands hold theirs), closed after the file. */
async function connection(protocol?: 2 | 3): Promise<Redis> {
  const r = new Redis({ port: node.respPort, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, ...(protocol ? { protocol } : {}) });
  await r.connect();
  extra.push(r);
  return r;
}

beforeAll(async () => { ({ node, redis } = await startRespNodeWithRedis()); });
afterAll(async () => {
  for (const r of extra) r.disconnect();
  await stopRespNodeWithRedis({ node, redis });
});

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

describe('lists over ioredis', () => {
  it('push, length, range, index, type', async () => {
    expect(await redis.rpush('{l}a', 'x', 'y', 'z')).toBe(3);
    expect(await redis.lpush('{l}a', 'w', '12')).toBe(5);
    expect(await redis.lrange('{l}a', 0, -1)).toEqual(['12', 'w', 'x', 'y', 'z']);
    expect(await redis.lrange('{l}a', -2, 100)).toEqual(['y', 'z']);
    expect(await redis.lrange('{l}a', 3, 1)).toEqual([]);
    expect(await redis.llen('{l}a')).toBe(5);
    expect(await redis.lindex('{l}a', -1)).toBe('z');
    expect(await redis.lindex('{l}a', 9)).toBeNull();
    expect(await redis.type('{l}a')).toBe('list');
    expect(await redis.lpushx('{l}none', 'v')).toBe(0);
    expect(await redis.rpushx('{l}a', 'v')).toBe(6);
    expect(await redis.exists('{l}none')).toBe(0);
    expect(await redis.llen('{l}none')).toBe(0);
  });

  it('pops with and without a count (nil vs empty array as Redis 7)', async () => {
    await redis.rpush('{l}p', 'a', 'b', 'c', 'd');
    expect(await redis.lpop('{l}p')).toBe('a');
    expect(await redis.rpop('{l}p', 2)).toEqual(['d', 'c']);
    expect(await redis.lpop('{l}p', 0)).toEqual([]);
    expect(await redis.lpop('{l}p', 5)).toEqual(['b']);
    expect(await redis.exists('{l}p')).toBe(0);
    expect(await redis.lpop('{l}p')).toBeNull();
    expect(await redis.lpop('{l}p', 2)).toBeNull();
    expect(await errorOf(redis.lpop('{l}p', -1))).toBe('ERR value is out of range, must be positive');
    expect(await errorOf(redis.call('lpop', '{l}p', '1', '2'))).toBe("ERR wrong number of arguments for 'lpop' command");
  });

  it('LSET, LINSERT, LREM, LTRIM, LPOS', async () => {
    await redis.rpush('{l}e', 'a', 'b', 'a', 'c', 'a');
    expect(await redis.lset('{l}e', 1, 'B')).toBe('OK');
    expect(await errorOf(redis.lset('{l}e', 10, 'x'))).toBe('ERR index out of range');
    expect(await errorOf(redis.lset('{l}missing', 0, 'x'))).toBe('ERR no such key');
    expect(await redis.linsert('{l}e', 'BEFORE', 'c', 'b')).toBe(6);
    expect(await redis.linsert('{l}e', 'AFTER', 'nope', 'b')).toBe(-1);
    expect(await redis.linsert('{l}missing', 'AFTER', 'a', 'b')).toBe(0);
    expect(await errorOf(redis.call('linsert', '{l}e', 'MIDDLE', 'a', 'b'))).toBe('ERR syntax error');
    expect(await redis.lpos('{l}e', 'a')).toBe(0);
    expect(await redis.lpos('{l}e', 'a', 'RANK', -1)).toBe(5);
    expect(await redis.lpos('{l}e', 'a', 'COUNT', 0)).toEqual([0, 2, 5]);
    expect(await redis.lpos('{l}e', 'a', 'RANK', 2, 'COUNT', 1)).toEqual([2]);
    expect(await redis.lpos('{l}e', 'a', 'COUNT', 0, 'MAXLEN', 2)).toEqual([0]);
    expect(await redis.lpos('{l}e', 'zz')).toBeNull();
    expect(await errorOf(redis.call('lpos', '{l}e', 'a', 'RANK', '0'))).toMatch(/^ERR RANK can't be zero/);
    expect(await errorOf(redis.call('lpos', '{l}e', 'a', 'COUNT', '-1'))).toBe("ERR COUNT can't be negative");
    expect(await redis.lrem('{l}e', -1, 'a')).toBe(1);
    expect(await redis.lrange('{l}e', 0, -1)).toEqual(['a', 'B', 'a', 'b', 'c']);
    expect(await redis.lrem('{l}e', 0, 'a')).toBe(2);
    expect(await redis.ltrim('{l}e', 1, -1)).toBe('OK');
    expect(await redis.lrange('{l}e', 0, -1)).toEqual(['b', 'c']);
    expect(await redis.ltrim('{l}e', 5, 10)).toBe('OK');
    expect(await redis.exists('{l}e')).toBe(0);
    expect(await errorOf(redis.call('lrange', '{l}e', 'x', '1'))).toBe('ERR value is not an integer or out of range');
  });

  it('LMOVE, RPOPLPUSH, LMPOP', async () => {
    await redis.rpush('{l}src', '1', '2', '3');
    expect(await redis.lmove('{l}src', '{l}dst', 'LEFT', 'RIGHT')).toBe('1');
    expect(await redis.rpoplpush('{l}src', '{l}dst')).toBe('3');
    expect(await redis.lrange('{l}dst', 0, -1)).toEqual(['3', '1']);
    expect(await redis.lmove('{l}dst', '{l}dst', 'LEFT', 'RIGHT')).toBe('3'); // rotate
    expect(await redis.lrange('{l}dst', 0, -1)).toEqual(['1', '3']);
    expect(await redis.lmove('{l}nothing', '{l}dst', 'LEFT', 'LEFT')).toBeNull();
    expect(await errorOf(redis.call('lmove', '{l}src', '{l}dst', 'UP', 'LEFT'))).toBe('ERR syntax error');
    expect(await redis.lmpop(2, '{l}nothing', '{l}dst', 'RIGHT', 'COUNT', 5)).toEqual(['{l}dst', ['3', '1']]);
    expect(await redis.lmpop(1, '{l}dst', 'LEFT')).toBeNull();
    expect(await errorOf(redis.call('lmpop', '0', '{l}a', 'LEFT'))).toBe('ERR numkeys should be greater than 0');
    expect(await errorOf(redis.call('lmpop', '1', '{l}a', 'LEFT', 'COUNT', '0'))).toBe('ERR count should be greater than 0');
    expect(await errorOf(redis.call('lmpop', '1', '{l}a', 'UP'))).toBe('ERR syntax error');
    expect(await errorOf(redis.call('lmove', 'a1', 'b2', 'LEFT', 'LEFT'))).toMatch(/CROSSSLOT/);
  });

  it('WRONGTYPE both ways', async () => {
    await redis.set('{l}str', 'v');
    for (const p of [redis.lpush('{l}str', 'x'), redis.llen('{l}str'), redis.lrange('{l}str', 0, 1), redis.blpop('{l}str', 0.01)]) {
      expect(await errorOf(p)).toBe(WRONGTYPE);
    }
    await redis.rpush('{l}lst', 'x');
    expect(await errorOf(redis.get('{l}lst'))).toBe(WRONGTYPE);
    expect(await errorOf(redis.lmove('{l}lst', '{l}str', 'LEFT', 'LEFT'))).toBe(WRONGTYPE);
    expect(await redis.lrange('{l}lst', 0, -1)).toEqual(['x']); // nothing moved
  });

  it('a list grows past its compact size and back; binary and integer elements read back exactly', async () => {
    const big = 'v'.repeat(1000);
    const many = Array.from({ length: 2000 }, (_, i) => (i % 3 === 0 ? String(i * 7919) : `${big}${i}`));
    expect(await redis.rpush('{l}big', ...many)).toBe(2000);
    expect(await redis.lrange('{l}big', 0, -1)).toEqual(many);
    expect(await redis.lindex('{l}big', 1234)).toBe(many[1234]);
    expect(await redis.lset('{l}big', 1500, 'mid')).toBe('OK');
    expect(await redis.ltrim('{l}big', 1499, 1501)).toBe('OK');
    expect(await redis.lrange('{l}big', 0, -1)).toEqual([many[1499], 'mid', many[1501]]);
    const binary = Buffer.from([0, 255, 13, 10, 0x30]);
    await redis.rpush('{l}bin', binary, '007', '-0', '9007199254740993');
    expect(await redis.lrangeBuffer('{l}bin', 0, -1)).toEqual([binary, Buffer.from('007'), Buffer.from('-0'), Buffer.from('9007199254740993')]);
  });
});

describe('blocking commands', () => {
  it('BLPOP waits and wakes promptly on a push from another connection', async () => {
    const blocked = await connection();
    const started = Date.now();
    const popped = blocked.blpop('{l}q1', '{l}q2', 0);
    await new Promise((r) => setTimeout(r, 150));
    await redis.rpush('{l}q2', 'hello');
    expect(await popped).toEqual(['{l}q2', 'hello']);
    expect(Date.now() - started).toBeLessThan(150 + 500);
    expect(await redis.exists('{l}q2')).toBe(0);
  });

  it('answers at once when a list has elements; times out with null', async () => {
    await redis.rpush('{l}ready', 'a', 'b');
    expect(await redis.brpop('{l}ready', 1)).toEqual(['{l}ready', 'b']);
    const started = Date.now();
    expect(await redis.blpop('{l}empty', 0.2)).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(await redis.blmove('{l}empty', '{l}x', 'LEFT', 'LEFT', 0.05)).toBeNull();
    expect(await redis.brpoplpush('{l}empty', '{l}x', 0.05)).toBeNull();
    expect(await redis.blmpop(0.05, 1, '{l}empty', 'LEFT')).toBeNull();
    expect(await errorOf(redis.call('blpop', '{l}empty', 'soon'))).toBe('ERR timeout is not a float or out of range');
    expect(await errorOf(redis.call('blpop', '{l}empty', '-1'))).toBe('ERR timeout is negative');
  });

  it('two waiters are served first come, first served', async () => {
    const first = await connection();
    const second = await connection();
    const a = first.blpop('{l}fifo', 5);
    await new Promise((r) => setTimeout(r, 50));
    const b = second.blpop('{l}fifo', 5);
    await new Promise((r) => setTimeout(r, 50));
    await redis.rpush('{l}fifo', 'one');
    expect(await a).toEqual(['{l}fifo', 'one']);
    await redis.rpush('{l}fifo', 'two');
    expect(await b).toEqual(['{l}fifo', 'two']);
  });

  it('BLMOVE, BRPOPLPUSH and BLMPOP wake too', async () => {
    const c = await connection();
    const moved = c.blmove('{l}bm', '{l}bmdst', 'RIGHT', 'LEFT', 5);
    await new Promise((r) => setTimeout(r, 50));
    await redis.lpush('{l}bm', 'm');
    expect(await moved).toBe('m');
    const moved2 = c.brpoplpush('{l}bm', '{l}bmdst', 5);
    await new Promise((r) => setTimeout(r, 50));
    await redis.lpush('{l}bm', 'n');
    expect(await moved2).toBe('n');
    expect(await redis.lrange('{l}bmdst', 0, -1)).toEqual(['n', 'm']);
    const mpopped = c.blmpop(5, 2, '{l}mp1', '{l}mp2', 'LEFT', 'COUNT', 2);
    await new Promise((r) => setTimeout(r, 50));
    await redis.rpush('{l}mp2', 'p', 'q', 'r');
    expect(await mpopped).toEqual(['{l}mp2', ['p', 'q']]);
  });

  it('a closed client\'s waiter is gone: the element stays for the next reader', async () => {
    const leaving = await connection();
    void leaving.blpop('{l}gone', 0).catch(() => {});
    await new Promise((r) => setTimeout(r, 50));
    leaving.disconnect();
    await new Promise((r) => setTimeout(r, 100));
    await redis.rpush('{l}gone', 'kept');
    await new Promise((r) => setTimeout(r, 150));
    expect(await redis.lrange('{l}gone', 0, -1)).toEqual(['kept']);
  });

  it('nothing pipelined after a blocked pop runs until it is answered, as in Redis', async () => {
    const raw = await RawClient.connect(node.respPort);
    try {
      raw.write(Buffer.concat([command('BLPOP', '{l}hold', '0'), command('SET', '{l}after', '1'), command('GET', '{l}after')]));
      await new Promise((r) => setTimeout(r, 150));
      expect(raw.receivedBytes).toBe(0);
      expect(await redis.get('{l}after')).toBeNull();
      await redis.rpush('{l}hold', 'v');
      const replies = '*2\r\n$7\r\n{l}hold\r\n$1\r\nv\r\n+OK\r\n$1\r\n1\r\n';
      expect(await raw.waitForText(replies)).toBe(replies);
      expect(await redis.get('{l}after')).toBe('1');
    } finally {
      raw.close();
    }
  });

  it('a client that half-closes while blocked gets the pop timed out; what it pipelined behind it never runs, as Redis frees it', async () => {
    const raw = await RawClient.connect(node.respPort);
    raw.write(Buffer.concat([command('BLPOP', '{l}fin', '0'), command('SET', '{l}fin-after', '1'), command('PING')]));
    await new Promise((r) => setTimeout(r, 100));
    raw.socket.end();
    await raw.closed;
    expect(raw.received.toString('latin1')).toBe('*-1\r\n');
    expect(await redis.get('{l}fin-after')).toBeNull();
  });

  it('a client that leaves while blocked: its waiter and the commands behind it are gone', async () => {
    const raw = await RawClient.connect(node.respPort);
    raw.write(Buffer.concat([command('BLPOP', '{l}left', '0'), command('SET', '{l}left-after', '1')]));
    await new Promise((r) => setTimeout(r, 100));
    raw.socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    await redis.rpush('{l}left', 'kept');
    await new Promise((r) => setTimeout(r, 150));
    expect(await redis.lrange('{l}left', 0, -1)).toEqual(['kept']);
    expect(await redis.get('{l}left-after')).toBeNull();
  });

  it('inside MULTI they do not block', async () => {
    const replies = await redis.multi().blpop('{l}txempty', 0).rpush('{l}txempty', 'v').brpop('{l}txempty', 0).exec();
    expect(replies).toEqual([[null, null], [null, 1], [null, ['{l}txempty', 'v']]]);
  });

  it('a push through a transaction wakes a waiter', async () => {
    const c = await connection();
    const popped = c.brpop('{l}txwake', 5);
    await new Promise((r) => setTimeout(r, 50));
    await redis.multi().rpush('{l}txwake', 'w').exec();
    expect(await popped).toEqual(['{l}txwake', 'w']);
  });
});

describe('exact replies (raw RESP2 and RESP3)', () => {
  it('BLPOP timeout is *-1 in RESP2 and _ in RESP3; LPOP nil shapes', async () => {
    const raw = await RawClient.connect(node.respPort);
    try {
      raw.write(command('BLPOP', '{l}raw', '0.05'));
      expect(await raw.waitForText('*-1\r\n')).toBe('*-1\r\n');
      raw.write(command('LPOP', '{l}raw'));
      expect((await raw.waitForText('*-1\r\n$-1\r\n')).slice(5)).toBe('$-1\r\n');
      raw.write(command('LPOP', '{l}raw', '1'));
      expect((await raw.waitForText('*-1\r\n$-1\r\n*-1\r\n')).slice(10)).toBe('*-1\r\n');
      raw.write(command('HELLO', '3'));
      await raw.waitFor((b) => b.toString('latin1').includes('modules'));
      const before = raw.receivedBytes;
      raw.write(command('BLPOP', '{l}raw', '0.05'));
      expect((await raw.waitForBytes(before + 3)).subarray(before).toString('latin1')).toBe('_\r\n');
    } finally {
      raw.close();
    }
  });
});

describe('lists over node-redis', () => {
  for (const RESP of [2, 3] as const) {
    it(`RESP${RESP}: commands, nil, WRONGTYPE and a blocking pop`, async () => {
      const client = createClient({ socket: { host: '127.0.0.1', port: node.respPort, reconnectStrategy: false }, RESP });
      const blocker = client.duplicate();
      await client.connect();
      await blocker.connect();
      try {
        const k = `{l}nr${RESP}`;
        expect(await client.rPush(k, ['a', 'b', 'c'])).toBe(3);
        expect(await client.lRange(k, 0, -1)).toEqual(['a', 'b', 'c']);
        expect(await client.lPopCount(k, 2)).toEqual(['a', 'b']);
        expect(await client.lPos(k, 'c')).toBe(0);
        expect(await client.lMove(k, `${k}d`, 'LEFT', 'RIGHT')).toBe('c');
        expect(await client.lPop(k)).toBeNull();
        await client.set(`${k}s`, 'v');
        await expect(client.lLen(`${k}s`)).rejects.toThrow(WRONGTYPE);
        expect(await client.blPop(k, 0.05)).toBeNull();
        const popped = blocker.brPop(k, 5);
        await new Promise((r) => setTimeout(r, 50));
        await client.lPush(k, 'z');
        expect(await popped).toEqual({ key: k, element: 'z' });
      } finally {
        client.destroy();
        blocker.destroy();
      }
    });
  }
});
