// The worker's CPU per request, in-process and load-insensitive: a real
// ShardWorker (as a lone node's worker thread builds it with --in-memory:
// one group of one over volatile storage) is fed ring records the way
// redis-benchmark -P 16 with 50 clients would (batches of 16 x 50 records,
// 100-byte values, random keys over 1M), and the time this thread spends on
// the CPU is read around each batch's drains.
//
//   npm run build && node --expose-gc dist/bench/worker-cpu.js [--rounds 7] [--batches 50] [--keys 1000000]
//
// --keys 10000 keeps the store in cache: what is left is the request's path
// through the worker, replica and Raft, and far less noise from other load.
//
// Why CPU time: on a shared machine wall time measures the neighbours;
// the thread's own on-CPU time (/proc/thread-self/schedstat, in ns: Node 20
// has no process.threadCpuUsage) barely moves with their load. Each round's
// figure is a mean over its batches; the median over rounds is reported.
// Allocation is the JS heap allocated per op (heap growth plus what each GC
// freed, v8.GCProfiler), and GC time per op from the same profile.
//
// Only APIs that 263cbd0 (before groups of one) also has are used, so the
// same file runs on that commit to compare: copy it there and build.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import type { Request } from '../core/protocol/ops.js';
import type { ByteWriter } from '../core/ring/byte-writer.js';
import type { SpscRing } from '../core/ring/spsc-ring.js';
import type { ShardWorker } from '../core/shard/shard-worker.js';

/** The modules a harness is built from: this build's, or another checkout's (--against) loaded beside it. */
interface Build {
  readonly name: string;
  readonly ShardWorker: typeof import('../core/shard/shard-worker.js').ShardWorker;
  readonly SpscRing: typeof import('../core/ring/spsc-ring.js').SpscRing;
  readonly ByteWriter: typeof import('../core/ring/byte-writer.js').ByteWriter;
  readonly encodeRequestRecord: typeof import('../core/ring/ring-codec.js').encodeRequestRecord;
  readonly makeLimits: typeof import('../core/limits.js').makeLimits;
}

/** The build whose dist/ directory is `distUrl`. */
async function loadBuild(name: string, distUrl: URL): Promise<Build> {
  const load = (path: string): Promise<Record<string, unknown>> => import(new URL(path, distUrl).href) as Promise<Record<string, unknown>>;
  const [worker, ring, writer, codec, limits] = await Promise.all([
    load('core/shard/shard-worker.js'), load('core/ring/spsc-ring.js'), load('core/ring/byte-writer.js'),
    load('core/ring/ring-codec.js'), load('core/limits.js'),
  ]);
  return {
    name,
    ShardWorker: worker.ShardWorker as Build['ShardWorker'],
    SpscRing: ring.SpscRing as Build['SpscRing'],
    ByteWriter: writer.ByteWriter as Build['ByteWriter'],
    encodeRequestRecord: codec.encodeRequestRecord as Build['encodeRequestRecord'],
    makeLimits: limits.makeLimits as Build['makeLimits'],
  };
}

/** redis-benchmark's -r 1000000: the keyspace random keys are drawn from (--keys). */
const KEYSPACE_DEFAULT = 1_000_000;
/** redis-benchmark's default -d for our end-to-end runs. */
const VALUE_BYTES = 100;
/** -P 16 pipelined by each of 50 clients: what one worker's ring holds at most at once. */
const BATCH_RECORDS = 16 * 50;
/** What a worker takes per drain (runtime-node/worker/worker-protocol.ts WORKER_BATCH_MAX). */
const DRAIN_RECORDS_MAX = 256;
/** Rings that hold a whole batch of requests and of replies (a record is < 256 bytes here). */
const RING_BYTES = 4 * 1024 * 1024;
const SCHEDSTAT = '/proc/thread-self/schedstat';

/** This thread's time on the CPU, in ns (the first field of schedstat). */
function threadCpuNs(): number {
  const text = readFileSync(SCHEDSTAT, 'latin1');
  return Number(text.slice(0, text.indexOf(' ')));
}

