// Four nodes, three replicas per group: each node hosts three of the four
// groups, so a key of the fourth reaches a node that knows only where the
// group lives, not who leads it. It redirects to a replica it reaches, which
// redirects to the leader; ioredis Cluster and CLUSTER SLOTS still work from
// every node, and HTTP requests are forwarded to the leader from every
// node. Real processes; needs `npm run build`.

import { Cluster } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { slotOf } from '../../core/routing/slot-hash.js';
import { clusterReady, FollowingClient, respCommand, startCluster, type TestCluster } from './cluster-nodes.js';

/** How long a request may keep meeting NOT_LEADER: a leadership move takes an election timeout or two. */
const NOT_LEADER_RETRY_MS = 3_000;

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster(4, ['--groups', '4', '--replicas', '3', '--workers', '1']);
  await clusterReady(cluster, 15_000);
}, 40_000);
afterAll(async () => { await cluster?.stopAll(); });

it('every node routes keys of groups it does not host, and lists each range with its three replicas', async () => {
  const ports = cluster.nodes.map((n) => n.node.respPort!);
  for (const port of ports) {
    const ranges = await respCommand(port, 'cluster', 'slots') as [number, number, ...unknown[]][];
    expect(ranges.map((r) => r.length - 2)).toEqual([3, 3, 3, 3]);
  }
  const keys = Array.from({ length: 200 }, (_, i) => `four-${i}`);
  for (const [i, port] of ports.entries()) {
    const client = new Cluster([{ host: '127.0.0.1', port }]);
    try {
      await Promise.all(keys.map((k) => client.set(k, `n${i}-${k}`)));
      expect(await Promise.all(keys.map((k) => client.get(k)))).toEqual(keys.map((k) => `n${i}-${k}`));
    } finally {
      client.disconnect();
    }
  }
  // Following redirects by hand from each node reaches the same value (at most two hops).
  for (const port of ports) {
    const client = new FollowingClient([port, ...ports.filter((p) => p !== port)]);
    expect(await client.command(slotOf(Buffer.from('four-7')), ['get', 'four-7'], Date.now() + 5_000)).toBe('n3-four-7');
    client.close();
  }
});

/**
 * A request, again while it is answered NOT_LEADER (421: certainly not applied, so safe to repeat, as clients
 * do): while leadership moves to a group's preferred node no leader may be known for a moment.
 */
async function untilLed(url: string, init?: RequestInit): Promise<Response> {
  const deadline = Date.now() + NOT_LEADER_RETRY_MS;
  for (;;) {
    const response = await fetch(url, init);
    if (response.status !== 421 || Date.now() > deadline) return response;
    await response.text();
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('HTTP through a node that does not host a key\'s group is forwarded (via a replica if need be) to the leader', async () => {
  const keys = Array.from({ length: 40 }, (_, i) => `four-http-${i}`);
  for (const [i, { node }] of cluster.nodes.entries()) {
    for (const key of keys) expect((await untilLed(`${node.baseUrl}/v1/kv/${key}`, { method: 'PUT', body: `h${i}-${key}` })).status).toBe(200);
    for (const { node: reader } of cluster.nodes) {
      for (const key of keys) expect(await (await untilLed(`${reader.baseUrl}/v1/kv/${key}`)).text()).toBe(`h${i}-${key}`);
    }
  }
  // Every node forwarded some requests and served some for others.
  for (const { node } of cluster.nodes) {
    const { forwarding } = await (await fetch(`${node.baseUrl}/v1/cluster`)).json() as { forwarding: { forwarded: number; served: number; inFlight: number } };
    expect(forwarding.forwarded).toBeGreaterThan(0);
    expect(forwarding.inFlight).toBe(0);
  }
});
