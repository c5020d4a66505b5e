// `piccolo cluster up` (what `npm run cluster -- --nodes 3` runs): starts
// three nodes, prints their endpoints and how to connect, serves redis-cli
// -c through any of them, keeps serving when one node is killed, and stops
// every node on Ctrl-C (SIGINT) with exit code 0. Ports come from a --base-port picked at random, so a developer's
// own cluster on the default ports is left alone. Needs `npm run build`.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { CLI } from '../e2e/spawn-node.js';
import { redisCli, until } from './cluster-nodes.js';

const hasRedisCli = spawnSync('sh', ['-c', 'command -v redis-cli'], { encoding: 'utf8' }).status === 0;

it.skipIf(!hasRedisCli)('starts a cluster, prints how to connect, survives a kill -9 of one node, and stops every node on Ctrl-C', async () => {
  // Below Linux's ephemeral ports (32768 and up), so no outgoing connection holds one of ours,
  // and below test/net/test-ports.ts's slices (20000 and up), so no other test picks them.
  const base = 10_000 + Math.floor(Math.random() * 9_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'piccolo-cluster-up-'));
  const child = spawn(process.execPath, [CLI, 'cluster', 'up', '--nodes', '3', '--base-port', String(base), '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString('utf8'); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString('utf8'); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await until(() => output.includes('Ctrl-C stops the cluster'), 'the cluster to come up', 20_000)
      .catch((e: unknown) => { throw new Error(`${(e as Error).message}; the launcher said:\n${output}`); });
    expect(output).toContain(`node 2: RESP 127.0.0.1:${base + 102}  HTTP http://127.0.0.1:${base + 2}`);
    expect(output).toContain(`connect: redis-cli -c -p ${base + 101}`);
    await until(async () => (await redisCli(['-c', '-p', String(base + 101), 'set', 'up-key', 'up-value'])) === 'OK', 'a write to succeed', 15_000);
    // Through another node: right after start it may not know a group's leader yet and answer TRYAGAIN (clients retry).
    await until(async () => (await redisCli(['-c', '-p', String(base + 103), 'get', 'up-key'])) === 'up-value', 'a read through node 3', 10_000);
    // kill -9 of one node: the launcher keeps the other two serving (it says how to restart it), and the acknowledged write is still there.
    const pid = Number(spawnSync('pgrep', ['-f', '--', `--node-id 1 .*--port ${base + 1} `], { encoding: 'utf8' }).stdout.trim().split('\n')[0]);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    await until(() => output.includes('node 1 exited (SIGKILL); the other 2 keep serving'), 'the launcher to report the exit', 5_000);
    expect(output).toContain(`Restart it with: node ${CLI} server --node-id 1`);
    await until(async () => (await redisCli(['-c', '-p', String(base + 102), 'get', 'up-key']).catch(() => null)) === 'up-value', 'a read after the kill', 10_000);
    await until(async () => (await redisCli(['-c', '-p', String(base + 103), 'set', 'after-kill', 'yes']).catch(() => null)) === 'OK', 'a write after the kill', 10_000);
  } finally {
    child.kill('SIGINT');
  }
  expect(await exited).toBe(0);
  expect(output).toContain('piccolo cluster: stopped');
  // Every node is gone: nothing answers on the RESP ports any more.
  for (const port of [base + 101, base + 102, base + 103]) await expect(redisCli(['-p', String(port), 'ping'])).rejects.toThrow();
  // Each node kept its data in its own directory.
  expect(readdirSync(dataDir).sort()).toEqual(['node-1', 'node-2', 'node-3']);
  rmSync(dataDir, { recursive: true, force: true });
}, 40_000);
