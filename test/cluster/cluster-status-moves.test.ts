// `piccolo cluster status` while a replica moves: the group's members come
// from its leader's Raft configuration, a learner shows with its lag, and a
// line names the moves in progress (runtime-node/cli/cluster-status.ts).

import { expect, it } from 'vitest';
import { formatReport, statusReport } from '../../runtime-node/cli/cluster-status.js';

const group = (over: Record<string, unknown>) => ({ group: 0, slots: [0, 16383] as [number, number], replicas: [1, 2, 3], leader: 1, ...over });

it('shows a learner catching up, and the move in progress', () => {
  const views = new Map([
    [1, { nodeId: 1, nodes: [], groups: [group({ role: 'leader', term: 2, commit: 40, applied: 40, voters: [1, 2, 3], learners: [4] })] }],
    [2, { nodeId: 2, nodes: [], groups: [group({ role: 'follower', term: 2, commit: 40, applied: 40, voters: [1, 2, 3], learners: [4] })] }],
    [3, { nodeId: 3, nodes: [], groups: [group({ role: 'follower', term: 2, commit: 40, applied: 39, voters: [1, 2, 3], learners: [4] })] }],
    [4, { nodeId: 4, nodes: [], groups: [group({ role: 'follower', term: 2, commit: 12, applied: 12 })] }],
  ]);
  const report = statusReport(views.get(1)!, views);
  expect(report[0]!.members).toEqual([1, 2, 3]);
  expect(report[0]!.learners).toEqual([4]);
  expect(report[0]!.replicas.at(-1)).toEqual({ node: 4, role: 'learner', term: 2, commit: 12, applied: 12, lag: 28 });
  const text = formatReport(report);
  expect(text).toContain('4:learner:12:28');
  expect(text).toContain('moves in progress: group 0 (learner on node 4)');
});

it('prints no move line when no group has a learner', () => {
  const views = new Map([[1, { nodeId: 1, nodes: [], groups: [group({ role: 'leader', term: 1, commit: 5, applied: 5, voters: [1], learners: [] })] }]]);
  expect(formatReport(statusReport(views.get(1)!, views))).not.toContain('moves in progress');
});
