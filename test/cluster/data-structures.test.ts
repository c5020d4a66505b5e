// Data structures on a 3-node replicated cluster (real processes on
// loopback), through the clients Redis users have: ioredis Cluster and
// node-redis's createCluster. Hashes and lists in every group, a hash grown
// past its compact form, a transaction of data commands on hash-tagged keys,
// sets and sorted sets (their multi-key forms on hash-tagged keys, a set
// as ZUNIONSTORE input, SORT ... STORE), node-redis MULTI/EXEC on a
// cluster, a blocking pop woken by a push, WRONGTYPE, RENAME of a hash between two
// groups (DUMP + RESTORE, forwarded), and CROSSSLOT for a multi-key command
// whose keys live in two groups.
// Needs `npm run build` (the nodes run bin/piccolo.js).

import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { beforeAll, describe, expect, it } from 'vitest';
import { groupOfKey, type TestCluster } from './cluster-nodes.js';
import { clusterWithIoredis } from './ioredis-cluster-fixture.js';

const GROUPS = 3;
const fixture = clusterWithIoredis(['--groups', String(GROUPS)]);
let cluster: TestCluster;
let client: Cluster;

const groupOf = (key: string): number => groupOfKey(key, GROUPS);
/** A key named `${prefix}-<n>` in another group than `other`. */
function keyInOtherGroup(prefix: string, other: string): string {
  for (let i = 0; ; i++) if (groupOf(`${prefix}-${i}`) !== groupOf(other)) return `${prefix}-${i}`;
}

beforeAll(() => {
  cluster = fixture.cluster;
  client = fixture.client(0);
});

