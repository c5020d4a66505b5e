// `npm run bench:redis`: Piccolo's RESP door against redis-server, with
// redis-benchmark, the same flags for both.
//
//   1. memory: each server fresh, loaded with exactly 1M keys of 100 bytes;
//      Redis's used_memory against Piccolo's whole-process RSS;
//   2. throughput and latency: redis-benchmark -t set,get -c 50 -d 100
//      -n 1000000 -r 1000000 at -P 1 and -P 16, alternating which server
//      goes first, with each server's CPU per request from /proc;
//   3. a separate Piccolo under node --cpu-prof for the P16 workload: where
//      the time goes;
// then prints the tables and rewrites the "Redis side by side" section of
// docs/benchmarks.md. It measures; it never passes or fails on a number.
// Installs redis-server and redis-tools with apt-get when they are missing.

import { mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { monotonicUs, summarizeProfileDir, type ProfileWindow } from './cpu-profile.js';
import { announceMachine } from './machine.js';
import { RespBenchClient } from './redis-loader.js';
import {
  BenchServer, ensureRedisTools, redisVersion, rssBytes, runBenchmark, type BenchmarkFlags, type BenchmarkRun,
} from './redis-processes.js';
import { layerShares } from './redis-profile.js';
import {
  reportMarkdown, reportText, writeRedisSection, type CaseResult, type MemoryResult, type MemorySide, type ProfileResult,
  type RedisReport, type Side,
} from './redis-report.js';

const DOCS_PATH = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
/** CPU profiles of the P16 run; *.cpuprofile is git-ignored. */
const PROFILE_DIR = fileURLToPath(new URL('../../bench/profiles/redis-p16/', import.meta.url));
/** Functions listed per thread in the profile summary. */
const PROFILE_TOP = 12;

/** The issue's workload: the same for both servers, never tuned for either. */
const WORKLOAD: Omit<BenchmarkFlags, 'pipeline' | 'requests'> = { tests: ['set', 'get'], clients: 50, valueBytes: 100, keyspace: 1_000_000 };
const PIPELINES = [1, 16];
const REQUESTS_FULL = 1_000_000;
/** --quick: a smoke run, not a measurement. */
const REQUESTS_QUICK = 100_000;
const MEMORY_KEYS_FULL = 1_000_000;
const MEMORY_KEYS_QUICK = 100_000;

const HELP = `Usage: npm run bench:redis -- [options]

Piccolo's RESP door against redis-server with redis-benchmark (identical flags):
memory for 1M keys, then -t set,get -c 50 -d 100 -r 1000000 at -P 1 and -P 16,
then a CPU-profiled Piccolo run at -P 16. Prints the results and rewrites the
"Redis side by side" section of docs/benchmarks.md.

Options:
  --quick          -n ${REQUESTS_QUICK} and ${MEMORY_KEYS_QUICK} keys: a smoke run (docs untouched unless --write-docs)
  --rounds N       runs per server and case, alternating which goes first; medians reported (default 1)
  --no-memory      skip the memory comparison
  --no-profile     skip the profiled run
  --no-docs        print only
  --write-docs     write docs/benchmarks.md even with --quick
  -h, --help       show this help
`;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function measureMemory(keys: number, valueBytes: number): Promise<MemoryResult> {
  const measureOne = async (server: BenchServer): Promise<MemorySide> => {
    const client = await RespBenchClient.connect(server.port);
    try {
      const used = async (): Promise<number> => (server.name === 'redis'
        ? Number((await client.info('memory')).used_memory)
        : rssBytes(server.pid));
      const baselineUsedBytes = await used();
      const started = performance.now();
      await client.load(keys, valueBytes);
      const stored = Number(await client.call('DBSIZE'));
      if (stored !== keys) throw new Error(`${server.name} holds ${stored} keys after loading ${keys}`);
      log(`  ${server.name}: loaded ${keys} keys in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      // Let a just-finished load settle (Piccolo's workers report memory lazily, GC may be mid-cycle).
      await new Promise((resolve) => setTimeout(resolve, 1000));
      return { usedBytes: await used(), rssBytes: rssBytes(server.pid), baselineUsedBytes, keys };
    } finally {
      client.close();
    }
  };
  const redis = await BenchServer.startRedis();
  const piccolo = await BenchServer.startPiccolo();
  try {
    return { keys, valueBytes, redis: await measureOne(redis), piccolo: await measureOne(piccolo) };
  } finally {
    await Promise.all([redis.stop(), piccolo.stop()]);
  }
}

async function measureThroughput(requests: number, rounds: number): Promise<{ cases: CaseResult[]; piccoloWorkers: number; pinned: boolean }> {
  const redis = await BenchServer.startRedis();
  const piccolo = await BenchServer.startPiccolo();
  const runs = new Map<string, { redis: BenchmarkRun[]; piccolo: BenchmarkRun[] }>();
  try {
    let turn = 0;
    for (let round = 0; round < rounds; round++) {
      for (const pipeline of PIPELINES) {
        const order = turn++ % 2 === 0 ? [redis, piccolo] : [piccolo, redis];
        const entry = runs.get(String(pipeline)) ?? { redis: [], piccolo: [] };
        runs.set(String(pipeline), entry);
        for (const server of order) {
          log(`  round ${round + 1}/${rounds}: ${server.name} -P ${pipeline} -n ${requests} ...`);
          const run = await runBenchmark(server, { ...WORKLOAD, pipeline, requests });
          log(`    ${run.rows.map((r) => `${r.test} ${Math.round(r.rps)} ops/s p99 ${r.p99Ms} ms`).join(', ')}; `
            + `server CPU ${run.serverCpuUsPerRequest.toFixed(1)} µs/request (main thread ${run.serverMainCpuUsPerRequest.toFixed(1)}), ${run.wallS.toFixed(1)} s`);
          entry[server.name as 'redis' | 'piccolo'].push(run);
        }
      }
    }
  } finally {
    await Promise.all([redis.stop(), piccolo.stop()]);
  }
  const cases: CaseResult[] = [];
  for (const pipeline of PIPELINES) {
    const entry = runs.get(String(pipeline))!;
    for (const test of entry.redis[0]!.rows.map((r) => r.test)) {
      const side = (list: BenchmarkRun[]): Side => {
        const rows = list.map((run) => run.rows.find((r) => r.test === test)!);
        return {
          rps: median(rows.map((r) => r.rps)),
          p50Ms: median(rows.map((r) => r.p50Ms)),
          p99Ms: median(rows.map((r) => r.p99Ms)),
          cpuUsPerRequest: median(list.map((run) => run.serverCpuUsPerRequest)),
          mainCpuUsPerRequest: median(list.map((run) => run.serverMainCpuUsPerRequest)),
          rounds: rows.map((r) => r.rps),
        };
      };
      cases.push({ pipeline, test, redis: side(entry.redis), piccolo: side(entry.piccolo) });
    }
  }
  return { cases, piccoloWorkers: piccolo.workers, pinned: piccolo.pinned };
}

async function profileP16(requests: number): Promise<ProfileResult> {
  rmSync(PROFILE_DIR, { recursive: true, force: true });
  mkdirSync(PROFILE_DIR, { recursive: true });
  const piccolo = await BenchServer.startPiccolo({ cpuProfileDir: PROFILE_DIR });
  // Only the benchmark's own window counts: not start-up, not shutdown.
  const window: ProfileWindow = { fromUs: 0, toUs: 0 };
  try {
    window.fromUs = monotonicUs();
    await runBenchmark(piccolo, { ...WORKLOAD, pipeline: 16, requests });
    window.toUs = monotonicUs();
  } finally {
    await piccolo.stop(); // profiles are written at exit
  }
  const threads = summarizeProfileDir(PROFILE_DIR, PROFILE_TOP, window);
  const io = threads.find((t) => t.threadId === 0);
  if (!io) throw new Error(`no main-thread profile in ${PROFILE_DIR}`);
  return { requests, threads, ioLayers: layerShares(`${PROFILE_DIR}${io.file}`, window) };
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      rounds: { type: 'string' },
      'no-memory': { type: 'boolean' },
      'no-profile': { type: 'boolean' },
      'no-docs': { type: 'boolean' },
      'write-docs': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const rounds = values.rounds === undefined ? 1 : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');
  const quick = values.quick === true;
  const requests = quick ? REQUESTS_QUICK : REQUESTS_FULL;

  ensureRedisTools(log);
  const machine = announceMachine(log);
  const date = new Date();

  let memory: MemoryResult | null = null;
  if (!values['no-memory']) {
    log('memory ...');
    memory = await measureMemory(quick ? MEMORY_KEYS_QUICK : MEMORY_KEYS_FULL, WORKLOAD.valueBytes);
  }
  log('throughput ...');
  const { cases, piccoloWorkers, pinned } = await measureThroughput(requests, rounds);
  let profile: ProfileResult | null = null;
  if (!values['no-profile']) {
    log('profiled Piccolo run at -P 16 ...');
    profile = await profileP16(requests);
  }
  const [l1, l5, l15] = loadavg();
  const report: RedisReport = {
    command: `node dist/bench/redis-side-by-side.js${argv.length ? ` ${argv.join(' ')}` : ''}`,
    date,
    machine,
    loadAtEnd: [l1!, l5!, l15!],
    redisVersion: redisVersion(),
    piccoloWorkers,
    piccoloPinned: pinned,
    flags: { ...WORKLOAD, requests },
    pipelines: PIPELINES,
    rounds,
    cases,
    memory,
    profile,
  };
  process.stdout.write(`${reportText(report)}\n`);
  if (!values['no-docs'] && (!quick || values['write-docs'])) {
    writeRedisSection(DOCS_PATH, reportMarkdown(report));
    log(`wrote the Redis section of ${DOCS_PATH}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`bench:redis: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
