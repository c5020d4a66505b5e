// Micro-benchmarks of the hot path's pieces, one thread unless said otherwise:
// the SPSC ring (single-thread write+read, and a real producer/consumer pair
// across threads), the shard state machine with 100k keys, and the codecs
// (ring records, Cap'n Proto, JSON).
//
//   node dist/bench/micro.js [--quick]
//
// Each tinybench sample runs a batch of operations and reports the batch's
// mean per operation (single operations are too short for the clock), so
// "p99" is the 99th percentile of batch means: it shows jitter (GC, JIT,
// other processes), not the tail of single operations.

import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Bench } from 'tinybench';
import { makeLimits } from '../core/limits.js';
import type { Reply, Request } from '../core/protocol/ops.js';
import { ByteWriter } from '../core/ring/byte-writer.js';
import { decodeReplyRecord, decodeRequestRecord, encodeReplyRecord, encodeRequestRecord } from '../core/ring/ring-codec.js';
import { SpscRing } from '../core/ring/spsc-ring.js';
import { LocalLog, serveRequest } from '../core/shard/local-log.js';
import { Shard } from '../core/shard/shard.js';
import { decodeRequest, encodeRequest, encodeResponse } from '../schema/binary-codec.js';
import { decodeJsonRequest, encodeJsonRequest, encodeJsonResponse } from '../schema/json-codec.js';
import type { RingConsumerReport, RingConsumerSetup } from './ring-consumer-thread.js';
import { benchValue, keyText } from './request-writer.js';
import { formatCount, formatNs, markdownTable, textTable, type Table } from './table.js';

export interface MicroOptions {
  /** tinybench time budget per task. */
  timeMs: number;
  warmupMs: number;
  /** How long each cross-thread ring run streams records. */
  crossThreadMs: number;
}

export const MICRO_FULL: MicroOptions = { timeMs: 1000, warmupMs: 250, crossThreadMs: 1000 };
export const MICRO_QUICK: MicroOptions = { timeMs: 100, warmupMs: 30, crossThreadMs: 200 };

export interface MicroRow {
  group: string;
  name: string;
  opsPerSec: number;
  /** Mean (wall-clock) time per operation. */
  meanNs: number;
  /** Process CPU time per operation over the run (NaN where not measured). */
  cpuNs: number;
  /** 99th percentile of batch means; NaN where not measured that way. */
  p99Ns: number;
  /** Payload bytes per second, for the ring rows. */
  bytesPerSec?: number;
  /** Samples (batches) behind the row; 1 for streamed runs. */
  samples: number;
}

/** Keys loaded into the shard before the shard benchmarks (the load generator's keyspace too). */
export const SHARD_KEYS = 100_000;
/** Value size for SETs and stored values: the end-to-end default. */
const VALUE_BYTES = 100;
/** Ring size for the ring benchmarks: big enough that a batch never waits for space. */
const RING_BYTES = 1 << 20;
/** Records written between publishes in the ring benchmarks (the IO thread publishes per event-loop turn). */
const PUBLISH_EVERY = 64;

const encoder = new TextEncoder();
/** Results flow here (a module-level variable the JIT cannot prove unused), so no benchmarked work is dropped. */
let sink = 0;

interface BatchedTask {
  group: string;
  name: string;
  /** Operations per sample. */
  batch: number;
  run: () => void;
  /** Payload bytes per operation, for a MB/s column. */
  bytesPerOp?: number;
}

function ringSingleThread(payloadBytes: number): BatchedTask {
  const ring = SpscRing.allocate(RING_BYTES);
  const payload = new Uint8Array(payloadBytes).fill(7);
  return {
    group: 'ring',
    name: `write+read ${payloadBytes} B, one thread`,
    batch: 1024,
    bytesPerOp: payloadBytes,
    run: () => {
      for (let round = 0; round < 1024 / PUBLISH_EVERY; round++) {
        for (let i = 0; i < PUBLISH_EVERY; i++) {
          const at = ring.reserve(payloadBytes);
          ring.data.set(payload, at);
          ring.commit();
        }
        ring.publish();
        for (let i = 0; i < PUBLISH_EVERY; i++) {
          const at = ring.peek();
          sink += ring.data[at]!;
          ring.release();
        }
        ring.flushHead();
      }
    },
  };
}