describe('data structures on a 3-node cluster', () => {
  it('ioredis Cluster: hashes and lists in every group, and a hash past its compact form', async () => {
    for (let i = 0; i < 12; i++) {
      expect(await client.hset(`user:${i}`, 'name', `n${i}`, 'visits', '1')).toBe(2);
      expect(await client.hincrby(`user:${i}`, 'visits', i)).toBe(1 + i);
      expect(await client.rpush(`log:${i}`, 'a', 'b', 'c')).toBe(3);
    }
    expect(new Set(Array.from({ length: 12 }, (_, i) => groupOf(`user:${i}`))).size).toBe(GROUPS);
    expect(await client.hgetall('user:5')).toEqual({ name: 'n5', visits: '6' });
    expect(await client.lrange('log:7', 0, -1)).toEqual(['a', 'b', 'c']);
    expect(await client.lpop('log:7')).toBe('a');
    const fields: string[] = [];
    for (let i = 0; i < 300; i++) fields.push(`f${i}`, `v${i}`);
    expect(await client.hset('big', ...fields)).toBe(300);
    expect(await client.object('ENCODING', 'big')).toBe('hashtable');
    expect(await client.hlen('big')).toBe(300);
    expect(await client.hget('big', 'f299')).toBe('v299');
    expect(await client.type('big')).toBe('hash');
    await expect(client.get('big')).rejects.toThrow(/WRONGTYPE/);
  });

  it('MULTI/EXEC of data commands on hash-tagged keys applies as one', async () => {
    const result = await client.multi().hset('{cart}items', 'apple', '3').rpush('{cart}events', 'added').hincrby('{cart}items', 'apple', 2)
      .lrange('{cart}events', 0, -1).exec();
    expect(result).toEqual([[null, 1], [null, 1], [null, 5], [null, ['added']]]);
  });

  it('BLPOP on one client is woken by RPUSH from another', async () => {
    const other = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[2]!.node.respPort! }]);
    try {
      const popped = client.blpop('jobs', 5);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await other.rpush('jobs', 'job-1');
      expect(await popped).toEqual(['jobs', 'job-1']);
    } finally {
      other.disconnect();
    }
  });

  it('RENAME moves a hash to a key of another group; LMOVE across groups is CROSSSLOT', async () => {
    await client.hset('from-hash', 'a', '1', 'b', '2');
    const target = keyInOtherGroup('to-hash', 'from-hash');
    expect(await client.rename('from-hash', target)).toBe('OK');
    expect(await client.exists('from-hash')).toBe(0);
    expect(await client.hgetall(target)).toEqual({ a: '1', b: '2' });
    const source = 'src-list';
    await client.rpush(source, 'x');
    const destination = keyInOtherGroup('dst-list', source);
    // A cluster client refuses keys of two slots itself; a plain connection gets the node's refusal.
    const node = client.nodes('master')[0]!.duplicate();
    try {
      const refusal = await node.lmove(source, destination, 'LEFT', 'RIGHT').catch((e: Error) => e.message);
      expect(String(refusal)).toMatch(/CROSSSLOT|MOVED/);
    } finally {
      node.disconnect();
    }
    expect(await client.lrange(source, 0, -1)).toEqual(['x']);
  });

  it('ioredis Cluster: sets and sorted sets in every group, their multi-key forms on hash-tagged keys, SORT', async () => {
    for (let i = 0; i < 12; i++) {
      expect(await client.sadd(`tags:${i}`, 'a', 'b', String(i))).toBe(3);
      expect(await client.zadd(`rank:${i}`, 1, 'x', 2, 'y', i, 'z')).toBe(3);
    }
    expect(new Set(Array.from({ length: 12 }, (_, i) => groupOf(`rank:${i}`))).size).toBe(GROUPS);
    expect(await client.smismember('tags:4', 'a', '4', 'q')).toEqual([1, 1, 0]);
    expect(await client.zrange('rank:7', '0', '-1', 'WITHSCORES')).toEqual(['x', '1', 'y', '2', 'z', '7']);
    expect(await client.zrangebyscore('rank:7', '(1', '+inf')).toEqual(['y', 'z']);
    await client.sadd('{s}one', 'a', 'b', 'c');
    await client.sadd('{s}two', 'b', 'c', 'd');
    expect((await client.sinter('{s}one', '{s}two')).sort()).toEqual(['b', 'c']);
    expect(await client.sunionstore('{s}all', '{s}one', '{s}two')).toBe(4);
    await client.zadd('{s}z', 5, 'b', 1, 'q');
    // A plain set is a sorted set of score 1 to ZUNIONSTORE.
    expect(await client.zunionstore('{s}zu', 2, '{s}one', '{s}z')).toBe(4);
    expect(await client.zrange('{s}zu', '0', '-1', 'WITHSCORES')).toEqual(['a', '1', 'c', '1', 'q', '1', 'b', '6']);
    await client.rpush('{s}nums', '3', '1', '2');
    expect(await client.sort('{s}nums')).toEqual(['1', '2', '3']);
    expect(await client.sort('{s}nums', 'DESC', 'STORE', '{s}sorted')).toBe(3);
    expect(await client.lrange('{s}sorted', 0, -1)).toEqual(['3', '2', '1']);
  });

  it('node-redis createCluster: MULTI/EXEC and WATCH on hash-tagged keys', async () => {
    const redis = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${cluster.nodes[2]!.node.respPort!}` }] });
    await redis.connect();
    try {
      const replies = await redis.multi('{nr}').sAdd('{nr}set', ['a', 'b']).zAdd('{nr}z', [{ score: 2, value: 'm' }])
        .hSet('{nr}h', 'f', 'v').zIncrBy('{nr}z', 3, 'm').exec();
      expect(replies).toEqual([2, 1, 1, 5]);
      expect(await redis.zScore('{nr}z', 'm')).toBe(5);
      expect(await redis.sMembers('{nr}set').then((m) => m.sort())).toEqual(['a', 'b']);
    } finally {
      await redis.quit();
    }
  });

  it('node-redis createCluster: hashes and lists', async () => {
    const redis = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${cluster.nodes[1]!.node.respPort!}` }] });
    await redis.connect();
    try {
      expect(await redis.hSet('nr:h', { a: '1', b: '2' })).toBe(2);
      expect(await redis.hGetAll('nr:h')).toEqual({ a: '1', b: '2' });
      expect(await redis.lPush('nr:l', ['x', 'y'])).toBe(2);
      expect(await redis.lRange('nr:l', 0, -1)).toEqual(['y', 'x']);
      expect(await redis.hIncrBy('nr:h', 'a', 41)).toBe(42);
    } finally {
      await redis.quit();
    }
  });
});
