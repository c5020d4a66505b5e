// The group status table the workers publish and the IO thread reads
// (runtime-node/cluster/group-status.ts): each field round-trips, including
// the count of snapshots a leader could not send (shown in GET /v1/cluster).

import { expect, it } from 'vitest';
import { GroupStatusTable } from '../../runtime-node/cluster/group-status.js';

it('a row written by the hosting worker reads back whole; an unwritten row is not hosted', () => {
  const table = GroupStatusTable.allocate(3);
  table.write(1, 2, 7, 40, 39, 'leader', 3);
  expect(table.read(1)).toEqual({ hosted: true, leader: 2, term: 7, commit: 40, applied: 39, role: 'leader', snapshotsTooLarge: 3 });
  table.write(1, 3, 8, 41, 41, 'follower');
  expect(table.read(1)).toMatchObject({ leader: 3, term: 8, role: 'follower', snapshotsTooLarge: 0 });
  expect(table.read(0).hosted).toBe(false);
  expect(table.leaderOf(1)).toBe(3);
});
