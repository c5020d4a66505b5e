// Sorted sets through the RESP door of a real node: every sorted-set command,
// WRONGTYPE, Redis's error texts and RESP2/RESP3 shapes, with ioredis and
// node-redis. Where redis-server is installed, each script runs against it
// too, through the same client, and the replies must be equal: Redis itself
// is the reference, not our reading of its documentation.

import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, startRespNode, type RespNode } from './resp-node.js';
import { REDIS_SERVER_INSTALLED, startReferenceRedis, type ReferenceRedis } from './zset-reference.js';

let node: RespNode;
let reference: ReferenceRedis | null = null;

beforeAll(async () => {
  node = await startRespNode();
  if (REDIS_SERVER_INSTALLED) reference = await startReferenceRedis();
}, 60_000);

afterAll(async () => {
  await node?.stop();
  await reference?.stop();
});

function ioredis(port: number, protocol: 2 | 3): Redis {
  return new Redis({ port, host: '127.0.0.1', protocol, lazyConnect: true, maxRetriesPerRequest: 0 });
}

/** A reply or its error text. */
async function outcome(r: Redis, cmd: (string | number)[]): Promise<unknown> {
  try {
    return await r.call(String(cmd[0]), ...cmd.slice(1).map(String));
  } catch (e) {
    return { error: (e as Error).message };
  }
}

const tag = (k: string): string => `{z}${k}`;

