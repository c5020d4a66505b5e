// Where a cluster node's members come from (runtime-node/cluster/cluster-config.ts):
// --join (the cluster read from a running node), the membership record in
// the data directory (a restart after add-node: it wins over the command
// line), or --peers; and each mistake of --join refused with a ConfigError.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { clusterOptionsFrom, joinNeeded } from '../../runtime-node/cluster/cluster-config.js';
import type { JoinInfo } from '../../runtime-node/cluster/cluster-join.js';
import { EMPTY_MEMBERSHIP, MEMBERSHIP_FILE, parseMembership, storeMembership } from '../../runtime-node/cluster/membership-record.js';
import { ConfigError, loadServerConfig } from '../../runtime-node/config/load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'piccolo-join-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const JOINED: JoinInfo = {
  members: [1, 2, 3].map((id) => ({ id, host: '127.0.0.1', peerPort: 7800 + id })),
  groups: 3, replicas: 3, genesis: [1, 2, 3], membership: { ...EMPTY_MEMBERSHIP, version: 5 },
};

const config = (args: string[]) => loadServerConfig({ args, env: {} });

function refusal(args: string[], joined?: JoinInfo): string {
  try {
    clusterOptionsFrom(config(args), undefined, joined);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`accepted ${args.join(' ')}`);
}

it('a joining node: the cluster it read, itself added, the first placement kept, the record to keep', () => {
  const data = join(dir, 'joiner');
  const args = ['--node-id', '4', '--join', '127.0.0.1:7701', '--peer-port', '7804', '--data-dir', data];
  expect(joinNeeded(config(args))).toBe(true);
  const o = clusterOptionsFrom(config(args), undefined, JOINED)!;
  expect(o.members.map((m) => m.id)).toEqual([1, 2, 3, 4]);
  expect(o).toMatchObject({ nodeId: 4, peerPort: 7804, groups: 3, replicas: 3, genesis: [1, 2, 3] });
  expect(o.joined).toMatchObject({ version: 5, genesis: [1, 2, 3], shape: { groups: 3, replicas: 3 } });
  expect(o.joined!.nodes!.map((n) => n.id)).toEqual([1, 2, 3, 4]);
  // Restarted: the record in its data directory names the nodes; no need to ask the cluster again.
  storeMembership(data, o.joined!);
  expect(joinNeeded(config(args))).toBe(false);
  expect(clusterOptionsFrom(config(args))!.members.map((m) => m.id)).toEqual([1, 2, 3, 4]);
});

it('a restart takes the members from the record, not from a stale --peers', () => {
  const data = join(dir, 'member');
  const record = parseMembership({
    version: 7, removed: [], replicas: {}, genesis: [1, 2, 3], shape: { groups: 3, replicas: 3 },
    nodes: [1, 2, 3, 4].map((id) => ({ id, host: '127.0.0.1', peerPort: 7800 + id })),
  }, 3)!;
  storeMembership(data, record);
  const o = clusterOptionsFrom(config(['--node-id', '2', '--peers', '1@127.0.0.1:7801,2@127.0.0.1:7802,3@127.0.0.1:7803', '--data-dir', data]))!;
  expect(o.members.map((m) => m.id)).toEqual([1, 2, 3, 4]);
  expect(o.genesis).toEqual([1, 2, 3]);
  expect(o.joined).toBeUndefined();
});

it('refuses the mistakes of --join, naming them', () => {
  const data = join(dir, 'refused');
  expect(refusal(['--join', 'h:1', '--peer-port', '7804', '--data-dir', data], JOINED)).toContain('--join needs --node-id');
  expect(refusal(['--node-id', '4', '--join', 'h:1', '--data-dir', data], JOINED)).toContain('--join needs --peer-port');
  expect(refusal(['--node-id', '2', '--join', 'h:1', '--peer-port', '7804', '--data-dir', data], JOINED)).toContain('--node-id 2 is taken');
  expect(refusal(['--node-id', '4', '--join', 'h:1', '--peers', '1@h:1', '--data-dir', data], JOINED)).toContain('not both');
  expect(refusal(['--node-id', '4', '--join', 'h:1', '--peer-port', '7804', '--data-dir', data])).toContain('the cluster was not read');
});

it('a membership record that does not parse is refused, not half-used', () => {
  expect(parseMembership({ version: 1, removed: [], replicas: { 9: [1] } }, 3)).toBeNull();
  expect(parseMembership({ version: 1, removed: [0], replicas: {} }, 3)).toBeNull();
  expect(parseMembership({ version: 1, removed: [], replicas: {}, nodes: [{ id: 1, host: 'h', peerPort: 70000 }] }, 3)).toBeNull();
  expect(MEMBERSHIP_FILE).toBe('cluster-membership.json');
});
