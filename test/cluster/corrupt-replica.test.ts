// A replica whose data directory is damaged while it is down repairs from
// its peers (docs/durability.md, "Repair from peers"): three real node
// processes with data directories take writes; node 2 is stopped, a byte in
// the middle of each of its groups' logs is flipped (acknowledged data), and
// it is restarted. It reports the damage with file and offset, clears it,
// catches up from the leaders (its REPAIR markers go), leads its preferred
// group again and serves every acknowledged value. A lone node with the same
// damage refuses to start, naming the file and offset. Real processes on
// loopback; needs `npm run build`.

import { existsSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { parseSegmentName } from '../../core/storage/log-format.js';
import { REPAIR_FILE } from '../../core/storage/repair-marker.js';
import { slotOf } from '../../core/routing/slot-hash.js';
import { startNode } from '../e2e/spawn-node.js';
import { clusterReady, FollowingClient, respCommand, startCluster, until, type TestCluster } from './cluster-nodes.js';

const GROUPS = 3;
const KEYS = 150;
const DAMAGED = 2;
/** Repair and the preferred leader's return (checked every ~2 s) take a few seconds; this bounds them. */
const REPAIR_MS_MAX = 20_000;

const dir = mkdtempSync(join(tmpdir(), 'piccolo-corrupt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const slot = (key: string): number => slotOf(Buffer.from(key));
const nodeDir = (id: number): string => join(dir, `node-${id}`);

/** Flips every bit of the byte in the middle of the group directory's largest log segment; returns the file's name. */
function flipMiddleOfLog(groupDir: string): string {
  const segments = readdirSync(groupDir).filter((n) => parseSegmentName(n) !== null);
  const name = segments.sort((a, b) => statSync(join(groupDir, b)).size - statSync(join(groupDir, a)).size)[0]!;
  const path = join(groupDir, name);
  const offset = Math.floor(statSync(path).size / 2);
  const fd = openSync(path, 'r+');
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, offset);
  byte[0] = byte[0]! ^ 0xff;
  writeSync(fd, byte, 0, 1, offset);
  closeSync(fd);
  return name;
}

it('a replica whose log is damaged while it is down repairs from its peers and serves the acknowledged values', async () => {
  let cluster: TestCluster | null = null;
  try {
    cluster = await startCluster(3, (id) => ['--groups', String(GROUPS), '--workers', '1', '--data-dir', nodeDir(id), '--fsync', 'always']);
    await clusterReady(cluster, 15_000);
    const ports = (): number[] => cluster!.nodes.map((n) => n.node.respPort!);
    const writer = new FollowingClient(ports());
    const acked = new Map<string, string>();
    for (let i = 0; i < KEYS; i++) {
      const key = `corrupt:${i}`;
      expect(await writer.command(slot(key), ['set', key, `value-${i}`], Date.now() + 5_000)).toBe('OK');
      acked.set(key, `value-${i}`);
    }
    writer.close();

    const damaged = cluster.nodes[DAMAGED - 1]!;
    expect(await damaged.node.stop()).toBe(0);
    const groupDirs = readdirSync(nodeDir(DAMAGED)).filter((n) => n.startsWith('shard-')).map((n) => join(nodeDir(DAMAGED), n));
    expect(groupDirs.length).toBe(GROUPS);
    const flipped = groupDirs.map(flipMiddleOfLog);

    const restarted = await cluster.start(DAMAGED);
    // It says what it found, where, and that it repairs from its peers.
    expect(restarted.node.output()).toMatch(new RegExp(`shard-\\d+: damaged at ${flipped[0]!.replace('.', '\\.')} offset \\d+: this replica repairs from its peers`));
    await until(() => groupDirs.every((d) => !existsSync(join(d, REPAIR_FILE))), 'every group of the damaged node to finish its repair', REPAIR_MS_MAX);
    // Back to leading its preferred group, so it answers from its repaired state.
    await until(async () => {
      const ranges = await respCommand(restarted.node.respPort!, 'cluster', 'slots') as [number, number, [string, number, string]][];
      return ranges.some((r) => r[2][1] === restarted.node.respPort);
    }, 'the repaired node to lead a group again', REPAIR_MS_MAX);
    const reader = new FollowingClient(ports());
    for (const [key, value] of acked) expect(await reader.command(slot(key), ['get', key], Date.now() + 5_000), key).toBe(value);
    // Reads straight from the repaired node: the keys of the group it leads are answered there, the others MOVED.
    const own = new Redis({ port: restarted.node.respPort!, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    let servedHere = 0;
    for (const [key, value] of acked) {
      const got = await own.get(key).catch((e: Error) => e.message);
      if (typeof got === 'string' && got.startsWith('MOVED')) continue;
      expect(got, key).toBe(value);
      servedHere++;
    }
    own.disconnect();
    reader.close();
    expect(servedHere, 'the repaired node served the keys of the group it leads').toBeGreaterThan(0);
  } finally {
    await cluster?.stopAll();
  }
}, 60_000);

it('a lone node with the same damage refuses to start, naming the file and offset and the way out', async () => {
  const dataDir = join(dir, 'lone');
  const node = await startNode(['--data-dir', dataDir, '--no-resp', '--workers', '1', '--no-pin', '--fsync', 'always']);
  for (let i = 0; i < KEYS; i++) expect((await fetch(`${node.baseUrl}/v1/kv/lone-${i}`, { method: 'PUT', body: `v${i}` })).status).toBe(200);
  expect(await node.stop()).toBe(0);
  const name = flipMiddleOfLog(join(dataDir, 'shard-0'));
  const refused = await startNode(['--data-dir', dataDir, '--no-resp', '--workers', '1', '--no-pin']).then(() => 'started', (e: Error) => e.message);
  expect(refused).toMatch(/exited with 1 before listening/);
  expect(refused).toMatch(new RegExp(`fatal: .*shard-0: corrupt: ${name.replace('.', '\\.')} at offset \\d+`));
  expect(refused).toMatch(/docs\/durability\.md/);
}, 30_000);
