// `piccolo server`'s cluster settings, checked together and turned into
// ClusterOptions: --peers and --node-id go together; the node must be in
// the list; the host it advertises must be one clients can reach (not a
// wildcard); the cluster secret comes from the flag or a file, not both.
// Mistakes are ConfigErrors (exit 2) naming the setting.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, readSecretFile, setting, type ServerConfig } from '../config/load-config.js';
import type { ClusterOptions } from './cluster-node.js';
import { ClusterTopology, parsePeers, type ClusterMember } from './cluster-topology.js';
import type { JoinInfo } from './cluster-join.js';
import { readJsonFile } from './json-file.js';
import { MEMBERSHIP_FILE, parseMembership, type MembershipRecord } from './membership-record.js';

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

/**
 * The cluster options of a server config, or undefined for a lone node.
 * Who the members are comes, first found: from the membership record in
 * the data directory (a node restarts with the cluster as it is now, not
 * as its command line first said), from `joined` (--join, fetched before),
 * or from --peers.
 */
export function clusterOptionsFrom(config: ServerConfig, readFile = (path: string) => readFileSync(path, 'utf8'), joined?: JoinInfo): ClusterOptions | undefined {
  const peers = setting<readonly string[]>(config, 'peers');
  const join = setting<string | undefined>(config, 'join');
  const nodeId = setting<number | undefined>(config, 'node-id');
  const secretFlag = setting<string | undefined>(config, 'cluster-secret');
  const secretFile = setting<string | undefined>(config, 'cluster-secret-file');
  const stored = storedCluster(config);
  if (peers.length === 0 && join === undefined && stored === null) {
    for (const name of ['node-id', 'peer-port', 'advertise-host', 'groups', 'cluster-secret', 'cluster-secret-file']) {
      if (config.settings.get(name)!.source !== 'default') throw new ConfigError(`--${name} is for cluster nodes: give --peers too`);
    }
    return undefined;
  }
  if (peers.length > 0 && join !== undefined) throw new ConfigError('give --peers (a cluster being formed) or --join (joining a running one), not both');
  if (nodeId === undefined) throw new ConfigError(join !== undefined ? '--join needs --node-id (the id the new node gets)' : '--peers needs --node-id (which of the listed nodes this one is)');
  const host = setting<string>(config, 'host');
  const advertiseHost = setting<string | undefined>(config, 'advertise-host') ?? host;
  if (WILDCARD_HOSTS.has(advertiseHost)) {
    throw new ConfigError(`--host ${host} is not an address clients can be sent to: give --advertise-host`);
  }
  let members: ClusterMember[];
  let genesis: readonly number[] | undefined;
  let shape: { groups: number; replicas: number } | undefined;
  if (stored?.nodes !== undefined && stored.shape !== undefined) {
    members = [...stored.nodes].sort((a, b) => a.id - b.id);
    ({ genesis, shape } = stored);
  } else if (join !== undefined) {
    if (joined === undefined) throw new ConfigError('--join: the cluster was not read (internal: fetchJoinInfo first)');
    const peerPort = setting<number | undefined>(config, 'peer-port');
    if (peerPort === undefined) throw new ConfigError('--join needs --peer-port (the port the other nodes reach this one at)');
    if (joined.members.some((m) => m.id === nodeId)) throw new ConfigError(`--node-id ${nodeId} is taken in the cluster at --join ${join}`);
    members = [...joined.members, { id: nodeId, host: advertiseHost, peerPort }].sort((a, b) => a.id - b.id);
    genesis = joined.genesis;
    shape = { groups: joined.groups, replicas: joined.replicas };
  } else {
    members = parsePeers(peers);
  }
  const self = members.find((m) => m.id === nodeId);
  if (self === undefined) throw new ConfigError(`--node-id ${nodeId} is not in --peers (every node gets the same list, itself included)`);
  if (secretFlag !== undefined && secretFile !== undefined) throw new ConfigError('give the cluster secret once: --cluster-secret or --cluster-secret-file');
  const replicasSetting = config.settings.get('replicas')!;
  // The default (3) shrinks to fit a smaller cluster; a replica count given explicitly must fit.
  const replicas = shape?.replicas
    ?? (replicasSetting.source === 'default' ? Math.min(replicasSetting.value as number, members.length) : replicasSetting.value as number);
  const groups = shape?.groups ?? setting<number | undefined>(config, 'groups') ?? members.length;
  // Checks placement now, so a bad --replicas is a ConfigError before anything starts.
  new ClusterTopology(nodeId, members, groups, replicas, genesis);
  return {
    nodeId,
    members,
    peerPort: setting<number | undefined>(config, 'peer-port') ?? self.peerPort,
    advertiseHost,
    groups,
    replicas,
    secret: secretFile !== undefined ? readSecretFile(secretFile, readFile, 'cluster secret') : secretFlag ?? null,
    ...(genesis !== undefined ? { genesis } : {}),
    ...(joined !== undefined && stored?.nodes === undefined
      ? { joined: { ...joined.membership, nodes: members, genesis: joined.genesis, shape: { groups: joined.groups, replicas: joined.replicas } } }
      : {}),
  };
}

/** Whether a --join node must read the cluster first: not once its data directory's record names the nodes (a restart). */
export function joinNeeded(config: ServerConfig): boolean {
  return setting<string | undefined>(config, 'join') !== undefined && storedCluster(config)?.nodes === undefined;
}

/** The membership record in the data directory (not with --in-memory), or null. */
function storedCluster(config: ServerConfig): MembershipRecord | null {
  if (setting<boolean>(config, 'in-memory')) return null;
  const stored = readJsonFile(resolve(setting<string>(config, 'data-dir')), MEMBERSHIP_FILE);
  if (stored === null) return null;
  const groups = (stored as { shape?: { groups?: number } }).shape?.groups ?? setting<number | undefined>(config, 'groups');
  if (groups === undefined) return null;
  const record = parseMembership(stored, groups);
  if (record === null) throw new ConfigError(`${MEMBERSHIP_FILE} in --data-dir is not a membership record (docs/cluster.md)`);
  return record;
}