/** The script: every command, options, edge and error; keys share one hash tag (one shard). */
const SCRIPT: (string | number)[][] = [
  ['zadd', tag('a'), 1, 'one', 2, 'two', 3, 'three'],
  ['zadd', tag('a'), 'NX', 10, 'one', 4, 'four'],
  ['zadd', tag('a'), 'XX', 'CH', 5, 'one', 9, 'nine'],
  ['zadd', tag('a'), 'GT', 1, 'two', 7, 'three'],
  ['zadd', tag('a'), 'LT', 'CH', 0, 'three', 8, 'four'],
  ['zadd', tag('a'), 'INCR', 2.5, 'one'],
  ['zadd', tag('a'), 'NX', 'INCR', 2.5, 'one'],
  ['zadd', tag('a'), 'GT', 'INCR', -1, 'one'],
  ['zadd', tag('a'), 'XX', 'NX', 1, 'x'],
  ['zadd', tag('a'), 'GT', 'LT', 1, 'x'],
  ['zadd', tag('a'), 'GT', 'NX', 1, 'x'],
  ['zadd', tag('a'), 'INCR', 1, 'a', 2, 'b'],
  ['zadd', tag('a'), 1, 'x', 2],
  ['zadd', tag('a'), 'abc', 'x'],
  ['zadd', tag('a'), 'nan', 'x'],
  ['zadd', tag('a'), 'inf', 'pinf', '-inf', 'ninf', '1e3', 'sci'],
  ['zincrby', tag('a'), 1.5, 'two'],
  ['zincrby', tag('a'), 1, 'fresh'],
  ['zincrby', tag('a'), '-inf', 'pinf'],
  ['zincrby', tag('a'), 'x', 'two'],
  ['zadd', tag('a'), 'INCR', '-inf', 'pinf'],
  ['zscore', tag('a'), 'pinf'], ['zscore', tag('a'), 'ninf'], ['zscore', tag('a'), 'missing'], ['zscore', tag('none'), 'x'],
  ['zmscore', tag('a'), 'one', 'missing', 'two'], ['zmscore', tag('none'), 'a', 'b'],
  ['zcard', tag('a')], ['zcard', tag('none')],
  ['zrank', tag('a'), 'two'], ['zrevrank', tag('a'), 'two'], ['zrank', tag('a'), 'missing'], ['zrank', tag('none'), 'x'],
  ['zcount', tag('a'), '(1', '+inf'], ['zcount', tag('a'), '-inf', '(3.5'], ['zcount', tag('a'), 'x', 1], ['zcount', tag('a'), 5, 1],
  ['zrange', tag('a'), 0, -1, 'WITHSCORES'],
  ['zrange', tag('a'), 1, 2], ['zrange', tag('a'), -2, -1, 'REV'], ['zrange', tag('a'), 5, 1], ['zrange', tag('a'), 100, 200],
  ['zrange', tag('a'), '(1', 5, 'BYSCORE', 'LIMIT', 1, 2, 'WITHSCORES'],
  ['zrange', tag('a'), 5, '(1', 'BYSCORE', 'REV'],
  ['zrange', tag('a'), '-inf', '+inf', 'BYSCORE', 'LIMIT', -1, 2],
  ['zrange', tag('a'), '-inf', '+inf', 'BYSCORE', 'LIMIT', 2, -1],
  ['zrange', tag('a'), 0, -1, 'LIMIT', 0, 1],
  ['zrange', tag('a'), '-', '+', 'BYLEX', 'WITHSCORES'],
  ['zrange', tag('a'), 'a', 'b', 'BYLEX'],
  ['zrange', tag('a'), 'x', 1, 'BYSCORE'],
  ['zrange', tag('a'), 0, 1, 'FOO'],
  ['zrange', tag('a'), 'a', 1],
  ['zrange', tag('a'), 0, 1, 'LIMIT', 'x', 1],
  ['zrangebyscore', tag('a'), '-inf', '+inf', 'WITHSCORES', 'LIMIT', 2, 3],
  ['zrevrangebyscore', tag('a'), '+inf', '-inf', 'LIMIT', 0, 2],
  ['zrangebyscore', tag('a'), 1, 'x'],
  ['zrangebyscore', tag('a'), 0, 10, 'REV'],
  ['zrevrange', tag('a'), 0, 2, 'WITHSCORES'],
  ['zadd', tag('l'), 0, 'a', 0, 'b', 0, 'c', 0, 'd', 0, 'e'],
  ['zrangebylex', tag('l'), '[b', '(e'], ['zrevrangebylex', tag('l'), '+', '-', 'LIMIT', 1, 2],
  ['zrange', tag('l'), '[d', '-', 'BYLEX', 'REV'], ['zlexcount', tag('l'), '-', '+'], ['zlexcount', tag('l'), '(a', '[c'],
  ['zrangebylex', tag('l'), 'b', 'c'], ['zlexcount', tag('l'), '[a', 'c'],
  ['zrangestore', tag('dst'), tag('a'), 0, 1], ['zrange', tag('dst'), 0, -1, 'WITHSCORES'],
  ['zrangestore', tag('dst'), tag('a'), 3, 1, 'BYSCORE', 'REV', 'LIMIT', 0, 1], ['zrange', tag('dst'), 0, -1, 'WITHSCORES'],
  ['zrangestore', tag('dst'), tag('a'), 0, 1, 'WITHSCORES'],
  ['zrangestore', tag('dst'), tag('none'), 0, 1], ['exists', tag('dst')],
  ['zremrangebylex', tag('l'), '[a', '[b'], ['zremrangebyrank', tag('l'), 0, 0], ['zremrangebyrank', tag('l'), 'x', 0],
  ['zremrangebyscore', tag('a'), '-inf', '(0'], ['zremrangebyscore', tag('a'), 'x', 0], ['zremrangebylex', tag('a'), 'x', 'y'],
  ['zrange', tag('l'), 0, -1],
  ['zrem', tag('a'), 'nine', 'missing', 'sci'], ['zrem', tag('none'), 'x'],
  ['zpopmin', tag('a')], ['zpopmax', tag('a'), 2], ['zpopmin', tag('a'), 0], ['zpopmin', tag('a'), -1], ['zpopmin', tag('none')],
  ['zpopmin', tag('none'), 2], ['zpopmax', tag('a'), 1, 2],
  ['zadd', tag('b'), 1, 'one', 5, 'two', 7, 'six'],
  ['zrange', tag('a'), 0, -1, 'WITHSCORES'],
  ['zunion', 2, tag('a'), tag('b'), 'WITHSCORES'],
  ['zunion', 2, tag('a'), tag('b'), 'WEIGHTS', 2, 3, 'AGGREGATE', 'MAX', 'WITHSCORES'],
  ['zinter', 2, tag('a'), tag('b'), 'WITHSCORES'], ['zinter', 2, tag('a'), tag('b'), 'AGGREGATE', 'MIN'],
  ['zintercard', 2, tag('a'), tag('b')], ['zintercard', 2, tag('a'), tag('b'), 'LIMIT', 1], ['zintercard', 2, tag('a'), tag('none')],
  ['zdiff', 2, tag('a'), tag('b'), 'WITHSCORES'], ['zdiff', 1, tag('b')],
  ['zunionstore', tag('u'), 2, tag('a'), tag('b')], ['zrange', tag('u'), 0, -1, 'WITHSCORES'],
  ['zinterstore', tag('i'), 2, tag('a'), tag('b'), 'WEIGHTS', 1, -1, 'AGGREGATE', 'MIN'], ['zrange', tag('i'), 0, -1, 'WITHSCORES'],
  ['zdiffstore', tag('d'), 2, tag('a'), tag('b')], ['zrange', tag('d'), 0, -1, 'WITHSCORES'],
  ['zinterstore', tag('i'), 2, tag('a'), tag('none')], ['exists', tag('i')],
  ['zunion', 0, tag('a')], ['zunion', 3, tag('a')], ['zunion', 'x', tag('a')], ['zunionstore', tag('u'), 0, tag('a')],
  ['zinter', 2, tag('a'), tag('b'), 'WEIGHTS', 1], ['zunion', 2, tag('a'), tag('b'), 'WEIGHTS', 1, 'x'],
  ['zunion', 2, tag('a'), tag('b'), 'AGGREGATE', 'AVG'], ['zdiff', 2, tag('a'), tag('b'), 'WEIGHTS', 1, 1],
  ['zunionstore', tag('u'), 2, tag('a'), tag('b'), 'WITHSCORES'],
  ['zintercard', 0, tag('a')], ['zintercard', 2, tag('a'), tag('b'), 'LIMIT', -1], ['zintercard', 1, tag('a'), 'WITHSCORES'],
  ['zmpop', 2, tag('none'), tag('b'), 'MIN', 'COUNT', 2], ['zmpop', 1, tag('none'), 'MAX'], ['zmpop', 1, tag('b'), 'MAX', 'COUNT', 5],
  ['zmpop', 0, tag('b'), 'MIN'], ['zmpop', 1, tag('b'), 'LEFT'], ['zmpop', 1, tag('b'), 'MIN', 'COUNT', 0], ['zmpop', 5, tag('b'), 'MIN'],
  ['set', tag('s'), 'text'],
  ['zadd', tag('s'), 1, 'a'], ['zrange', tag('s'), 0, -1], ['zscore', tag('s'), 'a'], ['zincrby', tag('s'), 1, 'a'], ['zrem', tag('s'), 'a'],
  ['zpopmin', tag('s')], ['zunion', 2, tag('a'), tag('s')], ['zmpop', 1, tag('s'), 'MIN'], ['zrandmember', tag('s')], ['zscan', tag('s'), 0],
  ['zunionstore', tag('s'), 1, tag('a')], ['type', tag('s')], ['zrange', tag('s'), 0, -1, 'WITHSCORES'],
  ['zrandmember', tag('none')], ['zrandmember', tag('none'), 5], ['zrandmember', tag('a'), 0], ['zrandmember', tag('a'), 'x'],
  ['zrandmember', tag('a'), 1, 'FOO'],
  ['zadd', tag('one'), 4, 'only'], ['zrandmember', tag('one')], ['zrandmember', tag('one'), -3, 'WITHSCORES'], ['zrandmember', tag('one'), 5],
  ['zscan', tag('one'), 0], ['zscan', tag('one'), 0, 'MATCH', 'x*'], ['zscan', tag('one'), 0, 'COUNT', 0], ['zscan', tag('one'), 'x'],
  ['zscan', tag('none'), 0], ['zscan', tag('one'), 0, 'FOO', 1],
  ['type', tag('a')], ['type', tag('none')], ['object', 'encoding', tag('a')],
];

