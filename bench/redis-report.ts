// The Redis side-by-side report: text tables for the terminal and the
// Markdown of the "Redis side by side" section of docs/benchmarks.md, which
// lives between its own markers (the rest of the file belongs to bench/report.ts).

import { replaceDocSection } from './doc-section.js';
import { formatThreadProfile, type ThreadProfile } from './cpu-profile.js';
import { formatLoad, type MachineInfo } from './machine.js';
import { LAYERS, type Layer } from './redis-profile.js';
import type { BenchmarkFlags } from './redis-processes.js';
import { formatCount, formatPercent, markdownTable, textTable, type Table } from './table.js';

export const REDIS_BEGIN_MARKER = '<!-- redis:begin -->';
export const REDIS_END_MARKER = '<!-- redis:end -->';
const SECTION_HEADING = '## Redis side by side';

/** One (pipeline, test) case: medians over rounds, and every round's ops/s. */
export interface CaseResult {
  pipeline: number;
  test: string;
  redis: Side;
  piccolo: Side;
}

export interface Side {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerRequest: number;
  /** The main thread's share of it: Piccolo's IO thread (the rest is its workers); nearly all of Redis's. */
  mainCpuUsPerRequest: number;
  /** ops/s of each round, for the record. */
  rounds: number[];
}

export interface MemorySide {
  /** What is compared: Redis's used_memory, Piccolo's whole-process RSS. */
  usedBytes: number;
  rssBytes: number;
  baselineUsedBytes: number;
  keys: number;
}

export interface MemoryResult {
  keys: number;
  valueBytes: number;
  redis: MemorySide;
  piccolo: MemorySide;
}

export interface ProfileResult {
  requests: number;
  ioLayers: { busyMs: number; shares: Map<Layer, number> };
  threads: ThreadProfile[];
}

export interface RedisReport {
  command: string;
  date: Date;
  machine: MachineInfo;
  loadAtEnd: [number, number, number];
  redisVersion: string;
  piccoloWorkers: number;
  piccoloPinned: boolean;
  flags: Omit<BenchmarkFlags, 'pipeline'>;
  pipelines: number[];
  rounds: number;
  cases: CaseResult[];
  memory: MemoryResult | null;
  profile: ProfileResult | null;
}

const fmtMs = (ms: number): string => `${ms.toFixed(3)} ms`;
const fmtRatio = (r: number): string => `${r.toFixed(2)}×`;
const fmtMiB = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export function throughputTable(cases: CaseResult[]): Table {
  return {
    headers: ['pipeline', 'test', 'Redis ops/s', 'Piccolo ops/s', 'Piccolo/Redis', 'Redis p50', 'Piccolo p50',
      'Redis p99', 'Piccolo p99', 'Redis CPU/req', 'Piccolo CPU/req (IO thread)'],
    rightAligned: [true, false, true, true, true, true, true, true, true, true, true],
    rows: cases.map((c) => [
      `P${c.pipeline}`, c.test, formatCount(c.redis.rps), formatCount(c.piccolo.rps), fmtRatio(c.piccolo.rps / c.redis.rps),
      fmtMs(c.redis.p50Ms), fmtMs(c.piccolo.p50Ms), fmtMs(c.redis.p99Ms), fmtMs(c.piccolo.p99Ms),
      `${c.redis.cpuUsPerRequest.toFixed(1)} µs`, `${c.piccolo.cpuUsPerRequest.toFixed(1)} µs (${c.piccolo.mainCpuUsPerRequest.toFixed(1)})`,
    ]),
  };
}

interface TargetCheck { target: string; measured: string; met: boolean; miss: string }

