// Starts a real `piccolo gateway` process (the compiled CLI, so `npm run
// build` first) on a free loopback port, in front of test cluster nodes.

import { startNode, type RunningNode } from '../e2e/spawn-node.js';
import type { TestCluster } from '../cluster/cluster-nodes.js';

/** A running gateway: a node's handle without a RESP port. */
export type RunningGateway = RunningNode;

/** The `--nodes` list of a test cluster: every node's HTTP port. */
export function nodesArg(cluster: TestCluster): string {
  return cluster.nodes.map((n) => `127.0.0.1:${n.node.port}`).join(',');
}

export function startGatewayProcess(args: string[]): Promise<RunningGateway> {
  return startNode(args, undefined, 'gateway');
}
