// Node cards (runtime-node/cluster/node-card.ts): the first message each
// side sends on a peer link. Round trip, refusals, and two real transports
// exchanging cards before their batches, with a malformed card closing
// only that link.

import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PEER_LIMITS } from '../../core/limits.js';
import { MessageStream } from '../../core/peer/message-stream.js';
import { decodeCard, encodeCard, type NodeCard } from '../../runtime-node/cluster/node-card.js';
import { ACCEPT_HELLO_BYTES, decodeAcceptHello, encodeDialHello, proofFor } from '../../runtime-node/peer/peer-handshake.js';
import { PeerTransport, type PeerAddress } from '../../runtime-node/peer/peer-transport.js';
import { encodePeerBatch } from '../../schema/peer-codec.js';
import { until } from './cluster-nodes.js';

const card = (nodeId: number): NodeCard => ({ nodeId, resp: `127.0.0.1:${6380 + nodeId}`, http: `127.0.0.1:${7700 + nodeId}`, terms: { 0: 3, 2: 0 }, incarnation: '0a1b' });

describe('node card', () => {
  it('round-trips as one stream message, whole words', () => {
    const bytes = encodeCard(card(2));
    expect(bytes.length % 8).toBe(0);
    const split = new MessageStream(1 << 20).push(bytes);
    expect(split.ok && split.messages.length).toBe(1);
    expect(decodeCard(bytes)).toEqual(card(2));
  });

  it('refuses what is not a card, naming why', () => {
    expect(decodeCard(encodePeerBatch([{ group: 0, message: { type: 'heartbeat', from: 1, to: 2, term: 1, commit: 0, context: 0 } }])))
      .toBe('the first message is not a node card');
    expect(decodeCard(encodeCard({ ...card(1), http: 'no port' }))).toBe('a node card with missing or malformed fields');
    expect(decodeCard(encodeCard({ ...card(1), terms: { 0: -1 } }))).toBe('a node card with missing or malformed fields');
    expect(decodeCard(encodeCard({ ...card(1), incarnation: 'not hex' }))).toBe('a node card with missing or malformed fields');
  });
});

const running: PeerTransport[] = [];
afterEach(async () => { for (const t of running.splice(0)) await t.close(); });

async function start(id: number, peers: Map<number, PeerAddress>, cards: Map<number, NodeCard>, batches: number[]): Promise<PeerTransport> {
  const transport = new PeerTransport({
    nodeId: id, host: '127.0.0.1', port: 0, peers, secret: null, frameBytesMax: DEFAULT_PEER_LIMITS.batchBytesMax, sendQueueBytesMax: 1 << 20,
    log: () => {},
    onBatch: (from) => batches.push(from),
    card: () => encodeCard(card(id)),
    onCard: (from, bytes) => {
      const decoded = decodeCard(bytes);
      if (typeof decoded === 'string' || decoded.nodeId !== from) return false;
      cards.set(from, decoded);
      return true;
    },
  });
  await transport.start();
  running.push(transport);
  peers.set(id, { host: '127.0.0.1', port: transport.port });
  return transport;
}

describe('peer links with cards', () => {
  it('each side gets the other\'s card first, then batches', async () => {
    const peers = new Map<number, PeerAddress>();
    const cardsA = new Map<number, NodeCard>();
    const cardsB = new Map<number, NodeCard>();
    const batchesB: number[] = [];
    const b = await start(2, peers, cardsB, batchesB);
    const a = await start(1, peers, cardsA, []);
    await until(() => a.isUp(2) && b.isUp(1), 'the link', 5_000);
    a.send(2, encodePeerBatch([{ group: 0, message: { type: 'heartbeat', from: 1, to: 2, term: 1, commit: 0, context: 0 } }]));
    await until(() => batchesB.length === 1 && cardsA.has(2) && cardsB.has(1), 'cards and the batch', 5_000);
    expect(cardsA.get(2)).toEqual(card(2));
    expect(cardsB.get(1)).toEqual(card(1));
  });

  it('closes a link whose first message is not a card', async () => {
    const peers = new Map<number, PeerAddress>();
    const b = await start(2, peers, new Map(), []);
    peers.set(1, { host: '127.0.0.1', port: 1 }); // node 1 is the raw socket below
    const socket = connect({ host: '127.0.0.1', port: b.port });
    socket.on('error', () => {});
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const first = received.length < ACCEPT_HELLO_BYTES;
      received = Buffer.concat([received, chunk]);
      if (first && received.length >= ACCEPT_HELLO_BYTES) {
        const hello = decodeAcceptHello(received.subarray(0, ACCEPT_HELLO_BYTES));
        if (typeof hello === 'string') throw new Error(hello);
        socket.write(encodeDialHello(1, proofFor(null, hello.nonce, 1, 2)));
        socket.write(encodePeerBatch([{ group: 0, message: { type: 'heartbeat', from: 1, to: 2, term: 1, commit: 0, context: 0 } }]));
      }
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await closed;
    expect(b.stats.linksClosedForBadInput).toBe(1);
    expect(b.stats.batchesReceived).toBe(0);
  });
});
