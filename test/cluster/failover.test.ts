// kill -9 of a node that leads a group, under a write load through every
// node: a new leader serves writes for that group within 3 s, every
// acknowledged write is readable afterwards, and the killed node, restarted
// with its memory gone, rejoins (its vote gate opens once it has caught up)
// and serves reads through redirects again. Real processes on loopback;
// needs `npm run build`.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { slotOf } from '../../core/routing/slot-hash.js';
import { clusterReady, FollowingClient, respCommand, startCluster, until, type TestCluster } from './cluster-nodes.js';

/** What the cluster promises at default timeouts (docs/cluster.md). */
const FAILOVER_MS_MAX = 3_000;
const WRITERS = 4;

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster(3, ['--groups', '3', '--workers', '1']);
  await clusterReady(cluster, 15_000);
}, 40_000);
afterAll(async () => { await cluster?.stopAll(); });

const slot = (key: string): number => slotOf(Buffer.from(key));

it('a killed leader is replaced within 3 s and no acknowledged write is lost', async () => {
  const ports = cluster.nodes.map((n) => n.node.respPort!);
  // The victim: the node leading the group of `probe`, as node 1 sees it.
  const probe = 'failover-probe';
  const ranges = await respCommand(ports[0]!, 'cluster', 'slots') as [number, number, [string, number, string]][];
  const range = ranges.find(([first, last]) => slot(probe) >= first && slot(probe) <= last)!;
  const victim = cluster.nodes.find((n) => n.node.respPort === range[2][1])!;
  const survivors = ports.filter((p) => p !== victim.node.respPort);

  const acked = new Map<string, string>();
  let writing = true;
  let victimDead = false;
  const writers = Array.from({ length: WRITERS }, async (_, w) => {
    const client = new FollowingClient(ports);
    let n = 0;
    while (writing) {
      if (victimDead) client.usePorts(survivors);
      const key = `fo-${w}-${n}`;
      const value = `v${n++}`;
      try {
        if (await client.command(slot(key), ['set', key, value], Date.now() + 2_000) === 'OK') acked.set(key, value);
      } catch {
        // no reply in time: outcome unknown, not acknowledged
      }
    }
    client.close();
  });

  await new Promise((r) => setTimeout(r, 1_000));
  const ackedBeforeKill = acked.size;
  expect(ackedBeforeKill).toBeGreaterThan(50);
  victim.node.process.kill('SIGKILL');
  victimDead = true;
  const killedAt = Date.now();
  const prober = new FollowingClient(survivors);
  expect(await prober.command(slot(probe), ['set', probe, 'after-failover'], killedAt + 10_000)).toBe('OK');
  const failoverMs = Date.now() - killedAt;
  prober.close();
  expect(failoverMs).toBeLessThan(FAILOVER_MS_MAX);

  await new Promise((r) => setTimeout(r, 1_000));
  writing = false;
  await Promise.all(writers);
  expect(acked.size).toBeGreaterThan(ackedBeforeKill);

  const reader = new FollowingClient(survivors);
  const keys = [...acked.keys()];
  const values = await Promise.all(keys.map((k) => reader.command(slot(k), ['get', k], Date.now() + 5_000)));
  expect(values.filter((v, i) => v !== acked.get(keys[i]!))).toEqual([]);
  reader.close();

  // The killed node comes back empty; it catches up before it votes, and then serves (through redirects) again.
  const restarted = await cluster.start(victim.id);
  await until(async () => String(await respCommand(restarted.node.respPort!, 'cluster', 'info')).includes('cluster_state:ok'),
    'the restarted node to see every group led', 15_000);
  // Its vote gate held every group (peers reported a history) and opened each once it had caught up.
  expect(restarted.node.output()).toContain('no votes until it has caught up with a leader');
  await until(() => (restarted.node.output().match(/this replica may vote/g) ?? []).length === 3, 'every gate of the restarted node to open', 10_000);
  const through = new FollowingClient([restarted.node.respPort!, ...survivors]);
  const sample = keys.filter((_, i) => i % 10 === 0);
  const again = await Promise.all(sample.map((k) => through.command(slot(k), ['get', k], Date.now() + 5_000)));
  expect(again).toEqual(sample.map((k) => acked.get(k)));
  expect(await through.command(slot(probe), ['get', probe], Date.now() + 5_000)).toBe('after-failover');
  through.close();
}, 40_000);
