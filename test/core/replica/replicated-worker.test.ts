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

function makeNode(id: number, random: Random, uncommittedEntriesMax = DEFAULT_RAFT_TUNING.uncommittedEntriesMax): { worker: ShardWorker; channel: ShardChannel } {
  const requests = SpscRing.allocate(1 << 16, false);
  const replies = SpscRing.allocate(1 << 16, false);
  const replica = new ShardReplica({
    group: GROUP, raft: { id, ...DEFAULT_RAFT_TUNING, uncommittedEntriesMax, random: random.fork() }, limits: DEFAULT_LIMITS,
    membership: { voters: [1, 2, 3], learners: [] }, snapshotEveryEntries: 1000, snapshotKeepEntries: 10,
  }, new MemoryRaftStorage());
  const worker = new ShardWorker([], requests, replies, DEFAULT_LIMITS, new Map([[GROUP, replica]]));
  return { worker, channel: new ShardChannel(requests, replies) };
}

type TestNode = ReturnType<typeof makeNode>;

/**
 * Drain the workers of `among` (indexes into `nodes`) and deliver their peer
 * messages (in order) to each other until none is left and no reply waits;
 * messages to nodes outside `among` are lost.
 */
function exchange(nodes: readonly TestNode[], among: readonly number[], nowMs: number): void {
  for (let round = 0; round < 100; round++) {
    for (const i of among) {
      nodes[i]!.worker.drain(nowMs, 100);
      nodes[i]!.channel.drainReplies();
    }
    let moved = 0;
    for (const i of among) {
      for (const frame of nodes[i]!.worker.takePeerOutbox()) {
        if (!among.includes(frame.message.to - 1)) continue;
        nodes[frame.message.to - 1]!.worker.stepPeer([frame], nowMs);
        moved++;
      }
    }
    if (moved === 0 && among.every((i) => nodes[i]!.worker.repliesWaiting === 0)) return;
  }
}