/** The targets, each with what was measured and by how much it is missed. */
export function targetChecks(r: RedisReport): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const ratioTarget = (pipeline: number, goal: number): void => {
    for (const c of r.cases.filter((x) => x.pipeline === pipeline)) {
      const ratio = c.piccolo.rps / c.redis.rps;
      checks.push({
        target: `P${pipeline} ${c.test}: Piccolo/Redis ops/s ≥ ${goal.toFixed(1)}`,
        measured: fmtRatio(ratio),
        met: ratio >= goal,
        miss: ratio >= goal ? '' : `needs ${fmtRatio(goal / ratio)} more throughput`,
      });
    }
  };
  ratioTarget(16, 1.0);
  ratioTarget(1, 0.8);
  for (const c of r.cases) {
    const ratio = c.piccolo.p99Ms / c.redis.p99Ms;
    checks.push({
      target: `P${c.pipeline} ${c.test}: Piccolo p99 ≤ 2× Redis p99`,
      measured: `${fmtMs(c.piccolo.p99Ms)} vs ${fmtMs(c.redis.p99Ms)} (${fmtRatio(ratio)})`,
      met: ratio <= 2,
      miss: ratio <= 2 ? '' : `p99 ${fmtRatio(ratio / 2)} over the bound`,
    });
  }
  if (r.memory) {
    const redisPerKey = r.memory.redis.usedBytes / r.memory.keys;
    const piccoloPerKey = r.memory.piccolo.usedBytes / r.memory.keys;
    checks.push({
      target: 'bytes per key ≤ Redis (Piccolo process RSS vs Redis used_memory)',
      measured: `${piccoloPerKey.toFixed(0)} B vs ${redisPerKey.toFixed(0)} B`,
      met: piccoloPerKey <= redisPerKey,
      miss: piccoloPerKey <= redisPerKey ? '' : `${fmtRatio(piccoloPerKey / redisPerKey)} Redis's`,
    });
  }
  return checks;
}

function targetsTable(r: RedisReport): Table {
  return {
    headers: ['target', 'measured', 'met', 'by how much missed'],
    rightAligned: [false, true, false, false],
    rows: targetChecks(r).map((c) => [c.target, c.measured, c.met ? 'yes' : 'no', c.miss]),
  };
}

function memoryTable(m: MemoryResult): Table {
  const row = (name: string, s: MemorySide, what: string): string[] => [
    name, what, fmtMiB(s.usedBytes), `${(s.usedBytes / m.keys).toFixed(0)} B`,
    fmtMiB(s.usedBytes - s.baselineUsedBytes), `${((s.usedBytes - s.baselineUsedBytes) / m.keys).toFixed(0)} B`, fmtMiB(s.rssBytes),
  ];
  return {
    headers: ['server', 'measure', 'total', 'per key', 'growth from empty', 'growth per key', 'process RSS'],
    rightAligned: [false, false, true, true, true, true, true],
    rows: [row('Redis', m.redis, 'used_memory'), row('Piccolo', m.piccolo, 'whole-process RSS')],
  };
}

function layersTable(p: ProfileResult): Table {
  return {
    headers: ['IO thread layer', 'share of busy time'],
    rightAligned: [false, true],
    rows: LAYERS.map((l) => [l, formatPercent(p.ioLayers.shares.get(l) ?? 0)]),
  };
}

function topTable(t: ThreadProfile, title: string): Table {
  return {
    headers: [title, 'self', 'share of busy'],
    rightAligned: [false, true, true],
    rows: t.top.map((f) => [f.name, `${f.selfMs.toFixed(0)} ms`, formatPercent(f.selfShare)]),
  };
}

export function reportText(r: RedisReport): string {
  const parts = [
    `Redis ${r.redisVersion} vs Piccolo (${r.piccoloWorkers} workers) — ${workloadLine(r)}`,
    textTable(throughputTable(r.cases)),
    textTable(targetsTable(r)),
  ];
  if (r.memory) parts.push(textTable(memoryTable(r.memory)));
  if (r.profile) {
    parts.push(textTable(layersTable(r.profile)));
    for (const t of r.profile.threads) parts.push(formatThreadProfile(t));
  }
  return parts.join('\n\n');
}

function workloadLine(r: RedisReport): string {
  const f = r.flags;
  return `redis-benchmark -t ${f.tests.join(',')} -c ${f.clients} -P ${r.pipelines.join('|')} -d ${f.valueBytes} `
    + `-n ${f.requests} -r ${f.keyspace} --csv, ${r.rounds} round(s), alternating which server goes first`;
}

