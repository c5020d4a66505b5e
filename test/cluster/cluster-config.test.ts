// `piccolo server`'s cluster settings checked together
// (runtime-node/cluster/cluster-config.ts): what a valid set becomes, and
// each mistake refused with a ConfigError naming the setting.

import { describe, expect, it } from 'vitest';
import { ConfigError, loadServerConfig } from '../../runtime-node/config/load-config.js';
import { clusterOptionsFrom } from '../../runtime-node/cluster/cluster-config.js';

const PEERS = '1@127.0.0.1:7801,2@127.0.0.1:7802,3@127.0.0.1:7803';
const files: Record<string, string> = { '/secret': 's3cret\n', '/two-lines': 'a\nb\n' };
const readFile = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw new Error('ENOENT: no such file');
  return text;
};

function options(args: string[], env: Record<string, string> = {}) {
  return clusterOptionsFrom(loadServerConfig({ args, env, readFile }), readFile);
}

describe('cluster settings', () => {
  it('a lone node without --peers; a cluster node with its list, defaults filled in', () => {
    expect(options([])).toBeUndefined();
    const o = options(['--node-id', '2', '--peers', PEERS])!;
    expect(o).toMatchObject({ nodeId: 2, peerPort: 7802, advertiseHost: '127.0.0.1', groups: 3, replicas: 3, secret: null });
    expect(o.members.map((m) => m.id)).toEqual([1, 2, 3]);
    // From the environment and a file, as every other setting.
    const e = options(['--cluster-secret-file', '/secret', '--groups', '6', '--peer-port', '9000'], { PICCOLO_NODE_ID: '1', PICCOLO_PEERS: PEERS })!;
    expect(e).toMatchObject({ nodeId: 1, peerPort: 9000, groups: 6, secret: 's3cret' });
    // The default of 3 replicas shrinks to a two-node cluster.
    expect(options(['--node-id', '1', '--peers', '1@h:1,2@h:2'])!.replicas).toBe(2);
  });

  it('refuses each mistake with a ConfigError naming it', () => {
    const refusal = (args: string[]): string => {
      try {
        options(args);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error(`accepted ${args.join(' ')}`);
    };
    expect(refusal(['--peers', PEERS])).toContain('--peers needs --node-id');
    expect(refusal(['--groups', '4'])).toContain('--groups is for cluster nodes');
    expect(refusal(['--node-id', '1', '--peers', '1@127.0.0.1:7801,1@127.0.0.1:7802'])).toContain('listed twice');
    expect(refusal(['--node-id', '1', '--peers', PEERS, '--replicas', '4'])).toContain('--replicas 4 must be in 1..3');
    expect(refusal(['--node-id', '1', '--peers', PEERS, '--host', '0.0.0.0', '--requirepass', 'x'])).toContain('give --advertise-host');
    expect(refusal(['--node-id', '1', '--peers', PEERS, '--cluster-secret', 'a', '--cluster-secret-file', '/secret'])).toContain('give the cluster secret once');
    expect(refusal(['--node-id', '1', '--peers', PEERS, '--cluster-secret-file', '/two-lines'])).toContain('cluster secret file /two-lines must hold one line');
    expect(refusal(['--node-id', '1', '--peers', PEERS, '--cluster-secret-file', '/missing'])).toContain('cannot read the cluster secret file /missing');
  });
});
