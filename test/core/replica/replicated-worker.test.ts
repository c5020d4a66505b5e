// The worker with replicated groups: three "nodes", each a ShardWorker with
// its rings, hosting one replica of the same group; requests go in through
// the ring, peer messages are exchanged between the workers, and replies come
// back through the reply ring once committed.

import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../core/limits.js';
import { ShardChannel } from '../../../core/node/shard-channel.js';
import type { Reply, Request } from '../../../core/protocol/ops.js';
import { Random } from '../../../core/random.js';
import { DEFAULT_RAFT_TUNING } from '../../../core/raft/raft.js';
import { MemoryRaftStorage } from '../../../core/raft/raft-storage.js';
import { ShardReplica } from '../../../core/replica/shard-replica.js';
import { SpscRing } from '../../../core/ring/spsc-ring.js';
import { ShardWorker } from '../../../core/shard/shard-worker.js';

const GROUP = 5;
const enc = new TextEncoder();

function makeNode(id: number, random: Random): { worker: ShardWorker; channel: ShardChannel } {
  const requests = SpscRing.allocate(1 << 16, false);
  const replies = SpscRing.allocate(1 << 16, false);
  const replica = new ShardReplica({
    group: GROUP, raft: { id, ...DEFAULT_RAFT_TUNING, random: random.fork() }, limits: DEFAULT_LIMITS,
    membership: { voters: [1, 2, 3], learners: [] }, snapshotEveryEntries: 1000, snapshotKeepEntries: 10,
  }, new MemoryRaftStorage());
  const worker = new ShardWorker([], requests, replies, DEFAULT_LIMITS, new Map([[GROUP, replica]]));
  return { worker, channel: new ShardChannel(requests, replies) };
}

describe('a worker hosting replicated groups', () => {
  const random = Random.fromSeed(1);
  const nodes = [1, 2, 3].map((id) => makeNode(id, random));
  let nowMs = 1_000;

  /** Deliver every peer message (in order) until none is left; then drain every worker and collect replies. */
  const settle = (): void => {
    for (let round = 0; round < 100; round++) {
      for (const { worker, channel } of nodes) {
        worker.drain(nowMs, 100);
        channel.drainReplies();
      }
      let moved = 0;
      for (const { worker } of nodes) {
        for (const frame of worker.takePeerOutbox()) {
          nodes[frame.message.to - 1]!.worker.stepPeer([frame], nowMs);
          moved++;
        }
      }
      if (moved === 0 && nodes.every(({ worker }) => worker.repliesWaiting === 0)) return;
    }
  };
  const tickAll = (): void => {
    nowMs += 10;
    for (const { worker } of nodes) worker.tick(nowMs);
    settle();
  };
  const leaderIndex = (): number => nodes.findIndex(({ worker }) => worker.replicas.get(GROUP)!.isLeader());
  const run = (node: number, request: Request): Reply[] => {
    const got: Reply[] = [];
    nodes[node]!.channel.submit(GROUP, request, (reply) => got.push(reply));
    settle();
    return got;
  };

  it('elects a leader, commits a write through the ring and serves a linearizable read', () => {
    for (let t = 0; t < 40 && leaderIndex() < 0; t++) tickAll();
    const lead = leaderIndex();
    expect(lead).toBeGreaterThanOrEqual(0);
    const set = run(lead, { op: 'set', key: enc.encode('k'), value: enc.encode('v') });
    expect(set).toEqual([{ ok: true, version: expect.any(Number) }]);
    const get = run(lead, { op: 'get', key: enc.encode('k') });
    expect(get).toMatchObject([{ ok: true, found: true, version: set[0]!.ok ? set[0]!.version : 0 }]);
    expect(new TextDecoder().decode((get[0] as { value: Uint8Array }).value)).toBe('v');
    // Every replica applied it.
    for (const { worker } of nodes) expect(worker.replicas.get(GROUP)!.shard.size).toBe(1);
  });

  it('a follower answers NOT_LEADER with the leader as a hint; a read at a follower goes through the leader', () => {
    const lead = leaderIndex();
    const follower = (lead + 1) % 3;
    const refused = run(follower, { op: 'set', key: enc.encode('k'), value: enc.encode('w') });
    expect(refused).toEqual([expect.objectContaining({ ok: false, code: 'NOT_LEADER', leaderHint: lead + 1 })]);
    const read = run(follower, { op: 'get', key: enc.encode('k') });
    expect(read).toMatchObject([{ ok: true, found: true }]);
  });

  it('keys held by a read stay intact after the ring space is reused', () => {
    const lead = leaderIndex();
    const got: Reply[] = [];
    // The read waits for a heartbeat round while more requests overwrite the ring.
    nodes[lead]!.channel.submit(GROUP, { op: 'get', key: enc.encode('k') }, (r) => got.push(r));
    nodes[lead]!.worker.drain(nowMs, 100);
    for (let i = 0; i < 50; i++) nodes[lead]!.channel.submit(GROUP, { op: 'set', key: enc.encode(`x${i}`), value: new Uint8Array(500) }, () => {});
    settle();
    expect(got).toMatchObject([{ ok: true, found: true }]);
  });
});