export function reportMarkdown(r: RedisReport): string {
  const m = r.machine;
  const busy = m.loadAverage[0] > m.cores / 2 || r.loadAtEnd[0] > m.cores / 2;
  const lines: string[] = [
    REDIS_BEGIN_MARKER,
    '_Generated by `bench/redis-side-by-side.ts` (`npm run bench:redis`); edits between the markers are overwritten by the next run._',
    '',
    `- **Command:** \`${r.command}\``,
    `- **Date:** ${r.date.toISOString().replace('T', ' ').slice(0, 19)} UTC`,
    `- **Machine:** ${m.cpuModel}, ${m.cores} logical cores, ${m.memoryGiB.toFixed(1)} GiB RAM, ${m.platform}, Node ${m.node}`,
    `- **Load average (1/5/15 min):** ${formatLoad(m.loadAverage)} at start, ${formatLoad(r.loadAtEnd)} at end${busy ? ' — the machine was busy with other work: absolute numbers are pessimistic and noisy; CPU per request is the steadier figure' : ''}`,
    `- **Servers:** redis-server ${r.redisVersion} (\`--save "" --appendonly no\`, one thread); Piccolo on its defaults (an IO thread and ${r.piccoloWorkers} workers, ${r.piccoloPinned ? 'pinned' : 'unpinned'}), each its own process on loopback; the load generator (redis-benchmark, one thread) on the same cores`,
    `- **Workload:** \`${workloadLine(r)}\` — 100-byte values, random keys over a 1M keyspace, 50 connections, each case run against both servers with identical flags`,
    '',
    '### Throughput and latency',
    '',
    'Medians over rounds. Latency is redis-benchmark\'s, per request, send to reply. CPU/req is the server process\'s CPU time (all its threads, from /proc) over the run divided by the requests; in brackets, the part of it on Piccolo\'s IO thread (the rest is its workers). It is the same for SET and GET because one run does both.',
    '',
    markdownTable(throughputTable(r.cases)),
    '',
    '### Against the targets',
    '',
    markdownTable(targetsTable(r)),
    '',
  ];
  if (r.memory) {
    lines.push(
      `### Memory: ${formatCount(r.memory.keys)} keys of ${r.memory.valueBytes} bytes`,
      '',
      `Each server fresh, then loaded with exactly ${formatCount(r.memory.keys)} distinct keys (\`key:000000000000\`…, the key format of redis-benchmark) by a pipelined loader, and DBSIZE checked. Redis is measured by its own \`used_memory\` (what its allocator holds for data); Piccolo by the RSS of its whole process (\`VmRSS\` from /proc: V8 heaps of the IO thread and every worker, code, buffers), which is the honest number for a JavaScript process and includes a fixed cost an empty node already has ("growth from empty" removes it).`,
      '',
      markdownTable(memoryTable(r.memory)),
      '',
    );
  }
  if (r.profile) {
    const io = r.profile.threads.find((t) => t.threadId === 0);
    const workers = r.profile.threads.filter((t) => t.threadId !== 0);
    lines.push(
      '### Where Piccolo\'s time goes (P16, CPU profile)',
      '',
      `A separate Piccolo process under \`node --cpu-prof\` (so the measured runs above are not slowed by the profiler), driven by the P16 workload with ${formatCount(r.profile.requests)} requests per test; only samples inside the benchmark's window count. Shares are of each thread's non-idle time. A worker with no requests sleeps in \`Atomics.wait\` inside its loop, and the profiler counts that as self time of \`serve\` (the loop), not as idle: a worker's \`serve\` share is mostly waiting, and the functions below it are its real work.`,
      '',
      markdownTable(layersTable(r.profile)),
      '',
    );
    if (io) lines.push(markdownTable(topTable(io, 'IO thread: top functions by self time')), '');
    for (const w of workers) lines.push(markdownTable(topTable(w, `worker thread ${w.threadId}: top functions by self time`)), '');
  }
  lines.push('### What limits Piccolo here', '', ...limitNotes(r), '', REDIS_END_MARKER);
  return lines.join('\n');
}

