// Measures a durable node's restart after kill -9 (issue 12's restart figure):
// how long from spawn until DBSIZE answers every key, and the CPU the node's
// process spent getting there (user + system, all threads, from /proc; the
// busiest thread other than the IO thread is the worker). The machine is
// shared, so CPU is the figure to compare; wall time rides on the load.
//
// `load` fills a data directory once (N distinct keys of 100 bytes through
// RESP, pipelined, under --fsync always, as bench/durability-side-by-side.ts)
// and kills the node with SIGKILL. `time` restarts a fresh copy of that
// directory for each round (recovery rewrites state slots and cuts tails, so
// every round starts from the same bytes), once per build given, builds
// alternating within a round so they share the machine's load; it prints
// each restart and the medians. A build is a directory holding bin/piccolo.js
// and its dist/ (a copy of an older build compares before with after).
// Not a test; after `npm run build`:
//   node dist/test/storage/measure-restart.js load <dir> [keys]
//   node dist/test/storage/measure-restart.js time <dir> <rounds> <build>[,<build>...] [--cpu-prof <profile dir>]

import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuTimes, WatchedChild } from '../../bench/child-process.js';
import { RespBenchClient } from '../../bench/redis-loader.js';

const KEYS_DEFAULT = 1_000_000;
const VALUE_BYTES = 100;
/** How often DBSIZE is asked while the node recovers: fine enough against restarts of a second or more. */
const POLL_MS = 5;
/** A restart slower than this is a hang, not a measurement. */
const RESTART_TIMEOUT_MS = 120_000;
const THIS_BUILD = fileURLToPath(new URL('../../..', import.meta.url));

interface Started { child: WatchedChild; port: number; spawnedAt: number; listeningMs: number }

