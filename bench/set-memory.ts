// Memory of one large set, Piccolo against Redis: 1M members `member:<i>`
// added to one key through each server's RESP door (pipelined SADDs of
// SADD_BATCH members), then bytes per member from each server's own INFO
// used_memory (what its store holds) and from its RSS growth:
//
//   npm run build && node dist/bench/set-memory.js [--members N]
//
// Both servers run on loopback with persistence off; Redis keeps its default
// set thresholds, so a set of 1M members is its "hashtable" form, as
// Piccolo's is its large hash set (core/types/set/large-set.ts).

import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { BENCH_HOST, BenchServer, ensureRedisTools, redisVersion, rssBytes } from './redis-processes.js';

/** What the issue measures: a set of a million members. */
const MEMBERS_DEFAULT = 1_000_000;
/** Members per SADD: large enough that command overhead is nothing, small enough for any frame. */
const SADD_BATCH = 1000;
/** SADDs in flight at once (one pipeline). */
const PIPELINE_COMMANDS = 100;
/** Piccolo's workers publish their memory when idle; wait this long for the number to settle. */
const SETTLE_MS = 1500;
const KEY = 'bench:set';

interface Measure { usedBytes: number; rssBytes: number }

async function measure(redis: Redis, pid: number): Promise<Measure> {
  const info = await redis.info('memory');
  const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
  return { usedBytes: used, rssBytes: rssBytes(pid) };
}

async function load(redis: Redis, members: number): Promise<void> {
  for (let start = 0; start < members;) {
    const pipeline = redis.pipeline();
    for (let c = 0; c < PIPELINE_COMMANDS && start < members; c++) {
      const batch: string[] = [];
      for (let i = start; i < Math.min(start + SADD_BATCH, members); i++) batch.push(`member:${i}`);
      pipeline.sadd(KEY, ...batch);
      start += batch.length;
    }
    const results = await pipeline.exec();
    for (const [error] of results ?? []) if (error) throw error;
  }
}

async function side(server: BenchServer, members: number): Promise<{ used: number; rss: number; encoding: string }> {
  const redis = new Redis({ host: BENCH_HOST, port: server.port, maxRetriesPerRequest: 0 });
  try {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const before = await measure(redis, server.pid);
    await load(redis, members);
    const count = await redis.scard(KEY);
    if (count !== members) throw new Error(`${server.name} holds ${count} members, not ${members}`);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const after = await measure(redis, server.pid);
    const encoding = String(await redis.call('OBJECT', 'ENCODING', KEY));
    return { used: (after.usedBytes - before.usedBytes) / members, rss: (after.rssBytes - before.rssBytes) / members, encoding };
  } finally {
    redis.disconnect();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { members: { type: 'string' } } });
  const members = Number(values.members ?? MEMBERS_DEFAULT);
  ensureRedisTools((line) => console.log(line));
  const rows: string[] = [];
  for (const name of ['piccolo', 'redis'] as const) {
    const server = name === 'redis' ? await BenchServer.startRedis() : await BenchServer.startPiccolo({ args: ['--in-memory', '--workers', '1', '--no-pin'] });
    try {
      const r = await side(server, members);
      rows.push(`${name.padEnd(8)} ${r.encoding.padEnd(10)} ${r.used.toFixed(1).padStart(8)} B/member (used_memory)  ${r.rss.toFixed(1).padStart(8)} B/member (RSS growth)`);
    } finally {
      await server.stop();
    }
  }
  console.log(`one set of ${members} members "member:<i>"; Redis ${redisVersion()}`);
  for (const row of rows) console.log(row);
}

await main();
