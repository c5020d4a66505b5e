// Starts a real Piccolo cluster for tests: N node processes of the compiled
// CLI (bin/piccolo.js, so `npm run build` first) on loopback, with peer
// ports picked free beforehand (the --peers list must name them before any
// node starts) and client ports picked by each node (--port 0).

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { slotOf } from '../../core/routing/slot-hash.js';
import { SlotMap } from '../../core/routing/slot-map.js';
import type { NodeView } from '../../runtime-node/cluster/admin-http.js';
import { CLI, startNode, type RunningNode } from '../e2e/spawn-node.js';
import { freePort } from '../net/test-ports.js';

export { freePort };

export interface ClusterNodeHandle {
  id: number;
  peerPort: number;
  node: RunningNode;
}

export interface TestCluster {
  nodes: ClusterNodeHandle[];
  peers: string;
  /** Start (or restart) node `id` with the cluster's peer list and `extra` arguments. */
  start(id: number): Promise<ClusterNodeHandle>;
  stopAll(): Promise<void>;
}

/** A port nobody listens on right now (the node binds it a moment later; the race is harmless on a test machine). */

/** Tries at restarting a node whose fixed peer port is briefly taken (below). */
const PEER_PORT_TRIES_MAX = 10;
const PEER_PORT_RETRY_MS = 300;

/**
 * startNode, retried while its peer port is in use: a node restarted on the
 * port its peers know may find it taken for a moment by another test's
 * outgoing connection or by a process that has not let go of it yet, a race
 * of the shared test machine rather than of the node.
 */
async function startNodeOnItsPeerPort(args: string[]): Promise<RunningNode> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNode(args);
    } catch (error) {
      if (attempt >= PEER_PORT_TRIES_MAX || !String(error).includes('EADDRINUSE')) throw error;
      await new Promise((resolve) => setTimeout(resolve, PEER_PORT_RETRY_MS));
    }
  }
}

/** `extra`: arguments for every node, or per node id (e.g. each its own --data-dir). */
export async function startCluster(count: number, extra: string[] | ((id: number) => string[])): Promise<TestCluster> {
  const peerPorts: number[] = [];
  for (let i = 0; i < count; i++) peerPorts.push(await freePort());
  const peers = peerPorts.map((port, i) => `${i + 1}@127.0.0.1:${port}`).join(',');
  const nodes: ClusterNodeHandle[] = [];
  const start = async (id: number): Promise<ClusterNodeHandle> => {
    const args = ['--node-id', String(id), '--peers', peers, '--no-pin', ...(typeof extra === 'function' ? extra(id) : extra)];
    const node = await startNodeOnItsPeerPort(args);
    const handle = { id, peerPort: peerPorts[id - 1]!, node };
    nodes[id - 1] = handle;
    return handle;
  };
  await Promise.all(Array.from({ length: count }, (_, i) => start(i + 1)));
  return {
    nodes,
    peers,
    start,
    stopAll: async () => { await Promise.all(nodes.map((n) => n.node.stop())); },
  };
}

/** Polls `probe` every 50 ms until it returns true; throws after `ms`. */
export async function until(probe: () => Promise<boolean> | boolean, what: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One command on a plain (non-cluster) connection to a node's RESP port. */
export async function respCommand(port: number, ...args: string[]): Promise<unknown> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 1_000 });
  try {
    await client.connect();
    return await client.call(args[0]!, ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

/** Every node reports cluster_state:ok (every group has a leader it can name). */
export async function clusterReady(cluster: TestCluster, ms: number): Promise<void> {
  await until(async () => {
    for (const { node } of cluster.nodes) {
      const info = String(await respCommand(node.respPort!, 'cluster', 'info'));
      if (!info.includes('cluster_state:ok')) return false;
    }
    return true;
  }, 'every node to see a leader for every group', ms);
}

/**
 * Every group is led by its preferred node (as /v1/cluster on the first node
 * says): leaders move there within seconds of a cluster forming
 * (runtime-node/cluster/preferred-leader.ts), so a test that must not see a
 * leader change waits for it.
 */
export async function clusterSettled(cluster: TestCluster, ms: number): Promise<void> {
  const url = `${cluster.nodes[0]!.node.baseUrl}/v1/cluster`;
  await until(async () => {
    const { groups } = await (await fetch(url)).json() as { groups: { leader: number; preferredLeader: number }[] };
    return groups.length > 0 && groups.every((g) => g.leader !== 0 && g.leader === g.preferredLeader);
  }, 'every group to be led by its preferred node', ms);
}

/** Runs redis-cli with `args`; resolves with its stdout (trimmed). */
export function redisCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout: 5_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout.trim())));
  });
}

/**
 * A small Redis Cluster client for fault tests, where ioredis's own retry
 * policies would blur what is measured: it follows MOVED, and on TRYAGAIN,
 * a refused connection or a timeout waits 50 ms and tries the next node of
 * `ports`, until the deadline. A command that gets no reply is not
 * acknowledged (its outcome is unknown); only replies count.
 */
export class FollowingClient {
  private readonly connections = new Map<number, Redis>();
  private readonly slotPort = new Map<number, number>();
  private turn = 0;

