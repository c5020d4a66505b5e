// Three real node processes form a cluster on loopback, and Redis Cluster
// clients use it unchanged: CLUSTER SLOTS covers every slot once, redis-cli
// -c writes through one node and reads through another, ioredis Cluster
// writes and reads keys of every group, and HTTP and WebSocket serve any key
// through any node (forwarded to the leader), multi-key requests included. Needs `npm run build` (the nodes run bin/piccolo.js).

import { spawnSync } from 'node:child_process';
import { Cluster } from 'ioredis';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slotOf } from '../../core/routing/slot-hash.js';
import { SlotMap } from '../../core/routing/slot-map.js';
import { CLI } from '../e2e/spawn-node.js';
import { clusterReady, redisCli, respCommand, startCluster, until, type TestCluster } from './cluster-nodes.js';

const GROUPS = 6;
const hasRedisCli = spawnSync('sh', ['-c', 'command -v redis-cli'], { encoding: 'utf8' }).status === 0;
if (!hasRedisCli) console.warn('test/cluster/cluster.test.ts: redis-cli not found; skipping its test (apt-get install -y redis-tools)');

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster(3, ['--groups', String(GROUPS), '--workers', '2']);
  await clusterReady(cluster, 15_000);
}, 40_000);
afterAll(async () => { await cluster?.stopAll(); });

const respPorts = (): number[] => cluster.nodes.map((n) => n.node.respPort!);

