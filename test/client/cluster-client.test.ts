// The typed client against a real 3-node cluster (connectCluster): it reads
// the slot -> leader map from the node it is given, sends each request to
// its key's leader (so it ends up connected to every node that leads a
// group), and after the leader of a group is killed it finds the new leader
// and keeps serving that group's keys without the caller retrying. Real
// processes on loopback; needs `npm run build`.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectCluster, type PiccoloClient } from '../../client/index.js';
import { clusterReady, startCluster, until, type TestCluster } from '../cluster/cluster-nodes.js';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster(3, ['--groups', '3', '--workers', '1']);
  await clusterReady(cluster, 15_000);
  // Leaders settle on their preferred nodes (one group each) before the map is read.
  await until(async () => {
    const map = await (await fetch(`${cluster.nodes[0]!.node.baseUrl}/v1/cluster`)).json() as { groups: { leader: number }[] };
    return new Set(map.groups.map((g) => g.leader)).size === 3;
  }, 'one leader per node', 15_000);
}, 50_000);
afterAll(async () => { await cluster?.stopAll(); });

const connections = async (baseUrl: string): Promise<number> =>
  ((await (await fetch(`${baseUrl}/healthz`)).json()) as { connections: number }).connections;

const KEYS = Array.from({ length: 30 }, (_, i) => `typed-${i}`);

it('GET /v1/cluster gives every group\'s slots and leader endpoint', async () => {
  const map = await (await fetch(`${cluster.nodes[1]!.node.baseUrl}/v1/cluster`)).json() as {
    groups: { slots: [number, number]; leader: number; leaderHttp: string }[];
  };
  expect(map.groups.map((g) => g.slots[0])).toEqual([0, expect.any(Number), expect.any(Number)]);
  for (const group of map.groups) {
    expect(group.leaderHttp).toBe(new URL(cluster.nodes[group.leader - 1]!.node.baseUrl).host);
  }
});

it('writes through one node\'s map and reads through another\'s, each request going to its leader', async () => {
  const before = await Promise.all(cluster.nodes.map((n) => connections(n.node.baseUrl)));
  const writer = await connectCluster(cluster.nodes[1]!.node.wsUrl);
  const reader = await connectCluster(cluster.nodes[2]!.node.wsUrl, { format: 'json' });
  try {
    for (const [i, key] of KEYS.entries()) await writer.set(key, `v${i}`);
    for (const [i, key] of KEYS.entries()) expect(await reader.getString(key)).toBe(`v${i}`);
    expect((await reader.mget(KEYS)).map((e) => (e ? new TextDecoder().decode(e.value) : null))).toEqual(KEYS.map((_, i) => `v${i}`));
    // Each client holds a connection to every leader (three nodes), not only to the node it was given.
    const after = await Promise.all(cluster.nodes.map((n) => connections(n.node.baseUrl)));
    after.forEach((count, i) => expect(count - before[i]!).toBeGreaterThanOrEqual(2));
    expect(await writer.count()).toBeGreaterThanOrEqual(KEYS.length); // keyless: the node covers the whole cluster
  } finally {
    await writer.close();
    await reader.close();
  }
});

it('after the leader of a group is killed, the client finds the new leader and serves its keys', async () => {
  const client: PiccoloClient = await connectCluster(cluster.nodes[1]!.node.wsUrl);
  try {
    for (const key of KEYS) await client.get(key); // connected to every leader
    cluster.nodes[0]!.node.process.kill('SIGKILL');
    const started = Date.now();
    for (const [i, key] of KEYS.entries()) {
      expect(await client.getString(key)).toBe(`v${i}`);
      await client.set(key, `after-${i}`);
    }
    expect(Date.now() - started).toBeLessThan(10_000);
    for (const [i, key] of KEYS.entries()) expect(await client.getString(key)).toBe(`after-${i}`);
  } finally {
    await client.close();
  }
}, 30_000);
