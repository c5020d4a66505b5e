// `npm run bench:cluster`: a local 3-node Piccolo cluster side by side, in one
// run, with (a) a Redis Cluster of 3 masters and 3 replicas (asynchronous
// replication, no persistence) through `redis-benchmark --cluster`, the same
// flags for both, Piccolo in memory (its like-for-like mode); and (b) a
// 3-member etcd through its HTTP/JSON gateway, driven by the same wrk load as
// Piccolo's REST door, Piccolo on disk with --fsync always (etcd fsyncs every
// commit). Same value size and concurrency everywhere. Rewrites the "Cluster
// side by side" section of docs/benchmarks.md. It measures; it never passes
// or fails on a number. Installs redis, etcd and wrk with apt-get if missing.

import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { EtcdCluster, PiccoloCluster, RedisCluster } from './cluster-peers.js';
import { replaceDocSection } from './doc-section.js';
import { announceMachine, formatLoad, type MachineInfo } from './machine.js';
import { BENCH_HOST, benchmarkArgs, ensurePackages, redisBenchmarkRows, redisVersion, type BenchmarkFlags, type BenchmarkRow } from './redis-processes.js';
import { parseSideBySideArgs, runWhenMain } from './side-by-side-cli.js';
import { formatCount, markdownTable, textTable, type Table } from './table.js';
import { runWrk, type WrkFlags, type WrkResult } from './wrk-load.js';

const DOCS_PATH = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
const SECTION = { heading: '## Cluster side by side', beginMarker: '<!-- cluster:begin -->', endMarker: '<!-- cluster:end -->' };

const CLIENTS = 50;
const VALUE_BYTES = 100;
const KEYSPACE = 1_000_000;
const PIPELINES = [1, 16];
const REQUESTS_FULL = 200_000;
const REQUESTS_QUICK = 20_000;
const WRK_SECONDS_FULL = 15;
const WRK_SECONDS_QUICK = 3;

interface RedisCase { server: 'piccolo' | 'redis'; pipeline: number; rows: BenchmarkRow[] }
interface HttpCase { server: 'piccolo' | 'etcd'; result: WrkResult }

interface ClusterReport {
  command: string;
  date: Date;
  machine: MachineInfo;
  loadAtEnd: number[];
  redisVersion: string;
  requests: number;
  wrk: WrkFlags;
  redis: RedisCase[];
  http: HttpCase[];
  /** Why a part did not run, if one did not. */
  notes: string[];
}

const HELP = `Usage: npm run bench:cluster -- [options]

A 3-node Piccolo cluster against a Redis Cluster (3 masters + 3 replicas) with
redis-benchmark --cluster -t set,get -c ${CLIENTS} -d ${VALUE_BYTES} -r ${KEYSPACE} (-P 1 and -P 16), and against
a 3-member etcd with the same wrk HTTP/JSON write load (-c ${CLIENTS}, ${VALUE_BYTES}-byte values).
Rewrites the "Cluster side by side" section of docs/benchmarks.md.

Options:
  --quick      short runs: a smoke test (docs untouched)
  --no-docs    print only
  -h, --help   show this help
`;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function redisSide(requests: number): Promise<RedisCase[]> {
  const cases: RedisCase[] = [];
  const flags = (pipeline: number): BenchmarkFlags => ({ tests: ['set', 'get'], clients: CLIENTS, valueBytes: VALUE_BYTES, keyspace: KEYSPACE, pipeline, requests });
  const piccolo = await PiccoloCluster.start('memory');
  try {
    for (const pipeline of PIPELINES) {
      const rows = await redisBenchmarkRows(['--cluster', ...benchmarkArgs(piccolo.respPorts[0]!, flags(pipeline))], 'the Piccolo cluster');
      log(`  Piccolo cluster -P ${pipeline}: ${rows.map((r) => `${r.test} ${Math.round(r.rps)}/s p99 ${r.p99Ms} ms`).join(', ')}`);
      cases.push({ server: 'piccolo', pipeline, rows });
    }
  } finally {
    await piccolo.stop();
  }
  const redis = await RedisCluster.start();
  try {
    for (const pipeline of PIPELINES) {
      const rows = await redisBenchmarkRows(['--cluster', ...benchmarkArgs(redis.seedPort, flags(pipeline))], 'the Redis Cluster');
      log(`  Redis Cluster -P ${pipeline}: ${rows.map((r) => `${r.test} ${Math.round(r.rps)}/s p99 ${r.p99Ms} ms`).join(', ')}`);
      cases.push({ server: 'redis', pipeline, rows });
    }
  } finally {
    await redis.stop();
  }
  return cases;
}

async function httpSide(wrk: WrkFlags, notes: string[]): Promise<HttpCase[]> {
  const cases: HttpCase[] = [];
  let piccolo: PiccoloCluster;
  try {
    piccolo = await PiccoloCluster.start('disk');
  } catch (error) {
    notes.push(`Piccolo on disk did not start (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); measured in memory instead.`);
    piccolo = await PiccoloCluster.start('memory');
  }
  try {
    const result = await runWrk('piccolo', BENCH_HOST, piccolo.httpPorts[0]!, wrk);
    log(`  Piccolo REST: ${Math.round(result.rps)} writes/s p99 ${result.p99Ms} ms, ${result.errors} errors`);
    cases.push({ server: 'piccolo', result });
  } finally {
    await piccolo.stop();
  }
  const etcd = await EtcdCluster.start();
  try {
    const result = await runWrk('etcd', BENCH_HOST, etcd.clientPorts[0]!, wrk);
    log(`  etcd gateway: ${Math.round(result.rps)} writes/s p99 ${result.p99Ms} ms, ${result.errors} errors`);
    cases.push({ server: 'etcd', result });
  } finally {
    await etcd.stop();
  }
  return cases;
}