function shardTasks(): BatchedTask[] {
  const shard = new LocalLog(new Shard(0, makeLimits()));
  const nowMs = Date.now();
  const value = encoder.encode(benchValue(VALUE_BYTES));
  const keys = Array.from({ length: SHARD_KEYS }, (_, i) => encoder.encode(keyText(i, 6)));
  for (const key of keys) serveRequest(shard, { op: 'set', key, value }, nowMs);
  const counters = Array.from({ length: 1000 }, (_, i) => encoder.encode(`counter:${i}`));
  // A fixed pseudo-random visiting order, so hits spread over the whole map.
  const order = Array.from({ length: SHARD_KEYS }, (_, i) => (i * 7919) % SHARD_KEYS);
  const getHit: Request[] = order.map((i) => ({ op: 'get', key: keys[i]! }));
  const getMiss: Request[] = order.map((i) => ({ op: 'get', key: encoder.encode(`miss:${i}`) }));
  const setReq: Request[] = order.map((i) => ({ op: 'set', key: keys[i]!, value }));
  const incr: Request[] = counters.map((key) => ({ op: 'incr', key, delta: 1n }));
  const cycling = (name: string, requests: Request[]): BatchedTask => {
    let next = 0;
    return {
      group: 'shard',
      name,
      batch: 256,
      run: () => {
        for (let i = 0; i < 256; i++) {
          const reply = serveRequest(shard, requests[next]!, nowMs);
          if (reply.ok) sink++;
          next = next + 1 === requests.length ? 0 : next + 1;
        }
      },
    };
  };
  return [
    cycling(`get hit (${formatCount(SHARD_KEYS)} keys)`, getHit),
    cycling('get miss', getMiss),
    cycling(`set ${VALUE_BYTES} B (overwrite)`, setReq),
    cycling('incr', incr),
  ];
}

function codecTasks(): BatchedTask[] {
  const limits = makeLimits();
  const key = encoder.encode(keyText(12345, 6));
  const value = encoder.encode(benchValue(VALUE_BYTES));
  const setReq: Request = { op: 'set', key, value };
  const getReq: Request = { op: 'get', key };
  const getHitReply: Reply = { ok: true, found: true, value, version: 123456 };
  const writer = new ByteWriter(64 * 1024);
  writer.reset();
  encodeRequestRecord(writer, 42, 0, setReq);
  const setRecord = writer.bytes().slice();
  writer.reset();
  encodeReplyRecord(writer, 42, getHitReply);
  const replyRecord = writer.bytes().slice();
  const setFrame = encodeRequest(7n, setReq);
  const getFrame = encodeRequest(7n, getReq);
  const setJson = encodeJsonRequest(7, setReq);
  const getJson = encodeJsonRequest(7, getReq);
  const task = (name: string, batch: number, op: () => number): BatchedTask => ({
    group: 'codec',
    name,
    batch,
    run: () => { for (let i = 0; i < batch; i++) sink += op(); },
  });
  return [
    task(`ring record encode, set ${VALUE_BYTES} B`, 256, () => { writer.reset(); encodeRequestRecord(writer, 42, 0, setReq); return writer.length; }),
    task(`ring record decode, set ${VALUE_BYTES} B`, 256, () => (decodeRequestRecord(setRecord, 0, setRecord.length).tag)),
    task(`ring reply encode, get hit ${VALUE_BYTES} B`, 256, () => { writer.reset(); encodeReplyRecord(writer, 42, getHitReply); return writer.length; }),
    task(`ring reply decode, get hit ${VALUE_BYTES} B`, 256, () => decodeReplyRecord(replyRecord, 0, replyRecord.length).tag),
    task(`capnp request encode, set ${VALUE_BYTES} B`, 64, () => encodeRequest(7n, setReq).length),
    task(`capnp request decode, set ${VALUE_BYTES} B`, 64, () => (decodeRequest(setFrame, limits).ok ? 1 : 0)),
    task('capnp request decode, get', 64, () => (decodeRequest(getFrame, limits).ok ? 1 : 0)),
    task(`capnp reply encode, get hit ${VALUE_BYTES} B`, 64, () => encodeResponse(7n, getHitReply).length),
    task(`JSON request decode, set ${VALUE_BYTES} B`, 64, () => (decodeJsonRequest(setJson, limits).ok ? 1 : 0)),
    task('JSON request decode, get', 64, () => (decodeJsonRequest(getJson, limits).ok ? 1 : 0)),
    task(`JSON reply encode, get hit ${VALUE_BYTES} B`, 64, () => encodeJsonResponse(7, getHitReply).length),
  ];
}

