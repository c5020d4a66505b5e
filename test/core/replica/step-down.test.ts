// What a replica that stops leading (or stops following its leader) does with
// the work it held for that leadership (core/raft/raft.ts reset, read-index.ts):
// pending ReadIndex reads fail at once with notLeader, naming the new leader
// when known, not after READ_TIMEOUT_TICKS (a read changes nothing, so the
// reader retries safely); and a snapshot the leader wanted for a follower is
// not built once it is a follower itself.

import { describe, expect, it } from 'vitest';
import { Random } from '../../../core/random.js';
import { MemoryRaftStorage } from '../../../core/raft/raft-storage.js';
import type { Message, ReplicaId, Snapshot } from '../../../core/raft/raft-types.js';
import { DEFAULT_RAFT_TUNING } from '../../../core/raft/raft.js';
import { READ_TIMEOUT_TICKS, ShardReplica, type ReplicaOutcome } from '../../../core/replica/shard-replica.js';
import { makeLimits } from '../../../core/limits.js';
import { settledGroup, type ReplicaGroupRun } from './replica-group.js';

const enc = new TextEncoder();
const NOW = 1_000_000;

function readAt(run: ReplicaGroupRun, id: ReplicaId, outcomes: ReplicaOutcome[]): void {
  const replica = run.replica(id)!;
  replica.read({ op: 'get', key: enc.encode('k') }, (o) => outcomes.push(o));
  replica.process(run.nowMs(id));
  run.inFlight.push(...replica.outbox.splice(0));
}

/** A heartbeat from `from` in a term above `to`'s: what a newly elected leader sends. */
function newLeaderHeartbeat(run: ReplicaGroupRun, from: ReplicaId, to: ReplicaId): Message {
  return { type: 'heartbeat', from, to, term: run.replica(to)!.raw.raft.term + 1, commit: 0, context: 0 };
}

describe('pending ReadIndex reads when leadership changes', () => {
  it('a leader cut off from the majority fails its pending reads in the tick it steps down, long before the read timeout', () => {
    const { run, lead, followers } = settledGroup();
    run.partition([[lead], followers]);
    const outcomes: ReplicaOutcome[] = [];
    readAt(run, lead, outcomes);
    readAt(run, lead, outcomes);
    let ticks = 0;
    while (run.replica(lead)!.isLeader()) {
      expect(outcomes).toEqual([]); // still leading: the round may yet be confirmed
      run.tickAll();
      run.deliverAll();
      expect(++ticks).toBeLessThan(READ_TIMEOUT_TICKS);
    }
    // Check-quorum deposed it in this tick: both reads failed in it, retryable, no leader known here.
    expect(outcomes).toEqual([{ kind: 'notLeader', leader: 0 }, { kind: 'notLeader', leader: 0 }]);
    expect(run.replica(lead)!.pendingCount).toBe(0);
  });

  it('a leader that hears of a higher term fails its pending reads in that step, naming the new leader', () => {
    const { run, lead, followers } = settledGroup();
    run.partition([[lead], followers]); // no acknowledgement: the round stays pending
    const outcomes: ReplicaOutcome[] = [];
    readAt(run, lead, outcomes);
    run.tickAll();
    expect(outcomes).toEqual([]);
    const replica = run.replica(lead)!;
    replica.step(newLeaderHeartbeat(run, followers[0]!, lead));
    replica.process(run.nowMs(lead));
    expect(replica.isLeader()).toBe(false);
    expect(outcomes).toEqual([{ kind: 'notLeader', leader: followers[0] }]);
    expect(replica.pendingCount).toBe(0);
  });

  it('a follower fails the reads it forwarded when a new leader\'s term reaches it, and drops the old leader\'s late answer', () => {
    const { run, lead, followers } = settledGroup();
    const [follower, other] = followers as [ReplicaId, ReplicaId];
    const outcomes: ReplicaOutcome[] = [];
    readAt(run, follower, outcomes);
    // The forwarded read is on its way to the leader: hold it back.
    const forwarded = run.inFlight.splice(0);
    expect(forwarded.some((m) => m.type === 'readIndex' && m.to === lead)).toBe(true);
    const replica = run.replica(follower)!;
    replica.step(newLeaderHeartbeat(run, other, follower));
    replica.process(run.nowMs(follower));
    expect(outcomes).toEqual([{ kind: 'notLeader', leader: other }]);
    expect(replica.pendingCount).toBe(0);
    // The old leader confirms the read after all: its answer (an older term) changes nothing.
    run.inFlight.push(...forwarded);
    run.deliverAll();
    expect(outcomes).toHaveLength(1);
  });

  it('a follower that starts an election of its own fails its forwarded reads then (it follows nobody)', () => {
    const { run, lead, followers } = settledGroup();
    const [follower] = followers as [ReplicaId, ReplicaId];
    run.partition([[lead], followers]); // the read never reaches the leader
    const outcomes: ReplicaOutcome[] = [];
    readAt(run, follower, outcomes);
    let ticks = 0;
    const raft = run.replica(follower)!.raw.raft;
    while (raft.role === 'follower') {
      expect(outcomes).toEqual([]);
      run.tickAll();
      run.deliverAll();
      expect(++ticks).toBeLessThan(READ_TIMEOUT_TICKS);
    }
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.kind).toBe('notLeader');
  });
});

