// What a worker publishes for metrics: busy time counts only the time
// between waits, is visible to a reader of the shared buffer at each pause
// and publish, and sizes arrive with publish.
import { describe, expect, it } from 'vitest';
import { readWorkerStats, workerStatsBuffer, WorkerStatsWriter } from '../../runtime-node/metrics/worker-stats.js';

describe('WorkerStatsWriter', () => {
  it('counts busy time between waits only, and publishes sizes', () => {
    const buffer = workerStatsBuffer();
    const writer = new WorkerStatsWriter(buffer, 1_000);
    writer.pause(1_004); // 4 ms of work
    expect(readWorkerStats(buffer).busySeconds).toBeCloseTo(0.004, 9);
    writer.resume(1_500); // 496 ms asleep: not busy
    writer.publish(1_502, 4096, 3, 9, { held: 5, refused: 2 }); // 2 ms more, published without sleeping
    expect(readWorkerStats(buffer)).toEqual({
      busySeconds: expect.closeTo(0.006, 9) as number, dataBytes: 4096, expiringKeys: 3, expiredKeys: 9, heldForLeader: 5, refusedAfterLeaderWait: 2,
    });
    writer.pause(1_503);
    writer.pause(1_600); // a second pause while asleep adds nothing
    expect(readWorkerStats(buffer).busySeconds).toBeCloseTo(0.007, 9);
    writer.publish(1_700, 4096, 3, 9, { held: 5, refused: 2 }); // asleep: publish adds nothing either
    expect(readWorkerStats(buffer).busySeconds).toBeCloseTo(0.007, 9);
  });
});
