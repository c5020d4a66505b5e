// Memory a large sorted set costs a member, Piccolo against Redis: N members
// `member:<i>` with score i loaded into one key of a real node (RESP door,
// pipelined ZADDs of ZADD_PAIRS_PER_COMMAND pairs) and into redis-server
// (persistence off), as the issue measures it (1M members):
//
//   npm run build && node dist/bench/zset-memory.js [--members N]
//
// Prints, for each server, the growth of INFO's used_memory (Redis: its
// allocator's count; Piccolo: what its shard stores account, the sorted
// set's typed arrays included) and of the process's RSS, each divided by N,
// and the load's wall time. Run on a quiet machine: RSS moves with the JS
// heap's garbage and with the other processes' pressure.

import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { BENCH_HOST, BenchServer, redisVersion, rssBytes } from './redis-processes.js';
import { textTable } from './table.js';

/** The size: a sorted set of 1M members. */
const MEMBERS_DEFAULT = 1_000_000;
/** Pairs per ZADD: large enough that the load is quick, small enough to stay far below a frame (~20 KiB a command). */
const ZADD_PAIRS_PER_COMMAND = 1000;
/** Commands in flight at once on the one connection. */
const PIPELINE_COMMANDS = 16;
/** Piccolo publishes its shards' memory at least this often (WORKER_IDLE_WAKE_MS and then some). */
const METRICS_SETTLE_MS = 1500;
const KEY = 'zset:memory';

interface Row { server: string; usedPerMember: number; rssPerMember: number; loadMs: number; card: number }

async function usedMemory(r: Redis): Promise<number> {
  const info = await r.info('memory');
  const match = /^used_memory:(\d+)/m.exec(info);
  if (!match) throw new Error(`no used_memory in INFO: ${info}`);
  return Number(match[1]);
}

async function measure(server: BenchServer, members: number): Promise<Row> {
  const r = new Redis({ host: BENCH_HOST, port: server.port, maxRetriesPerRequest: 0 });
  try {
    await new Promise((resolve) => setTimeout(resolve, METRICS_SETTLE_MS));
    const usedBefore = await usedMemory(r);
    const rssBefore = rssBytes(server.pid);
    const started = Date.now();
    let inFlight: Promise<unknown>[] = [];
    for (let from = 0; from < members; from += ZADD_PAIRS_PER_COMMAND) {
      const args: (string | number)[] = [];
      for (let i = from; i < Math.min(members, from + ZADD_PAIRS_PER_COMMAND); i++) args.push(i, `member:${i}`);
      inFlight.push(r.zadd(KEY, ...args));
      if (inFlight.length >= PIPELINE_COMMANDS) {
        await Promise.all(inFlight);
        inFlight = [];
      }
    }
    await Promise.all(inFlight);
    const loadMs = Date.now() - started;
    const card = await r.zcard(KEY);
    await new Promise((resolve) => setTimeout(resolve, METRICS_SETTLE_MS));
    const used = await usedMemory(r) - usedBefore;
    const rss = rssBytes(server.pid) - rssBefore;
    return { server: server.name, usedPerMember: used / members, rssPerMember: rss / members, loadMs, card };
  } finally {
    r.disconnect();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { members: { type: 'string' } } });
  const members = Number(values.members ?? MEMBERS_DEFAULT);
  if (!Number.isSafeInteger(members) || members <= 0) throw new Error('--members must be a positive integer');
  const rows: Row[] = [];
  const redis = await BenchServer.startRedis();
  try {
    rows.push(await measure(redis, members));
  } finally {
    await redis.stop();
  }
  // One worker: the set lives on one shard anyway, and one thread's heap is what it grows.
  const piccolo = await BenchServer.startPiccolo({ args: ['--in-memory', '--workers', '1'] });
  try {
    rows.push(await measure(piccolo, members));
  } finally {
    await piccolo.stop();
  }
  console.log(`sorted set of ${members} members "member:<i>" with score i, one key; Redis ${redisVersion()}`);
  console.log(textTable({
    headers: ['server', 'used_memory B/member', 'RSS B/member', 'load ms', 'ZCARD'],
    rightAligned: [false, true, true, true, true],
    rows: rows.map((r) => [r.server, r.usedPerMember.toFixed(1), r.rssPerMember.toFixed(1), String(r.loadMs), String(r.card)]),
  }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
