// `piccolo cluster up --nodes N` (also `npm run cluster -- --nodes N`): a
// local cluster on loopback for trying things out. It starts N node
// processes (`piccolo server --node-id I --peers ...`), waits until each
// listens, prints every node's endpoints and how to connect, and on Ctrl-C
// (or SIGTERM) stops them all and waits for them to exit. If a node exits on
// its own, the others are stopped too and the exit code is 1. Node I keeps
// its data in <data-dir>/node-I (default ./data/node-I), so `cluster up`
// again finds it; --in-memory keeps nothing.

import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { UsageError } from '../cli/usage-error.js';

/** A laptop demo; more nodes than this is a typo. */
export const CLUSTER_UP_NODES_MAX = 9;
/** Node I (1-based) listens on HTTP 7700+I, RESP 6380+I, peers 7800+I; --base-port B moves them to B+I, B+100+I, B+200+I. */
const HTTP_BASE = 7700;
const RESP_BASE = 6380;
const PEER_BASE = 7800;
/** Room for the three port ranges above a --base-port. */
const BASE_PORT_MAX = 65535 - 300;

interface PortBases { http: number; resp: number; peer: number }
/** How long one node may take to print its listening line. */
const NODE_START_MS_MAX = 30_000;

/** Where the nodes' data directories go by default: ./data/node-<id>. */
const DATA_DIR_DEFAULT = 'data';

const HELP = `Usage: piccolo cluster up [--nodes N] [--groups G] [--replicas R] [--base-port B]
                          [--data-dir DIR | --in-memory] [--fsync always|batch=<ms>|never]
       piccolo cluster status [--url URL] [--json]   (see piccolo cluster status --help)

Start a local cluster of N nodes (default 3) on 127.0.0.1, print their
endpoints, and stop them all on Ctrl-C. Node I listens on HTTP/WebSocket
port ${HTTP_BASE}+I, RESP port ${RESP_BASE}+I and peer port ${PEER_BASE}+I
(with --base-port B: B+I, B+100+I and B+200+I).
Node I keeps its data in DIR/node-I (default ${DATA_DIR_DEFAULT}/node-I): stop the
cluster (or kill it) and start it again, and every acknowledged write is
there. --in-memory keeps nothing (docs/cluster.md, docs/durability.md).
`;

interface NodeProcess { id: number; child: ChildProcess; http: number; resp: number; peer: number; args: string[] }

const CLI = fileURLToPath(new URL('../../../bin/piccolo.js', import.meta.url));

function startNode(id: number, bases: PortBases, peers: string, extra: string[]): NodeProcess {
  const node = { id, http: bases.http + id, resp: bases.resp + id, peer: bases.peer + id };
  const args = [
    CLI, 'server', '--node-id', String(id), '--peers', peers, '--port', String(node.http), '--resp-port', String(node.resp),
    '--workers', '1', '--no-pin', ...extra,
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // Each whole line with its node's name (a chunk may hold several lines, or part of one).
  let partial = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop()!;
    for (const line of lines) process.stderr.write(`[node ${id}] ${line}\n`);
  });
  return { ...node, child, args };
}

function listening(node: NodeProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`node ${node.id} did not start within ${NODE_START_MS_MAX} ms`)), NODE_START_MS_MAX);
    node.child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('listening on')) { clearTimeout(timer); resolve(); }
    });
    node.child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`node ${node.id} exited with ${code} before listening`)); });
  });
}