/** Spawn `build`'s node on `dataDir` (free ports) and wait for its RESP line: it listens once every worker has recovered. */
function startNode(build: string, dataDir: string, profileDir: string | null): Promise<Started> {
  const nodeFlags = profileDir === null ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir];
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...nodeFlags, join(build, 'bin/piccolo.js'), 'server', '--port', '0', '--resp-port', '0',
    '--data-dir', dataDir, '--fsync', 'always'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const watched = new WatchedChild('piccolo', child);
  return new Promise((resolvePort, reject) => {
    let out = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no RESP line within ${RESTART_TIMEOUT_MS} ms: ${out}`)); }, RESTART_TIMEOUT_MS);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /RESP on [^:\s]+:(\d+)/.exec(out);
      if (match === null) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      resolvePort({ child: watched, port: Number(match[1]), spawnedAt, listeningMs: performance.now() - spawnedAt });
    });
    void watched.exited.then((code) => { clearTimeout(timer); reject(new Error(`piccolo exited with ${code}: ${out}${watched.stderrTail}`)); });
  });
}

async function dbsize(port: number): Promise<number> {
  const client = await RespBenchClient.connect(port);
  try {
    return Number(await client.call('DBSIZE'));
  } finally {
    client.close();
  }
}

async function load(dir: string, keys: number): Promise<void> {
  const dataDir = join(dir, 'data');
  if (existsSync(dataDir)) throw new Error(`${dataDir} exists: load into a new directory`);
  mkdirSync(dir, { recursive: true });
  const node = await startNode(THIS_BUILD, dataDir, null);
  const started = performance.now();
  const client = await RespBenchClient.connect(node.port);
  try {
    await client.load(keys, VALUE_BYTES);
  } finally {
    client.close();
  }
  const held = await dbsize(node.port);
  if (held !== keys) throw new Error(`the node holds ${held} keys, ${keys} were loaded`);
  console.log(`loaded ${keys} keys of ${VALUE_BYTES} bytes in ${((performance.now() - started) / 1000).toFixed(1)} s; kill -9`);
  await node.child.kill();
  writeFileSync(join(dir, 'keys'), `${keys}\n`);
  for (const group of readdirSync(dataDir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const f of readdirSync(join(dataDir, group.name))) console.log(`  ${group.name}/${f}: ${statSync(join(dataDir, group.name, f)).size} bytes`);
  }
}

interface Restart { wallMs: number; listeningMs: number; cpuS: number; workerCpuS: number }

/** The busiest thread's CPU other than the main (IO) thread: the worker's, on a machine that runs one. */
function workerCpuS(pid: number): number {
  let most = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    if (Number(t) === pid) continue;
    const { userS, systemS } = cpuTimes(pid, Number(t));
    most = Math.max(most, userS + systemS);
  }
  return most;
}

async function restartOnce(build: string, source: string, keys: number, profileDir: string | null): Promise<Restart> {
  const scratch = mkdtempSync(join(tmpdir(), 'piccolo-restart-'));
  try {
    const dataDir = join(scratch, 'data');
    cpSync(source, dataDir, { recursive: true });
    const node = await startNode(build, dataDir, profileDir);
    try {
      for (;;) {
        if (await dbsize(node.port) === keys) break;
        if (performance.now() - node.spawnedAt > RESTART_TIMEOUT_MS) throw new Error(`not all ${keys} keys back within ${RESTART_TIMEOUT_MS} ms`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      const wallMs = performance.now() - node.spawnedAt;
      const { userS, systemS } = cpuTimes(node.child.pid);
      return { wallMs, listeningMs: node.listeningMs, cpuS: userS + systemS, workerCpuS: workerCpuS(node.child.pid) };
    } finally {
      // A profiled node must exit normally to write its profiles; otherwise a crash, as the data was left.
      if (profileDir === null) await node.child.kill();
      else await node.child.stop(30_000);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function time(dir: string, rounds: number, builds: string[], profileDir: string | null): Promise<void> {
  const keys = Number(readFileSync(join(dir, 'keys'), 'utf8'));
  const results = new Map<string, Restart[]>(builds.map((b) => [b, []]));
  console.log(`restarts of ${keys} keys, ${rounds} rounds, load average at start ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  for (let round = 1; round <= rounds; round++) {
    // Alternate which build goes first, so neither always follows the other's page-cache state.
    const order = round % 2 === 1 ? builds : [...builds].reverse();
    for (const build of order) {
      const r = await restartOnce(build, join(dir, 'data'), keys, profileDir);
      results.get(build)!.push(r);
      console.log(`round ${round} ${build}: DBSIZE ${keys} after ${r.wallMs.toFixed(0)} ms (listening at ${r.listeningMs.toFixed(0)} ms); `
        + `CPU ${r.cpuS.toFixed(2)} s, worker ${r.workerCpuS.toFixed(2)} s; load ${loadavg()[0]!.toFixed(1)}`);
    }
  }
  for (const [build, rs] of results) {
    console.log(`median ${build}: wall ${median(rs.map((r) => r.wallMs)).toFixed(0)} ms, listening ${median(rs.map((r) => r.listeningMs)).toFixed(0)} ms, `
      + `CPU ${median(rs.map((r) => r.cpuS)).toFixed(2)} s, worker ${median(rs.map((r) => r.workerCpuS)).toFixed(2)} s (${rs.length} restarts)`);
  }
  console.log(`load average at end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

const [command, dir, ...rest] = process.argv.slice(2);
const usage = 'usage: measure-restart.js load <dir> [keys] | time <dir> <rounds> <build>[,<build>...] [--cpu-prof <profile dir>]';
if (dir === undefined) throw new Error(usage);
if (command === 'load') {
  await load(dir, Number(rest[0] ?? KEYS_DEFAULT));
} else if (command === 'time') {
  const profileAt = rest.indexOf('--cpu-prof');
  const profileDir = profileAt >= 0 ? resolve(rest[profileAt + 1]!) : null;
  const builds = (rest[1] ?? THIS_BUILD).split(',').map((b) => resolve(b));
  await time(dir, Number(rest[0] ?? 5), builds, profileDir);
} else {
  throw new Error(usage);
}
