// The processes of the Redis side-by-side benchmark: redis-server, a Piccolo
// node with its RESP door, and redis-benchmark runs against either, with the
// servers' CPU time and memory read from /proc.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, WatchedChild } from './child-process.js';

const PICCOLO_BIN = fileURLToPath(new URL('../../bin/piccolo.js', import.meta.url));
/** Longest wait for a server to accept connections (Piccolo starts its workers first). */
const START_TIMEOUT_MS = 30_000;
/** Longest wait for a graceful exit (Piccolo writes its CPU profiles on exit) before SIGKILL. */
const STOP_TIMEOUT_MS = 30_000;
/** Linux reports CPU time in clock ticks; 100 per second on every common kernel config. */
/** Loopback: both servers and the load generator share the machine, as in a single-host deployment. */
export const BENCH_HOST = '127.0.0.1';

export function commandExists(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** Install redis-server and redis-tools with apt when any of the binaries is missing. */
export function ensureRedisTools(log: (line: string) => void): void {
  ensurePackages({ 'redis-server': 'redis-server', 'redis-benchmark': 'redis-tools', 'redis-cli': 'redis-tools' }, log);
}

/** Install Debian packages for the binaries that are missing. */
export function ensurePackages(binaries: Record<string, string>, log: (line: string) => void): void {
  const missing = Object.entries(binaries).filter(([bin]) => !commandExists(bin)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  if (!commandExists('apt-get')) throw new Error(`missing packages ${missing.join(', ')}, and no apt-get to install them`);
  log(`installing ${missing.join(', ')} with apt-get ...`);
  const install = (): number | null => spawnSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit' }).status;
  if (install() !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    if (install() !== 0) throw new Error(`apt-get could not install ${missing.join(', ')}`);
  }
}

export function redisVersion(): string {
  const out = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout;
  return /v=(\S+)/.exec(out)?.[1] ?? 'unknown';
}

/** A port that was free a moment ago (redis-server needs a number; Piccolo picks its own). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, BENCH_HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}


/** Resident set size of a process, from /proc/PID/status VmRSS. */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

/** redis-server flags for no persistence at all: the in-memory comparison. */
export const REDIS_PERSISTENCE_OFF: readonly string[] = ['--save', '', '--appendonly', 'no'];

export class BenchServer {
  private readonly process: WatchedChild;

  /** Piccolo's worker threads, and whether they are pinned to CPUs, from its listening line (0 for Redis). */
  workers = 0;
  pinned = false;

  private constructor(readonly name: string, child: ChildProcess, readonly port: number) {
    this.process = new WatchedChild(name, child);
    child.stdout?.resume();
  }

  get pid(): number {
    return this.process.pid;
  }

  /** redis-server on a loopback port; persistence off (no RDB snapshots, no AOF) unless `persistence` says otherwise. */
  static async startRedis(persistence: readonly string[] = REDIS_PERSISTENCE_OFF): Promise<BenchServer> {
    const port = await freePort();
    const child = spawn('redis-server', [
      '--port', String(port), '--bind', BENCH_HOST, ...persistence,
      '--protected-mode', 'no', '--daemonize', 'no', '--loglevel', 'warning',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new BenchServer('redis', child, port);
    await server.waitForPong();
    return server;
  }

  /**
   * A Piccolo node on its defaults (workers one per core but one, pinned), its ports
   * picked free, with `args` (its storage flags; default --in-memory); optionally CPU-profiled.
   */
  static startPiccolo(options: { cpuProfileDir?: string; args?: readonly string[] } = {}): Promise<BenchServer> {
    const nodeFlags = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [];
    // Without storage flags, in memory: the like-for-like peer of Redis with persistence off.
    const child = spawn(process.execPath, [...nodeFlags, PICCOLO_BIN, 'server', '--port', '0', '--resp-port', '0', ...options.args ?? ['--in-memory']], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`piccolo did not start within ${START_TIMEOUT_MS} ms: ${out}`));
      }, START_TIMEOUT_MS);
      const onOut = (chunk: Buffer): void => {
        out += chunk.toString('utf8');
        const match = /RESP on [^:\s]+:(\d+)/.exec(out);
        if (!match) return;
        clearTimeout(timer);
        child.stdout!.off('data', onOut);
        const server = new BenchServer('piccolo', child, Number(match[1]));
        server.workers = Number(/(\d+) workers/.exec(out)?.[1] ?? 0);
        server.pinned = /pinned to cpus/.test(out);
        resolve(server);
      };
      child.stdout!.on('data', onOut);
      child.stderr!.on('data', (chunk: Buffer) => { out += chunk.toString('utf8'); });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`piccolo exited with ${code} before listening: ${out}`));
      });
    });
  }

  private async waitForPong(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const ping = spawnSync('redis-cli', ['-h', BENCH_HOST, '-p', String(this.port), 'PING'], { encoding: 'utf8' });
      if (ping.stdout.trim() === 'PONG') return;
      if (!this.process.running) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${this.name} did not answer PING: ${this.process.stderrTail}`);
  }

  /** SIGTERM and wait for a normal exit (which writes CPU profiles); SIGKILL if it hangs. */
  stop(): Promise<void> {
    return this.process.stop(STOP_TIMEOUT_MS);
  }

  /** kill -9: a crash, for restart-time measurements. */
  kill(): Promise<void> {
    return this.process.kill();
  }
}

export interface BenchmarkFlags {
  tests: string[];
  clients: number;
  pipeline: number;
  valueBytes: number;
  requests: number;
  keyspace: number;
}

/** One row of redis-benchmark's --csv output. Latencies in ms. */
export interface BenchmarkRow {
  test: string;
  rps: number;
  avgMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function benchmarkArgs(port: number, f: BenchmarkFlags): string[] {
  return [
    '-h', BENCH_HOST, '-p', String(port), '-t', f.tests.join(','), '-c', String(f.clients), '-P', String(f.pipeline),
    '-d', String(f.valueBytes), '-n', String(f.requests), '-r', String(f.keyspace), '--csv',
  ];
}

/** Parse `--csv` output: a header line naming the columns, then one line per test. */
export function parseBenchmarkCsv(text: string): BenchmarkRow[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.startsWith('"'));
  const cells = (line: string): string[] => line.split(',').map((c) => c.replace(/^"|"$/g, ''));
  const header = lines.find((l) => l.startsWith('"test"'));
  if (!header) throw new Error(`redis-benchmark printed no CSV header:\n${text}`);
  const names = cells(header);
  const column = (row: string[], name: string): number => {
    const i = names.indexOf(name);
    if (i < 0) throw new Error(`redis-benchmark CSV lacks column ${name} (is it older than 7.0?)`);
    return Number(row[i]);
  };
  return lines.filter((l) => l !== header).map((line) => {
    const row = cells(line);
    return {
      test: row[0]!,
      rps: column(row, 'rps'),
      avgMs: column(row, 'avg_latency_ms'),
      p50Ms: column(row, 'p50_latency_ms'),
      p95Ms: column(row, 'p95_latency_ms'),
      p99Ms: column(row, 'p99_latency_ms'),
      maxMs: column(row, 'max_latency_ms'),
    };
  });
}

export interface BenchmarkRun {
  rows: BenchmarkRow[];
  /** Server CPU per request over the run, in µs: all threads, and the main thread (Piccolo's IO thread; Redis's only busy one). */
  serverCpuUsPerRequest: number;
  serverMainCpuUsPerRequest: number;
  wallS: number;
}

/** redis-benchmark with these arguments, its --csv rows once it exits (`what` names the target in errors). */
export function redisBenchmarkRows(args: readonly string[], what: string): Promise<BenchmarkRow[]> {
  const child = spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString('utf8'); });
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString('utf8'); });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`redis-benchmark against ${what} exited with ${code}: ${err}${out}`));
      else resolve(parseBenchmarkCsv(out));
    });
  });
}

/** Run redis-benchmark against a server, measuring the server's CPU over the run. */
export async function runBenchmark(server: BenchServer, flags: BenchmarkFlags): Promise<BenchmarkRun> {
  const cpuBefore = cpuSeconds(server.pid);
  const mainCpuBefore = cpuSeconds(server.pid, server.pid);
  const started = performance.now();
  const rows = await redisBenchmarkRows(benchmarkArgs(server.port, flags), server.name);
  const wallS = (performance.now() - started) / 1000;
  const cpuS = cpuSeconds(server.pid) - cpuBefore;
  const mainCpuS = cpuSeconds(server.pid, server.pid) - mainCpuBefore;
  const requests = flags.requests * rows.length;
  return { rows, serverCpuUsPerRequest: (cpuS * 1e6) / requests, serverMainCpuUsPerRequest: (mainCpuS * 1e6) / requests, wallS };
}
