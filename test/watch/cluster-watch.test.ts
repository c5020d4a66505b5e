// Watches on a 3-node cluster (three groups, a replica of each on every
// node): a prefix watch on a follower node and one on another node both see
// every change written through a third node, each once, in order per key,
// with the same versions: every replica reports the same changes at the
// same positions, so a token from one resumes on the other. Through a
// gateway, a watch is relayed to one node, and resumes anywhere. Needs
// `npm run build` (spawns the CLI).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from '../cluster/cluster-nodes.js';
import { connect, type WatchChange } from '../../client/index.js';
import { nodesArg, startGatewayProcess, type RunningGateway } from '../gateway/gateway-process.js';
import { FrameClient, type Json } from './ws-watch-node.js';

const GROUPS = 3;
const WRITES = 30;

let cluster: TestCluster;
let gateway: RunningGateway | undefined;
beforeAll(async () => { cluster = await startCluster(3, ['--groups', String(GROUPS), '--workers', '1']); }, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await cluster?.stopAll();
});

/** Writes through node 1, retrying while the groups elect their first leaders. */
async function write(client: FrameClient, frame: Json): Promise<Json> {
  for (let attempt = 0; ; attempt++) {
    const reply = await client.request(frame);
    if (reply.ok === true || attempt >= 50) return reply;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('watch on a cluster node', () => {
  it('two nodes\' watches of a prefix both get every change once, with the same versions, in order per key', async () => {
    const watchers = await Promise.all([2, 3].map((id) => FrameClient.open(cluster.nodes[id - 1]!.node.port)));
    for (const w of watchers) {
      w.send({ id: 1, op: 'watch', prefix: 'cw:' });
      expect(await w.take((f) => f.id === 1 && 'ok' in f)).toMatchObject({ ok: true });
    }
    const writer = await FrameClient.open(cluster.nodes[0]!.node.port);
    const versions = new Map<string, number>();
    for (let i = 0; i < WRITES; i++) {
      const reply = await write(writer, { op: 'set', key: `cw:${i}`, value: `${i}` });
      expect(reply.ok).toBe(true);
      versions.set(`cw:${i}`, reply.version as number);
    }
    await write(writer, { op: 'del', key: 'cw:0' });
    const streams = await Promise.all(watchers.map((w) => w.changes(1, WRITES + 1)));
    for (const changes of streams) {
      const sets = changes.filter((c) => c.kind === 'set');
      expect(new Map(sets.map((c) => [c.key as string, c.version as number]))).toEqual(versions);
      expect(changes.filter((c) => c.kind === 'delete').map((c) => c.key)).toEqual(['cw:0']);
      expect(changes.filter((c) => c.key === 'cw:0').map((c) => c.kind)).toEqual(['set', 'delete']);
    }
    // The same changes at the same positions: each group's stream is the same on both nodes.
    const perVersion = (changes: Json[]): string[] => changes.map((c) => `${c.version as number} ${c.kind as string} ${c.key as string}`).sort();
    expect(perVersion(streams[0]!)).toEqual(perVersion(streams[1]!));
    // A token's positions are the same on every replica (docs/watch.md): another node resumes it, exactly after it.
    watchers[1]!.send({ id: 2, op: 'watch', prefix: 'cw:', after: streams[0]![5]!.resume });
    expect(await watchers[1]!.take((f) => f.id === 2 && 'ok' in f)).toMatchObject({ ok: true, resume: streams[0]![5]!.resume });
    const rest = await watchers[1]!.changes(2, streams[0]!.length - 6);
    // Groups interleave in arrival order, which differs per node: the same changes, each group's in order.
    expect(perVersion(rest)).toEqual(perVersion(streams[0]!.slice(6)));
    for (const c of [...watchers, writer]) c.close();
  });

  it('through the gateway: a relayed watch, resumes on any node, and the typed client', async () => {
    gateway = await startGatewayProcess(['--nodes', nodesArg(cluster)]);
    const watcher = await FrameClient.open(gateway.port);
    watcher.send({ id: 'g', op: 'watch', prefix: 'gw:' });
    expect(await watcher.take((f) => f.id === 'g' && 'ok' in f)).toMatchObject({ ok: true, resume: expect.any(String) });
    const writer = await FrameClient.open(gateway.port);
    const versions: number[] = [];
    for (let i = 0; i < 10; i++) versions.push((await write(writer, { op: 'set', key: `gw:{t}${i}`, value: `${i}` })).version as number);
    const changes = await watcher.changes('g' as unknown as number, 10);
    // One hash tag, one group: one log, so one order.
    expect(changes.map((c) => [c.key, c.version])).toEqual(versions.map((v, i) => [`gw:{t}${i}`, v]));
    watcher.close();

    // Several resumes through the gateway (spread over the nodes otherwise) each get exactly the rest.
    for (let attempt = 0; attempt < 3; attempt++) {
      const resumed = await FrameClient.open(gateway.port);
      resumed.send({ id: 'r', op: 'watch', prefix: 'gw:', after: changes[3]!.resume });
      expect(await resumed.take((f) => f.id === 'r' && 'ok' in f)).toMatchObject({ ok: true });
      expect((await resumed.changes('r' as unknown as number, 6)).map((c) => c.key)).toEqual([4, 5, 6, 7, 8, 9].map((i) => `gw:{t}${i}`));
      resumed.close();
    }

    const db = await connect(`ws://127.0.0.1:${gateway.port}`);
    let onLive!: () => void;
    const live = new Promise<void>((resolve) => { onLive = resolve; });
    const got: WatchChange[] = [];
    const loop = (async () => {
      // Its own prefix: a watch "from now" starts at the serving node's applied index, and a follower may still
      // be applying the writes above when it starts (they would come first; that is the documented semantics).
      for await (const change of db.watch('gw:x', { onLive })) {
        got.push(change);
        if (got.length === 2) break;
      }
    })();
    await live;
    await db.set('gw:x', 'typed');
    await db.del('gw:x');
    await loop;
    expect(got.map((c) => [new TextDecoder().decode(c.key), c.kind])).toEqual([['gw:x', 'set'], ['gw:x', 'delete']]);
    await db.close();
    writer.close();
  });
});
