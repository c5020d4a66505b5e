// Carries out replica moves (remove-node, add-node) on a running cluster:
// reads every node's view (GET /v1/cluster), takes each group's Raft
// configuration from its leader's view, asks move-planner.ts for each
// group's next single-server step, carries the steps out through the nodes'
// admin routes, and starts over, until the planner has nothing left or the
// deadline passes.
//
//   addLearner: the target node starts a replica of the group (host-group),
//               then the leader proposes the learner (conf-change);
//   promote:    once the learner's applied index has reached the leader's
//               commit index (it caught up: snapshot and log), the leader
//               proposes it as a voter;
//   transferLeader: transfer-leader (which also moves the preference);
//   remove:     the leader proposes the removal.
//
// Every step is a proposal the group's Raft checks and orders (one change
// pending at a time; invalid ones refused), so a step repeated, or raced by
// another mover, changes nothing unsafe; the mover only sees the outcome in
// the next round's views. Nothing here is state that must survive: a mover
// that dies midway leaves every group in a configuration Raft agreed to
// (at least R voters; a learner at most), and running the command again
// plans from those configurations and finishes the move (docs/cluster.md).
// After each round the routing view (membership-record.ts) is announced to
// every node when it changed.

import { fetchNodeView, postAdmin, type NodeView } from './admin-http.js';
import type { MembershipRecord } from './membership-record.js';
import { movesDone, planMoves, type GroupConfig, type MoveStep } from './move-planner.js';

/** Pause between rounds: long enough for a proposal to commit and apply on a loopback or LAN cluster, short enough to move fast. */
export const MOVE_ROUND_MS = 200;

export interface MoverDeps {
  groups: number;
  replicas: number;
  /** Every node that can be asked (the leaving one included), with its HTTP endpoint. */
  nodes(): { id: number; http: string | null }[];
  authorization: string;
  /** The current membership record; `announce` makes a new one every node keeps. */
  membership(): MembershipRecord;
  announce(record: MembershipRecord): Promise<void>;
  /** transfer-leader on this node (it waits until the target leads). */
  transferLeader(group: number, to: number): Promise<boolean>;
  /** Progress for the node's log. */
  log(line: string): void;
}

export interface MoveReport {
  done: boolean;
  /** Steps carried out (sent), by kind. */
  steps: Record<MoveStep['kind'], number>;
  /** Groups the planner still had steps for when the deadline came (empty when done). */
  pending: number[];
}

interface GroupSight extends GroupConfig {
  /** Each replica's applied index as its own node reports it. */
  readonly applied: ReadonlyMap<number, number>;
  readonly commit: number;
}

export async function moveReplicas(deps: MoverDeps, target: readonly number[], deadlineMs: number): Promise<MoveReport> {
  const steps: MoveReport['steps'] = { addLearner: 0, promote: 0, transferLeader: 0, remove: 0 };
  let pending: number[] = [];
  for (;;) {
    const sights = await lookAtGroups(deps);
    const input = { groups: sights, nodes: target, replicas: deps.replicas };
    await announceReplicas(deps, sights);
    if (movesDone(input)) return { done: true, steps, pending: [] };
    const planned = planMoves(input);
    pending = [...new Set([...planned.map((s) => s.group), ...sights.filter((g) => g.leader === 0).map((g) => g.group)])].sort((a, b) => a - b);
    if (Date.now() >= deadlineMs) return { done: false, steps, pending };
    const http = new Map(deps.nodes().map((n) => [n.id, n.http]));
    await Promise.all(planned.map(async (step) => {
      const sight = sights[step.group]!;
      if (await carryOut(deps, step, sight, http)) steps[step.kind]++;
    }));
    await new Promise((r) => setTimeout(r, MOVE_ROUND_MS));
  }
}

/** Each group's configuration from the view of the replica that leads it (the highest term's, if two claim it). */
async function lookAtGroups(deps: MoverDeps): Promise<GroupSight[]> {
  const views = new Map<number, NodeView>();
  await Promise.all(deps.nodes().map(async (node) => {
    const view = node.http === null ? null : await fetchNodeView(node.http, deps.authorization);
    if (view !== null) views.set(node.id, view);
  }));
  return Array.from({ length: deps.groups }, (_, group) => {
    let leader = 0;
    let best: { term: number; commit: number; voters: number[]; learners: number[] } | null = null;
    const applied = new Map<number, number>();
    for (const [id, view] of views) {
      const g = view.groups.find((x) => x.group === group);
      if (g?.applied !== undefined) applied.set(id, g.applied);
      if (g?.role !== 'leader' || g.voters === undefined || (best !== null && (g.term ?? 0) <= best.term)) continue;
      leader = id;
      best = { term: g.term ?? 0, commit: g.commit ?? 0, voters: g.voters, learners: g.learners ?? [] };
    }
    return { group, leader, voters: best?.voters ?? [], learners: best?.learners ?? [], applied, commit: best?.commit ?? 0 };
  });
}

async function carryOut(deps: MoverDeps, step: MoveStep, sight: GroupSight, http: ReadonlyMap<number, string | null>): Promise<boolean> {
  const { group, node } = step;
  const leaderHttp = http.get(sight.leader) ?? null;
  if (leaderHttp === null) return false;
  const confChange = async (kind: 'addLearner' | 'addVoter' | 'remove'): Promise<boolean> =>
    (await postAdmin(leaderHttp, 'conf-change', { group, kind, node }, deps.authorization)).ok;
  switch (step.kind) {
    case 'addLearner': {
      const nodeHttp = http.get(node) ?? null;
      if (nodeHttp === null || !(await postAdmin(nodeHttp, 'host-group', { group }, deps.authorization)).ok) return false;
      deps.log(`piccolo: group ${group}: adding a learner on node ${node}`);
      return confChange('addLearner');
    }
    case 'promote': {
      // A learner that has not applied what the leader committed would slow every commit once it votes: wait for it.
      // Meanwhile make sure its node hosts it: a node that restarted since (it hosts by the routing view, which names
      // voters only) would otherwise drop the group's traffic, and the learner would never catch up.
      const nodeHttp = http.get(node) ?? null;
      if ((sight.applied.get(node) ?? -1) < sight.commit) {
        if (nodeHttp !== null && !sight.applied.has(node)) await postAdmin(nodeHttp, 'host-group', { group }, deps.authorization);
        return false;
      }
      deps.log(`piccolo: group ${group}: node ${node} caught up; promoting it to voter`);
      return confChange('addVoter');
    }
    case 'transferLeader':
      deps.log(`piccolo: group ${group}: moving leadership to node ${node} before a replica leaves`);
      return deps.transferLeader(group, node);
    case 'remove':
      deps.log(`piccolo: group ${group}: removing the replica on node ${node}`);
      return confChange('remove');
  }
}

/** Tell every node the groups' replicas (voters) when they differ from the record's, as a new version. */
async function announceReplicas(deps: MoverDeps, sights: readonly GroupSight[]): Promise<void> {
  const current = deps.membership();
  const replicas: Record<string, number[]> = { ...current.replicas } as Record<string, number[]>;
  let changed = false;
  for (const sight of sights) {
    if (sight.leader === 0) continue;
    const was = current.replicas[String(sight.group)];
    const now = [...sight.voters].sort((a, b) => a - b);
    if (was === undefined || was.join(',') !== now.join(',')) {
      replicas[String(sight.group)] = now;
      changed = true;
    }
  }
  if (changed) await deps.announce({ ...current, version: current.version + 1, replicas });
}