function redisTable(r: ClusterReport): Table {
  const rows: string[][] = [];
  for (const pipeline of PIPELINES) {
    const of = (server: string): BenchmarkRow[] => r.redis.find((c) => c.server === server && c.pipeline === pipeline)?.rows ?? [];
    for (const test of of('piccolo').map((row) => row.test)) {
      const p = of('piccolo').find((row) => row.test === test)!;
      const q = of('redis').find((row) => row.test === test);
      rows.push([test, String(pipeline), formatCount(p.rps), q ? formatCount(q.rps) : '—', q ? `${(p.rps / q.rps).toFixed(2)}×` : '—',
        p.p99Ms.toFixed(2), q ? q.p99Ms.toFixed(2) : '—']);
    }
  }
  return {
    headers: ['test', 'pipeline', 'Piccolo ops/s', 'Redis Cluster ops/s', 'Piccolo ÷ Redis', 'Piccolo p99 ms', 'Redis p99 ms'],
    rightAligned: [false, true, true, true, true, true, true],
    rows,
  };
}

function httpTable(r: ClusterReport): Table {
  const etcd = r.http.find((c) => c.server === 'etcd')?.result;
  return {
    headers: ['server', 'writes/s', '÷ etcd', 'p50 ms', 'p99 ms', 'errors'],
    rightAligned: [false, true, true, true, true, true],
    rows: r.http.map((c) => [
      c.server === 'etcd' ? 'etcd (HTTP/JSON gateway)' : 'Piccolo (REST)', formatCount(c.result.rps),
      etcd ? `${(c.result.rps / etcd.rps).toFixed(2)}×` : '—', c.result.p50Ms.toFixed(2), c.result.p99Ms.toFixed(2), formatCount(c.result.errors),
    ]),
  };
}

function reportMarkdown(r: ClusterReport): string {
  return [
    SECTION.beginMarker,
    '',
    `Measured ${r.date.toISOString().slice(0, 10)} with \`${r.command}\` (\`npm run bench:cluster\`) on ${r.machine.cpuModel}, `
      + `${r.machine.cores} cores, Node ${r.machine.node}, redis-server ${r.redisVersion}; load average ${formatLoad(r.loadAtEnd)} at the end. `
      + 'Every cluster has all its processes on this one machine, on loopback.',
    '',
    `Against Redis Cluster (3 masters, 3 replicas, asynchronous replication, no persistence; Piccolo in memory, 3 nodes of one worker): `
      + `\`redis-benchmark --cluster -t set,get -c ${CLIENTS} -d ${VALUE_BYTES} -r ${KEYSPACE} -n ${r.requests}\`.`,
    '',
    markdownTable(redisTable(r)),
    '',
    `Against etcd (3 members, every commit fsynced; Piccolo on disk with --fsync always): wrk -c ${r.wrk.connections} -t ${r.wrk.threads} `
      + `-d ${r.wrk.durationS}s, PUT /v1/kv/{key} against POST /v3/kv/put, random keys of ${r.wrk.keyspace}, ${r.wrk.valueBytes}-byte values, `
      + 'all sent to the first node (each forwards to its leaders).',
    '',
    markdownTable(httpTable(r)),
    ...(r.notes.length > 0 ? ['', ...r.notes.map((n) => `Note: ${n}`)] : []),
    '',
    SECTION.endMarker,
  ].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const args = parseSideBySideArgs(argv, HELP);
  if (args === null) return;
  const quick = args.quick;
  ensurePackages({ 'redis-server': 'redis-server', 'redis-benchmark': 'redis-tools', 'redis-cli': 'redis-tools', etcd: 'etcd-server', etcdctl: 'etcd-client', wrk: 'wrk' }, log);
  const machine = announceMachine(log);
  const requests = quick ? REQUESTS_QUICK : REQUESTS_FULL;
  const wrk: WrkFlags = { connections: CLIENTS, threads: 2, durationS: quick ? WRK_SECONDS_QUICK : WRK_SECONDS_FULL, valueBytes: VALUE_BYTES, keyspace: KEYSPACE };
  const notes: string[] = [];
  log('Piccolo and Redis Cluster with redis-benchmark --cluster ...');
  const redis = await redisSide(requests);
  log('Piccolo and etcd with wrk ...');
  const http = await httpSide(wrk, notes);
  const [l1, l5, l15] = loadavg();
  const report: ClusterReport = {
    command: `node dist/bench/cluster-side-by-side.js${argv.length ? ` ${argv.join(' ')}` : ''}`,
    date: new Date(), machine, loadAtEnd: [l1!, l5!, l15!], redisVersion: redisVersion(), requests, wrk, redis, http, notes,
  };
  process.stdout.write(`${textTable(redisTable(report))}\n\n${textTable(httpTable(report))}\n${notes.map((n) => `note: ${n}\n`).join('')}`);
  if (args.writeDocs) {
    replaceDocSection(DOCS_PATH, SECTION, reportMarkdown(report));
    log(`wrote the cluster section of ${DOCS_PATH}`);
  }
}

runWhenMain(import.meta.url, 'bench:cluster', main);