/** Storage that counts the snapshots a replica saves. */
class SnapshotCountingStorage extends MemoryRaftStorage {
  snapshots = 0;
  override saveSnapshot(snapshot: Snapshot): void {
    this.snapshots++;
    super.saveSnapshot(snapshot);
  }
}

function replicaOf(id: ReplicaId, storage: MemoryRaftStorage): ShardReplica {
  return new ShardReplica({
    group: 0, raft: { id, ...DEFAULT_RAFT_TUNING, random: Random.fromSeed(id) }, limits: makeLimits(),
    membership: { voters: [1], learners: [] }, snapshotEveryEntries: Number.POSITIVE_INFINITY, snapshotKeepEntries: 0,
    snapshotStepBytes: 8 * 1024,
  }, storage);
}

describe('a snapshot wanted by a leader that steps down', () => {
  it('is not built: the former leader saves no snapshot', () => {
    // A group of one keeps no snapshot bytes and releases its log: a learner that joins needs one made on demand.
    const storage = new SnapshotCountingStorage();
    const leader = replicaOf(1, storage);
    leader.campaignAlone(NOW);
    for (let i = 0; i < 500; i++) leader.propose({ op: 'set', key: enc.encode(`key:${i}`), value: new Uint8Array(100) }, NOW, () => {});
    leader.process(NOW);
    const learner = replicaOf(2, new MemoryRaftStorage());
    expect(leader.proposeConfChange({ kind: 'addLearner', replica: 2 })).toBe(true);
    leader.process(NOW);
    // Deliver one message at a time until the leader, stepping the learner's answer, wants a snapshot.
    let wanted = false;
    for (let n = 0; n < 100 && !wanted; n++) {
      const m = [...leader.outbox.splice(0), ...learner.outbox.splice(0)][0];
      if (m === undefined) { leader.tick(); leader.process(NOW); continue; }
      const [to, from] = m.to === 1 ? [leader, learner] : [learner, leader];
      from.outbox = from.outbox.filter((x) => x !== m);
      to.step(m);
      if (to === leader && leader.raw.raft.snapshotWanted) wanted = true;
      else to.process(NOW);
    }
    expect(wanted).toBe(true);
    // Before the leader acts on it, a higher term deposes it (as if the membership had moved on without it).
    leader.step({ type: 'heartbeat', from: 2, to: 1, term: leader.raw.raft.term + 1, commit: 0, context: 0 });
    expect(leader.raw.raft.snapshotWanted).toBe(false);
    for (let i = 0; i < 20; i++) leader.process(NOW);
    expect(leader.snapshotUnderway).toBe(false);
    expect(storage.snapshots).toBe(0);
  });
});