describe('a worker hosting replicated groups', () => {
  const random = Random.fromSeed(1);
  const nodes = [1, 2, 3].map((id) => makeNode(id, random));
  let nowMs = 1_000;

  /** Deliver every peer message (in order) until none is left; then drain every worker and collect replies. */
  const settle = (): void => exchange(nodes, [0, 1, 2], nowMs);
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

  // Requests held while the group has no leader to take them (core/shard/leader-wait.ts).

  it('requests reaching a leader that is handing over are held, then redirected in order to the new leader', () => {
    const lead = leaderIndex();
    const target = (lead + 1) % 3;
    expect(nodes[lead]!.worker.replicas.get(GROUP)!.raw.transferLeadership(target + 1)).toBe(true);
    const got: Reply[] = [];
    nodes[lead]!.channel.submit(GROUP, { op: 'set', key: enc.encode('k'), value: enc.encode('during-transfer') }, (r) => got.push(r));
    nodes[lead]!.channel.submit(GROUP, { op: 'get', key: enc.encode('k') }, (r) => got.push(r));
    nodes[lead]!.worker.drain(nowMs, 100);
    nodes[lead]!.channel.drainReplies();
    expect(got).toEqual([]); // held, not refused
    tickAll(); // the transfer's first message leaves with the leader's next process()
    expect(leaderIndex()).toBe(target);
    // Both go to the new leader, the read too (served here, it would overtake the write before it).
    expect(got).toEqual([
      expect.objectContaining({ ok: false, code: 'NOT_LEADER', leaderHint: target + 1 }),
      expect.objectContaining({ ok: false, code: 'NOT_LEADER', leaderHint: target + 1 }),
    ]);
  });

  it('requests reaching a replica with no leader known are held until the election ends, then served or redirected in order', () => {
    const old = leaderIndex();
    const [a, b] = [0, 1, 2].filter((i) => i !== old) as [number, number];
    const alive = [a, b];
    // The leader is cut off: only a and b talk. Tick a until it campaigns (no leader known), holding b back meanwhile.
    const replicaA = nodes[a]!.worker.replicas.get(GROUP)!;
    for (let t = 0; t < 100 && replicaA.leader() !== 0; t++) {
      nowMs += 10;
      nodes[a]!.worker.tick(nowMs);
      nodes[a]!.worker.takePeerOutbox(); // its campaign is lost for now
    }
    expect(replicaA.leader()).toBe(0);
    const got: Reply[] = [];
    nodes[a]!.channel.submit(GROUP, { op: 'set', key: enc.encode('k'), value: enc.encode('after-election') }, (r) => got.push(r));
    nodes[a]!.channel.submit(GROUP, { op: 'get', key: enc.encode('k') }, (r) => got.push(r));
    nodes[a]!.worker.drain(nowMs, 100);
    expect(got).toEqual([]);
    // b stops trusting the old leader (an election timeout without word from it), and only a ticks on: a wins.
    for (let t = 0; t < DEFAULT_RAFT_TUNING.electionTicks; t++) {
      nodes[b]!.worker.tick(nowMs);
      nodes[b]!.worker.takePeerOutbox();
    }
    for (let t = 0; t < 100 && !replicaA.isLeader(); t++) {
      nodes[a]!.worker.tick(nowMs += 10);
      exchange(nodes, alive, nowMs);
    }
    expect(replicaA.isLeader()).toBe(true);
    exchange(nodes, alive, nowMs);
    // Served here, in the order sent: the read sees the write before it.
    expect(got).toMatchObject([{ ok: true }, { ok: true, found: true }]);
    expect(new TextDecoder().decode((got[1] as { value: Uint8Array }).value)).toBe('after-election');
    expect(nodes[a]!.worker.leaderWaitCounts).toMatchObject({ held: 2, refused: 0 });
    settle(); // the old leader catches up
  });

  it('a held request is refused after LEADER_WAIT_TICKS when no leader comes', () => {
    const lone = nodes[0]!;
    const replica = lone.worker.replicas.get(GROUP)!;
    // Ticked alone, node 1 loses its leader and campaigns without ever winning.
    for (let t = 0; t < 100 && replica.leader() !== 0; t++) {
      nowMs += 10;
      lone.worker.tick(nowMs);
      lone.worker.takePeerOutbox();
    }
    const got: Reply[] = [];
    lone.channel.submit(GROUP, { op: 'set', key: enc.encode('k'), value: enc.encode('never') }, (r) => got.push(r));
    lone.worker.drain(nowMs, 100);
    const waitTicks = lone.worker.leaderWaitTicks;
    for (let t = 1; t < waitTicks; t++) {
      lone.worker.tick(nowMs += 10);
      lone.worker.takePeerOutbox();
      lone.worker.drain(nowMs, 100);
      lone.channel.drainReplies();
    }
    expect(got).toEqual([]);
    lone.worker.tick(nowMs += 10);
    lone.worker.drain(nowMs, 100);
    lone.channel.drainReplies();
    expect(got).toEqual([expect.objectContaining({ ok: false, code: 'NOT_LEADER' })]);
    expect((got[0] as { leaderHint?: number }).leaderHint).toBeUndefined();
  });
});

describe('a leader whose writes its followers do not acknowledge', () => {
  it('answers OVERLOADED once uncommittedEntriesMax entries wait to commit (not NOT_LEADER: it still leads)', () => {
    const UNCOMMITTED_MAX = 4;
    const nodes = [1, 2, 3].map((id) => makeNode(id, Random.fromSeed(id), UNCOMMITTED_MAX));
    let nowMs = 1_000;
    const leader = (): number => nodes.findIndex(({ worker }) => worker.replicas.get(GROUP)!.isLeader());
    for (let t = 0; t < 60 && leader() < 0; t++) {
      nowMs += 10;
      for (const { worker } of nodes) worker.tick(nowMs);
      exchange(nodes, [0, 1, 2], nowMs);
    }
    const lead = nodes[leader()]!;
    // From now on the followers hear nothing: nothing the leader proposes commits.
    const got: Reply[] = [];
    for (let i = 0; i < UNCOMMITTED_MAX + 1; i++) {
      lead.channel.submit(GROUP, { op: 'set', key: enc.encode(`k${i}`), value: enc.encode('v') }, (r) => got.push(r));
    }
    lead.worker.drain(nowMs, 100);
    lead.worker.takePeerOutbox();
    lead.worker.drain(nowMs, 100);
    lead.channel.drainReplies();
    expect(got).toEqual([expect.objectContaining({ ok: false, code: 'OVERLOADED' })]);
    expect(lead.worker.replicas.get(GROUP)!.isLeader()).toBe(true);
  });
});