/** The reasons, with this run's numbers. */
function limitNotes(r: RedisReport): string[] {
  const notes: string[] = [];
  const p16 = r.cases.find((c) => c.pipeline === 16);
  const p1 = r.cases.find((c) => c.pipeline === 1);
  const cpu = (c: CaseResult): string => `${c.piccolo.cpuUsPerRequest.toFixed(1)} µs of CPU per request `
    + `(${c.piccolo.mainCpuUsPerRequest.toFixed(1)} µs on the IO thread, ${(c.piccolo.cpuUsPerRequest - c.piccolo.mainCpuUsPerRequest).toFixed(1)} µs on the workers) `
    + `against Redis's ${c.redis.cpuUsPerRequest.toFixed(1)} µs (${fmtRatio(c.piccolo.cpuUsPerRequest / c.redis.cpuUsPerRequest)})`;
  if (p16 && p1) {
    notes.push(`- **CPU per request.** At P16 Piccolo spends ${cpu(p16)}; at P1, ${cpu(p1)}. `
      + `The servers, the load generator and other work share ${r.machine.cores} cores, so throughput is about the CPU a server gets divided by its CPU per request: `
      + 'that ratio, not a single slow function, is the gap. At P16 most of it is per-request work; at P1 most of it is per-round-trip work (a read, a wake-up of a worker, a wake-up of the IO thread, a write).');
  }
  notes.push('- **A thread hop per request.** Redis parses, executes and replies in one thread. Piccolo\'s IO thread parses RESP, '
    + 'encodes the request into a shared-memory ring; a worker decodes it, applies it to its shard and encodes the reply into another ring; '
    + 'the IO thread decodes that and writes RESP. Each side also wakes the other (Atomics.notify, Atomics.waitAsync) when it was asleep, '
    + 'which at P1 is almost every request. Shard-per-core pays off with cores to spare for the workers; here the IO thread, '
    + `${r.piccoloWorkers} workers and the load generator share ${r.machine.cores} cores.`);
  if (r.profile) {
    const share = (i: number): string => formatPercent(r.profile!.ioLayers.shares.get(LAYERS[i]!) ?? 0);
    notes.push(`- **The IO thread's time** (profile above): the RESP door itself (parsing, translating, ordering, encoding) is ${share(0)} of it; `
      + `submitting to and draining the rings and waking the workers ${share(1)}; socket writes and Node's stream machinery ${share(2)}; `
      + `garbage collection ${share(3)}. Making the RESP door free would not close the gap; fewer wake-ups and fewer copies between threads would.`);
  }
  if (r.memory) {
    const m = r.memory;
    const growth = (s: MemorySide): number => (s.usedBytes - s.baselineUsedBytes) / m.keys;
    notes.push(`- **Memory per key** (${growth(m.piccolo).toFixed(0)} B of RSS growth per key against Redis's ${growth(m.redis).toFixed(0)} B of used_memory). `
      + 'A shard keeps each key as a JS string in a Map, with an entry object (value, version, expiry) and its own Uint8Array per value '
      + '(an ArrayBuffer and a typed-array object, with its backing store allocated separately): a few hundred bytes of headers per key on top of '
      + 'the key and value bytes, where Redis needs one dict entry and two SDS strings. The RSS also holds V8 heap slack (a heap grows ahead of use, '
      + 'one heap per thread) and the request/reply rings (4 × ringBytes, 32 MiB each by default, paged in as traffic flows through them).');
  }
  notes.push('- **p99 at P16** follows from the above: with every request costing several times Redis\'s CPU on shared cores, queues are longer, '
    + 'and GC pauses on the IO thread or a worker hold up every connection at once.');
  return notes;
}

/** Write the section between its markers; add the markers under the section's heading (or at the end) if missing. */
export function writeRedisSection(path: string, section: string): void {
  replaceDocSection(path, { heading: SECTION_HEADING, beginMarker: REDIS_BEGIN_MARKER, endMarker: REDIS_END_MARKER }, section);
}
