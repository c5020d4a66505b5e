// Nodes of a cluster must run with the same collection thresholds (replicas
// must choose the same encodings): the peer handshake carries them both ways
// and each end refuses a peer with others, logging every difference with
// both values. Real transports on loopback sockets.

import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PEER_LIMITS } from '../../core/limits.js';
import { DEFAULT_COLLECTION_THRESHOLDS, type CollectionThresholds } from '../../core/types/collection-thresholds.js';
import {
  ACCEPT_HELLO_BYTES, decodeAcceptHello, decodeDialHello, DIAL_HELLO_BYTES, encodeAcceptHello, encodeDialHello, thresholdsRefusal,
} from '../../runtime-node/peer/peer-handshake.js';
import { PeerTransport, type PeerAddress } from '../../runtime-node/peer/peer-transport.js';

interface Node { transport: PeerTransport; log: string[] }

const running: PeerTransport[] = [];
afterEach(async () => { for (const t of running.splice(0)) await t.close(); });

async function startNode(id: number, peers: Map<number, PeerAddress>, thresholds: CollectionThresholds): Promise<Node> {
  const log: string[] = [];
  const transport = new PeerTransport({
    nodeId: id, host: '127.0.0.1', port: 0, peers, secret: 'shared', thresholds,
    frameBytesMax: DEFAULT_PEER_LIMITS.batchBytesMax, sendQueueBytesMax: 1 << 20,
    log: (line) => log.push(line), onBatch: () => {},
  });
  await transport.start();
  running.push(transport);
  peers.set(id, { host: '127.0.0.1', port: transport.port });
  return { transport, log };
}

async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const SMALL: CollectionThresholds = { ...DEFAULT_COLLECTION_THRESHOLDS, hashCompactEntriesMax: 4, listCompactSize: -1 };

describe('collection thresholds in the peer handshake', () => {
  it('both hellos carry them, negative list sizes included', () => {
    const { bytes } = encodeAcceptHello(3, SMALL);
    expect(bytes.length).toBe(ACCEPT_HELLO_BYTES);
    const accept = decodeAcceptHello(bytes);
    expect(typeof accept !== 'string' && accept.thresholds).toEqual(SMALL);
    const dial = decodeDialHello(encodeDialHello(4, new Uint8Array(32), SMALL));
    expect(typeof dial !== 'string' && dial.thresholds).toEqual(SMALL);
    expect(encodeDialHello(4, new Uint8Array(32)).length).toBe(DIAL_HELLO_BYTES);
    expect(thresholdsRefusal(SMALL, SMALL, 'node 2')).toBeNull();
    expect(thresholdsRefusal(DEFAULT_COLLECTION_THRESHOLDS, SMALL, 'node 2')).toBe(
      'collection thresholds differ: hash-max-listpack-entries 128 (this node) / 4 (node 2), '
      + 'list-max-listpack-size -2 (this node) / -1 (node 2); every node of a cluster must start with the same values (docs/cluster.md)');
  });

  it('a peer with other thresholds is refused at both ends, each naming both values; equal ones link', async () => {
    const peers = new Map<number, PeerAddress>();
    const acceptor = await startNode(2, peers, DEFAULT_COLLECTION_THRESHOLDS);
    const dialer = await startNode(1, peers, SMALL);
    dialer.transport.send(2, new Uint8Array(8)); // a link is dialed when first needed
    await until(() => acceptor.transport.stats.linksRefused > 0 && dialer.transport.stats.linksRefused > 0, 'both refusals');
    expect(acceptor.log.join('\n')).toContain('hash-max-listpack-entries 128 (this node) / 4 (node 1)');
    expect(dialer.log.join('\n')).toContain('hash-max-listpack-entries 4 (this node) / 128 (node 2)');
    expect(acceptor.transport.isUp(1) || dialer.transport.isUp(2)).toBe(false);
    await dialer.transport.close();
    const same = await startNode(1, peers, DEFAULT_COLLECTION_THRESHOLDS);
    same.transport.send(2, new Uint8Array(8));
    await until(() => same.transport.isUp(2), 'the link with equal thresholds');
  });
});
