// `piccolo cluster remove-node` on a running 4-node cluster (4 groups, 3
// replicas each) with data and a write load: node 4's replicas move to the
// other nodes (learner, catch-up, promotion, removal; its leadership moves
// first), after which node 4 can be stopped: every group has a leader on
// nodes 1-3 and every acknowledged write reads back from them. Real
// processes on loopback; needs `npm run build`.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AckedWriters, clusterReady, nodeView, respCommand, runPiccolo, startDurableCluster, until, type DurableTestCluster } from './cluster-nodes.js';

let cluster: DurableTestCluster;
beforeAll(async () => {
  cluster = await startDurableCluster(4, ['--groups', '4', '--replicas', '3', '--workers', '1'], 'remove-node');
  await clusterReady(cluster, 20_000);
}, 40_000);
afterAll(async () => {
  await cluster?.stopAll();
});

it('moves every replica off node 4 under load; node 4 can then be stopped and nothing is lost', async () => {
  const ports = cluster.nodes.map((n) => n.node.respPort!);
  const survivors = ports.slice(0, 3);
  const before = await nodeView(cluster.nodes[0]!.node.port);
  expect(before.groups.filter((g) => g.replicas.includes(4)).length).toBe(3);

  // Node 4 leads group 3 (its placement's preferred leader; made certain, as an election may have put it elsewhere).
  const led = await runPiccolo(['cluster', 'transfer-leader', '--group', '3', '--to', '4', '--node', `127.0.0.1:${cluster.nodes[0]!.node.port}`]);
  expect(led.code).toBe(0);

  const writers = new AckedWriters(ports, 3, 'rn');
  await until(() => writers.acked.size >= 20, '20 acknowledged writes', 10_000);

  const removed = await runPiccolo(['cluster', 'remove-node', '--id', '4', '--node', `127.0.0.1:${cluster.nodes[0]!.node.port}`]);
  expect(removed.stderr).toBe('');
  expect(removed.stdout).toContain('node 4 holds no replica and is removed; it can be stopped');
  expect(removed.code).toBe(0);

  // Every node's routing view, and every group's Raft configuration as its leader applied it, leave node 4 out.
  for (const { node } of cluster.nodes.slice(0, 3)) {
    const seen = await nodeView(node.port);
    for (const g of seen.groups) expect(g.replicas).not.toContain(4);
  }
  // Leadership just moved off node 4: let each group's election settle before reading one leader per group.
  const viewsNow = (): Promise<Awaited<ReturnType<typeof nodeView>>[]> => Promise.all(cluster.nodes.slice(0, 3).map(({ node }) => nodeView(node.port)));
  await until(async () => {
    const seen = await viewsNow();
    return [0, 1, 2, 3].every((group) => seen.filter((v) => v.groups[group]!.role === 'leader').length === 1);
  }, 'one leader per group on nodes 1-3', 10_000);
  const views = await viewsNow();
  for (let group = 0; group < 4; group++) {
    const leaders = views.map((v) => v.groups[group]!).filter((g) => g.role === 'leader');
    expect(leaders.length).toBe(1);
    expect([...leaders[0]!.voters!].sort()).toHaveLength(3);
    expect(leaders[0]!.voters).not.toContain(4);
    expect(leaders[0]!.learners).toEqual([]);
  }
  // Each node stored the record: a restart hosts and routes by it.
  const stored = JSON.parse(readFileSync(join(cluster.dataDirOf(1), 'cluster-membership.json'), 'utf8')) as { removed: number[] };
  expect(stored.removed).toEqual([4]);

  writers.usePorts(survivors);
  await new Promise((r) => setTimeout(r, 500));
  await cluster.nodes[3]!.node.stop();
  await new Promise((r) => setTimeout(r, 500));
  await writers.stop();
  for (const port of survivors) {
    await until(async () => String(await respCommand(port, 'cluster', 'info')).includes('cluster_state:ok'), `node at ${port} to see every group led`, 5_000);
  }
  expect(await writers.lost(survivors)).toEqual([]);

  // The coordinator went through the steps: learners caught up and promoted, node 4's leadership moved first.
  const log = cluster.nodes[0]!.node.output();
  expect(log).toContain('caught up; promoting it to voter');
  expect(log).toContain('moving leadership to node');
  expect(log).toContain('removing the replica on node 4');

  // Node 1 restarted comes back with the membership as it is now (its data dir), not as --peers placed it:
  // it hosts the groups moved to it, and the cluster serves every acknowledged write.
  await cluster.nodes[0]!.node.stop();
  const restarted = await cluster.start(1);
  const ownGroups = (await nodeView(restarted.node.port)).groups.filter((g) => g.replicas.includes(1));
  expect(ownGroups.length).toBe(4); // 4 groups x 3 replicas on 3 nodes: every node holds every group now
  await until(async () => (await nodeView(restarted.node.port)).groups.filter((g) => g.replicas.includes(1)).every((g) => g.role !== undefined && g.applied! > 0),
    'node 1 to host every group its record names', 10_000);
  const now = [restarted.node.respPort!, ...survivors.slice(1)];
  for (const port of now) {
    await until(async () => String(await respCommand(port, 'cluster', 'info')).includes('cluster_state:ok'), `node at ${port} to see every group led`, 10_000);
  }
  expect(await writers.lost(now)).toEqual([]);
}, 60_000);
