// Append pipelining (core/raft/progress.ts, inflights.ts): in replicate state
// the leader sends new entries before earlier appends are answered, up to the
// in-flight window (appends and bytes), frees it as answers arrive, drops back
// to probe on a rejection; the proposals of one turn share one append.

import { describe, expect, it } from 'vitest';
import type { Message } from '../../../core/raft/raft-types.js';
import { encodeCommand, RaftCluster } from './raft-cluster.js';

type Append = Extract<Message, { type: 'append' }>;
const appendsTo = (c: RaftCluster, to: number): Append[] =>
  c.inFlight.filter((m): m is Append => m.type === 'append' && m.to === to && m.entries.length > 0);

/** Deliver everything, then a heartbeat round: followers learn the commit index and apply. */
function settleAll(c: RaftCluster): void {
  c.deliverAll();
  c.tickAll();
  c.deliverAll();
}

/** A settled group of 3 with one write replicated, so every follower is in replicate state. */
function replicating(tuning: ConstructorParameters<typeof RaftCluster>[0]['tuning'], seed = 11) {
  const c = new RaftCluster({ seed, voters: 3, tuning });
  const lead = c.settle();
  c.propose(lead, 'warm');
  c.deliverAll();
  const follower = [1, 2, 3].find((id) => id !== lead)!;
  expect(c.node(lead).raft.progressOf(follower)?.state).toBe('replicate');
  return { c, lead, follower };
}

describe('raft: append pipelining', () => {
  it('sends up to inflightMax appends before any answer, then what was held back in one append per freed slot', () => {
    const { c, lead, follower } = replicating({ inflightMax: 4 });
    for (let i = 0; i < 10; i++) c.propose(lead, `p${i}`); // ten turns, one proposal each
    expect(appendsTo(c, follower).map((m) => m.entries.length)).toEqual([1, 1, 1, 1]);
    expect(c.node(lead).raft.progressOf(follower)?.inflightCount).toBe(4);
    // The first append reaches the follower and its answer comes back: one slot frees, the six held back go at once.
    const first = c.inFlight.indexOf(appendsTo(c, follower)[0]!);
    c.deliver(first);
    const answer = c.inFlight.findIndex((m) => m.type === 'appendResponse' && m.from === follower);
    c.deliver(answer);
    expect(appendsTo(c, follower).map((m) => m.entries.length)).toEqual([1, 1, 1, 6]);
    settleAll(c);
    expect(c.node(lead).raft.progressOf(follower)?.inflightCount).toBe(0);
    expect(c.get(follower).state.filter((s) => s.startsWith('p'))).toHaveLength(10);
  });

  it('stops at inflightBytesMax bytes in flight, whatever the count', () => {
    const { c, lead, follower } = replicating({ inflightMax: 256, inflightBytesMax: 100 });
    for (let i = 0; i < 6; i++) c.propose(lead, `${i}`.padEnd(40, 'x'));
    // 40 + 40 < 100 <= 40 + 40 + 40: the third append fills the window.
    expect(appendsTo(c, follower)).toHaveLength(3);
    expect(c.node(lead).raft.progressOf(follower)?.inflightBytes).toBe(120);
    settleAll(c);
    expect(c.get(follower).state.filter((s) => s.endsWith('x'))).toHaveLength(6);
    expect(c.node(lead).raft.progressOf(follower)?.inflightBytes).toBe(0);
  });

  it('proposals of one turn go out as one append per follower', () => {
    const { c, lead } = replicating({});
    const node = c.node(lead);
    for (let i = 0; i < 5; i++) expect(node.propose(encodeCommand(`b${i}`)).ok).toBe(true);
    expect(c.inFlight).toEqual([]); // nothing leaves before the Ready
    c.process(lead);
    const appends = c.inFlight.filter((m): m is Append => m.type === 'append');
    expect(appends.map((m) => m.entries.length)).toEqual([5, 5]);
    settleAll(c);
    for (const id of [1, 2, 3]) expect(c.get(id).state.filter((s) => s.startsWith('b'))).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);
  });

  it('a rejection empties the window and drops back to probe; the follower catches up from there', () => {
    const { c, lead, follower } = replicating({ inflightMax: 8 });
    // The first of three appends is lost: the follower rejects the next two (a gap), and the leader probes.
    for (let i = 0; i < 3; i++) c.propose(lead, `g${i}`);
    c.inFlight.splice(c.inFlight.indexOf(appendsTo(c, follower)[0]!), 1);
    expect(c.node(lead).raft.progressOf(follower)?.inflightCount).toBe(3);
    const second = c.inFlight.indexOf(appendsTo(c, follower)[0]!);
    c.deliver(second);
    const rejection = c.inFlight.findIndex((m) => m.type === 'appendResponse' && m.from === follower);
    expect(c.inFlight[rejection]).toMatchObject({ rejected: true });
    c.deliver(rejection);
    const progress = c.node(lead).raft.progressOf(follower)!;
    expect(progress.state).toBe('probe');
    expect(progress.inflightCount).toBe(0);
    settleAll(c);
    expect(c.node(lead).raft.progressOf(follower)?.state).toBe('replicate');
    expect(c.get(follower).state.filter((s) => s.startsWith('g'))).toEqual(['g0', 'g1', 'g2']);
  });
});