async function runBatched(tasks: BatchedTask[], options: MicroOptions): Promise<MicroRow[]> {
  const bench = new Bench({ time: options.timeMs, warmupTime: options.warmupMs, iterations: 16, warmupIterations: 8, throws: true });
  // CPU time of the whole measured phase per task: unlike wall time, it does
  // not grow when other processes take the core away.
  const cpuUs = new Map<string, number>();
  for (const t of tasks) {
    let cpuStart: NodeJS.CpuUsage | null = null;
    bench.add(t.name, () => {
      const start = bench.now();
      t.run();
      const elapsed = bench.now() - start;
      return { overriddenDuration: elapsed / t.batch, overriddenIterationCost: elapsed };
    }, {
      beforeAll: (mode) => { if (mode === 'run') cpuStart = process.cpuUsage(); },
      afterAll: (mode) => {
        if (mode !== 'run' || !cpuStart) return;
        const used = process.cpuUsage(cpuStart);
        cpuUs.set(t.name, used.user + used.system);
      },
    });
  }
  await bench.run();
  return tasks.map((t, i) => {
    const task = bench.tasks[i]!;
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`micro-benchmark ${t.name} did not complete: ${result.state}`);
    const meanMs = result.latency.mean;
    const opsPerSec = 1000 / meanMs;
    const cpu = cpuUs.get(t.name);
    return {
      group: t.group,
      name: t.name,
      opsPerSec,
      meanNs: meanMs * 1e6,
      cpuNs: cpu === undefined || task.runs === 0 ? NaN : (cpu * 1000) / (task.runs * t.batch),
      p99Ns: result.latency.p99 * 1e6,
      ...(t.bytesPerOp !== undefined ? { bytesPerSec: opsPerSec * t.bytesPerOp } : {}),
      samples: result.latency.samplesCount,
    };
  });
}

const CONSUMER_SCRIPT = new URL('./ring-consumer-thread.js', import.meta.url);

/** Stream records from this thread to a consumer thread for `ms`; records/s including the final drain. */
async function ringCrossThread(payloadBytes: number, ms: number): Promise<MicroRow> {
  const ring = SpscRing.allocate(RING_BYTES);
  const control = new SharedArrayBuffer(4);
  const setup: RingConsumerSetup = { ring: ring.memory as SharedArrayBuffer, control };
  const worker = new Worker(CONSUMER_SCRIPT, { workerData: setup });
  const report = new Promise<RingConsumerReport>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await new Promise<void>((resolve) => worker.once('online', () => resolve()));
  const payload = new Uint8Array(payloadBytes).fill(7);
  const notifyConsumer = (): void => { Atomics.notify(ring.header, SpscRing.signalConsumerIndex); };
  const start = performance.now();
  const end = start + ms;
  let written = 0;
  let fullWaits = 0;
  while (performance.now() < end) {
    for (let i = 0; i < PUBLISH_EVERY; i++) {
      while (!ring.tryWrite(payload)) {
        if (ring.publish()) notifyConsumer();
        const head = ring.prepareToWaitForSpace();
        if (head !== null) {
          fullWaits++;
          Atomics.wait(ring.header, SpscRing.signalProducerIndex, head, 50);
        }
        ring.doneWaitingForSpace();
      }
      written++;
    }
    if (ring.publish()) notifyConsumer();
  }
  Atomics.store(new Int32Array(control), 0, 1);
  notifyConsumer();
  const got = await report;
  const seconds = (performance.now() - start) / 1000;
  await worker.terminate();
  if (got.records !== written) throw new Error(`ring consumer read ${got.records} records, producer wrote ${written}`);
  sink += fullWaits;
  const opsPerSec = got.records / seconds;
  return {
    group: 'ring',
    name: `write→read ${payloadBytes} B, across threads`,
    opsPerSec,
    meanNs: 1e9 / opsPerSec,
    cpuNs: NaN,
    p99Ns: NaN,
    bytesPerSec: opsPerSec * payloadBytes,
    samples: 1,
  };
}

export async function runMicro(options: MicroOptions, progress: (line: string) => void = () => {}): Promise<MicroRow[]> {
  const rows: MicroRow[] = [];
  progress('micro: ring, one thread');
  rows.push(...await runBatched([ringSingleThread(64), ringSingleThread(1024)], options));
  progress('micro: ring, across threads');
  rows.push(await ringCrossThread(64, options.crossThreadMs));
  rows.push(await ringCrossThread(1024, options.crossThreadMs));
  progress(`micro: shard (loading ${formatCount(SHARD_KEYS)} keys)`);
  rows.push(...await runBatched(shardTasks(), options));
  progress('micro: codecs');
  rows.push(...await runBatched(codecTasks(), options));
  progress(`micro: done (checksum ${sink})`);
  return rows;
}

export function microTable(rows: MicroRow[]): Table {
  return {
    headers: ['group', 'benchmark', 'ops/s', 'mean', 'CPU/op', 'p99 (batch)', 'MB/s', 'samples'],
    rightAligned: [false, false, true, true, true, true, true, true],
    rows: rows.map((r) => [
      r.group,
      r.name,
      formatCount(r.opsPerSec),
      formatNs(r.meanNs),
      formatNs(r.cpuNs),
      Number.isNaN(r.p99Ns) ? '—' : formatNs(r.p99Ns),
      r.bytesPerSec === undefined ? '' : (r.bytesPerSec / 1e6).toFixed(0),
      String(r.samples),
    ]),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, markdown: { type: 'boolean' } }, strict: true });
  const rows = await runMicro(values.quick ? MICRO_QUICK : MICRO_FULL, (line) => process.stderr.write(`${line}\n`));
  const table = microTable(rows);
  process.stdout.write(`${values.markdown ? markdownTable(table) : textTable(table)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`micro: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