describe('a 3-node cluster', () => {
  it('CLUSTER SLOTS covers slots 0..16383 exactly once, each range with a master and its replicas', async () => {
    for (const port of respPorts()) {
      const ranges = await respCommand(port, 'cluster', 'slots') as [number, number, ...[string, number, string, unknown][]][];
      expect(ranges).toHaveLength(GROUPS);
      const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
      let next = 0;
      for (const [first, last, ...nodes] of sorted) {
        expect(first).toBe(next);
        expect(last).toBeGreaterThanOrEqual(first);
        next = last + 1;
        expect(nodes).toHaveLength(3);
        for (const [host, nodePort, id] of nodes) {
          expect(host).toBe('127.0.0.1');
          expect(respPorts()).toContain(nodePort);
          expect(id).toMatch(/^[0-9a-f]{40}$/);
        }
      }
      expect(next).toBe(16_384);
    }
  });

  it('spreads leaders: each node ends up leading the groups placed first on it (two of six)', async () => {
    await until(async () => {
      const ranges = await respCommand(respPorts()[0]!, 'cluster', 'slots') as [number, number, [string, number, string]][];
      const led = respPorts().map((port) => ranges.filter((r) => r[2][1] === port).length);
      return led.every((n) => n === 2);
    }, 'leadership to move to the preferred nodes', 15_000);
  });

  it('GET /healthz shows the node\'s view: peers linked, each group\'s replicas, leader, term and vote gate', async () => {
    const health = await (await fetch(`${cluster.nodes[1]!.node.baseUrl}/healthz`)).json() as {
      cluster: { nodeId: number; nodes: { id: number; linkUp: boolean; resp: string }[]; groups: { leader: number; replicas: number[]; term: number; voteGate: string }[] };
    };
    expect(health.cluster.nodeId).toBe(2);
    expect(health.cluster.nodes.map((n) => [n.id, n.linkUp])).toEqual([[1, true], [2, true], [3, true]]);
    expect(health.cluster.nodes.map((n) => n.resp)).toEqual(respPorts().map((p) => `127.0.0.1:${p}`));
    expect(health.cluster.groups).toHaveLength(GROUPS);
    for (const g of health.cluster.groups) {
      expect(g.replicas).toContain(g.leader);
      expect(g.term).toBeGreaterThan(0);
      expect(g.voteGate).toBe('open');
    }
  });

  it('CLUSTER MYID, NODES, INFO and KEYSLOT answer as Redis 7 does', async () => {
    const ids = await Promise.all(respPorts().map((p) => respCommand(p, 'cluster', 'myid')));
    expect(new Set(ids).size).toBe(3);
    const nodes = String(await respCommand(respPorts()[0]!, 'cluster', 'nodes')).trim().split('\n');
    expect(nodes).toHaveLength(3);
    const mine = nodes.find((line) => line.includes('myself'))!;
    expect(mine.startsWith(`${String(ids[0])} 127.0.0.1:${respPorts()[0]}@`)).toBe(true);
    expect(String(await respCommand(respPorts()[1]!, 'cluster', 'info'))).toContain('cluster_known_nodes:3');
    expect(await respCommand(respPorts()[2]!, 'cluster', 'keyslot', 'foo')).toBe(12_182); // Redis's own answer
    await expect(respCommand(respPorts()[0]!, 'cluster', 'nosuch')).rejects.toThrow(/unknown subcommand/);
    expect(await respCommand(respPorts()[0]!, 'readonly')).toBe('OK');
  });

  it('answers a key led elsewhere with MOVED to the leader\'s RESP endpoint', async () => {
    const port = respPorts()[0]!;
    let moved = 0;
    for (let i = 0; i < 20; i++) {
      try {
        await respCommand(port, 'set', `moved-${i}`, 'v');
      } catch (error) {
        // A leadership move under way (leaders go to their preferred nodes) is TRYAGAIN; anything else is MOVED.
        if ((error as Error).message.startsWith('TRYAGAIN ')) continue;
        const match = /^MOVED (\d+) 127\.0\.0\.1:(\d+)$/.exec((error as Error).message);
        expect(match, (error as Error).message).not.toBeNull();
        expect(Number(match![1])).toBe(slotOf(Buffer.from(`moved-${i}`)));
        expect(respPorts()).toContain(Number(match![2]));
        moved++;
      }
    }
    expect(moved).toBeGreaterThan(0); // node 1 leads a third of the groups
  });

  it.skipIf(!hasRedisCli)('redis-cli -c sets through one node and gets through the others', async () => {
    const [p1, p2, p3] = respPorts();
    for (let i = 0; i < 6; i++) {
      expect(await redisCli(['-c', '-p', String(p1), 'set', `cli-key-${i}`, `value-${i}`])).toBe('OK');
    }
    for (let i = 0; i < 6; i++) {
      expect(await redisCli(['-c', '-p', String(p2), 'get', `cli-key-${i}`])).toBe(`value-${i}`);
      expect(await redisCli(['-c', '-p', String(p3), 'get', `cli-key-${i}`])).toBe(`value-${i}`);
    }
  });

  it('ioredis Cluster writes and reads keys of every group, starting from different nodes', async () => {
    const writer = new Cluster([{ host: '127.0.0.1', port: respPorts()[0]! }]);
    const reader = new Cluster([{ host: '127.0.0.1', port: respPorts()[2]! }]);
    try {
      const keys = Array.from({ length: 600 }, (_, i) => `io-key-${i}`);
      const groups = new Set(keys.map((k) => Math.floor((slotOf(Buffer.from(k)) * GROUPS) / 16_384)));
      expect(groups.size).toBe(GROUPS);
      await Promise.all(keys.map((k, i) => writer.set(k, `v${i}`)));
      const values = await Promise.all(keys.map((k) => reader.get(k)));
      expect(values).toEqual(keys.map((_, i) => `v${i}`));
      expect(await reader.incr('io-counter')).toBe(1);
      expect(await writer.incr('io-counter')).toBe(2);
      // Keys of one slot (a hash tag) in one MGET, as cluster clients send them.
      await writer.mset('{tag}a', '1', '{tag}b', '2');
      expect(await reader.mget('{tag}a', '{tag}b')).toEqual(['1', '2']);
    } finally {
      writer.disconnect();
      reader.disconnect();
    }
  });

  it('HTTP: any node serves any key, forwarding to the leader: written through one node, read through the others', async () => {
    const urls = cluster.nodes.map((n) => n.node.baseUrl);
    for (let i = 0; i < 12; i++) {
      const put = await fetch(`${urls[i % 3]}/v1/kv/http-key-${i}`, { method: 'PUT', body: `value-${i}` });
      expect(put.status).toBe(200);
    }
    for (let i = 0; i < 12; i++) {
      for (const url of urls) {
        const got = await fetch(`${url}/v1/kv/http-key-${i}`);
        expect(got.status).toBe(200);
        expect(await got.text()).toBe(`value-${i}`);
      }
    }
    // The listing covers the whole cluster, not one node's groups.
    const listed = await (await fetch(`${urls[1]}/v1/kv?prefix=http-key-&limit=100`)).json() as { items: { key: string }[] };
    expect(listed.items.map((item) => item.key).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `http-key-${i}`).sort());
  });

  it('WebSocket: any node serves any request; MGET and MSET across groups are split and joined, never CROSSSLOT', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `ws-key-${i}`);
    const slotMap = new SlotMap(GROUPS, 1);
    const groups = new Set(keys.map((k) => slotMap.shardOf(slotOf(new TextEncoder().encode(k)))));
    expect(groups.size).toBeGreaterThan(1);
    const ws = new WebSocket(cluster.nodes[0]!.node.wsUrl);
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
    const replies = new Map<number, { ok: boolean; items?: { found: boolean; value?: string }[]; error?: { code: string } }>();
    ws.on('message', (data: Buffer) => {
      const reply = JSON.parse(data.toString('utf8')) as { id: number; ok: boolean };
      replies.set(reply.id, reply);
    });
    try {
      ws.send(JSON.stringify({ id: 1, op: 'mset', entries: keys.map((key, i) => ({ key, value: `w${i}` })) }));
      await until(() => replies.has(1), 'the MSET reply', 5_000);
      expect(replies.get(1)!.ok).toBe(true);
      ws.send(JSON.stringify({ id: 2, op: 'mget', keys }));
      await until(() => replies.has(2), 'the MGET reply', 5_000);
      expect(replies.get(2)!.items!.map((item) => item.value)).toEqual(keys.map((_, i) => `w${i}`));
      for (let id = 10; id < 22; id++) ws.send(JSON.stringify({ id, op: 'get', key: keys[id - 10] }));
      await until(() => replies.size === 14, 'every GET reply', 5_000);
      for (let id = 10; id < 22; id++) expect(replies.get(id)!.ok).toBe(true);
    } finally {
      ws.close();
    }
  });

  it('RESP: MGET and MSET across groups are served by any node (split, forwarded, joined); one group keeps MOVED', async () => {
    const port = respPorts()[2]!;
    const keys = Array.from({ length: 8 }, (_, i) => `resp-multi-${i}`);
    expect(await respCommand(port, 'mset', ...keys.flatMap((k, i) => [k, `r${i}`]))).toBe('OK');
    expect(await respCommand(port, 'mget', ...keys)).toEqual(keys.map((_, i) => `r${i}`));
    let moved = 0;
    for (const key of keys) {
      try {
        await respCommand(port, 'get', key);
      } catch (error) {
        expect((error as Error).message).toMatch(/^MOVED \d+ 127\.0\.0\.1:\d+$/);
        moved++;
      }
    }
    expect(moved).toBeGreaterThan(0);
  });

  it('RESP: DEL, EXISTS, UNLINK, MSETNX and RENAME with keys in several groups are served by any node, never MOVED', async () => {
    const port = respPorts()[1]!;
    const slotMap = new SlotMap(GROUPS, 1);
    const groupOf = (k: string): number => slotMap.shardOf(slotOf(Buffer.from(k)));
    // One key in each group, so every command below names keys of several groups.
    const byGroup = new Map<number, string>();
    for (let i = 0; byGroup.size < GROUPS; i++) if (!byGroup.has(groupOf(`resp-parts-${i}`))) byGroup.set(groupOf(`resp-parts-${i}`), `resp-parts-${i}`);
    const keys = [...byGroup.values()];
    expect(await respCommand(port, 'msetnx', ...keys.flatMap((k, i) => [k, `p${i}`]))).toBe(1);
    expect(await respCommand(port, 'msetnx', keys[1]!, 'x', keys[0]!, 'again')).toBe(0);
    expect(await respCommand(port, 'exists', ...keys, keys[0]!)).toBe(keys.length + 1);
    expect(await respCommand(port, 'del', keys[0]!, keys[1]!)).toBe(2);
    expect(await respCommand(port, 'unlink', keys[2]!, keys[3]!, keys[0]!)).toBe(2);
    expect(await respCommand(port, 'exists', ...keys)).toBe(keys.length - 4);
    // keys[4] and keys[5] are in two groups.
    expect(await respCommand(port, 'rename', keys[4]!, keys[5]!)).toBe('OK');
    expect(await respCommand(port, 'mget', keys[4]!, keys[5]!)).toEqual([null, 'p4']);
  });
});

