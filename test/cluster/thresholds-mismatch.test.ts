// Two real cluster nodes (the compiled CLI) started with different collection
// thresholds never link: each logs the refusal with both values, as for a
// wrong cluster secret. Needs `npm run build`.

import { afterAll, expect, it } from 'vitest';
import { startCluster, until, type TestCluster } from './cluster-nodes.js';

let cluster: TestCluster | null = null;
afterAll(async () => { await cluster?.stopAll(); });

it('a node with other thresholds is refused by its peer, both logging both values', async () => {
  cluster = await startCluster(2, (id) => (id === 2 ? ['--hash-max-listpack-entries', '4'] : []));
  const [one, two] = cluster.nodes.map((n) => n.node);
  await until(() => one!.output().includes('collection thresholds differ') && two!.output().includes('collection thresholds differ'),
    'both refusals', 15_000);
  expect(one!.output()).toContain('hash-max-listpack-entries 128 (this node) / 4 (node 2)');
  expect(two!.output()).toContain('hash-max-listpack-entries 4 (this node) / 128 (node 1)');
  expect(one!.output()).toContain('every node of a cluster must start with the same values');
}, 40_000);