/** The same over a large set (past 128 members, and a member past 64 bytes): a skiplist in Redis, the large form here. */
const LARGE_SCRIPT: (string | number)[][] = [
  ['zadd', tag('big'), ...Array.from({ length: 300 }, (_, i) => [i % 50, `m${i}`]).flat()],
  ['object', 'encoding', tag('big')], ['zcard', tag('big')], ['zrange', tag('big'), 100, 105, 'WITHSCORES'], ['zrank', tag('big'), 'm77'], ['zrevrank', tag('big'), 'm77'],
  ['zcount', tag('big'), 10, '(20'], ['zrangebyscore', tag('big'), '(48', '+inf', 'WITHSCORES', 'LIMIT', 3, 4],
  ['zrange', tag('big'), 10, 5, 'BYSCORE', 'REV', 'LIMIT', 2, 3],
  ['zadd', tag('big'), 'XX', 'CH', 1000, 'm0', 1, 'new'], ['zincrby', tag('big'), -2000, 'm1'], ['zrange', tag('big'), 0, 2, 'WITHSCORES'],
  ['zrem', tag('big'), 'm2', 'm3', 'm4'], ['zpopmax', tag('big'), 3], ['zpopmin', tag('big')],
  ['zremrangebyscore', tag('big'), 10, 19], ['zremrangebyrank', tag('big'), -10, -1], ['zcard', tag('big')],
  ['zrangestore', tag('big2'), tag('big'), 0, 200], ['zcard', tag('big2')], ['zrange', tag('big2'), -3, -1, 'WITHSCORES'],
  ['zadd', tag('long'), 1, 'L'.repeat(65), 2, 'short'], ['object', 'encoding', tag('long')], ['zrange', tag('long'), 0, -1, 'WITHSCORES'], ['zrank', tag('long'), 'short'],
  ['zunionstore', tag('ub'), 2, tag('big'), tag('long'), 'WEIGHTS', 1, 10], ['zrange', tag('ub'), -2, -1, 'WITHSCORES'],
  ['zinter', 2, tag('big'), tag('big2'), 'AGGREGATE', 'MAX', 'WITHSCORES'], ['zintercard', 2, tag('big'), tag('big2'), 'LIMIT', 7],
  ['zmpop', 2, tag('big'), tag('long'), 'MAX', 'COUNT', 2], ['zremrangebyrank', tag('big'), 0, -1], ['exists', tag('big')],
];

