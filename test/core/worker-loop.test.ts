// The worker loop's decisions (core/shard/worker-loop.ts), which runtime-node's
// worker thread and the simulator both carry out: drain, sweep when due, and
// what to do next.

import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../core/limits.js';
import { ShardChannel } from '../../core/node/shard-channel.js';
import { SpscRing } from '../../core/ring/spsc-ring.js';
import { ShardWorker } from '../../core/shard/shard-worker.js';
import { WorkerLoop } from '../../core/shard/worker-loop.js';

function setUp(batchMax: number, ringBytes = 1 << 16) {
  const requests = SpscRing.allocate(ringBytes, false);
  const replies = SpscRing.allocate(ringBytes, false);
  const worker = new ShardWorker([0], requests, replies, DEFAULT_LIMITS);
  return { loop: new WorkerLoop(worker, batchMax, 100), channel: new ShardChannel(requests, replies) };
}

const enc = new TextEncoder();

describe('worker loop', () => {
  it('sleeps when idle, drains again while a batch was full, and sweeps at its interval', () => {
    const { loop, channel } = setUp(2);
    expect(loop.turn(1_000)).toMatchObject({ next: 'sleep', swept: 0 }); // first turn sweeps
    for (let i = 0; i < 3; i++) channel.submit(0, { op: 'set', key: enc.encode(`k${i}`), value: enc.encode('v') }, () => {});
    const first = loop.turn(1_050);
    expect(first).toMatchObject({ next: 'drain', swept: null });
    expect(first.drained.applied).toBe(2);
    const second = loop.turn(1_100);
    expect(second.drained.applied).toBe(1);
    expect(second.swept).toBe(0); // 100 ms after the last sweep
    expect(loop.turn(1_101).next).toBe('sleep');
  });

  it('spins: polls again up to idlePollsMax empty turns before it says sleep, and a request within the spin resets it', () => {
    const requests = SpscRing.allocate(1 << 16, false);
    const replies = SpscRing.allocate(1 << 16, false);
    const loop = new WorkerLoop(new ShardWorker([0], requests, replies, DEFAULT_LIMITS), 16, 100, 0, 3);
    const channel = new ShardChannel(requests, replies);
    const set = (i: number) => channel.submit(0, { op: 'set', key: enc.encode(`k${i}`), value: enc.encode('v') }, () => {});
    set(0);
    expect(loop.turn(1).next).toBe('drain'); // work
    expect([loop.turn(1).next, loop.turn(1).next]).toEqual(['drain', 'drain']); // two empty polls of three
    set(1); // arrives within the spin: no sleep, no wake-up needed
    const caught = loop.turn(1);
    expect(caught.drained.applied).toBe(1);
    expect(caught.next).toBe('drain');
    // The spin starts afresh after work: three empty polls, then sleep.
    expect([1, 2, 3, 4].map(() => loop.turn(1).next)).toEqual(['drain', 'drain', 'drain', 'sleep']);
    // And again after the sleep.
    expect([1, 2, 3, 4].map(() => loop.turn(1).next)).toEqual(['drain', 'drain', 'drain', 'sleep']);
  });

  it('waits for space when the reply ring is full', () => {
    const { loop, channel } = setUp(1000, 4096);
    // Each GET's reply carries a ~1 KiB value: a few fill a 4 KiB reply ring that nobody drains.
    channel.submit(0, { op: 'set', key: enc.encode('big'), value: new Uint8Array(1000) }, () => {});
    loop.turn(1);
    channel.drainReplies();
    for (let i = 0; i < 8; i++) channel.submit(0, { op: 'get', key: enc.encode('big') }, () => {});
    expect(loop.turn(2).next).toBe('waitForSpace');
  });

  it('ticks the replicas when a Raft tick is due, and says how long the thread may sleep until the next', () => {
    const requests = SpscRing.allocate(1 << 16, false);
    const replies = SpscRing.allocate(1 << 16, false);
    const loop = new WorkerLoop(new ShardWorker([], requests, replies, DEFAULT_LIMITS, new Map()), 16, 100, 50);
    expect(loop.turn(1_000).ticked).toBe(true);
    expect(loop.turn(1_010).ticked).toBe(false);
    expect(loop.msUntilTick(1_010)).toBe(40);
    expect(loop.turn(1_050).ticked).toBe(true);
    expect(loop.msUntilTick(2_000)).toBe(0); // overdue: tick at once, no burst of catch-up ticks
    expect(loop.turn(2_000).ticked).toBe(true);
    expect(loop.msUntilTick(2_000)).toBe(50);
    expect(setUp(1).loop.msUntilTick(0)).toBe(Infinity); // a lone node's loop never ticks
  });
});
