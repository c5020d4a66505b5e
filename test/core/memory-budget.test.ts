// --maxmemory with noeviction (core/shard/memory-budget.ts, judged in the
// shard worker's drain): over its budget a shard refuses writes that may add
// data with OUT_OF_MEMORY and changes nothing; reads, deletes and expiry
// changes go on, and once deletes bring it under budget, writes are taken
// again.

import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../core/limits.js';
import type { Reply, Request } from '../../core/protocol/ops.js';
import { ByteWriter } from '../../core/ring/byte-writer.js';
import { decodeReplyRecord, encodeRequestRecord } from '../../core/ring/ring-codec.js';
import { SpscRing } from '../../core/ring/spsc-ring.js';
import { mayGrowMemory, memoryRefusal, shardMemoryBudgetBytes } from '../../core/shard/memory-budget.js';
import { ShardWorker } from '../../core/shard/shard-worker.js';
import { OP_NAMES } from '../../core/protocol/ops.js';

const LIMITS = makeLimits();
const NOW = 1_000_000;
const b = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A worker owning shard 0, driven one request at a time through real rings. */
function workerHarness(): { worker: ShardWorker; run(request: Request): Reply } {
  const requests = SpscRing.allocate(1 << 20);
  const replies = SpscRing.allocate(1 << 20);
  const worker = new ShardWorker([0], requests, replies, LIMITS);
  const io = { requests: new SpscRing(requests.memory), replies: new SpscRing(replies.memory) };
  const w = new ByteWriter(1024);
  let tag = 0;
  return {
    worker,
    run(request) {
      w.reset();
      encodeRequestRecord(w, ++tag, 0, request);
      expect(io.requests.tryWrite(w.bytes())).toBe(true);
      io.requests.publish();
      worker.drain(NOW, 16);
      const at = io.replies.peek();
      expect(at).toBeGreaterThanOrEqual(0);
      const record = decodeReplyRecord(io.replies.data, at, at + io.replies.lastLength);
      io.replies.release();
      io.replies.flushHead();
      expect(record.tag).toBe(tag);
      return record.reply;
    },
  };
}

describe('memory budget (noeviction)', () => {
  it('refuses exactly the writes that may add data (Redis denyoom), and only over budget', () => {
    const growing = OP_NAMES.filter((op) => op !== 'tx' && op !== 'call' && mayGrowMemory({ op } as Request)).sort();
    expect(growing).toEqual(['append', 'incr', 'incrFloat', 'mset', 'set', 'setRange']);
    // A transaction may grow memory when one of its ops may: refused whole, nothing applied.
    expect(mayGrowMemory({ op: 'tx', ops: [{ op: 'get', key: b('k') }, { op: 'del', key: b('k') }], watch: [] })).toBe(false);
    expect(mayGrowMemory({ op: 'tx', ops: [{ op: 'del', key: b('k') }, { op: 'incr', key: b('k'), delta: 1n }], watch: [] })).toBe(true);
    // Data commands: writes that add (HSET, ZADD, RESTORE) may grow; removals, pops and reads do not.
    const call = (name: string): Request => ({ op: 'call', name, args: [b('k'), b('x'), b('y')] });
    expect(['hset', 'zadd', 'lpush', 'restore', 'setbit'].filter((n) => mayGrowMemory(call(n)))).toHaveLength(5);
    expect(['hdel', 'lpop', 'zrem', 'expire', 'hget', 'lrange', 'type'].some((n) => mayGrowMemory(call(n)))).toBe(false);
    const set: Request = { op: 'set', key: b('k'), value: b('v') };
    expect(memoryRefusal(set, 1000, 0)).toBeNull(); // 0 = no limit
    expect(memoryRefusal(set, 1000, 1000)).toBeNull(); // at the budget, not over
    expect(memoryRefusal(set, 1001, 1000)).toMatchObject({ ok: false, code: 'OUT_OF_MEMORY' });
    expect(memoryRefusal({ op: 'del', key: b('k') }, 1001, 1000)).toBeNull();
  });

  it('splits maxmemory over the shards; a limit never rounds to "none"', () => {
    expect(shardMemoryBudgetBytes(0, 4)).toBe(0);
    expect(shardMemoryBudgetBytes(1000, 4)).toBe(250);
    expect(shardMemoryBudgetBytes(3, 4)).toBe(1);
  });

  it('a worker over budget refuses growing writes, serves reads and deletes, and takes writes again under budget', () => {
    const h = workerHarness();
    const value = new Uint8Array(100_000); // kept in its own buffer: usedBytes moves by its size
    for (let i = 0; i < 3; i++) expect(h.run({ op: 'set', key: b(`big${i}`), value }).ok).toBe(true);
    const shard = [...h.worker.shards()][0]!;
    const used = shard.usedBytes;
    h.worker.memoryBudgetBytes = used - 1;
    const refused = h.run({ op: 'set', key: b('more'), value: b('x') });
    expect(refused).toMatchObject({ ok: false, code: 'OUT_OF_MEMORY' });
    expect(h.run({ op: 'incr', key: b('n'), delta: 1n })).toMatchObject({ ok: false, code: 'OUT_OF_MEMORY' });
    expect(h.run({ op: 'mset', entries: [{ key: b('m'), value: b('v') }] })).toMatchObject({ ok: false, code: 'OUT_OF_MEMORY' });
    expect(shard.usedBytes).toBe(used); // refused writes changed nothing
    expect(h.run({ op: 'exists', key: b('more') })).toMatchObject({ ok: true, found: false });
    expect(h.run({ op: 'get', key: b('big0') })).toMatchObject({ ok: true, found: true });
    expect(h.run({ op: 'expire', key: b('big1'), ttlMs: 60_000 }).ok).toBe(true);
    expect(h.run({ op: 'del', key: b('big2') })).toMatchObject({ ok: true, found: true });
    expect(shard.usedBytes).toBeLessThan(used - 1);
    expect(h.run({ op: 'set', key: b('more'), value: b('x') }).ok).toBe(true);
    h.worker.memoryBudgetBytes = 0;
    expect(h.run({ op: 'set', key: b('big2'), value }).ok).toBe(true);
  });
});