describe.skipIf(!REDIS_SERVER_INSTALLED)('replies equal redis-server\'s, command by command', () => {
  for (const protocol of [2, 3] as const) {
    it(`ioredis over RESP${protocol}: compact sets`, async () => {
      await compareScripts(protocol, SCRIPT, `r${protocol}:`);
    }, 30_000);
    it(`ioredis over RESP${protocol}: large sets`, async () => {
      await compareScripts(protocol, LARGE_SCRIPT, `L${protocol}:`);
    }, 30_000);
  }
});

async function compareScripts(protocol: 2 | 3, script: (string | number)[][], prefix: string): Promise<void> {
  const ours = ioredis(node.respPort, protocol);
  const theirs = ioredis(reference!.port, protocol);
  await ours.connect();
  await theirs.connect();
  try {
    for (const cmd of script) {
      // Keys get a per-run prefix inside the hash tag, so runs do not share keys.
      const c = cmd.map((a) => (typeof a === 'string' && a.startsWith('{z}') ? `{z}${prefix}${a.slice(3)}` : a));
      const got = await outcome(ours, c);
      const want = await outcome(theirs, c);
      expect(got, JSON.stringify(c)).toEqual(want);
    }
  } finally {
    ours.disconnect();
    theirs.disconnect();
  }
}