  constructor(private ports: number[]) {}

  /** Only these nodes from now on (a node was killed). */
  usePorts(ports: number[]): void {
    this.ports = ports;
  }

  private connection(port: number): Redis {
    let c = this.connections.get(port);
    if (c === undefined) {
      c = new Redis({ port, host: '127.0.0.1', lazyConnect: false, maxRetriesPerRequest: 0, connectTimeout: 500, commandTimeout: 1_000, retryStrategy: () => null });
      c.on('error', () => {});
      this.connections.set(port, c);
    }
    return c;
  }

  async command(slot: number, args: string[], deadlineMs: number): Promise<unknown> {
    let port = this.slotPort.get(slot) ?? this.ports[0]!;
    for (;;) {
      if (!this.ports.includes(port)) port = this.ports[this.turn++ % this.ports.length]!;
      try {
        const reply = await this.connection(port).call(args[0]!, ...args.slice(1));
        this.slotPort.set(slot, port);
        return reply;
      } catch (error) {
        const message = (error as Error).message;
        const moved = /^MOVED \d+ [^:]+:(\d+)$/.exec(message);
        if (moved && this.ports.includes(Number(moved[1]))) {
          port = Number(moved[1]);
          continue;
        }
        if (!moved && !message.startsWith('TRYAGAIN')) {
          // A dead or stuck connection: drop it, so the next try dials afresh.
          this.connections.get(port)?.disconnect();
          this.connections.delete(port);
        }
        if (Date.now() > deadlineMs) throw error;
        await new Promise((r) => setTimeout(r, 50));
        port = this.ports[this.turn++ % this.ports.length]!;
      }
    }
  }

  close(): void {
    for (const c of this.connections.values()) c.disconnect();
    this.connections.clear();
  }
}

/**
 * Writers that keep SETting fresh keys through a FollowingClient until
 * stopped, remembering only acknowledged writes (a write without a reply is
 * of unknown outcome). `keep` limits the keys (e.g. one group's slots).
 */
export class AckedWriters {
  readonly acked = new Map<string, string>();
  private writing = true;
  private readonly done: Promise<void[]>;

  constructor(private ports: number[], count: number, prefix: string, keep: (key: string) => boolean = () => true) {
    this.done = Promise.all(Array.from({ length: count }, async (_, w) => {
      let n = 0;
      while (this.writing) {
        const client = new FollowingClient(this.ports);
        for (let i = 0; i < 100 && this.writing; i++) {
          const key = `${prefix}-${w}-${n}`;
          const value = `v${n++}`;
          if (!keep(key)) continue;
          try {
            if (await client.command(slotOf(Buffer.from(key)), ['set', key, value], Date.now() + 3_000) === 'OK') this.acked.set(key, value);
          } catch {
            // no reply in time: outcome unknown, not acknowledged
          }
        }
        client.close();
      }
    }));
  }

  /** Only these nodes from now on (for clients made after the call). */
  usePorts(ports: number[]): void {
    this.ports = ports;
  }

  async stop(): Promise<void> {
    this.writing = false;
    await this.done;
  }

  /** The acknowledged keys whose value reads back otherwise through `ports` (empty when nothing is lost). */
  async lost(ports: number[]): Promise<string[]> {
    const reader = new FollowingClient(ports);
    try {
      const keys = [...this.acked.keys()];
      const values = await Promise.all(keys.map((k) => reader.command(slotOf(Buffer.from(k)), ['get', k], Date.now() + 5_000)));
      return keys.filter((k, i) => values[i] !== this.acked.get(k));
    } finally {
      reader.close();
    }
  }
}

/** Runs the compiled CLI (`piccolo ARGS`); resolves with its exit code and output (never rejects). */
export function runPiccolo(args: string[], timeoutMs = 50_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: timeoutMs }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** A node's GET /v1/cluster (no password). */
export async function nodeView(httpPort: number): Promise<NodeView & { groups: { replicas: number[]; leader: number }[] }> {
  return await (await fetch(`http://127.0.0.1:${httpPort}/v1/cluster`)).json() as NodeView & { groups: { replicas: number[]; leader: number }[] };
}

export interface DurableTestCluster extends TestCluster {
  /** Node `id`'s data directory (a node that joins later gets one there too). */
  dataDirOf(id: number): string;
}

/** startCluster with each node's data in its own directory under a fresh temporary one, removed by stopAll. */
export async function startDurableCluster(count: number, args: string[], name: string): Promise<DurableTestCluster> {
  const dir = mkdtempSync(join(tmpdir(), `piccolo-${name}-`));
  const dataDirOf = (id: number): string => join(dir, `node-${id}`);
  const cluster = await startCluster(count, (id) => [...args, '--data-dir', dataDirOf(id)]);
  return {
    ...cluster,
    dataDirOf,
    stopAll: async () => {
      await cluster.stopAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The shard group of `key` in a cluster of `groups` groups, by the node's own slot map. */
export function groupOfKey(key: string, groups: number): number {
  return new SlotMap(groups, 1).shardOf(slotOf(Buffer.from(key)));
}
