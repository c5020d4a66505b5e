// Pub/sub across a 3-node cluster on loopback: a PUBLISH on one node reaches
// subscribers on every node (over the peer links), exactly once each, and
// answers the receivers on its own node as Redis Cluster does; keyspace
// events come only from the node that ran the command. Needs `npm run build`.
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterReady, startCluster, until, type TestCluster } from '../cluster/cluster-nodes.js';

/** Longest a message may take to cross a loopback peer link. */
const DELIVERY_MS_MAX = 5_000;

let cluster: TestCluster;
const clients: { disconnect(): void }[] = [];

function clientOf(index: number): Redis {
  const client = new Redis({ port: cluster.nodes[index]!.node.respPort!, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  cluster = await startCluster(3, ['--groups', '3', '--workers', '1', '--notify-keyspace-events', 'KEA']);
  await clusterReady(cluster, 20_000);
}, 60_000);
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await cluster?.stopAll();
});

describe('pub/sub in a cluster', () => {
  it('a PUBLISH on node 1 reaches subscribers on nodes 1, 2 and 3 once each; it counts the local ones', async () => {
    const subs = [clientOf(0), clientOf(1), clientOf(2)];
    const pub = clientOf(0);
    await Promise.all([...subs, pub].map((c) => c.connect()));
    await subs[0]!.subscribe('cl:news');
    await subs[1]!.subscribe('cl:news');
    await subs[2]!.psubscribe('cl:*');
    const got: string[][] = [[], [], []];
    subs[0]!.on('message', (_c: string, m: string) => got[0]!.push(m));
    subs[1]!.on('message', (_c: string, m: string) => got[1]!.push(m));
    subs[2]!.on('pmessage', (_p: string, _c: string, m: string) => got[2]!.push(m));
    // Wait until the links are up: one probe message seen everywhere.
    await until(async () => {
      await pub.publish('cl:news', 'probe');
      return got.every((g) => g.includes('probe'));
    }, 'a message to cross every peer link', DELIVERY_MS_MAX * 2);
    // Only node 1's own subscriber counts, as a Redis Cluster node counts its own clients.
    expect(await pub.publish('cl:news', 'hello')).toBe(1);
    expect(await clientOf(2).publish('cl:news', 'from node 3')).toBe(1);
    // Probes still on their way are left out.
    const real = (g: string[]): string[] => g.filter((m) => m !== 'probe').sort();
    await until(() => got.every((g) => real(g).length >= 2), 'both messages on every node', DELIVERY_MS_MAX);
    await new Promise((r) => setTimeout(r, 200)); // room for a duplicate to show up
    for (const g of got) expect(real(g)).toEqual(['from node 3', 'hello']);
  });

  it('keyspace events come from the node that ran the command, not from the others', async () => {
    const writer = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0]!.node.respPort! }], { redisOptions: { maxRetriesPerRequest: 0 } });
    clients.push(writer);
    const subs = [clientOf(0), clientOf(1), clientOf(2)];
    await Promise.all(subs.map((c) => c.connect()));
    const seen: string[][] = [[], [], []];
    for (let i = 0; i < 3; i++) {
      await subs[i]!.subscribe('__keyevent@0__:set');
      subs[i]!.on('message', (_c: string, key: string) => seen[i]!.push(key));
    }
    const ports = cluster.nodes.map((n) => n.node.respPort!);
    const leaders = async (): Promise<string> => JSON.stringify((await writer.cluster('SLOTS')).map(([first, , master]) => [first, master![1]]));
    // Leadership moves to each group's preferred node soon after start: let it settle first (one group each).
    await until(async () => {
      const led = JSON.parse(await leaders()) as [number, number][];
      return ports.every((port) => led.filter(([, p]) => p === port).length === 1);
    }, 'each node to lead its group', 20_000);
    const before = await leaders();
    const keys = Array.from({ length: 12 }, (_, i) => `cl:key:${i}`);
    for (const key of keys) expect(await writer.set(key, 'v')).toBe('OK');
    await until(() => seen.flat().length >= keys.length, 'an event per key', DELIVERY_MS_MAX);
    await new Promise((r) => setTimeout(r, 200));
    // Each key's event exactly once over the three nodes.
    expect(seen.flat().sort()).toEqual([...keys].sort());
    // On the node that led its group when it was written (judged only if no leader changed meanwhile: elections under load).
    if ((await leaders()) !== before) return;
    const slots = await writer.cluster('SLOTS');
    for (const [i, keysSeen] of seen.entries()) {
      for (const key of keysSeen) {
        const slot = Number(await subs[0]!.call('CLUSTER', 'KEYSLOT', key));
        const range = slots.find(([first, last]) => slot >= first && slot <= last)!;
        expect(range[2]![1]).toBe(ports[i]);
      }
    }
  });
});
