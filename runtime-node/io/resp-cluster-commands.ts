// Redis Cluster's commands, so cluster clients (ioredis Cluster, node-redis,
// redis-cli -c) work against a Piccolo cluster unchanged: CLUSTER SLOTS,
// SHARDS, NODES, INFO, MYID, KEYSLOT, COUNTKEYSINSLOT, GETKEYSINSLOT
// (resp-cluster-slot-keys.ts), and READONLY / READWRITE / ASKING, in
// Redis 7's reply layouts. Piccolo's shard groups are Redis's slot ranges;
// each group's Raft leader is the range's master and its other replicas
// are the range's replicas. A node without --peers answers them as Redis
// without cluster support does.
//
// Node ids are 40 hex characters derived from the Piccolo node id
// (cluster-topology.ts), so every node names every other the same way.

import { slotOf } from '../../core/routing/slot-hash.js';
import type { RespValue } from '../../core/resp/reply-encoder.js';
import { redisNodeId, SLOT_COUNT, type ClusterTopology } from '../cluster/cluster-topology.js';
import type { NodeEndpoints } from '../cluster/cluster-router.js';
import { runCountKeysInSlot, runGetKeysInSlot } from './resp-cluster-slot-keys.js';
import {
  bulk, fail, helpLines, integer, OK, reply, subcommandArityError, unknownSubcommand, word, type CommandCall,
} from './resp-command-context.js';

/** The cluster as CLUSTER commands see it (runtime-node/cluster/cluster-node.ts provides it). */
export interface ClusterView {
  readonly topology: ClusterTopology;
  /** The node leading `group` as far as this node knows; 0 when unknown. */
  leaderOf(group: number): number;
  /** A node's client endpoints, once its card arrived (this node's own always). */
  endpointsOf(nodeId: number): NodeEndpoints | undefined;
  /** Whether this node has a live peer link to `nodeId`. */
  linkUp(nodeId: number): boolean;
  /** The highest Raft term among the groups this node hosts (CLUSTER INFO's epoch). */
  termMax(): number;
}

export const CLUSTER_DISABLED_ERROR = 'ERR This instance has cluster support disabled';

const CLUSTER_HELP = [
  'CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'COUNTKEYSINSLOT <slot>',
  '    Return the number of keys in <slot>.',
  'GETKEYSINSLOT <slot> <count>',
  '    Return key names stored by current node in a slot.',
  'INFO',
  '    Return information about the cluster.',
  'KEYSLOT <key>',
  '    Return the hash slot for <key>.',
  'MYID',
  '    Return the node id.',
  'NODES',
  '    Return cluster configuration seen by node. Output format:',
  '    <id> <ip:port@cport> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...',
  'SHARDS',
  '    Return information about slot range mappings and the nodes serving them.',
  'SLOTS',
  '    Return information about slots range mappings. Each range is made of:',
  '    start, end, master and replicas IP addresses, ports and ids',
  'HELP',
  '    Print this help.',
];

interface NodeAddress { host: string; port: number }

function addressOf(endpoint: string): NodeAddress {
  const at = endpoint.lastIndexOf(':');
  return { host: endpoint.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(endpoint.slice(at + 1)) };
}

/** A node's RESP address, or null while unknown (no card yet, or RESP off there). */
function respAddress(view: ClusterView, nodeId: number): NodeAddress | null {
  const resp = view.endpointsOf(nodeId)?.resp;
  return resp ? addressOf(resp) : null;
}

/** Each group's serving node (its leader, or the first replica with a known address) and replicas, by slot order. */
function shardLayout(view: ClusterView): { group: number; first: number; last: number; master: number; replicas: number[] }[] {
  const { topology } = view;
  const self = topology.selfId;
  const out = [];
  for (let group = 0; group < topology.groups; group++) {
    const [first, last] = topology.slotRange(group);
    const nodes = topology.placement[group]!;
    const leader = view.leaderOf(group);
    const master = leader !== 0 && respAddress(view, leader) !== null ? leader
      : nodes.find((id) => respAddress(view, id) !== null) ?? self;
    out.push({ group, first, last, master, replicas: nodes.filter((id) => id !== master && respAddress(view, id) !== null) });
  }
  return out;
}

function slotsNode(view: ClusterView, nodeId: number): RespValue {
  const address = respAddress(view, nodeId)!;
  return { type: 'array', items: [bulk(address.host), integer(address.port), bulk(redisNodeId(nodeId)), { type: 'map', entries: [] }] };
}

function clusterSlots(view: ClusterView): RespValue {
  return {
    type: 'array',
    items: shardLayout(view).map(({ first, last, master, replicas }): RespValue => ({
      type: 'array',
      items: [integer(first), integer(last), slotsNode(view, master), ...replicas.map((id) => slotsNode(view, id))],
    })),
  };
}

function shardNode(view: ClusterView, nodeId: number, role: 'master' | 'replica'): RespValue {
  const address = respAddress(view, nodeId)!;
  const online = nodeId === view.topology.selfId || view.linkUp(nodeId);
  const entries: [string, RespValue][] = [
    ['id', bulk(redisNodeId(nodeId))],
    ['port', integer(address.port)],
    ['ip', bulk(address.host)],
    ['endpoint', bulk(address.host)],
    ['role', bulk(role)],
    ['replication-offset', integer(0)],
    ['health', bulk(online ? 'online' : 'failed')],
  ];
  return { type: 'map', entries: entries.map(([k, v]) => [bulk(k), v] as const) };
}

