// The clusters of bench:cluster: Piccolo's (3 node processes), and what it
// is measured against, a Redis Cluster of 3 masters and 3 replicas
// (asynchronous replication) and a 3-member etcd; all on loopback ports in
// temporary directories, installed with apt-get when missing, stopped and
// removed at the end.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WatchedChild } from './child-process.js';
import { BENCH_HOST, freePort } from './redis-processes.js';

/** Longest wait for a cluster to form and answer. */
const FORM_TIMEOUT_MS = 60_000;

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + FORM_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} within ${FORM_TIMEOUT_MS} ms`);
}

/** Processes in a temporary directory: stop them all, then remove it. */
class ProcessGroup {
  protected readonly children: WatchedChild[] = [];
  protected constructor(readonly dir: string) {}

  /** SIGKILL: a benchmark's peers hold nothing worth a clean shutdown, and etcd's exit on SIGTERM is by signal (noisy). */
  async stop(): Promise<void> {
    await Promise.all(this.children.map((c) => c.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Keys written to see that every group has a leader: enough that each of a few groups gets some. */
const FORMED_PROBE_KEYS = 24;
const PICCOLO_BIN = fileURLToPath(new URL('../../bin/piccolo.js', import.meta.url));

/**
 * Piccolo × 3 forming one cluster (`piccolo server --node-id --peers`), one
 * worker each, unpinned (three nodes share the machine's cores, as in
 * `piccolo cluster up`), plus `storageArgs` for every node (`--in-memory`,
 * or `--data-dir` which is filled in per node).
 */
export class PiccoloCluster extends ProcessGroup {
  private constructor(dir: string, readonly respPorts: readonly number[], readonly httpPorts: readonly number[]) {
    super(dir);
  }

  static async start(storage: 'memory' | 'disk'): Promise<PiccoloCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'piccolo-bench-cluster-'));
    const http: number[] = [];
    const resp: number[] = [];
    const peer: number[] = [];
    for (let i = 0; i < 3; i++) {
      http.push(await freePort());
      resp.push(await freePort());
      peer.push(await freePort());
    }
    const cluster = new PiccoloCluster(dir, resp, http);
    const peers = peer.map((p, i) => `${i + 1}@${BENCH_HOST}:${p}`).join(',');
    try {
      for (let i = 0; i < 3; i++) {
        const storageArgs = storage === 'memory' ? ['--in-memory'] : ['--data-dir', join(dir, `node-${i + 1}`), '--fsync', 'always'];
        const child = spawn(process.execPath, [
          PICCOLO_BIN, 'server', '--node-id', String(i + 1), '--peers', peers, '--host', BENCH_HOST,
          '--port', String(http[i]), '--resp-port', String(resp[i]), '--workers', '1', '--no-pin', ...storageArgs,
        ], { stdio: ['ignore', 'ignore', 'pipe'] });
        cluster.children.push(new WatchedChild(`piccolo-${i + 1}`, child));
      }
      // Formed when every group has a leader: writes of keys spread over the slots all succeed (redis-cli -c follows MOVED).
      const written = (): boolean => {
        if (cluster.children.some((c) => !c.running)) throw new Error(`a Piccolo node exited: ${cluster.children.map((c) => c.stderrTail).join('\n')}`);
        return Array.from({ length: FORMED_PROBE_KEYS }, (_, k) => `bench:formed:${k}`).every((key) =>
          spawnSync('redis-cli', ['-c', '-h', BENCH_HOST, '-p', String(resp[0]), 'SET', key, '1'], { encoding: 'utf8' }).stdout.trim() === 'OK');
      };
      await until('the Piccolo cluster did not accept a write', written);
      // Leaders move to their preferred nodes within seconds of forming (runtime-node/cluster/preferred-leader.ts).
      // Wait for every group to sit there: three distinct leaders are not enough (another spread of them still moves),
      // and a move during a run's preload refuses writes, so keys go missing and GETs count as problems.
      const placed = (): boolean => {
        const body = spawnSync('curl', ['-s', '-m', '2', `http://${BENCH_HOST}:${http[0]}/v1/cluster`], { encoding: 'utf8' }).stdout;
        try {
          const groups = (JSON.parse(body) as { groups: { leader: number; preferredLeader: number }[] }).groups;
          return groups.length > 0 && groups.every((g) => g.leader !== 0 && g.leader === g.preferredLeader);
        } catch {
          return false;
        }
      };
      await until('the Piccolo cluster\'s groups did not settle on their preferred leaders', placed);
      return cluster;
    } catch (e) {
      await cluster.stop();
      throw e;
    }
  }
}