/** A small seeded PRNG (xorshift32): the same keys on every run and every commit. */
function makeRandom(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

const encoder = new TextEncoder();
/** redis-benchmark's key:__rand_int__ with -r: "key:" and 12 digits. */
function keyBytes(index: number): Uint8Array {
  return encoder.encode(`key:${String(index).padStart(12, '0')}`);
}

interface Harness {
  readonly build: Build;
  readonly worker: ShardWorker;
  readonly requests: SpscRing;
  readonly replies: SpscRing;
  readonly writer: ByteWriter;
}

function makeHarness(build: Build): Harness {
  const requests = build.SpscRing.allocate(RING_BYTES, false);
  const replies = build.SpscRing.allocate(RING_BYTES, false);
  const worker = new build.ShardWorker([0], requests, replies, build.makeLimits());
  return { build, worker, requests, replies, writer: new build.ByteWriter(64 * 1024) };
}

const value = new Uint8Array(VALUE_BYTES).fill(0x78);

/** Put one batch of requests on the ring (the IO thread's work: not measured). */
function fillBatch(h: Harness, op: 'set' | 'get', nextKey: () => number, tagBase: number): void {
  for (let i = 0; i < BATCH_RECORDS; i++) {
    const key = keyBytes(nextKey());
    const request: Request = op === 'set' ? { op: 'set', key, value } : { op: 'get', key };
    h.writer.reset();
    h.build.encodeRequestRecord(h.writer, tagBase + i, 0, request);
    if (!h.requests.tryWrite(h.writer.bytes())) throw new Error('request ring full: raise RING_BYTES');
  }
  h.requests.publish();
}

/** Drain until every request of the batch is answered (the worker's work: measured by the caller). */
function drainBatch(h: Harness, nowMs: number): void {
  let applied = 0;
  for (let turns = 0; applied < BATCH_RECORDS || h.worker.repliesWaiting > 0; turns++) {
    if (turns > 10_000) throw new Error('the worker stopped making progress');
    const result = h.worker.drain(nowMs, DRAIN_RECORDS_MAX);
    if (result.blockedOnReplies) throw new Error('reply ring full: raise RING_BYTES');
    applied += result.applied;
  }
}

/** Take the batch's replies off the reply ring (the IO thread's work: not measured); returns how many. */
function takeReplies(h: Harness): number {
  let n = 0;
  while (h.replies.peek() >= 0) {
    h.replies.release();
    n++;
  }
  h.replies.flushHead();
  return n;
}

interface Round { cpuNsPerOp: number; heapBytesPerOp: number; gcNsPerOp: number; gcCount: number }

function runRound(h: Harness, op: 'set' | 'get', batches: number, nextKey: () => number, clock: { ms: number }): Round {
  globalThis.gc?.();
  const profiler = new v8.GCProfiler();
  profiler.start();
  const heapBefore = v8.getHeapStatistics().used_heap_size;
  let cpuNs = 0;
  for (let b = 0; b < batches; b++) {
    fillBatch(h, op, nextKey, b * BATCH_RECORDS);
    const t0 = threadCpuNs();
    drainBatch(h, clock.ms++);
    cpuNs += threadCpuNs() - t0;
    const answered = takeReplies(h);
    if (answered !== BATCH_RECORDS) throw new Error(`${answered} replies for ${BATCH_RECORDS} requests`);
  }
  const heapAfter = v8.getHeapStatistics().used_heap_size;
  const gcs = profiler.stop()?.statistics ?? [];
  let freed = 0;
  let gcNs = 0;
  for (const gc of gcs) {
    freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
    gcNs += gc.cost * 1000; // cost is in µs
  }
  const ops = batches * BATCH_RECORDS;
  // The fill and take outside the timed span allocate too (keys, requests): measured alone below and subtracted.
  return { cpuNsPerOp: cpuNs / ops, heapBytesPerOp: (heapAfter - heapBefore + freed) / ops, gcNsPerOp: gcNs / ops, gcCount: gcs.length };
}

/** Heap the producer's side of a round allocates per op (fillBatch/takeReplies without a worker's drain): subtracted. */
function producerHeapBytesPerOp(build: Build, op: 'set' | 'get', batches: number, nextKey: () => number): number {
  const h = makeHarness(build);
  globalThis.gc?.();
  const profiler = new v8.GCProfiler();
  profiler.start();
  const before = v8.getHeapStatistics().used_heap_size;
  for (let b = 0; b < batches; b++) {
    fillBatch(h, op, nextKey, 0);
    while (h.requests.peek() >= 0) h.requests.release();
    h.requests.flushHead();
  }
  const after = v8.getHeapStatistics().used_heap_size;
  let freed = 0;
  for (const gc of profiler.stop()?.statistics ?? []) freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
  return (after - before + freed) / (batches * BATCH_RECORDS);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** A harness whose store holds every key once, so GETs hit (redis-benchmark's SET test runs before its GET test). */
function preloaded(build: Build, keyspace: number, clock: { ms: number }): Harness {
  const h = makeHarness(build);
  let k = 0;
  for (let b = 0; b < Math.ceil(keyspace / BATCH_RECORDS); b++) {
    fillBatch(h, 'set', () => k++ % keyspace, 0);
    drainBatch(h, clock.ms++);
    takeReplies(h);
  }
  return h;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '7' },
      batches: { type: 'string', default: '50' },
      keys: { type: 'string', default: String(KEYSPACE_DEFAULT) },
      against: { type: 'string' },
    },
  });
  const rounds = Number(values.rounds);
  const batches = Number(values.batches);
  const keyspace = Number(values.keys);
  if (globalThis.gc === undefined) console.error('warning: run with --expose-gc for steady allocation figures');
  const builds = [await loadBuild('this build', new URL('../', import.meta.url))];
  // Another checkout's build in the same process, its rounds taken in turn with ours: load hits both alike.
  if (values.against !== undefined) builds.push(await loadBuild(values.against, pathToFileURL(`${resolve(values.against, 'dist')}/`)));
  const clock = { ms: 1_000_000 };
  const harnesses = builds.map((build) => preloaded(build, keyspace, clock));
  const random = makeRandom(7);
  const nextKey = (): number => random() % keyspace;
  const results = harnesses.map(() => ({ set: [] as Round[], get: [] as Round[] }));
  for (let r = 0; r < rounds; r++) {
    for (const op of ['set', 'get'] as const) {
      harnesses.forEach((h, i) => results[i]![op].push(runRound(h, op, batches, nextKey, clock)));
    }
  }
  console.log(`worker CPU per request: ${rounds} rounds x ${batches} batches x ${BATCH_RECORDS} records, `
    + `${VALUE_BYTES}-byte values, keys over ${keyspace}, median of rounds (and the least: other load only adds)`);
  harnesses.forEach((h, i) => {
    console.log(`${h.build.name}:`);
    for (const op of ['set', 'get'] as const) {
      const rs = results[i]![op];
      const cpu = median(rs.map((r) => r.cpuNsPerOp));
      const heap = median(rs.map((r) => r.heapBytesPerOp)) - producerHeapBytesPerOp(h.build, op, batches, nextKey);
      const gc = median(rs.map((r) => r.gcNsPerOp));
      const least = Math.min(...rs.map((r) => r.cpuNsPerOp));
      const most = Math.max(...rs.map((r) => r.cpuNsPerOp));
      let paired = '';
      if (i > 0) {
        // Each round of ours against the same round of this build: their ratio cancels most of the machine's drift.
        paired = `  ours/this ${median(rs.map((r, j) => results[0]![op][j]!.cpuNsPerOp / r.cpuNsPerOp)).toFixed(3)}`;
      }
      console.log(`  ${op.toUpperCase().padEnd(4)} cpu ${(cpu / 1000).toFixed(3)} µs/op (least ${(least / 1000).toFixed(3)}, most ${(most / 1000).toFixed(3)})  `
        + `heap ${heap.toFixed(0)} B/op  gc ${(gc / 1000).toFixed(3)} µs/op  gcs/round ${median(rs.map((r) => r.gcCount))}${paired}`);
    }
  });
}

await main();
