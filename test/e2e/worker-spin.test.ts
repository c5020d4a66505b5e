// Spin before sleep (core/shard/worker-loop.ts, runtime-node/io/worker-pool.ts):
// real worker threads that poll the ring a bounded number of times before
// they sleep still answer every request, and an idle one does sleep (its
// busy time stops growing) rather than spin on. When a worker may spin at all
// is a rule on the core count. The pool comes from the compiled dist/ (run
// `npm run build` first): its worker threads run compiled JS.

import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../core/limits.js';
import type { Reply } from '../../core/protocol/ops.js';
import { REPO_ROOT } from './spawn-node.js';

/** runtime-node/io/worker-pool.ts as compiled to dist/, typed by its source. */
const { WORKER_IDLE_POLLS_MAX, WorkerPool, workerIdlePollsMax } = await import(`${REPO_ROOT}dist/runtime-node/io/worker-pool.js`) as
  typeof import('../../runtime-node/io/worker-pool.js');

const enc = new TextEncoder();

describe('worker spin before sleep', () => {
  it('spins only with a core to spare beyond the workers and the IO thread', () => {
    expect(workerIdlePollsMax(2, 2)).toBe(0);
    expect(workerIdlePollsMax(2, 1)).toBe(0);
    expect(workerIdlePollsMax(4, 2)).toBe(WORKER_IDLE_POLLS_MAX);
    expect(workerIdlePollsMax(8, 8)).toBe(0);
  });

  it('spinning workers answer every request in order of submission per shard, and sleep once idle', async () => {
    const pool = await WorkerPool.start({
      workers: 2, limits: makeLimits({}), pin: false, storage: null, log: () => {}, idlePollsMax: WORKER_IDLE_POLLS_MAX,
    });
    try {
      const replies: Reply[] = [];
      // Bursts in separate event-loop turns, to both workers' shards.
      for (let burst = 0; burst < 20; burst++) {
        const answered: Promise<void>[] = [];
        for (let i = 0; i < 50; i++) {
          const shard = i % pool.slotMap.shardCount;
          answered.push(new Promise((resolve) => pool.submit(shard, { op: 'incr', key: enc.encode(`n${shard}`), delta: 1n }, (reply) => {
            replies.push(reply);
            resolve();
          })));
        }
        await Promise.all(answered);
      }
      expect(replies).toHaveLength(1000);
      expect(replies.every((r) => r.ok)).toBe(true);
      // Each shard's counter counted every increment once: the last reply per shard is its total.
      const totals = new Set(replies.map((r) => (r.ok ? r.integer : undefined)));
      expect(totals.has(BigInt(1000 / pool.slotMap.shardCount))).toBe(true);
      // Idle: the spin ends and the workers sleep (busy time is published at each 100 ms idle wake-up).
      await new Promise((r) => setTimeout(r, 300));
      const before = pool.workerSnapshots().map((w) => w.busySeconds);
      await new Promise((r) => setTimeout(r, 600));
      const after = pool.workerSnapshots().map((w) => w.busySeconds);
      for (let i = 0; i < after.length; i++) expect(after[i]! - before[i]!).toBeLessThan(0.2); // a spinning worker would be ~0.6
    } finally {
      await pool.stop();
    }
  }, 20_000);
});