function clusterShards(view: ClusterView): RespValue {
  return {
    type: 'array',
    items: shardLayout(view).map(({ first, last, master, replicas }): RespValue => ({
      type: 'map',
      entries: [
        [bulk('slots'), { type: 'array', items: [integer(first), integer(last)] }],
        [bulk('nodes'), { type: 'array', items: [shardNode(view, master, 'master'), ...replicas.map((id) => shardNode(view, id, 'replica'))] }],
      ],
    })),
  };
}

function clusterNodes(view: ClusterView): string {
  const { topology } = view;
  const led = new Map<number, string[]>();
  for (const { first, last, master } of shardLayout(view)) {
    const list = led.get(master) ?? [];
    list.push(first === last ? String(first) : `${first}-${last}`);
    led.set(master, list);
  }
  const epoch = view.termMax();
  const lines = topology.members.map((member) => {
    const self = member.id === topology.selfId;
    const address = respAddress(view, member.id) ?? { host: member.host, port: 0 };
    const connected = self || view.linkUp(member.id);
    const flags = `${self ? 'myself,' : ''}master${connected ? '' : ',fail'}`;
    const slots = led.get(member.id) ?? [];
    return [redisNodeId(member.id), `${address.host}:${address.port}@${member.peerPort}`, flags, '-', '0', '0', String(epoch),
      connected ? 'connected' : 'disconnected', ...slots].join(' ');
  });
  return `${lines.join('\n')}\n`;
}

function clusterInfo(view: ClusterView): string {
  const { topology } = view;
  let slotsOk = 0;
  const masters = new Set<number>();
  for (let group = 0; group < topology.groups; group++) {
    const leader = view.leaderOf(group);
    if (leader === 0) continue;
    const [first, last] = topology.slotRange(group);
    slotsOk += last - first + 1;
    masters.add(leader);
  }
  const epoch = view.termMax();
  return [
    `cluster_state:${slotsOk === SLOT_COUNT ? 'ok' : 'fail'}`,
    `cluster_slots_assigned:${SLOT_COUNT}`,
    `cluster_slots_ok:${slotsOk}`,
    'cluster_slots_pfail:0',
    `cluster_slots_fail:${SLOT_COUNT - slotsOk}`,
    `cluster_known_nodes:${topology.members.length}`,
    `cluster_size:${masters.size}`,
    `cluster_current_epoch:${epoch}`,
    `cluster_my_epoch:${epoch}`,
    '',
  ].join('\r\n');
}

export function runCluster(call: CommandCall): void {
  const view = call.node.cluster ?? null;
  if (view === null) return call.done(fail(CLUSTER_DISABLED_ERROR));
  const { args } = call;
  const sub = word(args[0]!);
  const exactly = (n: number): boolean => args.length === n;
  switch (sub) {
    case 'SLOTS':
      if (!exactly(1)) return call.done(fail(subcommandArityError('cluster', sub)));
      return call.done(reply(clusterSlots(view)));
    case 'SHARDS':
      if (!exactly(1)) return call.done(fail(subcommandArityError('cluster', sub)));
      return call.done(reply(clusterShards(view)));
    case 'NODES':
      if (!exactly(1)) return call.done(fail(subcommandArityError('cluster', sub)));
      return call.done(reply(bulk(clusterNodes(view))));
    case 'INFO':
      if (!exactly(1)) return call.done(fail(subcommandArityError('cluster', sub)));
      return call.done(reply(bulk(clusterInfo(view))));
    case 'MYID':
      if (!exactly(1)) return call.done(fail(subcommandArityError('cluster', sub)));
      return call.done(reply(bulk(redisNodeId(view.topology.selfId))));
    case 'KEYSLOT':
      if (!exactly(2)) return call.done(fail(subcommandArityError('cluster', sub)));
      return call.done(reply(integer(slotOf(args[1]!))));
    case 'COUNTKEYSINSLOT':
      if (!exactly(2)) return call.done(fail(subcommandArityError('cluster', sub)));
      return runCountKeysInSlot(call, view.topology.slots);
    case 'GETKEYSINSLOT':
      if (!exactly(3)) return call.done(fail(subcommandArityError('cluster', sub)));
      return runGetKeysInSlot(call, view.topology.slots);
    case 'HELP':
      return call.done(reply(helpLines(CLUSTER_HELP)));
    default:
      return call.done(fail(unknownSubcommand('cluster', args[0]!)));
  }
}

/**
 * READONLY / READWRITE / ASKING: accepted, as cluster clients send them. Reads
 * are served by each group's leader either way (linearizable), so READONLY
 * changes nothing yet; ASKING has nothing to allow, as slots never migrate.
 */
export function runClusterConnectionFlag(call: CommandCall): void {
  call.done((call.node.cluster ?? null) === null ? fail(CLUSTER_DISABLED_ERROR) : reply(OK));
}

export const CLUSTER_COMMAND_HANDLERS: readonly (readonly [string, (call: CommandCall) => void])[] = [
  ['cluster', runCluster],
  ['readonly', runClusterConnectionFlag],
  ['readwrite', runClusterConnectionFlag],
  ['asking', runClusterConnectionFlag],
];
