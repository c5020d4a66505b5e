// A 3-node cluster for one test file, with ioredis Cluster clients entering
// at chosen nodes: started before the file's tests, stopped (and the clients
// closed) after them. One home for what the data-structure, transaction and
// SORT cluster tests each set up.

import { Cluster } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { clusterReady, startCluster, type TestCluster } from './cluster-nodes.js';

/** How long a file's cluster may take to start and elect every group's leader. */
const CLUSTER_READY_MS = 15_000;

export interface ClusterWithIoredis {
  /** The running cluster (from the file's beforeAll on). */
  readonly cluster: TestCluster;
  /** The ioredis Cluster client entering at node index `at` (0-based): made once, closed after the file. */
  client(at?: number): Cluster;
}

/** Registers the file's beforeAll / afterAll: `args` are every node's (e.g. --groups). */
export function clusterWithIoredis(args: string[]): ClusterWithIoredis {
  let running: TestCluster | undefined;
  const clients = new Map<number, Cluster>();
  beforeAll(async () => {
    running = await startCluster(3, args);
    await clusterReady(running, CLUSTER_READY_MS);
  }, 40_000);
  afterAll(async () => {
    for (const client of clients.values()) client.disconnect();
    await running?.stopAll();
  });
  const fixture: ClusterWithIoredis = {
    get cluster(): TestCluster {
      if (running === undefined) throw new Error('the cluster starts in beforeAll');
      return running;
    },
    client(at = 0): Cluster {
      let client = clients.get(at);
      if (client === undefined) {
        client = new Cluster([{ host: '127.0.0.1', port: fixture.cluster.nodes[at]!.node.respPort! }]);
        clients.set(at, client);
      }
      return client;
    },
  };
  return fixture;
}
