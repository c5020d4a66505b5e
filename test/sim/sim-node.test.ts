// A simulated node on its own: the core's Dispatcher, ShardChannel and
// ShardWorker driven by scheduled events instead of threads.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../core/bytes.js';
import { KiB, makeLimits } from '../../core/limits.js';
import type { Reply } from '../../core/protocol/ops.js';
import { Random } from '../../core/random.js';
import { NodeClock } from '../../runtime-sim/node-clock.js';
import { SimNode, emptyNodeStats, type NodeSettings } from '../../runtime-sim/sim-node.js';
import { Simulation } from '../../runtime-sim/simulation.js';

function makeNode(seed: number, overrides: Partial<NodeSettings> = {}) {
  const sim = new Simulation();
  const rng = Random.fromSeed(seed);
  const workers = overrides.workers ?? rng.int(1, 4);
  const ringBytes = overrides.ringBytes ?? 4 * KiB;
  const settings: NodeSettings = {
    workers,
    shards: workers * 2,
    ringBytes,
    limits: makeLimits({ keyBytesMax: 128, valueBytesMax: 1024, frameBytesMax: 1536, ringBytes, connectionQueueBytesMax: 64 * KiB }),
    batchMax: rng.int(1, 8),
    idleWakeUs: 50_000,
    sweepIntervalMs: 10,
    wake: { baseUs: 5, tailMeanUs: 50, tailCapUs: 1_000 },
    ioRequestCostUs: 2,
    ioReplyCostUs: 1,
    workerRecordCostUs: 5,
    backgroundSync: false,
    drainCostUs: 1,
    ...overrides,
  };
  const io = sim.addThread('io');
  const workerThreads = Array.from({ length: settings.workers }, (_, w) => sim.addThread(`w${w}`));
  const node = new SimNode(sim, { io, workers: workerThreads }, new NodeClock(0), settings, rng.fork(), emptyNodeStats()).start();
  return { sim, node, io };
}

describe('SimNode', () => {
  it('answers every request exactly once, through full rings (backpressure) and back', () => {
    fc.assert(fc.property(fc.nat(), (seed) => {
      const { sim, node, io } = makeNode(seed);
      const replies = new Map<number, Reply>();
      const value = new Uint8Array(900).fill(0x41);
      // Bursts of large sets on the IO thread: several fill a 4 KiB ring at once.
      for (let i = 0; i < 120; i++) {
        sim.at(Math.floor(i / 10) * 200, io, 1, i, () => node.execute({ op: 'set', key: utf8(`key${i % 7}`), value }, (reply) => {
          expect(replies.has(i)).toBe(false);
          replies.set(i, reply);
        }));
      }
      sim.run(10_000_000);
      expect(replies.size).toBe(120);
      for (const reply of replies.values()) expect(reply.ok).toBe(true);
      expect(node.inFlight).toBe(0);
      expect(node.backlogLength).toBe(0);
      expect(node.stats.backlogged).toBeGreaterThan(0);
    }), { numRuns: 15 });
  });

  it('applies one key’s requests in submission order', () => {
    const { sim, node, io } = makeNode(3, { workers: 2 });
    const seen: bigint[] = [];
    for (let i = 0; i < 50; i++) {
      sim.at(i * 3, io, 1, i, () => node.execute({ op: 'incr', key: utf8('counter'), delta: 1n }, (reply) => {
        if (reply.ok) seen.push(reply.integer!);
      }));
    }
    sim.run(10_000_000);
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i + 1)));
  });

  it('keeps sleeping workers asleep until notified or the idle wake-up, and sweeps expired keys while idle', () => {
    const { sim, node, io } = makeNode(4, { workers: 1, idleWakeUs: 20_000 });
    let done = false;
    sim.at(0, io, 1, 0, () => node.execute({ op: 'set', key: utf8('t'), value: utf8('v'), ttlMs: 5 }, () => { done = true; }));
    sim.run(1_000_000);
    expect(done).toBe(true);
    expect(node.expiringKeys).toBe(0);
    expect(node.stats.expiredBySweep).toBe(1);
    expect(node.stats.idleWakes).toBeGreaterThan(10);
  });

  it('answers nothing after a crash', () => {
    const { sim, node, io } = makeNode(5);
    let answered = 0;
    for (let i = 0; i < 20; i++) sim.at(i * 100, io, 1, i, () => node.execute({ op: 'get', key: utf8(`k${i}`) }, () => answered++));
    sim.at(1_000, 0, 1, 0, () => node.crash());
    sim.run(10_000_000);
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThan(20);
  });
});
