// A prefix watch through the gateway on a cluster where no node holds every
// group (5 nodes, 6 groups, 3 replicas each: every node holds some), merged
// from several nodes' watches (runtime-node/watch/merged-watch.ts): every
// change written to every group reaches the watcher once, in order per key,
// with the write's version; its tokens cover every group and resume through
// the gateway with exactly the later changes; kill -9 of a node serving part
// of the watch: the stream goes on, with every acknowledged write, no
// duplicate and no error. Real node processes and a real gateway on
// loopback; needs `npm run build` (spawns the CLI).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResumeToken } from '../../core/watch/resume-token.js';
import { clusterReady, nodeView, startCluster, until, type TestCluster } from '../cluster/cluster-nodes.js';
import { nodesArg, startGatewayProcess, stopEverything, type RunningGateway } from '../gateway/gateway-process.js';
import { FrameClient, type Json } from './ws-watch-node.js';

const NODES = 5;
const GROUPS = 6;
const WRITES = 48;
/** Bound on the wait for a watcher to have every acknowledged change: failover takes a second or two. */
const CATCH_UP_MS = 20_000;

let cluster: TestCluster;
let gateway: RunningGateway | undefined;
beforeAll(async () => {
  cluster = await startCluster(NODES, ['--groups', String(GROUPS), '--replicas', '3', '--workers', '1']);
  await clusterReady(cluster, 60_000);
  gateway = await startGatewayProcess(['--nodes', nodesArg(cluster)]);
}, 120_000);
afterAll(async () => { await stopEverything(gateway ? [gateway] : [], cluster); });

/** A write through the gateway, retried while a group has no reachable leader (an election after a kill); null: never acknowledged. */
async function write(client: FrameClient, key: string, value: string): Promise<number | null> {
  for (let attempt = 0; attempt < 60; attempt++) {
    const reply = await client.request({ op: 'set', key, value });
    if (reply.ok === true) return reply.version as number;
    const code = (reply.error as Json | undefined)?.code;
    if (code === 'INDETERMINATE') return null; // may or may not be applied: not counted as acknowledged
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

async function watch(client: FrameClient, id: string, fields: Json): Promise<Json> {
  client.send({ id, op: 'watch', ...fields });
  return client.take((f) => f.id === id && 'ok' in f, `watch ${id}'s answer`);
}

/** Open WebSocket connections of each node (its metrics), by node index. */
async function wsConnections(): Promise<number[]> {
  return Promise.all(cluster.nodes.map(async ({ node }) => {
    const text = await (await fetch(`http://127.0.0.1:${node.port}/metrics`)).text();
    const line = /^piccolo_connections\{door="ws"\} (\d+)$/m.exec(text);
    return line ? Number(line[1]) : -1;
  }));
}

const changeName = (c: Json): string => `${c.key as string}@${c.version as number}`;

describe('a prefix watch merged by the gateway from several nodes', () => {
  it('the cluster has no node holding every group (the case a single node watch cannot serve)', async () => {
    const view = await nodeView(cluster.nodes[0]!.node.port);
    for (let id = 1; id <= NODES; id++) expect(view.groups.every((g) => g.replicas.includes(id))).toBe(false);
  });

  it('gets every change of every group once, in order per key; a token covering every group resumes with exactly the later ones', async () => {
    const writer = await FrameClient.open(gateway!.port);
    const watcher = await FrameClient.open(gateway!.port);
    const ready = await watch(watcher, 'w', { prefix: 'mw:' });
    expect(ready).toMatchObject({ ok: true, resume: expect.any(String) });
    const start = decodeResumeToken(ready.resume as string);
    expect(start !== null && start !== 'old' ? [...start.positions.keys()].sort() : null).toEqual([0, 1, 2, 3, 4, 5]);
    const written: string[] = [];
    for (let i = 0; i < WRITES; i++) {
      const version = await write(writer, `mw:${i}`, `${i}`);
      expect(version).not.toBeNull();
      written.push(`mw:${i}@${version!}`);
    }
    await write(writer, 'other:1', 'not watched');
    const changes = await watcher.changes('w' as unknown as number, WRITES);
    expect(changes.map(changeName).sort()).toEqual([...written].sort());
    // Every group was written (the keys spread over them): a change of each came through its own node watch.
    const last = decodeResumeToken(changes.at(-1)!.resume as string);
    if (last === null || last === 'old') throw new Error('a change carries a token');
    expect([...last.positions.values()].every((at) => at.seq !== 0xffff_ffff)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(watcher.frames.filter((f) => f.id === 'w')).toEqual([]); // nothing more: no duplicate, nothing unwatched

    // A client that resumes with a token gets exactly the changes after it (any replica serves each group).
    const resumed = await FrameClient.open(gateway!.port);
    expect(await watch(resumed, 'r', { prefix: 'mw:', after: changes[19]!.resume })).toMatchObject({ ok: true });
    const rest = await resumed.changes('r' as unknown as number, WRITES - 20);
    expect(rest.map(changeName).sort()).toEqual(changes.slice(20).map(changeName).sort());
    await new Promise((r) => setTimeout(r, 200));
    expect(resumed.frames.filter((f) => f.id === 'r')).toEqual([]);
    for (const c of [writer, watcher, resumed]) c.close();
  });

  it('kill -9 of a node serving part of the watch: the stream goes on with every acknowledged write, no duplicate, no error', async () => {
    const writer = await FrameClient.open(gateway!.port);
    for (let i = 0; i < GROUPS * 2; i++) await write(writer, `warm:${i}`, 'x'); // the gateway's request links to the leaders
    const before = await wsConnections();
    const watcher = await FrameClient.open(gateway!.port);
    expect(await watch(watcher, 'k', { prefix: 'mk:' })).toMatchObject({ ok: true });
    let after: number[] = [];
    await until(async () => { after = await wsConnections(); return after.some((n, i) => n > before[i]!); }, 'the node watches to show', 5_000);
    // A node the gateway opened a node watch on (the one with the most, if several).
    const victim = after.map((n, i) => n - before[i]!).reduce((best, d, i, all) => (d > all[best]! ? i : best), 0);
    expect(after[victim]! - before[victim]!).toBeGreaterThan(0);

    const acked: string[] = [];
    for (let i = 0; i < WRITES; i++) {
      if (i === WRITES / 3) cluster.nodes[victim]!.node.process.kill('SIGKILL');
      const version = await write(writer, `mk:${i}`, `${i}`);
      if (version !== null) acked.push(`mk:${i}@${version}`);
    }
    expect(acked.length).toBeGreaterThan(WRITES / 2);
    const got = new Map<string, number>();
    await until(() => {
      for (const f of watcher.frames.splice(0)) {
        expect(f).not.toHaveProperty('error'); // the watch never ended
        if (f.id === 'k' && 'change' in f) {
          const name = changeName(f.change as Json);
          got.set(name, (got.get(name) ?? 0) + 1);
        }
      }
      return acked.every((a) => got.has(a));
    }, 'every acknowledged write to reach the watcher', CATCH_UP_MS);
    expect([...got.values()].every((n) => n === 1)).toBe(true); // no duplicate
    // Nothing but the keys written (an unacknowledged write may have been applied: it is one of them).
    for (const name of got.keys()) expect(name).toMatch(/^mk:\d+@\d+$/);
    // Per key in order: one write per key here, so each key once.
    expect(new Set([...got.keys()].map((n) => n.split('@')[0])).size).toBe(got.size);
    writer.close();
    watcher.close();
  }, 60_000);
});
