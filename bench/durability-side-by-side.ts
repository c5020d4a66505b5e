// `npm run bench:durability`: what durability costs, Piccolo against
// redis-server with its append-only file, the same redis-benchmark flags for
// both (issue 12):
//
//   1. write throughput and latency: redis-benchmark -t set -c 50 -d 100
//      -r 1000000 at -P 1 and -P 16, for Piccolo --fsync always / batch / never
//      and Redis appendfsync always / everysec (appendfsync no is Redis's
//      "never");
//   2. restart time with 1M keys: each server loads 1M keys of 100 bytes under
//      its strictest mode, is killed with SIGKILL, and is started again on the
//      same directory; timed from spawn until DBSIZE answers 1M.
// Then prints the tables and rewrites the "Durability side by side" section of
// docs/benchmarks.md. It measures; it never passes or fails on a number.

import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { replaceDocSection } from './doc-section.js';
import { announceMachine, formatLoad, type MachineInfo } from './machine.js';
import { RespBenchClient } from './redis-loader.js';
import { BenchServer, ensureRedisTools, redisVersion, runBenchmark, type BenchmarkFlags } from './redis-processes.js';
import { parseSideBySideArgs, runWhenMain } from './side-by-side-cli.js';
import { formatCount, markdownTable, textTable, type Table } from './table.js';

const DOCS_PATH = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
const SECTION = { heading: '## Durability side by side', beginMarker: '<!-- durability:begin -->', endMarker: '<!-- durability:end -->' };

const WORKLOAD: Omit<BenchmarkFlags, 'pipeline' | 'requests'> = { tests: ['set'], clients: 50, valueBytes: 100, keyspace: 1_000_000 };
const PIPELINES = [1, 16];
const REQUESTS_FULL = 200_000;
const REQUESTS_QUICK = 20_000;
const RESTART_KEYS_FULL = 1_000_000;
const RESTART_KEYS_QUICK = 100_000;
/** Piccolo's batch mode: at most this long between a write and its fsync (Redis's everysec is 1000 ms). */
const PICCOLO_BATCH_MS = 10;

/** One durability setting of one server. */
interface Mode {
  readonly server: 'piccolo' | 'redis';
  readonly label: string;
  /** What survives a crash of the machine, in words. */
  readonly promise: string;
  readonly start: (dir: string) => Promise<BenchServer>;
}

const redisAof = (fsync: string) => (dir: string): Promise<BenchServer> =>
  BenchServer.startRedis(['--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', fsync]);
const piccoloFsync = (fsync: string) => (dir: string): Promise<BenchServer> =>
  BenchServer.startPiccolo({ args: ['--data-dir', dir, '--fsync', fsync] });

const MODES: readonly Mode[] = [
  { server: 'piccolo', label: 'Piccolo --fsync always', promise: 'every acknowledged write', start: piccoloFsync('always') },
  { server: 'redis', label: 'Redis appendfsync always', promise: 'every acknowledged write', start: redisAof('always') },
  { server: 'piccolo', label: `Piccolo --fsync batch=${PICCOLO_BATCH_MS}`, promise: `writes older than ${PICCOLO_BATCH_MS} ms`, start: piccoloFsync(`batch=${PICCOLO_BATCH_MS}`) },
  { server: 'redis', label: 'Redis appendfsync everysec', promise: 'writes older than about 1 s', start: redisAof('everysec') },
  { server: 'piccolo', label: 'Piccolo --fsync never', promise: 'what the OS flushed', start: piccoloFsync('never') },
  { server: 'redis', label: 'Redis appendfsync no', promise: 'what the OS flushed', start: redisAof('no') },
];

interface ThroughputRow { mode: Mode; pipeline: number; rps: number; p50Ms: number; p99Ms: number }
interface RestartRow { mode: Mode; keys: number; loadS: number; restartS: number }

const HELP = `Usage: npm run bench:durability -- [options]

Write throughput and p99 of Piccolo --fsync always|batch|never against
redis-server appendonly yes with appendfsync always|everysec|no (redis-benchmark
-t set -c 50 -d 100 -r 1000000, -P 1 and -P 16), then restart time after kill -9
with 1M keys. Rewrites the "Durability side by side" section of docs/benchmarks.md.

Options:
  --quick      ${formatCount(REQUESTS_QUICK)} requests and ${formatCount(RESTART_KEYS_QUICK)} keys: a smoke run (docs untouched)
  --no-docs    print only
  -h, --help   show this help
`;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function freshDir(): string {
  return mkdtempSync(join(tmpdir(), 'piccolo-bench-durability-'));
}

