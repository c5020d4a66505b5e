// Bytes per element of one big list: Piccolo against Redis, 1M elements
// RPUSHed into one key over a pipelined RESP connection to each:
//
//   npm run build && node dist/bench/list-memory.js [--elements N] [--shape text|int]
//
// text: distinct 16-byte elements `element:00000001`; int: the integers
// 1..N (both sides keep them in a shorter integer form). Each server runs
// alone on loopback with persistence off. Reported per element: INFO's
// used_memory growth (Redis's allocator count; Piccolo's store accounting,
// which includes its estimate of each list node's V8 overhead) and the
// process's RSS growth (what the machine pays; Node's includes heap slack
// and the garbage of parsing a million arguments, so it is noisy).

import { Redis } from 'ioredis';
import { parseArgs } from 'node:util';
import { BenchServer, rssBytes } from './redis-processes.js';

const ELEMENTS_DEFAULT = 1_000_000;
/** Elements per RPUSH, and RPUSHes in flight at once: enough to keep either server busy, small enough for any frame limit. */
const ELEMENTS_PER_PUSH = 500;
const PUSHES_IN_FLIGHT = 20;
const KEY = 'bench:list';

function element(shape: string, i: number): string {
  return shape === 'int' ? String(i + 1) : `element:${String(i).padStart(8, '0')}`;
}

async function usedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

async function fill(client: Redis, elements: number, shape: string): Promise<void> {
  let next = 0;
  while (next < elements) {
    const pipeline = client.pipeline();
    for (let p = 0; p < PUSHES_IN_FLIGHT && next < elements; p++) {
      const batch: string[] = [];
      for (let i = 0; i < ELEMENTS_PER_PUSH && next < elements; i++) batch.push(element(shape, next++));
      pipeline.rpush(KEY, ...batch);
    }
    const results = await pipeline.exec();
    for (const [error] of results ?? []) if (error) throw error;
  }
}

interface Row { server: string; usedPerElement: number; rssPerElement: number; length: number }

async function measure(server: BenchServer, elements: number, shape: string): Promise<Row> {
  const client = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 0, lazyConnect: true });
  await client.connect();
  try {
    await client.del(KEY);
    // A key first, so fixed costs (Piccolo's first 1 MiB slab page, Redis's first dict) are paid before "before": per element is the marginal cost.
    await client.rpush(`${KEY}:warm`, 'x');
    const usedBefore = await usedMemory(client);
    const rssBefore = rssBytes(server.pid);
    await fill(client, elements, shape);
    // Piccolo's workers publish their store's bytes when idle; give them a moment.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const usedAfter = await usedMemory(client);
    const rssAfter = rssBytes(server.pid);
    const length = await client.llen(KEY);
    return { server: server.name, usedPerElement: (usedAfter - usedBefore) / elements, rssPerElement: (rssAfter - rssBefore) / elements, length };
  } finally {
    client.disconnect();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { elements: { type: 'string' }, shape: { type: 'string' } } });
  const elements = Number(values.elements ?? ELEMENTS_DEFAULT);
  const shape = values.shape ?? 'text';
  if (!Number.isSafeInteger(elements) || elements <= 0 || (shape !== 'text' && shape !== 'int')) {
    throw new Error('usage: list-memory [--elements N] [--shape text|int]');
  }
  const rows: Row[] = [];
  for (const start of [() => BenchServer.startRedis(), () => BenchServer.startPiccolo()]) {
    const server = await start();
    try {
      rows.push(await measure(server, elements, shape));
    } finally {
      await server.stop();
    }
  }
  console.log(`one list of ${elements} ${shape} elements (e.g. ${element(shape, 0)}), RPUSH ${ELEMENTS_PER_PUSH} at a time`);
  console.log('server    used_memory B/element   RSS B/element   LLEN');
  for (const r of rows) {
    console.log(`${r.server.padEnd(9)} ${r.usedPerElement.toFixed(1).padStart(21)} ${r.rssPerElement.toFixed(1).padStart(15)}   ${r.length}`);
  }
}

await main();