describe('CLUSTER COUNTKEYSINSLOT / GETKEYSINSLOT', () => {
  it('count and list a slot\'s keys on the node leading it; other nodes serve none of it', async () => {
    const keys = ['{slotkeys}a', '{slotkeys}b', '{slotkeys}c', '{slotkeys}d'];
    const slot = slotOf(new TextEncoder().encode(keys[0]!));
    const ranges = await respCommand(respPorts()[0]!, 'cluster', 'slots') as [number, number, [string, number, string]][];
    const leaderPort = ranges.find(([first, last]) => slot >= first && slot <= last)![2][1];
    expect(await respCommand(leaderPort, 'mset', ...keys.flatMap((k) => [k, 'x']))).toBe('OK');
    expect(await respCommand(leaderPort, 'cluster', 'countkeysinslot', String(slot))).toBe(4);
    expect((await respCommand(leaderPort, 'cluster', 'getkeysinslot', String(slot), '10') as string[]).sort()).toEqual(keys);
    const two = await respCommand(leaderPort, 'cluster', 'getkeysinslot', String(slot), '2') as string[];
    expect(two).toHaveLength(2);
    for (const key of two) expect(keys).toContain(key);
    for (const port of respPorts().filter((p) => p !== leaderPort)) {
      expect(await respCommand(port, 'cluster', 'countkeysinslot', String(slot))).toBe(0);
    }
    await expect(respCommand(leaderPort, 'cluster', 'countkeysinslot', '16384')).rejects.toThrow('ERR Invalid slot');
    await expect(respCommand(leaderPort, 'cluster', 'getkeysinslot', String(slot), '-1')).rejects.toThrow('ERR Invalid slot or number of keys');
  });
});

