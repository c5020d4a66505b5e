// Transactions on a 3-node replicated cluster (real processes on loopback):
// ioredis Cluster runs MULTI/EXEC on hash-tagged keys (one group, one log
// entry replicated by Raft), a WATCH conflict from another client applies
// nothing, keys of two groups are refused CROSSSLOT with nothing applied,
// HTTP's atomic batch and a binary typed client's transaction sent to any
// node are served (a non-leader forwards them to the group's leader in one
// hop, as Cap'n Proto frames) and applied once each, and the typed cluster
// client sends db.transaction() to the leader itself. A plain pipeline of
// SET then GET on a group's leader reads each write (docs/consensus.md, the
// read floor).
// Needs `npm run build` (the nodes run bin/piccolo.js).

import { Cluster } from 'ioredis';
import { connect, connectCluster } from '../../client/index.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { groupOfKey, type TestCluster } from './cluster-nodes.js';
import { clusterWithIoredis } from './ioredis-cluster-fixture.js';
import { ownerOf } from './ioredis-owner.js';

const GROUPS = 6;
const fixture = clusterWithIoredis(['--groups', String(GROUPS), '--workers', '2']);
let cluster: TestCluster;
let client: Cluster;

const groupOf = (key: string): number => groupOfKey(key, GROUPS);

beforeAll(() => {
  cluster = fixture.cluster;
  client = fixture.client(0);
});

describe('transactions on a 3-node cluster', () => {
  it('ioredis Cluster: MULTI/EXEC on hash-tagged keys applies all, and replies as one array', async () => {
    const result = await client.multi().set('{acct}a', '10').set('{acct}b', '0').decrby('{acct}a', 3).incrby('{acct}b', 3).get('{acct}a').exec();
    expect(result).toEqual([[null, 'OK'], [null, 'OK'], [null, 7], [null, 3], [null, '7']]);
    // Read through another node's view of the cluster: the writes are replicated and visible.
    const reader = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[2]!.node.respPort! }]);
    try {
      expect(await reader.mget('{acct}a', '{acct}b')).toEqual(['7', '3']);
    } finally {
      reader.disconnect();
    }
  });

  it('WATCH: a change by another client makes EXEC nil, nothing applied', async () => {
    const other = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[1]!.node.respPort! }]);
    try {
      await client.set('{w}k', 'before');
      // WATCH and MULTI must share a connection: the one to the node leading the key's group.
      const owner = ownerOf(client, '{w}k');
      expect(await owner.watch('{w}k')).toBe('OK');
      await other.set('{w}k', 'theirs');
      expect(await owner.multi().set('{w}k', 'mine').set('{w}log', 'x').exec()).toBeNull();
      expect(await client.mget('{w}k', '{w}log')).toEqual(['theirs', null]);
    } finally {
      other.disconnect();
    }
  });

  it('a pipeline of SET then GET on the leader of a replicated group reads each write (the read floor)', async () => {
    const raw = ownerOf(client, '{pipe}k').duplicate();
    try {
      for (let round = 0; round < 20; round++) {
        const results = await raw.pipeline().set('{pipe}k', `a${round}`).get('{pipe}k').set('{pipe}k', `b${round}`).get('{pipe}k').exec();
        expect(results).toEqual([[null, 'OK'], [null, `a${round}`], [null, 'OK'], [null, `b${round}`]]);
      }
    } finally {
      raw.disconnect();
    }
  });

  it('keys of two groups: CROSSSLOT, nothing applied', async () => {
    const a = 'x-0';
    let b = 'x-1';
    for (let i = 1; groupOf(b) === groupOf(a); i++) b = `x-${i}`;
    // A plain connection to the first key's leader (a cluster client refuses such a pipeline itself).
    const raw = ownerOf(client, a).duplicate();
    try {
      const results = await raw.multi().set(a, '1').set(b, '1').exec().catch((error: Error) => error);
      const text = results instanceof Error ? results.message : JSON.stringify(results);
      expect(text).toContain('CROSSSLOT');
      expect(await client.exists(a)).toBe(0);
      expect(await client.exists(b)).toBe(0);
    } finally {
      raw.disconnect();
    }
  });

  /** Requests each node has forwarded to another over the peer links (GET /v1/cluster). */
  async function forwardedCounts(): Promise<number[]> {
    return Promise.all(cluster.nodes.map(async ({ node }) => {
      const view = await (await fetch(`${node.baseUrl}/v1/cluster`)).json() as { forwarding: { forwarded: number } };
      return view.forwarding.forwarded;
    }));
  }

  it('HTTP atomic batch through every node: a non-leader forwards it to the leader in one hop; each applies once, whole', async () => {
    const before = await forwardedCounts();
    const body = JSON.stringify({ atomic: true, ops: [{ op: 'set', key: '{h}a', value: '1' }, { op: 'incr', key: '{h}n', delta: 2 }] });
    for (const [i, { node }] of cluster.nodes.entries()) {
      const res = await fetch(`${node.baseUrl}/v1/batch`, { method: 'POST', body });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ ok: true, found: true, replies: [{ ok: true }, { ok: true, integer: 2 * (i + 1) }] });
    }
    expect(await client.get('{h}n')).toBe('6');
    const after = await forwardedCounts();
    // Two of the three nodes do not lead {h}'s group: each sent its request on (one hop; the leader forwards nothing).
    expect(after.map((n, i) => n - before[i]!).filter((n) => n > 0)).toHaveLength(2);
    // A watched version that is not the key's: through a non-leader too, nothing applied.
    const stale = JSON.stringify({ atomic: true, ops: [{ op: 'set', key: '{h}a', value: 'stale' }], watch: [{ key: '{h}a', version: 1 }] });
    for (const { node } of cluster.nodes) {
      const res = await fetch(`${node.baseUrl}/v1/batch`, { method: 'POST', body: stale });
      expect(await res.json()).toEqual({ ok: true, found: false });
    }
    expect(await client.get('{h}a')).toBe('1');
  });

  it('a binary typed client connected to any one node runs db.transaction() there, forwarded when that node does not lead', async () => {
    for (const [i, { node }] of cluster.nodes.entries()) {
      const db = await connect(node.wsUrl, { format: 'binary' });
      try {
        const outcome = await db.transaction((tx) => ({ n: tx.incr('{bin}n', 5), read: tx.get('{bin}n') }));
        expect(outcome.committed).toBe(true);
        if (!outcome.committed) continue;
        expect(outcome.result.n.value).toBe(BigInt(5 * (i + 1)));
        expect(new TextDecoder().decode(outcome.result.read.value?.value)).toBe(String(5 * (i + 1)));
      } finally {
        await db.close();
      }
    }
    expect(await client.get('{bin}n')).toBe('15');
  });

  it('the typed cluster client runs db.transaction() on the leader of its keys\' group, from any node', async () => {
    for (const { node } of cluster.nodes) {
      const db = await connectCluster(node.wsUrl);
      try {
        const outcome = await db.transaction((tx) => ({ n: tx.incr('{typed}n', 2), read: tx.get('{typed}n') }));
        expect(outcome.committed).toBe(true);
        if (outcome.committed) expect(outcome.result.read.value?.version).toBeGreaterThan(0);
      } finally {
        await db.close();
      }
    }
    expect(await client.get('{typed}n')).toBe('6');
  });
});