export async function runClusterCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'up') throw new UsageError(`unknown cluster command '${sub}' (try: piccolo cluster up --nodes 3)`);
  const { values } = parseArgs({
    args: rest, strict: true,
    options: {
      nodes: { type: 'string' }, groups: { type: 'string' }, replicas: { type: 'string' }, 'base-port': { type: 'string' },
      'data-dir': { type: 'string' }, 'in-memory': { type: 'boolean' }, fsync: { type: 'string' },
    },
  });
  const inMemory = values['in-memory'] === true;
  if (inMemory && (values['data-dir'] !== undefined || values.fsync !== undefined)) throw new UsageError('--in-memory keeps no data: drop --data-dir and --fsync');
  const dataRoot = values['data-dir'] ?? DATA_DIR_DEFAULT;
  const nodes = Number(values.nodes ?? 3);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > CLUSTER_UP_NODES_MAX) throw new UsageError(`--nodes must be an integer in 1..${CLUSTER_UP_NODES_MAX}`);
  const base = values['base-port'] === undefined ? null : Number(values['base-port']);
  if (base !== null && (!Number.isInteger(base) || base < 1024 || base > BASE_PORT_MAX)) throw new UsageError(`--base-port must be an integer in 1024..${BASE_PORT_MAX}`);
  const bases: PortBases = base === null ? { http: HTTP_BASE, resp: RESP_BASE, peer: PEER_BASE } : { http: base, resp: base + 100, peer: base + 200 };
  const extra = [...(values.groups ? ['--groups', values.groups] : []), ...(values.replicas ? ['--replicas', values.replicas] : [])];
  const peers = Array.from({ length: nodes }, (_, i) => `${i + 1}@127.0.0.1:${bases.peer + i + 1}`).join(',');
  const storage = (id: number): string[] => (inMemory ? ['--in-memory']
    : ['--data-dir', join(dataRoot, `node-${id}`), ...(values.fsync !== undefined ? ['--fsync', values.fsync] : [])]);
  const running = Array.from({ length: nodes }, (_, i) => startNode(i + 1, bases, peers, [...extra, ...storage(i + 1)]));
  const stopAll = (): Promise<void> => Promise.all(running.map((n) => new Promise<void>((resolve) => {
    if (n.child.exitCode !== null || n.child.signalCode !== null) return resolve();
    n.child.once('exit', () => resolve());
    n.child.kill('SIGTERM');
  }))).then(() => undefined);
  try {
    await Promise.all(running.map(listening));
  } catch (error) {
    process.stderr.write(`piccolo cluster: ${(error as Error).message}; stopping the others\n`);
    await stopAll();
    return 1;
  }
  process.stdout.write(`piccolo cluster: ${nodes} nodes up (${inMemory ? 'data in memory only' : `data in ${resolve(dataRoot)}/node-<id>`})\n`);
  for (const n of running) {
    process.stdout.write(`  node ${n.id}: RESP 127.0.0.1:${n.resp}  HTTP http://127.0.0.1:${n.http}  WebSocket ws://127.0.0.1:${n.http}/v1/ws  peers 127.0.0.1:${n.peer}\n`);
  }
  process.stdout.write(`connect: redis-cli -c -p ${bases.resp + 1}   (any node; -c follows MOVED redirects)\n`);
  process.stdout.write('Ctrl-C stops the cluster.\n');
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (why: string, code: number): void => {
      if (stopping) return;
      stopping = true;
      process.stdout.write(`piccolo cluster: ${why}, stopping every node\n`);
      void stopAll().then(() => { process.stdout.write('piccolo cluster: stopped\n'); resolve(code); });
    };
    process.once('SIGINT', () => stop('SIGINT', 0));
    process.once('SIGTERM', () => stop('SIGTERM', 0));
    // A node that dies (a kill -9 to try a failover) leaves the others serving, as a real cluster would;
    // the cluster stops when the last node has gone, or on Ctrl-C.
    let alive = running.length;
    for (const n of running) {
      n.child.once('exit', (code, signal) => {
        if (stopping) return;
        alive--;
        if (alive === 0) return stop(`node ${n.id} exited (${code ?? signal}), the last one`, 1);
        process.stdout.write(`piccolo cluster: node ${n.id} exited (${code ?? signal}); the other ${alive} keep serving. `
          + `Restart it with: ${['node', ...n.args].join(' ')}\n`);
      });
    }
  });
}
