// The gateway's merge of the nodes' GET /v1/cluster reports (pure): whom it
// believes about each group's leader, and which reports it refuses.

import { expect, it } from 'vitest';
import { SlotMap } from '../../core/routing/slot-map.js';
import { LeaderMap, LeaderMapError, type ClusterReport } from '../../runtime-node/gateway/leader-map.js';

const GROUPS = 3;
const slots = new SlotMap(GROUPS, 1);
const NODES = [1, 2, 3].map((id) => ({ id, http: `127.0.0.1:770${id}` }));

type GroupView = { leader: number; role?: string; term?: number };
/** Node `self`'s report, with `views[g]` its view of group g. */
function report(self: number, views: GroupView[]): ClusterReport {
  return {
    source: `127.0.0.1:770${self}`,
    body: {
      nodeId: self, nodes: NODES,
      groups: views.map((v, group) => ({
        group, slots: slots.slotRangeOf(group), replicas: [1, 2, 3], leader: v.leader,
        leaderHttp: v.leader === 0 ? null : `127.0.0.1:770${v.leader}`, ...(v.role ? { role: v.role, term: v.term } : {}),
      })),
    },
  };
}

it('agreeing reports give each group its leader and every node endpoint', () => {
  const views = [{ leader: 1 }, { leader: 2 }, { leader: 3 }];
  const map = LeaderMap.merge([1, 2, 3].map((n) => report(n, views)));
  expect([0, 1, 2].map((g) => map.leaderOf(g))).toEqual(['127.0.0.1:7701', '127.0.0.1:7702', '127.0.0.1:7703']);
  expect([...map.endpoints].sort()).toEqual(NODES.map((n) => n.http));
  expect(map.groupCount).toBe(GROUPS);
  expect(map.slotMap.shardOf(0)).toBe(0);
  // Each group's replicas, as endpoints (what a merged watch places its groups on).
  expect(map.replicasOf(1)).toEqual(NODES.map((n) => n.http));
  expect(map.replicasOf(GROUPS)).toEqual([]);
});

it("a node's own leader claim wins over others' guesses; the highest term wins between claims", () => {
  const map = LeaderMap.merge([
    // Node 1 was cut off: it still thinks it leads group 0 in term 3 and names node 1 for group 1.
    report(1, [{ leader: 1, role: 'leader', term: 3 }, { leader: 1 }, { leader: 0 }]),
    report(2, [{ leader: 2, role: 'leader', term: 4 }, { leader: 3 }, { leader: 3 }]),
    report(3, [{ leader: 2, role: 'follower', term: 4 }, { leader: 3 }, { leader: 0 }]),
  ]);
  expect(map.leaderOf(0)).toBe('127.0.0.1:7702');
  // No claim for group 1: the leader most nodes name.
  expect(map.leaderOf(1)).toBe('127.0.0.1:7703');
  expect(map.leaderOf(2)).toBe('127.0.0.1:7703');
});

it('a group no node can name has no leader', () => {
  const map = LeaderMap.merge([report(1, [{ leader: 0 }, { leader: 0 }, { leader: 0 }])]);
  expect(map.leaderOf(0)).toBeNull();
});

it('refuses what is not a cluster map, or maps of different clusters', () => {
  expect(() => LeaderMap.merge([])).toThrow(LeaderMapError);
  expect(() => LeaderMap.merge([{ source: 'a:1', body: { error: 'nope' } }])).toThrow(/is it a cluster node/);
  const three = report(1, [{ leader: 1 }, { leader: 1 }, { leader: 1 }]);
  const two = report(2, [{ leader: 2 }, { leader: 2 }]);
  (two.body as { groups: { slots: [number, number] }[] }).groups.forEach((g, i) => { g.slots = new SlotMap(2, 1).slotRangeOf(i); });
  expect(() => LeaderMap.merge([three, two])).toThrow(/reports 2 groups/);
  const shifted = report(1, [{ leader: 1 }, { leader: 1 }, { leader: 1 }]);
  (shifted.body as { groups: { slots: [number, number] }[] }).groups[1]!.slots = [0, 10];
  expect(() => LeaderMap.merge([shifted])).toThrow(/group 1 has slots \[0,10\]/);
});
