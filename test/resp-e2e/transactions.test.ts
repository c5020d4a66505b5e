// MULTI / EXEC / DISCARD / WATCH / UNWATCH against a real node (2 workers,
// one shard each), through ioredis, node-redis and raw RESP: queued replies,
// EXEC's one array, EXECABORT after a queuing error (nothing applied), a
// WATCH conflict from another connection (nil, nothing applied), runtime
// errors that leave the other commands applied, CROSSSLOT for keys on two
// shards, the queue's limit, and atomicity under two concurrent writers.
import type { RedisClientType } from 'redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TX_OPS_MAX } from '../../core/protocol/transaction.js';
import { slotOf } from '../../core/routing/slot-hash.js';
import { SlotMap } from '../../core/routing/slot-map.js';
import { command, connectNodeRedis, errorOf, RawClient, startRespNodeWithRedis, stopRespNodeWithRedis, type RespNode } from './resp-node.js';

let node: RespNode;
let redis: Redis;
/** The node runs 2 workers, one shard each. */
const slots = new SlotMap(2, 2);
const shardOf = (key: string): number => slots.shardOf(slotOf(Buffer.from(key)));

/** Another connection to the node. */
async function connectRedis(): Promise<Redis> {
  const other = new Redis({ port: node.respPort, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  await other.connect();
  return other;
}

/** Two keys with the prefix on different shards. */
function keysOnTwoShards(prefix: string): [string, string] {
  const a = `${prefix}:0`;
  for (let i = 1; ; i++) if (shardOf(`${prefix}:${i}`) !== shardOf(a)) return [a, `${prefix}:${i}`];
}

beforeAll(async () => { ({ node, redis } = await startRespNodeWithRedis()); });
afterAll(() => stopRespNodeWithRedis({ node, redis }));

describe('MULTI / EXEC over raw RESP', () => {
  it('answers +OK, +QUEUED per command, then one array of the replies', async () => {
    const raw = await RawClient.connect(node.respPort);
    try {
      raw.write(Buffer.concat([
        command('MULTI'), command('SET', '{raw}a', '1'), command('INCR', '{raw}a'), command('GET', '{raw}a'), command('PING'), command('EXEC'),
      ]));
      const expected = '+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*4\r\n+OK\r\n:2\r\n$1\r\n2\r\n+PONG\r\n';
      expect(await raw.waitForText(expected)).toBe(expected);
    } finally {
      raw.close();
    }
  });

  it('holds EXEC pipelined behind WATCH until the WATCH read answers', async () => {
    const raw = await RawClient.connect(node.respPort);
    try {
      raw.write(Buffer.concat([
        command('WATCH', '{hold}k'), command('MULTI'), command('SET', '{hold}k', 'v'), command('EXEC'), command('GET', '{hold}k'),
      ]));
      const expected = '+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n$1\r\nv\r\n';
      expect(await raw.waitForText(expected)).toBe(expected);
    } finally {
      raw.close();
    }
  });

  it('EXEC and DISCARD without MULTI, nested MULTI and WATCH inside MULTI get Redis errors', async () => {
    expect(await errorOf(redis.call('exec'))).toBe('ERR EXEC without MULTI');
    expect(await errorOf(redis.call('discard'))).toBe('ERR DISCARD without MULTI');
    const raw = await RawClient.connect(node.respPort);
    try {
      raw.write(Buffer.concat([
        command('MULTI'), command('MULTI'), command('WATCH', 'x'), command('SET', '{n}k', '1'), command('EXEC'),
      ]));
      // Neither nested MULTI nor WATCH marks the transaction: EXEC runs the SET.
      const expected = '+OK\r\n-ERR MULTI calls can not be nested\r\n-ERR WATCH inside MULTI is not allowed\r\n+QUEUED\r\n*1\r\n+OK\r\n';
      expect(await raw.waitForText(expected)).toBe(expected);
    } finally {
      raw.close();
    }
  });
});

describe('MULTI / EXEC through ioredis', () => {
  it('runs the queued commands as one and returns their replies; GET sees the writes before it', async () => {
    const result = await redis.multi().set('{io}a', '1').incr('{io}a').get('{io}a').incrby('{io}b', 5).exec();
    expect(result).toEqual([[null, 'OK'], [null, 2], [null, '2'], [null, 5]]);
    expect(await redis.mget('{io}a', '{io}b')).toEqual(['2', '5']);
  });

  it('EXECABORT after a queuing error (unknown command, wrong arity): nothing applied', async () => {
    const raw = await RawClient.connect(node.respPort);
    try {
      raw.write(Buffer.concat([
        command('MULTI'), command('SET', '{abort}k', '1'), command('NOSUCH'), command('GET'), command('EXEC'), command('EXISTS', '{abort}k'),
      ]));
      const received = await raw.waitFor((b) => b.toString('latin1').endsWith(':0\r\n'));
      const text = received.toString('latin1');
      expect(text).toContain('-ERR unknown command \'NOSUCH\'');
      expect(text).toContain("-ERR wrong number of arguments for 'get' command\r\n");
      expect(text.endsWith('-EXECABORT Transaction discarded because of previous errors.\r\n:0\r\n')).toBe(true);
    } finally {
      raw.close();
    }
  });

  it('a runtime error inside EXEC is that command\'s reply; the others apply', async () => {
    await redis.set('{rt}text', 'not a number');
    const result = await redis.multi().incr('{rt}text').set('{rt}after', 'yes').exec();
    expect(result![0]![0]).toBeInstanceOf(Error);
    expect((result![0]![0] as Error).message).toBe('ERR value is not an integer or out of range');
    expect(result![1]).toEqual([null, 'OK']);
    expect(await redis.get('{rt}after')).toBe('yes');
  });

  it('DISCARD drops the queue and the watched keys', async () => {
    const raw = await RawClient.connect(node.respPort);
    try {
      raw.write(Buffer.concat([command('MULTI'), command('SET', '{d}k', '1'), command('DISCARD'), command('EXISTS', '{d}k')]));
      const expected = '+OK\r\n+QUEUED\r\n+OK\r\n:0\r\n';
      expect(await raw.waitForText(expected)).toBe(expected);
    } finally {
      raw.close();
    }
  });

  it('WATCH: a key changed by another connection makes EXEC nil and applies nothing', async () => {
    const other = await connectRedis();
    try {
      await redis.set('{w}balance', '10');
      expect(await redis.watch('{w}balance', '{w}absent')).toBe('OK');
      expect(await redis.get('{w}balance')).toBe('10');
      await other.set('{w}balance', '99');
      const result = await redis.multi().set('{w}balance', '0').set('{w}log', 'spent').exec();
      expect(result).toBeNull();
      expect(await redis.mget('{w}balance', '{w}log')).toEqual(['99', null]);
      // EXEC forgot the watch: the same transaction now commits.
      expect(await redis.multi().set('{w}balance', '0').exec()).toEqual([[null, 'OK']]);
    } finally {
      other.disconnect();
    }
  });

  it('WATCH: a watched key that does not change, or a watched absent key created by another, decide as Redis', async () => {
    const other = await connectRedis();
    try {
      await redis.watch('{w2}same');
      expect(await redis.multi().set('{w2}same', 'mine').exec()).toEqual([[null, 'OK']]);
      await redis.watch('{w2}created');
      await other.set('{w2}created', 'theirs');
      expect(await redis.multi().set('{w2}created', 'mine').exec()).toBeNull();
      expect(await redis.get('{w2}created')).toBe('theirs');
      // UNWATCH forgets: the change no longer matters.
      await redis.watch('{w2}created');
      await other.set('{w2}created', 'again');
      expect(await redis.unwatch()).toBe('OK');
      expect(await redis.multi().set('{w2}created', 'mine').exec()).toEqual([[null, 'OK']]);
    } finally {
      other.disconnect();
    }
  });

  it('WATCH: a watched key that expires makes EXEC nil', async () => {
    await redis.set('{w3}k', 'v', 'PX', 50);
    await redis.watch('{w3}k');
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await redis.multi().set('{w3}other', 'x').exec()).toBeNull();
    expect(await redis.exists('{w3}other')).toBe(0);
  });

  it('keys on two shards: CROSSSLOT, nothing applied', async () => {
    const [a, b] = keysOnTwoShards('cross');
    const error = await errorOf(redis.multi().set(a, '1').set(b, '1').exec());
    expect(error).toContain("CROSSSLOT Keys in request don't hash to the same slot");
    expect(await redis.exists(a, b)).toBe(0);
    // A watched key counts too.
    await redis.watch(b);
    expect(await errorOf(redis.multi().set(a, '1').exec())).toContain('CROSSSLOT');
    expect(await redis.exists(a)).toBe(0);
  });

  it(`more than ${TX_OPS_MAX} queued commands: an error, then EXECABORT; nothing applied`, async () => {
    const raw = await RawClient.connect(node.respPort);
    try {
      const commands = [command('MULTI')];
      for (let i = 0; i <= TX_OPS_MAX; i++) commands.push(command('INCR', '{lim}n'));
      commands.push(command('EXEC'), command('EXISTS', '{lim}n'));
      raw.write(Buffer.concat(commands));
      const received = await raw.waitFor((b) => b.toString('latin1').endsWith(':0\r\n'));
      const text = received.toString('latin1');
      expect(text.split('+QUEUED\r\n').length - 1).toBe(TX_OPS_MAX);
      expect(text).toContain(`-ERR transaction holds more than ${TX_OPS_MAX} commands (the limit); it will be discarded\r\n`);
      expect(text.endsWith('-EXECABORT Transaction discarded because of previous errors.\r\n:0\r\n')).toBe(true);
    } finally {
      raw.close();
    }
  });

  it('DBSIZE and FLUSHDB inside MULTI are refused (they span every shard)', async () => {
    const raw = await RawClient.connect(node.respPort);
    try {
      raw.write(Buffer.concat([command('MULTI'), command('DBSIZE'), command('EXEC')]));
      const expected = '+OK\r\n-ERR DBSIZE inside MULTI is not supported: it spans every shard\r\n-EXECABORT Transaction discarded because of previous errors.\r\n';
      expect(await raw.waitForText(expected)).toBe(expected);
    } finally {
      raw.close();
    }
  });
});

describe('atomicity under concurrency', () => {
  it('two writers moving units between two keys in transactions: every transactional read sees the sum kept', async () => {
    const writers = [await connectRedis(), await connectRedis()];
    const reader = await connectRedis();
    try {
      await redis.mset('{pair}a', '0', '{pair}b', '0');
      let writing = true;
      const rounds = 150;
      const write = async (client: Redis, sign: number): Promise<void> => {
        for (let i = 0; i < rounds; i++) {
          await client.multi().incrby('{pair}a', sign).incrby('{pair}b', -sign).exec();
        }
      };
      const reads: number[] = [];
      const read = async (): Promise<void> => {
        while (writing) {
          const result = await reader.multi().get('{pair}a').get('{pair}b').exec();
          reads.push(Number(result![0]![1]) + Number(result![1]![1]));
          const [a, b] = await reader.mget('{pair}a', '{pair}b');
          reads.push(Number(a) + Number(b));
        }
      };
      const reading = read();
      await Promise.all([write(writers[0]!, 1), write(writers[1]!, 3)]);
      writing = false;
      await reading;
      expect(reads.length).toBeGreaterThan(10);
      expect(reads.every((sum) => sum === 0)).toBe(true);
      expect(await redis.mget('{pair}a', '{pair}b')).toEqual([String(rounds * 4), String(-rounds * 4)]);
    } finally {
      for (const c of [...writers, reader]) c.disconnect();
    }
  }, 60_000);
});

describe('node-redis', () => {
  let client: RedisClientType;
  beforeAll(async () => { client = await connectNodeRedis(node.respPort); });
  afterAll(async () => { await client.close(); });

  it('multi().set().incr().exec(): both applied, replies in one array (the issue\'s report, word for word)', async () => {
    expect(await client.multi().set('m', '1').incr('m').exec()).toEqual(['OK', 2]);
    expect(await client.get('m')).toBe('2');
    expect(await client.multi().set('{nr}m', '1').incr('{nr}m').get('{nr}m').exec()).toEqual(['OK', 2, '2']);
  });

  it('a WATCH conflict rejects exec() and applies nothing', async () => {
    const other = client.duplicate();
    other.on('error', () => {});
    await other.connect();
    try {
      await client.set('{nr}w', 'before');
      await client.watch('{nr}w');
      await other.set('{nr}w', 'theirs');
      await expect(client.multi().set('{nr}w', 'mine').exec()).rejects.toThrow();
      expect(await client.get('{nr}w')).toBe('theirs');
    } finally {
      await other.close();
    }
  });

  it('CROSSSLOT or a queuing error rejects exec() and applies nothing', async () => {
    const [a, b] = keysOnTwoShards('nrcross');
    await expect(client.multi().set(a, '1').set(b, '1').exec()).rejects.toThrow(/CROSSSLOT/);
    expect(await client.exists([a, b])).toBe(0);
    // node-redis rejects with the queuing error itself (the server's EXEC answered EXECABORT).
    await expect(client.multi().set('{nr}x', '1').addCommand(['NOSUCH']).exec()).rejects.toThrow(/unknown command 'NOSUCH'/);
    expect(await client.exists('{nr}x')).toBe(0);
  });
});

describe('commands of several requests, and RESP3', () => {
  it('DEL / EXISTS of several keys, MGET, SET GET and GETDEL inside MULTI reply as alone', async () => {
    await redis.mset('{many}a', '1', '{many}b', '2');
    const result = await redis.multi()
      .exists('{many}a', '{many}b', '{many}c')
      .mget('{many}a', '{many}b', '{many}c')
      .set('{many}a', 'new', 'GET')
      .del('{many}a', '{many}b', '{many}c')
      .getdel('{many}a')
      .mset('{many}x', '1', '{many}y', '2')
      .exec();
    expect(result).toEqual([[null, 2], [null, ['1', '2', null]], [null, '1'], [null, 2], [null, null], [null, 'OK']]);
  });

  it('RESP3 (HELLO 3): a WATCH conflict answers the RESP3 null', async () => {
    const raw = await RawClient.connect(node.respPort);
    const other = await connectRedis();
    try {
      raw.write(command('HELLO', '3'));
      await raw.waitFor((b) => b.includes('proto'));
      const before = raw.receivedBytes;
      raw.write(command('WATCH', '{r3}k'));
      await raw.waitForBytes(before + 5);
      await other.set('{r3}k', 'changed');
      raw.write(Buffer.concat([command('MULTI'), command('SET', '{r3}k', 'mine'), command('EXEC')]));
      const text = (await raw.waitFor((b) => b.subarray(before).toString('latin1').endsWith('_\r\n'))).subarray(before).toString('latin1');
      expect(text).toBe('+OK\r\n+OK\r\n+QUEUED\r\n_\r\n');
      expect(await other.get('{r3}k')).toBe('changed');
    } finally {
      raw.close();
      other.disconnect();
    }
  });

  it('MSETNX inside MULTI is that command\'s error at EXEC (two steps do not fit one entry); the others apply', async () => {
    const result = await redis.multi().msetnx('{nx}a', '1', '{nx}b', '2').set('{nx}c', '3').exec();
    expect((result![0]![0] as Error).message).toBe('ERR this command runs in two steps, which a transaction cannot hold');
    expect(result![1]).toEqual([null, 'OK']);
    expect(await redis.exists('{nx}a', '{nx}b')).toBe(0);
  });
});
