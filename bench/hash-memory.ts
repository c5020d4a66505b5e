// Memory of one large hash, Piccolo against Redis: N fields `field:<i>` ->
// `value:<i>` (default 1M) loaded into one key of each server through a
// RESP pipeline (multi-field HSETs), then bytes per field from INFO's
// used_memory (what each server counts as its data: Redis's allocator,
// Piccolo's shard stores) and from the process's RSS growth.
//
//   npm run build && node dist/bench/hash-memory.js [--fields N]
//
// Run it on a quiet machine: RSS moves with whatever else the kernel does.
// A server's RSS also holds the garbage of the load itself (Piccolo's V8
// heap grows with the requests it parsed and frees it lazily), so a third
// row builds the same table alone in a fresh `node --expose-gc` child and
// reads its RSS growth after a full GC, less that of a twin child running
// the same loop without the table (V8 keeps the heap the loop's garbage
// grew): what the hash itself holds.

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { BENCH_HOST, BenchServer, redisVersion, rssBytes } from './redis-processes.js';
import { textTable } from './table.js';
import { HashTable } from '../core/types/hash/hash-table.js';

/** What the issue measures: a hash of 1M fields. */
const FIELDS_DEFAULT = 1_000_000;
/** Fields per HSET: large enough that command overhead is small, small enough for any frame. */
const FIELDS_PER_HSET = 500;
/** HSETs in flight per pipeline round trip. */
const HSETS_PER_PIPELINE = 50;
/** used_memory is published by the shards periodically: wait until two readings this far apart agree. */
const SETTLE_POLL_MS = 500;
const SETTLE_POLLS_MAX = 20;
const KEY = 'bench:hash';

interface Measured { server: string; usedBytesPerField: number; rssBytesPerField: number; encoding: string }

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN);
}

async function settledUsedMemory(redis: Redis): Promise<number> {
  let last = await usedMemory(redis);
  for (let i = 0; i < SETTLE_POLLS_MAX; i++) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
    const now = await usedMemory(redis);
    if (now === last) return now;
    last = now;
  }
  return last;
}

async function measure(server: BenchServer, fields: number): Promise<Measured> {
  const redis = new Redis({ host: BENCH_HOST, port: server.port, lazyConnect: true, enableAutoPipelining: false });
  await redis.connect();
  try {
    await redis.del(KEY);
    const usedBefore = await settledUsedMemory(redis);
    const rssBefore = rssBytes(server.pid);
    for (let next = 0; next < fields;) {
      const pipeline = redis.pipeline();
      for (let h = 0; h < HSETS_PER_PIPELINE && next < fields; h++) {
        const args: string[] = [];
        for (let i = 0; i < FIELDS_PER_HSET && next < fields; i++, next++) args.push(`field:${next}`, `value:${next}`);
        pipeline.hset(KEY, ...args);
      }
      const results = await pipeline.exec();
      for (const [error] of results ?? []) if (error) throw error;
    }
    const length = await redis.hlen(KEY);
    if (length !== fields) throw new Error(`${server.name}: HLEN is ${length}, expected ${fields}`);
    const usedAfter = await settledUsedMemory(redis);
    const rssAfter = rssBytes(server.pid);
    const encoding = await redis.call('OBJECT', 'ENCODING', KEY).then(String, () => '(no OBJECT)');
    return {
      server: server.name,
      usedBytesPerField: (usedAfter - usedBefore) / fields,
      rssBytesPerField: (rssAfter - rssBefore) / fields,
      encoding,
    };
  } finally {
    redis.disconnect();
  }
}

declare const gc: () => void;

/**
 * In a `--expose-gc` child: RSS growth after a full GC of filling the table
 * (or, for the baseline, of making the same arguments and dropping them),
 * and the table's own accounting, as JSON on stdout.
 */
function measureTableAlone(fields: number, baseline: boolean): void {
  const encoder = new TextEncoder();
  gc();
  const before = process.memoryUsage().rss;
  const table = HashTable.withCapacity(1);
  for (let i = 0; i < fields; i++) {
    const field = encoder.encode(`field:${i}`);
    const value = encoder.encode(`value:${i}`);
    if (!baseline) table.set(field, value);
  }
  gc();
  const after = process.memoryUsage().rss;
  console.log(JSON.stringify({ rssBytesPerField: (after - before) / fields, usedBytesPerField: table.memoryBytes / fields, size: table.size }));
}

function tableAloneRow(fields: number): Measured {
  const run = (child: string): { rssBytesPerField: number; usedBytesPerField: number } => JSON.parse(execFileSync(process.execPath,
    ['--expose-gc', fileURLToPath(import.meta.url), '--child', child, '--fields', String(fields)], { encoding: 'utf8' })) as never;
  const table = run('table');
  const baseline = run('baseline');
  return {
    server: 'piccolo table alone', usedBytesPerField: table.usedBytesPerField,
    rssBytesPerField: table.rssBytesPerField - baseline.rssBytesPerField, encoding: 'hashtable',
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { fields: { type: 'string' }, child: { type: 'string' } } });
  const fields = values.fields !== undefined ? Number(values.fields) : FIELDS_DEFAULT;
  if (!Number.isSafeInteger(fields) || fields < 1) throw new Error(`--fields must be a positive integer, got ${values.fields}`);
  if (values.child !== undefined) return measureTableAlone(fields, values.child === 'baseline');
  const rows: Measured[] = [];
  for (const start of [() => BenchServer.startRedis(), () => BenchServer.startPiccolo()]) {
    const server = await start();
    try {
      rows.push(await measure(server, fields));
    } finally {
      await server.stop();
    }
  }
  rows.push(tableAloneRow(fields));
  console.log(`One hash of ${fields} fields "field:<i>" -> "value:<i>" (redis ${redisVersion()})`);
  console.log(textTable({
    headers: ['server', 'used_memory B/field', 'RSS B/field', 'encoding'],
    rows: rows.map((r) => [r.server, r.usedBytesPerField.toFixed(1), r.rssBytesPerField.toFixed(1), r.encoding]),
    rightAligned: [false, true, true, false],
  }));
}

await main();