describe('piccolo cluster status', () => {
  it('shows every group: members, leader, term, commit and applied, each follower\'s lag', async () => {
    const run = spawnSync(process.execPath, [CLI, 'cluster', 'status', '--url', cluster.nodes[2]!.node.baseUrl, '--json'], { encoding: 'utf8', timeout: 10_000 });
    expect(run.status, run.stderr).toBe(0);
    const { groups } = JSON.parse(run.stdout) as { groups: { members: number[]; leader: number; term: number; commit: number; replicas: { node: number; role: string; lag: number }[] }[] };
    expect(groups).toHaveLength(GROUPS);
    for (const g of groups) {
      expect(g.members).toHaveLength(3);
      expect(g.members).toContain(g.leader);
      expect(g.term).toBeGreaterThan(0);
      expect(g.commit).toBeGreaterThan(0);
      expect(g.replicas.map((r) => r.node)).toEqual(g.members);
      expect(g.replicas.filter((r) => r.role === 'leader').map((r) => r.node)).toEqual([g.leader]);
      for (const r of g.replicas) expect(r.lag).toBeGreaterThanOrEqual(0);
    }
    const text = spawnSync(process.execPath, [CLI, 'cluster', 'status', '--url', cluster.nodes[0]!.node.baseUrl], { encoding: 'utf8', timeout: 10_000 });
    expect(text.status).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(/^GROUP\s+SLOTS\s+LEADER\s+TERM\s+COMMIT\s+APPLIED/);
    expect(text.stdout.trim().split('\n')).toHaveLength(GROUPS + 1);
  });

  it('exits 3 when the node cannot be reached', () => {
    const run = spawnSync(process.execPath, [CLI, 'cluster', 'status', '--url', 'http://127.0.0.1:1'], { encoding: 'utf8', timeout: 10_000 });
    expect(run.status).toBe(3);
  });
});

describe('cluster settings', () => {
  it('refuses a malformed peer list or a node missing from it with exit code 2', () => {
    const run = (args: string[]) => spawnSync(process.execPath, [CLI, 'server', '--port', '0', ...args], { encoding: 'utf8', timeout: 10_000 });
    const bad = run(['--node-id', '1', '--peers', '1@127.0.0.1']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("'1@127.0.0.1' is not ID@HOST:PORT");
    const missing = run(['--node-id', '4', '--peers', '1@127.0.0.1:7801,2@127.0.0.1:7802']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('--node-id 4 is not in --peers');
    const alone = run(['--node-id', '1']);
    expect(alone.status).toBe(2);
    expect(alone.stderr).toContain('give --peers too');
  });
});
