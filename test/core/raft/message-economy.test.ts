// What a write costs in messages (docs/consensus.md, "Commit propagation"):
// a new commit index rides on the next append or heartbeat instead of an
// empty append of its own, and a heartbeat answer from a follower whose
// missing entries are still on their way does not send them again; but an
// append that was really lost is sent again within two heartbeat answers.

import { describe, expect, it } from 'vitest';
import type { Message } from '../../../core/raft/raft-types.js';
import { RaftCluster } from './raft-cluster.js';

const isEmptyAppend = (m: Message): boolean => m.type === 'append' && m.entries.length === 0;

describe('raft: messages per write', () => {
  it('a write costs one append and one answer per follower; followers learn its commit with the next heartbeat', () => {
    const c = new RaftCluster({ seed: 31, voters: 3 });
    const lead = c.settle();
    const followers = [1, 2, 3].filter((id) => id !== lead);
    const sent: Message[] = [];
    expect(c.propose(lead, 'w1')).toBe(true);
    while (c.inFlight.length > 0) {
      sent.push(c.inFlight[0]!);
      c.deliver(0);
    }
    expect(sent.filter((m) => m.type === 'append').length).toBe(2);
    expect(sent.filter((m) => m.type === 'appendResponse').length).toBe(2);
    expect(sent.filter(isEmptyAppend)).toEqual([]);
    expect(c.get(lead).state).toContain('w1');
    for (const f of followers) expect(c.get(f).state).not.toContain('w1');
    c.tickAll();
    c.deliverAll();
    for (const f of followers) expect(c.get(f).state).toContain('w1');
  });

  it('a heartbeat answer does not resend entries still on their way, and resends a lost append within two answers', () => {
    const c = new RaftCluster({ seed: 32, voters: 3 });
    const lead = c.settle();
    const slow = [1, 2, 3].find((id) => id !== lead)!;
    expect(c.propose(lead, 'w1')).toBe(true);
    // Lose the append to `slow`, and let a heartbeat round go and come back right away: the append is fresh.
    const lost = c.inFlight.findIndex((m) => m.type === 'append' && m.to === slow);
    expect(lost).toBeGreaterThanOrEqual(0);
    c.inFlight.splice(lost, 1);
    c.deliverAll();
    const appendsToSlow = (): Message[] => {
      const out: Message[] = [];
      while (c.inFlight.length > 0) {
        const m = c.inFlight[0]!;
        if (m.type === 'append' && m.to === slow) out.push(m);
        c.deliver(0);
      }
      return out;
    };
    c.tick(lead);
    expect(appendsToSlow()).toEqual([]);
    expect(c.get(slow).state).not.toContain('w1');
    // A heartbeat interval later it still lacks the entry: the next answer sends it again.
    c.tick(lead);
    const resent = appendsToSlow();
    expect(resent.length).toBeGreaterThan(0);
    c.tickAll();
    c.deliverAll();
    expect(c.get(slow).state).toContain('w1');
  });
});
