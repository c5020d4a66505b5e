// Before/after micro-benchmark of the binary (Cap'n Proto) codec: the
// capnp-ts reference (schema/capnp-ts-reference/) against the production
// codec that reads and writes the wire layout directly (schema/fast-capnp/).
//
//   npm run build && node dist/bench/capnp-codec.js [--time-ms 1000] [--codec capnp-ts|fast]
//
// Run the compiled JS (under vite-node every operation costs 2-3x more). Each
// codec's tasks run together; --codec runs only one, in a process of its own,
// so that neither pays for the garbage the other left (capnp-ts leaves a lot).
//
// Each tinybench sample times a batch of operations and reports the batch's
// mean per operation (single operations are too short for the clock); the
// table shows the median and the 99th percentile of those batch means, so
// other processes on a shared machine show up in p99 rather than the median.

import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { makeLimits } from '../core/limits.js';
import type { Reply, Request } from '../core/protocol/ops.js';
import * as fast from '../schema/binary-codec.js';
import * as referenceRequest from '../schema/capnp-ts-reference/request.js';
import * as referenceResponse from '../schema/capnp-ts-reference/response.js';
import { benchValue, keyText } from './request-writer.js';

/** Value size for SETs and GET hits: the end-to-end default. */
const VALUE_BYTES = 100;
/** Operations per tinybench sample. */
const BATCH = 256;

const encoder = new TextEncoder();
/** Results flow here (a module-level variable the JIT cannot prove unused), so no benchmarked work is dropped. */
let sink = 0;

interface Codec {
  decodeRequest: typeof fast.decodeRequest;
  encodeRequest: typeof fast.encodeRequest;
  encodeResponse: typeof fast.encodeResponse;
  decodeResponse: typeof fast.decodeResponse;
}

const CODECS = {
  'capnp-ts': { label: 'capnp-ts (before)', codec: { ...referenceRequest, ...referenceResponse } as Codec },
  fast: { label: 'fast-capnp (after)', codec: fast as Codec },
} as const;
type CodecName = keyof typeof CODECS;

interface Case {
  name: string;
  op: (codec: Codec) => () => number;
}

function cases(): Case[] {
  const limits = makeLimits();
  const key = encoder.encode(keyText(12345, 6));
  const value = encoder.encode(benchValue(VALUE_BYTES));
  const getReq: Request = { op: 'get', key };
  const setReq: Request = { op: 'set', key, value };
  const getHit: Reply = { ok: true, found: true, value, version: 123456 };
  const setOk: Reply = { ok: true, version: 123457 };
  // Frames from the reference encoder: the server must read what any capnp-ts client writes.
  const getFrame = referenceRequest.encodeRequest(7n, getReq);
  const setFrame = referenceRequest.encodeRequest(7n, setReq);
  const getHitFrame = referenceResponse.encodeResponse(7n, getHit);
  return [
    { name: 'decodeRequest, get', op: (c) => () => (c.decodeRequest(getFrame, limits).ok ? 1 : 0) },
    { name: `decodeRequest, set ${VALUE_BYTES} B`, op: (c) => () => (c.decodeRequest(setFrame, limits).ok ? 1 : 0) },
    { name: `encodeResponse, get hit ${VALUE_BYTES} B`, op: (c) => () => c.encodeResponse(7n, getHit).length },
    { name: 'encodeResponse, set ok', op: (c) => () => c.encodeResponse(7n, setOk).length },
    { name: `encodeRequest, set ${VALUE_BYTES} B (client)`, op: (c) => () => c.encodeRequest(7n, setReq).length },
    { name: `decodeResponse, get hit ${VALUE_BYTES} B (client)`, op: (c) => () => (c.decodeResponse(getHitFrame).reply.ok ? 1 : 0) },
  ];
}

interface Row { name: string; codec: string; medianNs: number; p99Ns: number; samples: number }

async function run(timeMs: number, codecs: readonly CodecName[]): Promise<Row[]> {
  const bench = new Bench({ time: timeMs, warmupTime: timeMs / 4, iterations: 16, warmupIterations: 8, throws: true });
  const labels: { name: string; codec: string }[] = [];
  for (const codecName of codecs) {
    const { label, codec } = CODECS[codecName];
    for (const c of cases()) {
      const op = c.op(codec);
      labels.push({ name: c.name, codec: label });
      bench.add(`${c.name} / ${label}`, () => {
        const start = bench.now();
        for (let i = 0; i < BATCH; i++) sink += op();
        const elapsed = bench.now() - start;
        return { overriddenDuration: elapsed / BATCH, overriddenIterationCost: elapsed };
      });
    }
  }
  await bench.run();
  return bench.tasks.map((task, i) => {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`${task.name} did not complete: ${result.state}`);
    return { ...labels[i]!, medianNs: result.latency.p50 * 1e6, p99Ns: result.latency.p99 * 1e6, samples: result.latency.samplesCount };
  });
}

function formatNs(ns: number): string {
  return ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'time-ms': { type: 'string', default: '1000' }, codec: { type: 'string' } } });
  const only = values.codec;
  if (only !== undefined && !(only in CODECS)) throw new Error(`--codec must be one of ${Object.keys(CODECS).join(', ')}`);
  const codecs: CodecName[] = only === undefined ? ['fast', 'capnp-ts'] : [only as CodecName];
  const rows = await run(Number(values['time-ms']), codecs);
  const lines = ['| operation | codec | median / op | p99 (batch) / op | samples |', '| --- | --- | --- | --- | --- |'];
  for (const row of rows) lines.push(`| ${row.name} | ${row.codec} | ${formatNs(row.medianNs)} | ${formatNs(row.p99Ns)} | ${row.samples} |`);
  console.log(lines.join('\n'));
  if (sink === -1) console.log(sink);
}

await main();