async function measureThroughput(requests: number): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  for (const mode of MODES) {
    const dir = freshDir();
    const server = await mode.start(dir);
    try {
      for (const pipeline of PIPELINES) {
        const run = await runBenchmark(server, { ...WORKLOAD, pipeline, requests });
        const row = run.rows[0]!;
        log(`  ${mode.label} -P ${pipeline}: ${Math.round(row.rps)} ops/s, p99 ${row.p99Ms} ms`);
        rows.push({ mode, pipeline, rps: row.rps, p50Ms: row.p50Ms, p99Ms: row.p99Ms });
      }
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

async function dbsize(server: BenchServer): Promise<number> {
  const client = await RespBenchClient.connect(server.port);
  try {
    return Number(await client.call('DBSIZE'));
  } finally {
    client.close();
  }
}

async function measureRestart(mode: Mode, keys: number): Promise<RestartRow> {
  const dir = freshDir();
  try {
    const first = await mode.start(dir);
    const loadStarted = performance.now();
    const client = await RespBenchClient.connect(first.port);
    try {
      await client.load(keys, WORKLOAD.valueBytes);
    } finally {
      client.close();
    }
    const loadS = (performance.now() - loadStarted) / 1000;
    await first.kill();
    const restartStarted = performance.now();
    const second = await mode.start(dir);
    try {
      const held = await dbsize(second);
      if (held !== keys) throw new Error(`${mode.label} holds ${held} keys after a restart, ${keys} were acknowledged`);
      const restartS = (performance.now() - restartStarted) / 1000;
      log(`  ${mode.label}: loaded ${formatCount(keys)} keys in ${loadS.toFixed(1)} s, restarted in ${restartS.toFixed(2)} s`);
      return { mode, keys, loadS, restartS };
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface DurabilityReport {
  command: string;
  date: Date;
  machine: MachineInfo;
  loadAtEnd: number[];
  redisVersion: string;
  requests: number;
  throughput: ThroughputRow[];
  restarts: RestartRow[];
}

function throughputTable(r: DurabilityReport): Table {
  const always = (server: string, pipeline: number): number =>
    r.throughput.find((t) => t.mode.server === server && t.pipeline === pipeline && t.mode.label.endsWith('always'))!.rps;
  return {
    headers: ['mode', 'survives a crash', 'pipeline', 'SET ops/s', 'p50 ms', 'p99 ms', '÷ Redis always'],
    rightAligned: [false, false, true, true, true, true, true],
    rows: r.throughput.map((t) => [
      t.mode.label, t.mode.promise, String(t.pipeline), formatCount(t.rps), t.p50Ms.toFixed(3), t.p99Ms.toFixed(3),
      `${(t.rps / always('redis', t.pipeline)).toFixed(2)}×`,
    ]),
  };
}

function restartTable(r: DurabilityReport): Table {
  return {
    headers: ['mode', 'keys', 'load s', 'restart after kill -9, s'],
    rightAligned: [false, true, true, true],
    rows: r.restarts.map((x) => [x.mode.label, formatCount(x.keys), x.loadS.toFixed(1), x.restartS.toFixed(2)]),
  };
}

function reportMarkdown(r: DurabilityReport): string {
  return [
    SECTION.beginMarker,
    '',
    `Measured ${r.date.toISOString().slice(0, 10)} with \`${r.command}\` (\`npm run bench:durability\`) on ${r.machine.cpuModel}, `
      + `${r.machine.cores} cores, Node ${r.machine.node}, redis-server ${r.redisVersion}; load average ${formatLoad(r.loadAtEnd)} at the end. `
      + `redis-benchmark -t set -c ${WORKLOAD.clients} -d ${WORKLOAD.valueBytes} -r ${WORKLOAD.keyspace} -n ${r.requests}, the same flags for both; `
      + 'each server on a fresh directory on the same disk.',
    '',
    markdownTable(throughputTable(r)),
    '',
    'Restart: the server loads the keys under its strictest mode, is killed with SIGKILL, and starts again on the same directory; '
      + 'timed from spawn until DBSIZE answers with every key.',
    '',
    markdownTable(restartTable(r)),
    '',
    SECTION.endMarker,
  ].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const args = parseSideBySideArgs(argv, HELP);
  if (args === null) return;
  const quick = args.quick;
  ensureRedisTools(log);
  const machine = announceMachine(log);
  const requests = quick ? REQUESTS_QUICK : REQUESTS_FULL;
  log('write throughput ...');
  const throughput = await measureThroughput(requests);
  log('restart with many keys ...');
  const keys = quick ? RESTART_KEYS_QUICK : RESTART_KEYS_FULL;
  const restarts = [await measureRestart(MODES[0]!, keys), await measureRestart(MODES[1]!, keys)];
  const [l1, l5, l15] = loadavg();
  const report: DurabilityReport = {
    command: `node dist/bench/durability-side-by-side.js${argv.length ? ` ${argv.join(' ')}` : ''}`,
    date: new Date(), machine, loadAtEnd: [l1!, l5!, l15!], redisVersion: redisVersion(), requests, throughput, restarts,
  };
  process.stdout.write(`${textTable(throughputTable(report))}\n\n${textTable(restartTable(report))}\n`);
  if (args.writeDocs) {
    replaceDocSection(DOCS_PATH, SECTION, reportMarkdown(report));
    log(`wrote the durability section of ${DOCS_PATH}`);
  }
}

runWhenMain(import.meta.url, 'bench:durability', main);
