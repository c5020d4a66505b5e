// SORT on a 3-node replicated cluster (real processes on loopback) through
// ioredis Cluster: hash-tagged collections in every group sorted BY a
// weight key and a hash field with GET patterns, SORT ... STORE (a write
// through the group's log, read back with LRANGE through another node), and
// Redis Cluster's refusals: a BY / GET pattern whose keys may be in another
// slot, and CROSSSLOT for a destination in another group (from a plain
// connection, which the node answers itself).
// Needs `npm run build` (the nodes run bin/piccolo.js).

import { Cluster } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { groupOfKey } from '../cluster/cluster-nodes.js';
import { clusterWithIoredis } from '../cluster/ioredis-cluster-fixture.js';

const GROUPS = 3;
const BY_DENIED = 'BY option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots.';
const fixture = clusterWithIoredis(['--groups', String(GROUPS)]);
let client: Cluster;
let other: Cluster;

const groupOf = (key: string): number => groupOfKey(key, GROUPS);

beforeAll(() => {
  client = fixture.client(0);
  other = fixture.client(2);
});

describe('SORT on a 3-node cluster', () => {
  it('in every group: BY a weight key and a hash field, GET, STORE read back through another node', async () => {
    const tags = ['a', 'b', 'c', 'd', 'e', 'f'];
    expect(new Set(tags.map((t) => groupOf(`{${t}}`))).size).toBe(GROUPS);
    for (const t of tags) {
      await client.rpush(`{${t}}ids`, '1', '2', '3');
      await client.mset(`{${t}}w_1`, '3', `{${t}}w_2`, '1', `{${t}}w_3`, '2');
      await client.hset(`{${t}}o_1`, 'name', 'one');
      await client.hset(`{${t}}o_3`, 'name', 'three');
      expect(await client.sort(`{${t}}ids`, 'BY', `{${t}}w_*`, 'GET', '#', 'GET', `{${t}}o_*->name`))
        .toEqual(['2', null, '3', 'three', '1', 'one']);
      expect(await client.call('SORT_RO', `{${t}}ids`, 'BY', `{${t}}w_*`, 'DESC')).toEqual(['1', '3', '2']);
      expect(await client.sort(`{${t}}ids`, 'BY', `{${t}}w_*`, 'STORE', `{${t}}sorted`)).toBe(3);
      expect(await other.lrange(`{${t}}sorted`, 0, -1)).toEqual(['2', '3', '1']);
    }
  });

  it('a set and a sorted set, ALPHA and LIMIT', async () => {
    await client.sadd('{s}fruit', 'pear', 'apple', 'fig', 'kiwi');
    expect(await client.sort('{s}fruit', 'LIMIT', 1, 2, 'ALPHA')).toEqual(['fig', 'kiwi']);
    await client.zadd('{s}z', 2, 'x', 1, 'y');
    expect(await client.sort('{s}z', 'BY', 'nosort')).toEqual(['y', 'x']);
  });

  it('a pattern without the key\'s hash tag is refused; a destination in another group is CROSSSLOT', async () => {
    await client.rpush('{p}l', '1', '2');
    await expect(client.sort('{p}l', 'BY', 'w_*')).rejects.toThrow(BY_DENIED);
    let destination = 'sorted-0';
    for (let i = 1; groupOf(destination) === groupOf('{p}l'); i++) destination = `sorted-${i}`;
    // A cluster client may refuse keys of two slots itself; a plain connection gets the node's own refusal.
    const plain = client.nodes('master')[0]!.duplicate();
    try {
      const refusal = await plain.sort('{p}l', 'STORE', destination).catch((e: Error) => e.message);
      expect(String(refusal)).toMatch(/^(CROSSSLOT|MOVED)/);
    } finally {
      plain.disconnect();
    }
    expect(await client.exists(destination)).toBe(0);
  });
});
