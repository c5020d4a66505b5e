// A follower that needs a snapshot larger than any one peer message can
// carry catches up (snapshots travel in chunks, core/raft/snapshot-assembly.ts).
// Three real node processes, one group: a follower is killed, 20,000 keys of
// 1 KB are written three times over through the leader (which snapshots its
// ~20 MB state and compacts its log as it goes, so the follower's log no
// longer connects), the follower restarts and must be sent
// a snapshot far above half a peer ring (16 MiB at the defaults, the most one
// message could hold before chunks: such a follower never caught up). It
// reaches the leader's commit index, takes the lead, and answers every key
// from its installed state. Real processes on loopback; needs `npm run build`.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clusterReady, nodeView, respCommand, runPiccolo, startDurableCluster, until, type DurableTestCluster } from './cluster-nodes.js';

const KEYS = 20_000;
/** Every key is written this many times: the log outgrows the state, so the leader snapshots the whole ~20 MB state. */
const ROUNDS = 3;
const VALUE_BYTES = 1_000;
/** Half a peer ring at the default ring size: the largest message a worker could hand its IO thread. */
const HALF_PEER_RING_BYTES = 16 * 1024 * 1024;
const CATCH_UP_MS_MAX = 60_000;

let cluster: DurableTestCluster;
beforeAll(async () => {
  cluster = await startDurableCluster(3, ['--groups', '1', '--workers', '1', '--fsync', 'never'], 'large-snapshot');
  await clusterReady(cluster, 15_000);
}, 40_000);
afterAll(async () => { await cluster?.stopAll(); });

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/';
/** Key i's value: VALUE_BYTES of pseudo-random letters (a snapshot of them does not compress to below the ring's half). */
function valueOf(i: number, round = ROUNDS - 1): string {
  let x = ((i + 1) * 2654435761 + round * 40503) >>> 0;
  let value = `${i}:${round}:`;
  while (value.length < VALUE_BYTES) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    value += ALPHABET[x & 63];
  }
  return value;
}

async function leaderPort(port: number): Promise<number> {
  const ranges = await respCommand(port, 'cluster', 'slots') as [number, number, [string, number, string]][];
  return ranges[0]![2][1];
}

it('a follower behind a compacted log catches up through a snapshot above half a peer ring', async () => {
  const lead = await leaderPort(cluster.nodes[0]!.node.respPort!);
  const behind = cluster.nodes.find((n) => n.node.respPort !== lead)!;
  behind.node.process.kill('SIGKILL');
  await behind.node.stop();

  const writer = new Redis({ port: lead, maxRetriesPerRequest: 0, lazyConnect: true });
  await writer.connect();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (let first = 0; first < KEYS; first += 1_000) {
        const batch = writer.pipeline();
        for (let i = first; i < first + 1_000; i++) batch.set(`big:${i}`, valueOf(i, round));
        const results = await batch.exec();
        for (const [error, reply] of results!) expect(error ?? reply).toBe('OK');
      }
    }
  } finally {
    writer.disconnect();
  }
  const leader = cluster.nodes.find((n) => n.node.respPort === lead)!;
  const commit = (await nodeView(leader.node.port)).groups[0]!.commit!;

  const back = await cluster.start(behind.id);
  await until(async () => ((await nodeView(back.node.port)).groups[0]!.applied ?? 0) >= commit,
    'the restarted follower to install the snapshot and catch up', CATCH_UP_MS_MAX);

  // It leads, and serves every key from what it installed.
  const moved = await runPiccolo(['cluster', 'transfer-leader', '--group', '0', '--to', String(back.id), '--node', `127.0.0.1:${back.node.port}`]);
  expect(moved.code, moved.stderr).toBe(0);
  const backPort = back.node.respPort!;
  await until(async () => await leaderPort(backPort) === backPort, 'the caught-up node to lead', 10_000);
  expect(await respCommand(backPort, 'dbsize')).toBe(KEYS);
  const reader = new Redis({ port: backPort, maxRetriesPerRequest: 0, lazyConnect: true });
  await reader.connect();
  try {
    for (let first = 0; first < KEYS; first += 1_000) {
      const keys = Array.from({ length: 1_000 }, (_, j) => `big:${first + j}`);
      const values = await reader.mget(...keys);
      values.forEach((v, j) => expect(v, keys[j]).toBe(valueOf(first + j)));
    }
  } finally {
    reader.disconnect();
  }
  // The snapshot it installed (and keeps in its data directory) was far above what one message could carry.
  expect(largestSnapshotBytes(cluster.dataDirOf(back.id))).toBeGreaterThan(HALF_PEER_RING_BYTES);
}, 180_000);

function largestSnapshotBytes(dataDir: string): number {
  let largest = 0;
  for (const group of readdirSync(dataDir).filter((n) => n.startsWith('shard-'))) {
    for (const name of readdirSync(join(dataDir, group)).filter((n) => n.endsWith('.snap'))) largest = Math.max(largest, statSync(join(dataDir, group, name)).size);
  }
  return largest;
}
