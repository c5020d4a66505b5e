// A follower restarted within a term must not take the leader's late answer
// to its previous incarnation's forwarded read as the answer to a new one.
// Forwarded reads are matched by context alone (core/raft/read-index.ts), so
// when every incarnation counted contexts from 1, the leader's answer to the
// old read (confirmed at an older commit index) served the new read stale:
// a write acknowledged before the new read began was missing from it.
// Contexts now start at a random point per incarnation
// (core/replica/read-context.ts).

import { describe, expect, it } from 'vitest';
import type { Message, ReplicaId } from '../../../core/raft/raft-types.js';
import type { ReplicaOutcome } from '../../../core/replica/shard-replica.js';
import { settledGroup, valueOf, type ReplicaGroupRun } from './replica-group.js';

const enc = new TextEncoder();
const KEY = enc.encode('k');

/** Delivers every message in flight except those `hold` picks, which it returns (in order). */
function deliverAllBut(run: ReplicaGroupRun, hold: (m: Message) => boolean): Message[] {
  const held: Message[] = [];
  while (run.inFlight.length > 0) {
    if (hold(run.inFlight[0]!)) held.push(run.inFlight.shift()!);
    else run.deliver(0);
  }
  return held;
}

function write(run: ReplicaGroupRun, lead: ReplicaId, value: string): ReplicaOutcome[] {
  const outcomes: ReplicaOutcome[] = [];
  const replica = run.replica(lead)!;
  replica.propose({ op: 'set', key: KEY, value: enc.encode(value) }, run.nowMs(lead), (o) => outcomes.push(o));
  replica.process(run.nowMs(lead));
  run.inFlight.push(...replica.outbox.splice(0));
  return outcomes;
}

describe('a forwarded read across a follower restart', () => {
  it('is not answered by the leader\'s late reply to the read the previous incarnation forwarded', () => {
    const { run, lead, followers } = settledGroup();
    const [follower, other] = followers as [ReplicaId, ReplicaId];
    const first = write(run, lead, 'old');
    run.deliverAll();
    expect(first).toEqual([{ kind: 'reply', reply: expect.objectContaining({ ok: true }) }]);

    // The follower forwards a read; the leader confirms it, and its answer is held back.
    const oldIncarnation = run.replica(follower)!;
    oldIncarnation.read({ op: 'get', key: KEY }, () => undefined);
    oldIncarnation.process(run.nowMs(follower));
    run.inFlight.push(...oldIncarnation.outbox.splice(0));
    const [lateAnswer] = deliverAllBut(run, (m) => m.type === 'readIndexResponse' && m.to === follower);
    expect(lateAnswer).toBeDefined();

    // The follower restarts (same term); meanwhile a write is acknowledged without it.
    run.crash(follower);
    run.restart(follower);
    run.inFlight.length = 0;
    run.partition([[lead, other], [follower]]);
    const second = write(run, lead, 'new');
    run.deliverAll();
    expect(second).toEqual([{ kind: 'reply', reply: expect.objectContaining({ ok: true }) }]);
    run.heal();

    // The new incarnation hears from the leader (commit: as far as its log goes) and forwards a read of its own.
    const replica = run.replica(follower)!;
    const raft = run.replica(lead)!.raw.raft;
    replica.step({ type: 'heartbeat', from: lead, to: follower, term: raft.term, commit: replica.raw.raft.log.lastIndex(), context: 0 });
    replica.process(run.nowMs(follower));
    replica.outbox.length = 0;
    const outcomes: ReplicaOutcome[] = [];
    replica.read({ op: 'get', key: KEY }, (o) => outcomes.push(o));
    replica.process(run.nowMs(follower));
    const forwarded = replica.outbox.splice(0);
    expect(forwarded.some((m) => m.type === 'readIndex')).toBe(true);

    // The old read's answer arrives: it is not this incarnation's read.
    replica.step(lateAnswer!);
    replica.process(run.nowMs(follower));
    expect(outcomes).toEqual([]);

    // The new read's own answer serves the acknowledged write.
    run.inFlight.push(...forwarded, ...replica.outbox.splice(0));
    for (let t = 0; t < 50 && outcomes.length === 0; t++) {
      run.deliverAll();
      run.tickAll();
    }
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.kind).toBe('reply');
    expect(valueOf((outcomes[0] as { reply: Parameters<typeof valueOf>[0] }).reply)).toBe('new');
  });
});
