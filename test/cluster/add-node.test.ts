// `piccolo cluster add-node` on a running 3-node cluster with data and a
// write load: node 4 starts with --join, the cluster learns its address,
// learners on it catch up (snapshot and log) and are promoted, replicas on
// busier nodes are removed, and node 4 ends with its share (2 of 9
// replicas) and serves the old data through Redis Cluster clients
// (ioredis Cluster, redis-cli -c). No acknowledged write is lost. Real
// processes on loopback; needs `npm run build`.

import { Cluster } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startNode, type RunningNode } from '../e2e/spawn-node.js';
import { AckedWriters, clusterReady, freePort, nodeView, redisCli, respCommand, runPiccolo, startDurableCluster, until, type DurableTestCluster } from './cluster-nodes.js';

let cluster: DurableTestCluster;
let joiner: RunningNode | null = null;
beforeAll(async () => {
  cluster = await startDurableCluster(3, ['--groups', '3', '--workers', '1'], 'add-node');
  await clusterReady(cluster, 20_000);
}, 40_000);
afterAll(async () => {
  await joiner?.stop();
  await cluster?.stopAll();
});

it('node 4 joins, catches up, takes its share of replicas and serves the old data; nothing acknowledged is lost', async () => {
  const ports = cluster.nodes.map((n) => n.node.respPort!);
  // Data from before the node exists: it must reach node 4 by snapshot or log.
  const old = new AckedWriters(ports, 3, 'old');
  await until(() => old.acked.size >= 50, '50 acknowledged writes', 10_000);
  await old.stop();
  const writers = new AckedWriters(ports, 2, 'an');

  const peerPort = await freePort();
  joiner = await startNode(['--node-id', '4', '--join', `127.0.0.1:${cluster.nodes[0]!.node.port}`, '--peer-port', String(peerPort),
    '--no-pin', '--workers', '1', '--data-dir', cluster.dataDirOf(4)]);
  const added = await runPiccolo(['cluster', 'add-node', '--id', '4', '--peer', `127.0.0.1:${peerPort}`, '--node', `127.0.0.1:${cluster.nodes[1]!.node.port}`]);
  expect(added.stderr).toBe('');
  expect(added.stdout).toContain('node 4 is a member and holds its share of replicas');
  expect(added.code).toBe(0);

  // 3 groups x 3 replicas over 4 nodes: node 4 holds 2, caught up, and every node routes by that.
  const own = (await nodeView(joiner.port)).groups.filter((g) => g.replicas.includes(4));
  expect(own.length).toBe(2);
  for (const g of own) expect(g.applied).toBeGreaterThan(0);
  for (const { node } of cluster.nodes) expect((await nodeView(node.port)).groups.filter((g) => g.replicas.includes(4)).length).toBe(2);
  const log = cluster.nodes[1]!.node.output();
  expect(log).toContain('adding a learner on node 4');
  expect(log).toContain('node 4 caught up; promoting it to voter');

  const all = [...ports, joiner.respPort!];
  await until(async () => String(await respCommand(joiner!.respPort!, 'cluster', 'info')).includes('cluster_state:ok'), 'node 4 to see every group led', 10_000);
  // The old data, through node 4, as Redis Cluster clients read it.
  const client = new Cluster([{ host: '127.0.0.1', port: joiner.respPort! }], { redisOptions: { connectTimeout: 1_000 } });
  try {
    const keys = [...old.acked.keys()];
    const values = await Promise.all(keys.map((k) => client.get(k)));
    expect(keys.filter((k, i) => values[i] !== old.acked.get(k))).toEqual([]);
  } finally {
    client.disconnect();
  }
  const [someKey, someValue] = [...old.acked][0]!;
  expect(await redisCli(['-c', '-p', String(joiner.respPort), 'get', someKey])).toBe(someValue);

  await writers.stop();
  expect(await writers.lost(all)).toEqual([]);
  expect(await old.lost(all)).toEqual([]);
}, 60_000);
