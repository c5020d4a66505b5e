// The node coordinating remove-node is killed (kill -9) in the middle of
// the move: every group keeps a leader (a configuration its Raft agreed to,
// with a quorum), and running the command again on another node finishes
// the move from where the groups are. Nothing acknowledged is lost. Real
// processes on loopback; needs `npm run build`.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { AckedWriters, clusterReady, nodeView, respCommand, runPiccolo, startDurableCluster, until, type DurableTestCluster } from './cluster-nodes.js';

let cluster: DurableTestCluster;
beforeAll(async () => {
  cluster = await startDurableCluster(4, ['--groups', '4', '--replicas', '3', '--workers', '1'], 'coordinator-crash');
  await clusterReady(cluster, 20_000);
}, 40_000);
afterAll(async () => {
  await cluster?.stopAll();
});

const everyGroupLed = async (ports: number[], ms: number): Promise<void> => {
  for (const port of ports) {
    await until(async () => String(await respCommand(port, 'cluster', 'info')).includes('cluster_state:ok'), `node at ${port} to see every group led`, ms);
  }
};

it('a move whose coordinator dies midway is finished by running the command again', async () => {
  const ports = cluster.nodes.map((n) => n.node.respPort!);
  const writers = new AckedWriters(ports, 2, 'cc');
  await until(() => writers.acked.size >= 20, '20 acknowledged writes', 10_000);

  const coordinator = cluster.nodes[0]!;
  const first = runPiccolo(['cluster', 'remove-node', '--id', '4', '--node', `127.0.0.1:${coordinator.node.port}`]);
  await until(() => coordinator.node.output().includes('adding a learner on node'), 'the move to start', 10_000);
  coordinator.node.process.kill('SIGKILL');
  writers.usePorts(ports.slice(1));
  const interrupted = await first;
  expect(interrupted.code).not.toBe(0);

  // Midway: node 4 still holds replicas, and yet every group has a leader on the nodes left.
  const mid = await nodeView(cluster.nodes[1]!.node.port);
  expect(mid.groups.some((g) => g.replicas.includes(4) || (g.learners?.length ?? 0) > 0)).toBe(true);
  await everyGroupLed(ports.slice(1), 5_000);

  // The coordinator comes back (its data directory), and the command is run again elsewhere: it finishes.
  await cluster.start(1);
  const again = await runPiccolo(['cluster', 'remove-node', '--id', '4', '--node', `127.0.0.1:${cluster.nodes[1]!.node.port}`]);
  expect(again.stderr).toBe('');
  expect(again.stdout).toContain('node 4 holds no replica and is removed');
  const views = await Promise.all(cluster.nodes.slice(0, 3).map(({ node }) => nodeView(node.port)));
  for (let group = 0; group < 4; group++) {
    const leader = views.map((v) => v.groups[group]!).find((g) => g.role === 'leader')!;
    expect(leader.voters).toHaveLength(3);
    expect(leader.voters).not.toContain(4);
    expect(leader.learners).toEqual([]);
  }

  const survivors = cluster.nodes.slice(0, 3).map((n) => n.node.respPort!);
  writers.usePorts(survivors);
  await cluster.nodes[3]!.node.stop();
  await writers.stop();
  await everyGroupLed(survivors, 5_000);
  expect(await writers.lost(survivors)).toEqual([]);
}, 60_000);
