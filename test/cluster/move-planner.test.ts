// The replica move planner (runtime-node/cluster/move-planner.ts), driven
// to completion by a small executor that applies each step as Raft would:
// every group keeps at least `replicas` voters (never loses quorum to a
// move), never removes its leader, changes one server at a time, and ends
// with `replicas` voters on the target nodes, balanced, for node removals,
// additions and random cluster shapes.

import { describe, expect, it } from 'vitest';
import { movesDone, planMoves, type GroupConfig, type MoveStep } from '../../runtime-node/cluster/move-planner.js';

interface Group { group: number; voters: number[]; learners: number[]; leader: number }

/** Group g on the R nodes from position g (mod N), as cluster-topology.ts places them; led by the first. */
function placed(nodes: number[], groups: number, replicas: number): Group[] {
  return Array.from({ length: groups }, (_, g) => {
    const voters = Array.from({ length: replicas }, (_, i) => nodes[(g + i) % nodes.length]!);
    return { group: g, voters, learners: [], leader: voters[0]! };
  });
}

function apply(groups: Group[], step: MoveStep): void {
  const g = groups[step.group]!;
  const without = (list: number[]): number[] => list.filter((n) => n !== step.node);
  switch (step.kind) {
    case 'addLearner':
      expect(g.voters).not.toContain(step.node);
      expect(g.learners).not.toContain(step.node);
      g.learners.push(step.node);
      break;
    case 'promote':
      expect(g.learners).toContain(step.node);
      g.learners = without(g.learners);
      g.voters.push(step.node);
      break;
    case 'transferLeader':
      expect(g.voters).toContain(step.node);
      g.leader = step.node;
      break;
    case 'remove':
      expect(step.node).not.toBe(g.leader);
      g.voters = without(g.voters);
      g.learners = without(g.learners);
      break;
  }
}

/** Runs the plan to the end; returns the rounds taken. Checks the invariants after every step. */
function runToEnd(groups: Group[], nodes: number[], replicas: number, movesMax?: number): number {
  const votersMin = Math.min(replicas, ...groups.map((g) => g.voters.length));
  for (let round = 1; round <= 200; round++) {
    const steps = planMoves({ groups: groups as GroupConfig[], nodes, replicas, ...(movesMax !== undefined ? { movesMax } : {}) });
    if (steps.length === 0) return round;
    expect(new Set(steps.map((s) => s.group)).size).toBe(steps.length); // one change per group at a time
    if (movesMax !== undefined) expect(steps.filter((s) => s.kind === 'addLearner').length).toBeLessThanOrEqual(movesMax);
    for (const step of steps) {
      apply(groups, step);
      const g = groups[step.group]!;
      expect(g.voters.length).toBeGreaterThanOrEqual(votersMin);
      expect(g.voters).toContain(g.leader);
    }
  }
  throw new Error('the plan did not converge in 200 rounds');
}

function expectSettled(groups: Group[], nodes: number[], replicas: number): void {
  const load = new Map(nodes.map((n) => [n, 0]));
  for (const g of groups) {
    expect(g.learners).toEqual([]);
    expect(g.voters.length).toBe(replicas);
    for (const v of g.voters) {
      expect(nodes).toContain(v);
      load.set(v, load.get(v)! + 1);
    }
  }
  const total = groups.length * replicas;
  for (const n of nodes) {
    expect(load.get(n)!).toBeGreaterThanOrEqual(Math.floor(total / nodes.length));
    expect(load.get(n)!).toBeLessThanOrEqual(Math.ceil(total / nodes.length));
  }
  expect(movesDone({ groups, nodes, replicas })).toBe(true);
}

describe('planMoves', () => {
  it('remove-node: node 4 of four leaves; its replicas move to the others, its leadership first', () => {
    const groups = placed([1, 2, 3, 4], 4, 3);
    const first = planMoves({ groups, nodes: [1, 2, 3], replicas: 3 });
    // Groups 1..3 have a replica on node 4: each first gains a learner on the node it lacks (two at a time by default).
    expect(first).toEqual([
      { kind: 'addLearner', group: 1, node: 1 },
      { kind: 'addLearner', group: 2, node: 2 },
    ]);
    runToEnd(groups, [1, 2, 3], 3);
    expectSettled(groups, [1, 2, 3], 3);
    expect(groups.every((g) => !g.voters.includes(4))).toBe(true);
  });

  it('remove-node of a leader: leadership is transferred before the replica is removed', () => {
    const groups: Group[] = [{ group: 0, voters: [1, 2, 3, 4], learners: [], leader: 4 }];
    expect(planMoves({ groups, nodes: [1, 2, 3], replicas: 3 })).toEqual([{ kind: 'transferLeader', group: 0, node: 1 }]);
  });

  it('add-node: node 4 joins three nodes holding every group; it takes its share', () => {
    const groups = placed([1, 2, 3], 3, 3);
    const first = planMoves({ groups, nodes: [1, 2, 3, 4], replicas: 3 });
    expect(first.every((s) => s.kind === 'addLearner' && s.node === 4)).toBe(true);
    runToEnd(groups, [1, 2, 3, 4], 3);
    expectSettled(groups, [1, 2, 3, 4], 3);
    expect(groups.filter((g) => g.voters.includes(4)).length).toBe(2); // 9 replicas over 4 nodes: 2 or 3 each
  });

  it('a learner waits for promotion before anything is removed; a learner on a leaving node is removed first', () => {
    const groups: Group[] = [{ group: 0, voters: [1, 2, 3], learners: [4], leader: 1 }];
    expect(planMoves({ groups, nodes: [1, 2, 4], replicas: 3 })).toEqual([{ kind: 'promote', group: 0, node: 4 }]);
    expect(planMoves({ groups, nodes: [1, 2, 3], replicas: 3 })).toEqual([{ kind: 'remove', group: 0, node: 4 }]);
  });

  it('a group without a known leader waits; a settled cluster has nothing to do', () => {
    const groups = placed([1, 2, 3], 3, 3);
    expect(planMoves({ groups, nodes: [1, 2, 3], replicas: 3 })).toEqual([]);
    const leaderless = [{ ...groups[0]!, leader: 0 }];
    expect(planMoves({ groups: leaderless, nodes: [1, 2], replicas: 2 })).toEqual([]);
    expect(movesDone({ groups: leaderless, nodes: [1, 2, 3], replicas: 3 })).toBe(false);
  });

  it('refuses more replicas than target nodes', () => {
    expect(() => planMoves({ groups: placed([1, 2, 3], 3, 3), nodes: [1, 2], replicas: 3 })).toThrow(RangeError);
  });

  it('converges with the invariants kept over random shapes (seeded)', () => {
    let seed = 12345;
    const random = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
    for (let run = 0; run < 300; run++) {
      const count = 3 + random(6);
      const nodes = Array.from({ length: count }, (_, i) => i + 1);
      const replicas = 1 + random(Math.min(count - 1, 5));
      const groupCount = 1 + random(16);
      const groups = placed(nodes, groupCount, replicas);
      let target: number[];
      if (random(2) === 0) target = [...nodes, count + 1, ...(random(2) === 0 ? [count + 2] : [])];
      else target = nodes.filter((n) => n !== 1 + random(count));
      if (replicas > target.length) continue;
      try {
        runToEnd(groups, target, replicas, 1 + random(3));
        expectSettled(groups, target, replicas);
      } catch (error) {
        throw new Error(`run ${run} (nodes ${count}, groups ${groupCount}, replicas ${replicas}, target ${target.join(',')}): ${(error as Error).message}`);
      }
    }
  });
});
