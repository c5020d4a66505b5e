// Starts a real `piccolo gateway` process (the compiled CLI, so `npm run
// build` first) on a free loopback port, in front of test cluster nodes.

import { slotOf } from '../../core/routing/slot-hash.js';
import { SlotMap } from '../../core/routing/slot-map.js';
import { startNode, type RunningNode } from '../e2e/spawn-node.js';
import type { TestCluster } from '../cluster/cluster-nodes.js';

/** The gateway tests' clusters: three nodes, three groups (each node leads one when all is well). */
export const TEST_GROUPS = 3;
const testSlots = new SlotMap(TEST_GROUPS, 1);

/** The group of `key` in a TEST_GROUPS cluster. */
export const groupOf = (key: string): number => testSlots.shardOf(slotOf(Buffer.from(key)));

/** A running gateway: a node's handle without a RESP port. */
export type RunningGateway = RunningNode;

/** The `--nodes` list of a test cluster: every node's HTTP port. */
export function nodesArg(cluster: TestCluster): string {
  return cluster.nodes.map((n) => `127.0.0.1:${n.node.port}`).join(',');
}

export function startGatewayProcess(args: string[]): Promise<RunningGateway> {
  return startNode(args, undefined, 'gateway');
}

/** Stops the gateways first (they would only redial), then the nodes. */
export async function stopEverything(gateways: readonly RunningGateway[], cluster: TestCluster | undefined): Promise<void> {
  await Promise.all(gateways.map((g) => g.stop()));
  await cluster?.stopAll();
}
