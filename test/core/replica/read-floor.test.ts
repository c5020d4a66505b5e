// The read floor (core/raft/read-index.ts): a read made on a leader is served
// only once every entry the leader had proposed when it arrived is applied,
// so a pipeline's `SET k v` then `GET k` on the leader reads v, even when the
// read's ReadIndex round is confirmed before the write commits. A read that
// waits for its floor fails at once when leadership is lost; a read a
// follower forwards has no floor (the follower cannot know the leader's
// pending writes, and a pipeline's writes are on the leader anyway). The
// floor is also where the read is answered: a write proposed after the read
// arrived is not applied until the read is served, so a pipeline's `GET k`
// then `SET k v` reads the old value, as in Redis.

import { describe, expect, it } from 'vitest';
import type { Message, ReplicaId } from '../../../core/raft/raft-types.js';
import type { ReplicaOutcome } from '../../../core/replica/shard-replica.js';
import { settledGroup, valueOf, type ReplicaGroupRun } from './replica-group.js';

const enc = new TextEncoder();

/** What each request of a test got, in the order the replica answered. */
type Answers = { what: string; outcome: ReplicaOutcome }[];

function set(run: ReplicaGroupRun, id: ReplicaId, value: string, answers: Answers): void {
  run.replica(id)!.propose({ op: 'set', key: enc.encode('k'), value: enc.encode(value) }, run.nowMs(id), (outcome) => answers.push({ what: `set ${value}`, outcome }));
}

function get(run: ReplicaGroupRun, id: ReplicaId, answers: Answers): void {
  run.replica(id)!.read({ op: 'get', key: enc.encode('k') }, (outcome) => answers.push({ what: 'get', outcome }));
}

/** One batch of requests is over: the replica processes it, and its messages go out. */
function processBatch(run: ReplicaGroupRun, id: ReplicaId): void {
  const replica = run.replica(id)!;
  replica.process(run.nowMs(id));
  run.inFlight.push(...replica.outbox.splice(0));
}

/** Deliver, until none is left, the messages `pass` lets through; the others stay in flight, in order. */
function deliverOnly(run: ReplicaGroupRun, pass: (m: Message) => boolean): void {
  for (let i = 0; i < run.inFlight.length;) {
    if (pass(run.inFlight[i]!)) run.deliver(i);
    else i++;
  }
}

const isHeartbeat = (m: Message): boolean => m.type === 'heartbeat' || m.type === 'heartbeatResponse';

/** What the answers say: `set v: ok` / `get: v` / `get: notLeader`. */
function summary(answers: Answers): string[] {
  return answers.map(({ what, outcome }) => `${what}: ${outcome.kind === 'reply' ? (what === 'get' ? String(valueOf(outcome.reply)) : 'ok') : outcome.kind}`);
}

describe('a read pipelined behind a write on the leader (the read floor)', () => {
  it('reads the write, although its ReadIndex round is confirmed before the write commits', () => {
    const { run, lead } = settledGroup();
    const answers: Answers = [];
    set(run, lead, 'v1', answers);
    processBatch(run, lead);
    set(run, lead, 'v2', answers);
    get(run, lead, answers);
    processBatch(run, lead);
    // The round's heartbeats and their acknowledgements arrive; the appends are still on their way.
    deliverOnly(run, isHeartbeat);
    expect(run.inFlight.some((m) => m.type === 'append')).toBe(true);
    expect(summary(answers)).toEqual([]); // confirmed as leader, but v2 (proposed before it) is not applied yet
    run.deliverAll();
    expect(summary(answers)).toEqual(['set v1: ok', 'set v2: ok', 'get: v2']);
  });

  it('does not read a write pipelined after it that commits together with its floor', () => {
    const { run, lead } = settledGroup();
    const answers: Answers = [];
    set(run, lead, 'v1', answers);
    get(run, lead, answers);
    set(run, lead, 'v2', answers);
    processBatch(run, lead);
    deliverOnly(run, isHeartbeat);
    // One append carries both writes: they commit in one step, and the read is answered between their applies.
    run.deliverAll();
    expect(summary(answers)).toEqual(['set v1: ok', 'get: v1', 'set v2: ok']);
  });

  it('does not read a write pipelined after it that commits before its round is confirmed', () => {
    const { run, lead } = settledGroup();
    const answers: Answers = [];
    set(run, lead, 'v1', answers);
    processBatch(run, lead);
    run.deliverAll();
    get(run, lead, answers); // its round goes out at once
    processBatch(run, lead);
    get(run, lead, answers); // a round is out: this read waits for the next one
    set(run, lead, 'v2', answers);
    processBatch(run, lead);
    // The write's append and acknowledgements arrive first: it commits while both reads wait for their rounds.
    deliverOnly(run, (m) => !isHeartbeat(m));
    expect(run.replica(lead)!.raw.raft.log.committed).toBe(run.replica(lead)!.raw.raft.log.lastIndex());
    expect(summary(answers)).toEqual(['set v1: ok']); // v2 is committed, but not applied before the reads are served
    run.deliverAll();
    // As Redis answers a pipeline's GET then SET: the second read is served before the write it came before.
    expect(summary(answers)).toEqual(['set v1: ok', 'get: v1', 'get: v1', 'set v2: ok']);
  });

  it('fails at once, retryable, when the leader is deposed while the read waits for its floor', () => {
    const { run, lead, followers } = settledGroup();
    const answers: Answers = [];
    set(run, lead, 'v1', answers);
    get(run, lead, answers);
    processBatch(run, lead);
    deliverOnly(run, isHeartbeat);
    run.inFlight = run.inFlight.filter((m) => m.type !== 'append'); // the write never reaches a follower
    const replica = run.replica(lead)!;
    expect(replica.pendingCount).toBe(2);
    const newLeader = followers[0]!;
    replica.step({ type: 'heartbeat', from: newLeader, to: lead, term: replica.raw.raft.term + 1, commit: 0, context: 0 });
    processBatch(run, lead);
    expect(replica.isLeader()).toBe(false);
    // The read is failed in the step that ends the leadership; the write stays pending until its slot is decided.
    expect(answers).toEqual([{ what: 'get', outcome: { kind: 'notLeader', leader: newLeader } }]);
    expect(replica.pendingCount).toBe(1);
  });

  it('forwarded by a follower, has no floor: it does not wait for the leader\'s uncommitted writes', () => {
    const { run, lead, followers } = settledGroup();
    const follower = followers[0]!;
    const answers: Answers = [];
    set(run, lead, 'v1', answers);
    processBatch(run, lead);
    run.inFlight = run.inFlight.filter((m) => m.type !== 'append'); // held back for good
    get(run, follower, answers);
    processBatch(run, follower);
    for (let i = 0; i < 5 && answers.length === 0; i++) deliverOnly(run, (m) => m.type !== 'append');
    expect(summary(answers)).toEqual(['get: null']);
  });
});
