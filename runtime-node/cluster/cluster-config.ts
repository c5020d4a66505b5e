// `piccolo server`'s cluster settings, checked together and turned into
// ClusterOptions: --peers and --node-id go together; the node must be in
// the list; the host it advertises must be one clients can reach (not a
// wildcard); the cluster secret comes from the flag or a file, not both.
// Mistakes are ConfigErrors (exit 2) naming the setting.

import { readFileSync } from 'node:fs';
import { ConfigError, readSecretFile, setting, type ServerConfig } from '../config/load-config.js';
import type { ClusterOptions } from './cluster-node.js';
import { ClusterTopology, parsePeers } from './cluster-topology.js';

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

/** The cluster options of a server config, or undefined for a lone node. */
export function clusterOptionsFrom(config: ServerConfig, readFile = (path: string) => readFileSync(path, 'utf8')): ClusterOptions | undefined {
  const peers = setting<readonly string[]>(config, 'peers');
  const nodeId = setting<number | undefined>(config, 'node-id');
  const secretFlag = setting<string | undefined>(config, 'cluster-secret');
  const secretFile = setting<string | undefined>(config, 'cluster-secret-file');
  if (peers.length === 0) {
    for (const name of ['node-id', 'peer-port', 'advertise-host', 'groups', 'cluster-secret', 'cluster-secret-file']) {
      if (config.settings.get(name)!.source !== 'default') throw new ConfigError(`--${name} is for cluster nodes: give --peers too`);
    }
    return undefined;
  }
  if (nodeId === undefined) throw new ConfigError('--peers needs --node-id (which of the listed nodes this one is)');
  const members = parsePeers(peers);
  const self = members.find((m) => m.id === nodeId);
  if (self === undefined) throw new ConfigError(`--node-id ${nodeId} is not in --peers (every node gets the same list, itself included)`);
  if (secretFlag !== undefined && secretFile !== undefined) throw new ConfigError('give the cluster secret once: --cluster-secret or --cluster-secret-file');
  const host = setting<string>(config, 'host');
  const advertiseHost = setting<string | undefined>(config, 'advertise-host') ?? host;
  if (WILDCARD_HOSTS.has(advertiseHost)) {
    throw new ConfigError(`--host ${host} is not an address clients can be sent to: give --advertise-host`);
  }
  const replicasSetting = config.settings.get('replicas')!;
  // The default (3) shrinks to fit a smaller cluster; a replica count given explicitly must fit.
  const replicas = replicasSetting.source === 'default' ? Math.min(replicasSetting.value as number, members.length) : replicasSetting.value as number;
  const groups = setting<number | undefined>(config, 'groups') ?? members.length;
  // Checks placement now, so a bad --replicas is a ConfigError before anything starts.
  new ClusterTopology(nodeId, members, groups, replicas);
  return {
    nodeId,
    members,
    peerPort: setting<number | undefined>(config, 'peer-port') ?? self.peerPort,
    advertiseHost,
    groups,
    replicas,
    secret: secretFile !== undefined ? readSecretFile(secretFile, readFile, 'cluster secret') : secretFlag ?? null,
  };
}