describe('sorted sets through clients', () => {
  it('ioredis (RESP3 by default): shapes, random picks, SCAN of a large set, WRONGTYPE', async () => {
    const r = ioredis(node.respPort, 3);
    await r.connect();
    try {
      expect(await r.zadd('c:z', 1, 'a', 2.5, 'b', 3, 'c')).toBe(3);
      // ioredis lays WITHSCORES flat in RESP3 too (node-redis below reads the nested pairs).
      expect(await r.call('zrange', 'c:z', 0, -1, 'WITHSCORES')).toEqual(['a', '1', 'b', '2.5', 'c', '3']);
      expect(await r.zscore('c:z', 'b')).toBe('2.5');
      expect(await r.call('zpopmin', 'c:z')).toEqual(['a', '1']);
      // Redis 7.2's WITHSCORE (the reference server is 7.0, so checked here alone).
      expect(await r.call('zrank', 'c:z', 'c', 'WITHSCORE')).toEqual([1, '3']);
      expect(await r.call('zrevrank', 'c:z', 'nope', 'WITHSCORE')).toBeNull();
      expect(await errorOf(r.call('zrank', 'c:z', 'c', 'WITHSCORES'))).toBe('ERR syntax error');
      // ZRANDMEMBER with a negative count repeats; a positive one never does.
      const picks = await r.zrandmember('c:z', -20) as string[];
      expect(picks).toHaveLength(20);
      expect(new Set(picks).size).toBeLessThanOrEqual(2);
      expect((await r.zrandmember('c:z', 5) as string[]).sort()).toEqual(['b', 'c']);
      // A large set scans page by page; every member comes at least once.
      const members = Array.from({ length: 1000 }, (_, i) => `m${i}`);
      await r.zadd('c:big', ...members.flatMap((m, i) => [i, m]));
      const seen = new Set<string>();
      let cursor = '0';
      let pages = 0;
      do {
        const [next, items] = await r.zscan('c:big', cursor, 'COUNT', 50);
        for (let i = 0; i < items.length; i += 2) {
          seen.add(items[i]!);
          expect(Number(items[i + 1])).toBe(Number(items[i]!.slice(1)));
        }
        cursor = next;
        pages++;
      } while (cursor !== '0');
      expect(seen.size).toBe(1000);
      expect(pages).toBeGreaterThan(5);
      const matched = await r.zscan('c:big', 0, 'MATCH', 'm99*', 'COUNT', 10_000);
      expect(matched[0]).toBe('0');
      expect(matched[1].filter((_, i) => i % 2 === 0).sort()).toEqual(['m99', 'm990', 'm991', 'm992', 'm993', 'm994', 'm995', 'm996', 'm997', 'm998', 'm999']);
      const randomBig = await r.call('zrandmember', 'c:big', 5, 'WITHSCORES') as string[];
      expect(randomBig).toHaveLength(10);
      for (let i = 0; i < 10; i += 2) expect(Number(randomBig[i + 1])).toBe(Number(randomBig[i]!.slice(1)));
      expect(new Set(randomBig.filter((_, i) => i % 2 === 0)).size).toBe(5);
      await r.set('c:s', 'x');
      expect(await errorOf(r.zadd('c:s', 1, 'a'))).toBe('WRONGTYPE Operation against a key holding the wrong kind of value');
      expect(await r.type('c:big')).toBe('zset');
    } finally {
      r.disconnect();
    }
  }, 30_000);

  for (const RESP of [2, 3] as const) {
    it(`node-redis over RESP${RESP}: its typed sorted-set commands`, async () => {
      const client = createClient({ socket: { host: '127.0.0.1', port: node.respPort, reconnectStrategy: false }, RESP });
      client.on('error', () => {});
      await client.connect();
      try {
        const k = `nr${RESP}:z`;
        expect(await client.zAdd(k, [{ score: 1, value: 'a' }, { score: 2, value: 'b' }, { score: -Infinity, value: 'low' }])).toBe(3);
        expect(await client.zRangeWithScores(k, 0, -1)).toEqual([{ value: 'low', score: -Infinity }, { value: 'a', score: 1 }, { value: 'b', score: 2 }]);
        expect(await client.zScore(k, 'b')).toBe(2);
        expect(await client.zIncrBy(k, 0.5, 'a')).toBe(1.5);
        expect(await client.zRank(k, 'a')).toBe(1);
        expect(await client.zmScore(k, ['a', 'zz'])).toEqual([1.5, null]);
        expect(await client.zCount(k, 0, '+inf')).toBe(2);
        expect(await client.zRange(k, '+inf', 0, { BY: 'SCORE', REV: true })).toEqual(['b', 'a']);
        expect(await client.zPopMax(k)).toEqual({ value: 'b', score: 2 });
        expect(await client.zPopMinCount(k, 5)).toEqual([{ value: 'low', score: -Infinity }, { value: 'a', score: 1.5 }]);
        expect(await client.exists(k)).toBe(0);
        await client.zAdd(`{${k}}x`, [{ score: 1, value: 'p' }, { score: 2, value: 'q' }]);
        await client.zAdd(`{${k}}y`, [{ score: 10, value: 'q' }]);
        expect(await client.zUnionWithScores([`{${k}}x`, `{${k}}y`])).toEqual([{ value: 'p', score: 1 }, { value: 'q', score: 12 }]);
        expect(await client.zInterCard([`{${k}}x`, `{${k}}y`])).toBe(1);
        expect(await client.zmPop([`{${k}}none`, `{${k}}x`], 'MIN', { COUNT: 1 })).toEqual({ key: `{${k}}x`, members: [{ value: 'p', score: 1 }] });
        expect(await client.zRandMemberCountWithScores(`{${k}}y`, 1)).toEqual([{ value: 'q', score: 10 }]);
        await client.set(`{${k}}s`, 'text');
        await expect(client.zAdd(`{${k}}s`, { score: 1, value: 'a' })).rejects.toThrow('WRONGTYPE Operation against a key holding the wrong kind of value');
      } finally {
        await client.close();
      }
    }, 30_000);
  }

  it('a range too large for one frame answers an error, not a broken reply', async () => {
    const small = await startRespNode(['--key-bytes-max', '1024', '--value-bytes-max', '1024', '--frame-bytes-max', '4096']);
    const r = ioredis(small.respPort, 2);
    await r.connect();
    try {
      const member = 'x'.repeat(60);
      for (let i = 0; i < 20; i++) await r.zadd('big', ...Array.from({ length: 20 }, (_, j) => [String(i * 20 + j), `${member}${i * 20 + j}`]).flat());
      const message = await errorOf(r.call('zrange', 'big', '0', '-1'));
      expect(message).toMatch(/reply would exceed .* bytes/);
      expect(await r.zcard('big')).toBe(400);
    } finally {
      r.disconnect();
      await small.stop();
    }
  }, 30_000);
});

