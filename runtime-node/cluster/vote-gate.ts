// Keeps a node that (re)starts without durable Raft state (--in-memory)
// from voting with a log it has forgotten. A node with a data directory
// keeps its term, vote and log on disk, so its gates open at once (a
// replica whose directory was damaged is held back by core/raft/
// repair-gate.ts instead). An in-memory node comes back with an empty log
// and no memory of its votes; if it voted at once it could elect a leader that lacks committed
// entries (it would grant its vote to any candidate), or vote twice in one
// term. The gate sits on the IO thread, between the peer links and the
// workers, and drops vote requests (pre-votes included) addressed to a
// group replica of this node until that replica may vote again:
//
//   waiting    -> open        every other replica of the group sent a node
//                             card with term 0 for it: no election ever
//                             happened, so nothing was ever committed or
//                             voted for (a brand-new cluster);
//   waiting    -> recovering  a card reports a term above 0: the group has
//                             a history this replica may have forgotten;
//   recovering -> open        the replica has heard from a leader (an
//                             append), its commit index reached the commit
//                             index that leader announced, and its term
//                             reached the highest term any card reported.
//
// Why that is safe: a recovering replica grants no vote, so it adds nothing
// to any election until it holds every entry the leader had committed when
// it first heard from it (the leader holds every committed entry: Leader
// Completeness); and once it knows the leader of its term, Raft refuses to
// vote for anyone else in that term, so its forgotten vote cannot be cast
// again there. It may still campaign: a candidate with a short log wins no
// votes from replicas that hold more.
//
// What it costs: a brand-new cluster elects leaders only once every node of
// a group has started (each must say "term 0"). Residual risk, closed by
// durable votes (run with --data-dir): a replica that voted in a term no
// live peer has seen yet, then restarted before any peer moved to it. See
// docs/cluster.md.

import type { Message } from '../../core/raft/raft-types.js';
import type { ClusterTopology } from './cluster-topology.js';
import type { GroupStatusTable } from './group-status.js';

export type GateState = 'waiting' | 'recovering' | 'open';

interface GroupGate {
  state: GateState;
  /** Nodes whose card reported term 0 for the group. */
  freshPeers: Set<number>;
  /** Highest term any card reported for the group. */
  cardTermMax: number;
  /** The commit index the first leader append announced since recovering began (-1: none yet). */
  leaderCommit: number;
}

export class VoteGate {
  private readonly gates = new Map<number, GroupGate>();

  constructor(
    private readonly topology: ClusterTopology,
    private readonly status: GroupStatusTable,
    /** A group's gate changed state (the node logs it: an operator wants to see a restarted node catch up). */
    private readonly onChange: (group: number, state: GateState) => void = () => {},
    /** Raft state on disk: every gate is open from the start. */
    durable = false,
  ) {
    for (const group of topology.groupsOf(topology.selfId)) {
      const others = topology.placement[group]!.filter((id) => id !== topology.selfId);
      // A group of one has nobody to forget with, and a durable replica forgets nothing: both vote from the start.
      this.gates.set(group, { state: others.length === 0 || durable ? 'open' : 'waiting', freshPeers: new Set(), cardTermMax: 0, leaderCommit: -1 });
    }
  }

  stateOf(group: number): GateState | undefined {
    return this.gates.get(group)?.state;
  }

  /** A peer's card arrived: its term for each group both nodes host. */
  onCard(from: number, terms: Readonly<Record<string, number>>): void {
    for (const [group, gate] of this.gates) {
      if (gate.state === 'open' || !this.topology.placement[group]!.includes(from)) continue;
      const term = terms[String(group)] ?? 0;
      gate.cardTermMax = Math.max(gate.cardTermMax, term);
      if (term > 0 && gate.state === 'waiting') this.move(group, gate, 'recovering');
      if (term === 0) gate.freshPeers.add(from);
      if (gate.state === 'waiting') {
        const others = this.topology.placement[group]!.filter((id) => id !== this.topology.selfId);
        if (others.every((id) => gate.freshPeers.has(id))) this.move(group, gate, 'open');
      }
    }
  }

  /** Whether `message` for `group` may reach the replica; appends are also watched to end recovery. */
  admits(group: number, message: Message): boolean {
    const gate = this.gates.get(group);
    if (gate === undefined || gate.state === 'open') return true;
    if (message.type === 'append' && gate.state === 'recovering' && gate.leaderCommit < 0) gate.leaderCommit = message.commit;
    this.refresh(group, gate);
    return message.type !== 'vote' || this.stateOf(group) === 'open';
  }

  /** Opens recovering gates whose replica has caught up (called as batches arrive). */
  private refresh(group: number, gate: GroupGate): void {
    if (gate.state !== 'recovering' || gate.leaderCommit < 0) return;
    const own = this.status.read(group);
    if (own.commit >= gate.leaderCommit && own.term >= gate.cardTermMax && own.leader !== 0) this.move(group, gate, 'open');
  }

  private move(group: number, gate: GroupGate, state: GateState): void {
    gate.state = state;
    this.onChange(group, state);
  }
}