/** redis-server × 6 in cluster mode, made into 3 masters with a replica each by `redis-cli --cluster create`. */
export class RedisCluster extends ProcessGroup {
  private constructor(dir: string, readonly ports: readonly number[]) {
    super(dir);
  }

  static async start(): Promise<RedisCluster> {
    const cluster = new RedisCluster(mkdtempSync(join(tmpdir(), 'piccolo-bench-redis-cluster-')), []);
    const ports: number[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        const port = await freePort();
        // Redis Cluster uses port + 10000 for its bus: it must be free too, and below 65536.
        if (port + 10_000 > 65_535) { i--; continue; }
        ports.push(port);
        const child = spawn('redis-server', [
          '--port', String(port), '--bind', BENCH_HOST, '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
          '--dir', cluster.dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--daemonize', 'no', '--loglevel', 'warning',
        ], { stdio: ['ignore', 'ignore', 'pipe'] });
        cluster.children.push(new WatchedChild(`redis-cluster-${port}`, child));
      }
      (cluster as { ports: readonly number[] }).ports = ports;
      const ping = (port: number): boolean =>
        spawnSync('redis-cli', ['-h', BENCH_HOST, '-p', String(port), 'PING'], { encoding: 'utf8' }).stdout.trim() === 'PONG';
      await until('redis-server instances did not answer PING', () => ports.every(ping));
      const create = spawnSync('redis-cli', [
        '--cluster', 'create', ...ports.map((p) => `${BENCH_HOST}:${p}`), '--cluster-replicas', '1', '--cluster-yes',
      ], { encoding: 'utf8' });
      if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
      const info = (port: number): string => spawnSync('redis-cli', ['-h', BENCH_HOST, '-p', String(port), 'CLUSTER', 'INFO'], { encoding: 'utf8' }).stdout;
      await until('the Redis Cluster did not reach cluster_state:ok on every node', () => ports.every((p) => /cluster_state:ok/.test(info(p))));
      return cluster;
    } catch (e) {
      await cluster.stop();
      throw e;
    }
  }

  /** Where redis-benchmark --cluster starts (any node; it reads the slot map). */
  get seedPort(): number {
    return this.ports[0]!;
  }
}

/** etcd × 3 forming one cluster; clients use its HTTP/JSON gateway (POST /v3/kv/put). */
export class EtcdCluster extends ProcessGroup {
  private constructor(dir: string, readonly clientPorts: readonly number[]) {
    super(dir);
  }

  static async start(): Promise<EtcdCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'piccolo-bench-etcd-'));
    const clientPorts: number[] = [];
    const peerPorts: number[] = [];
    for (let i = 0; i < 3; i++) {
      clientPorts.push(await freePort());
      peerPorts.push(await freePort());
    }
    const cluster = new EtcdCluster(dir, clientPorts);
    const initial = peerPorts.map((p, i) => `e${i}=http://${BENCH_HOST}:${p}`).join(',');
    try {
      for (let i = 0; i < 3; i++) {
        const child = spawn('etcd', [
          '--name', `e${i}`, '--data-dir', join(dir, `e${i}`),
          '--listen-client-urls', `http://${BENCH_HOST}:${clientPorts[i]}`, '--advertise-client-urls', `http://${BENCH_HOST}:${clientPorts[i]}`,
          '--listen-peer-urls', `http://${BENCH_HOST}:${peerPorts[i]}`, '--initial-advertise-peer-urls', `http://${BENCH_HOST}:${peerPorts[i]}`,
          '--initial-cluster', initial, '--initial-cluster-state', 'new', '--initial-cluster-token', 'piccolo-bench', '--log-level', 'error',
        ], { stdio: ['ignore', 'ignore', 'pipe'] });
        cluster.children.push(new WatchedChild(`etcd-${i}`, child));
      }
      const healthy = (): boolean => spawnSync('etcdctl', [
        '--endpoints', clientPorts.map((p) => `http://${BENCH_HOST}:${p}`).join(','), 'endpoint', 'health',
      ], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } }).status === 0;
      await until('etcd did not report every member healthy', healthy);
      return cluster;
    } catch (e) {
      await cluster.stop();
      throw e;
    }
  }
}
