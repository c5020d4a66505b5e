// The follower's side of a chunked snapshot (core/raft/snapshot-assembly.ts):
// chunks only in order, of one snapshot from one leader in one term; and the
// leader's side through the Raft test cluster: four chunks in flight.

import { describe, expect, it, test } from 'vitest';
import { SnapshotAssembly, type SnapshotChunk } from '../../../core/raft/snapshot-assembly.js';
import type { ReplicaId, Snapshot } from '../../../core/raft/raft-types.js';
import type { RaftTuning } from '../../../core/raft/raft.js';
import { RaftCluster } from './raft-cluster.js';

const meta = (index: number, term = 2) => ({ index, term, membership: { voters: [1, 2, 3], learners: [] } });
const whole = Uint8Array.from({ length: 10 }, (_, i) => i + 1);

function chunk(offset: number, length: number, over: Partial<SnapshotChunk> = {}, bytes = whole, index = 7): SnapshotChunk {
  return { from: 1, term: 3, snapshot: { meta: meta(index), data: bytes.subarray(offset, offset + length) }, offset, size: bytes.length, ...over };
}

describe('SnapshotAssembly', () => {
  test('a whole snapshot in one message passes straight through', () => {
    const a = new SnapshotAssembly();
    const c = chunk(0, 10);
    expect(a.add(c)).toBe(c.snapshot);
    expect(a.heldBytes).toBe(0);
  });

  test('chunks in order make up the exact bytes, under their meta', () => {
    const a = new SnapshotAssembly();
    expect(a.add(chunk(0, 4))).toBe(4);
    expect(a.add(chunk(4, 4))).toBe(8);
    const done = a.add(chunk(8, 2)) as Snapshot;
    expect(done.data).toEqual(whole);
    expect(done.meta).toEqual(meta(7));
    expect(a.heldBytes).toBe(0);
  });

  test('a duplicate or a chunk after a gap changes nothing and answers the bytes held', () => {
    const a = new SnapshotAssembly();
    a.add(chunk(0, 4));
    expect(a.add(chunk(0, 4))).toBe(4); // the first chunk again: a duplicate, not a new start
    expect(a.add(chunk(8, 2))).toBe(4); // after a lost chunk
    expect(a.add(chunk(4, 4))).toBe(8);
    expect((a.add(chunk(8, 2)) as Snapshot).data).toEqual(whole);
  });

  test('chunks of another snapshot, leader or term never extend the transfer', () => {
    const a = new SnapshotAssembly();
    a.add(chunk(0, 4));
    expect(a.add(chunk(4, 4, {}, whole, 9))).toBe(0); // another snapshot, whose start we lack
    expect(a.add(chunk(4, 4, { from: 2 }))).toBe(0);
    expect(a.add(chunk(4, 4, { term: 4 }))).toBe(0);
    const longer = Uint8Array.from({ length: 12 }, (_, i) => 100 + i);
    expect(a.add(chunk(4, 4, {}, longer))).toBe(0);
    // Their first chunk starts a new transfer in its place.
    expect(a.add(chunk(0, 6, {}, longer, 9))).toBe(6);
    expect((a.add(chunk(6, 6, {}, longer, 9)) as Snapshot).data).toEqual(longer);
  });

  test('clear() forgets the transfer (a new term or role)', () => {
    const a = new SnapshotAssembly();
    a.add(chunk(0, 4));
    a.clear();
    expect(a.heldBytes).toBe(0);
    expect(a.add(chunk(4, 4))).toBe(0);
  });
});

/** A settled group with one follower crashed while 60 writes were compacted away, then restarted: it needs a snapshot. */
function followerBehindCompactedLog(tuning: Partial<RaftTuning>): { c: RaftCluster; lead: ReplicaId; behind: ReplicaId } {
  const c = new RaftCluster({ seed: 31, voters: 3, snapshotEvery: 20, snapshotKeep: 0, tuning });
  const lead = c.settle();
  const behind = [1, 2, 3].find((id) => id !== lead)!;
  c.crash(behind);
  for (let i = 0; i < 60; i++) expect(c.propose(lead, `write-${i}`)).toBe(true);
  c.deliverAll();
  c.restart(behind);
  return { c, lead, behind };
}

describe('a leader sending a chunked snapshot (Raft, through the test cluster)', () => {
  it('sends four chunks ahead, more as answers come, and the follower ends with the leader\'s state', () => {
    const { c, lead, behind } = followerBehindCompactedLog({ snapshotChunkBytes: 8 });
    // Its heartbeat answers show it behind the compacted log: the leader makes a snapshot and sends its first chunks.
    let firstBurst = 0;
    for (let t = 0; t < 30 && firstBurst === 0; t++) {
      c.tickAll();
      for (let n = 0; n < 1000 && c.inFlight.length > 0 && firstBurst === 0; n++) {
        firstBurst = c.inFlight.filter((m) => m.type === 'snapshot' && m.to === behind).length;
        if (firstBurst === 0) c.deliver(0);
      }
    }
    expect(firstBurst).toBe(4);
    const chunk = c.inFlight.find((m) => m.type === 'snapshot' && m.to === behind)!;
    expect(chunk.type === 'snapshot' && chunk.size).toBeGreaterThan(4 * 8);
    c.deliverAll();
    c.tickAll();
    c.deliverAll();
    expect(c.get(behind).state).toEqual(c.get(lead).state);
    expect(c.snapshotChunksDelivered).toBeGreaterThan(4);
  });

  it('a transfer that keeps making progress is not begun again, however many election timeouts it takes', () => {
    const { c, lead, behind } = followerBehindCompactedLog({ snapshotChunkBytes: 2 });
    // One chunk delivered per tick, everything else at once: the transfer spans many election timeouts (10-19 ticks).
    let starts = 0;
    let ticks = 0;
    for (; ticks < 2000 && c.get(behind).state.length < c.get(lead).state.length; ticks++) {
      c.tickAll();
      let chunkDelivered = false;
      for (let n = 0; n < 1000; n++) {
        const at = c.inFlight.findIndex((m) => m.type !== 'snapshot' || !chunkDelivered);
        if (at < 0) break;
        const m = c.inFlight[at]!;
        if (m.type === 'snapshot') {
          chunkDelivered = true;
          if (m.offset === 0) starts++;
        }
        c.deliver(at);
      }
    }
    expect(c.get(behind).state).toEqual(c.get(lead).state);
    expect(ticks).toBeGreaterThan(3 * 2 * 10);
    expect(starts).toBe(1);
  });

  it('does not send a snapshot larger than a follower accepts (snapshotBytesMax), and counts it', () => {
    const { c, lead, behind } = followerBehindCompactedLog({ snapshotChunkBytes: 8, snapshotBytesMax: 16 });
    let snapshotsSent = 0;
    for (let t = 0; t < 30; t++) {
      c.tickAll();
      for (let n = 0; n < 1000 && c.inFlight.length > 0; n++) {
        if (c.inFlight[0]!.type === 'snapshot') snapshotsSent++;
        c.deliver(0);
      }
    }
    expect(snapshotsSent).toBe(0);
    expect(c.node(lead).raft.snapshotsTooLarge).toBeGreaterThan(0);
    expect(c.get(behind).state.length).toBeLessThan(c.get(lead).state.length);
  });
});