describe.skipIf(!REDIS_SERVER_INSTALLED)('RESP3 shapes, as redis-cli -3 prints them, equal redis-server\'s', () => {
  const SHAPES: string[][] = [
    ['zadd', 'shape', '1', 'a', '2.5', 'b', 'inf', 'c'],
    ['zscore', 'shape', 'b'], ['zscore', 'shape', 'c'], ['zincrby', 'shape', '0.25', 'a'], ['zmscore', 'shape', 'a', 'zz'],
    ['zrange', 'shape', '0', '-1', 'WITHSCORES'], ['zrangebyscore', 'shape', '-inf', '+inf', 'WITHSCORES'],
    ['zpopmin', 'shape'], ['zpopmax', 'shape', '1'], ['zadd', 'shape', 'INCR', '1', 'b'],
    ['zunion', '1', 'shape', 'WITHSCORES'], ['zrandmember', 'shape', '1', 'WITHSCORES'], ['zmpop', '1', 'shape', 'MIN'],
    ['zscan', 'shape', '0'], ['zrank', 'shape', 'nope'],
  ];
  it('doubles are `,` and WITHSCORES pairs are nested', () => {
    const cli = (port: number, cmd: string[]): string =>
      spawnSync('redis-cli', ['-3', '--no-raw', '-p', String(port), ...cmd], { encoding: 'utf8', timeout: 5_000 }).stdout;
    const outputs: string[] = [];
    for (const cmd of SHAPES) {
      const ours = cli(node.respPort, cmd);
      expect(ours, cmd.join(' ')).toBe(cli(reference!.port, cmd));
      outputs.push(ours);
    }
    expect(outputs[1]).toBe('(double) 2.5\n');
    expect(outputs[5]).toBe('1) 1) "a"\n   2) (double) 1.25\n2) 1) "b"\n   2) (double) 2.5\n3) 1) "c"\n   2) (double) inf\n');
  });
});
