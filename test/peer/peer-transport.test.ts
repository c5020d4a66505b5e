// Node-to-node links on real loopback sockets: Cap'n Proto peer batches
// both ways, many per write, the cluster secret, malformed input closing only
// that link, redial after a restart, and the bounded send queue.

import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PEER_LIMITS } from '../../core/limits.js';
import { MessageStream } from '../../core/peer/message-stream.js';
import type { Message } from '../../core/raft/raft-types.js';
import { PeerTransport, type PeerAddress } from '../../runtime-node/peer/peer-transport.js';
import { ACCEPT_HELLO_BYTES, encodeDialHello, proofFor, decodeAcceptHello } from '../../runtime-node/peer/peer-handshake.js';
import { decodePeerBatch, encodePeerBatch } from '../../schema/peer-codec.js';

const heartbeat = (from: number, to: number, commit: number): Message => ({ type: 'heartbeat', from, to, term: 3, commit, context: 0 });

interface Node { transport: PeerTransport; received: { from: number; commits: number[] }[]; log: string[] }

const running: PeerTransport[] = [];
afterEach(async () => { for (const t of running.splice(0)) await t.close(); });

/** Ports are picked once: node 1 listens first so node 2 can name it, and vice versa on restart. */
async function startNode(id: number, peers: Map<number, PeerAddress>, secret: string | null, port = 0, queueMax = 1 << 20): Promise<Node> {
  const node: Node = { transport: null as unknown as PeerTransport, received: [], log: [] };
  node.transport = new PeerTransport({
    nodeId: id, host: '127.0.0.1', port, peers, secret, frameBytesMax: DEFAULT_PEER_LIMITS.batchBytesMax, sendQueueBytesMax: queueMax,
    log: (line) => node.log.push(line),
    onBatch: (from, bytes) => {
      const decoded = decodePeerBatch(bytes, DEFAULT_PEER_LIMITS);
      if (!decoded.ok) throw new Error(decoded.error);
      node.received.push({ from, commits: decoded.frames.map((f) => (f.message.type === 'heartbeat' ? f.message.commit : -1)) });
    },
  });
  await node.transport.start();
  running.push(node.transport);
  peers.set(id, { host: '127.0.0.1', port: node.transport.port });
  return node;
}

async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('peer transport', () => {
  it('carries batches both ways over one connection, many per write, in order', async () => {
    const peers = new Map<number, PeerAddress>();
    const b = await startNode(2, peers, null);
    const a = await startNode(1, peers, null);
    await until(() => a.transport.isUp(2) && b.transport.isUp(1), 'the link');
    for (let i = 0; i < 500; i++) {
      expect(a.transport.send(2, encodePeerBatch([{ group: 7, message: heartbeat(1, 2, i) }]))).toBe(true);
      b.transport.send(1, encodePeerBatch([{ group: 7, message: heartbeat(2, 1, i) }, { group: 8, message: heartbeat(2, 1, i) }]));
    }
    await until(() => b.received.length === 500 && a.received.length === 500, 'every batch');
    expect(b.received.map((r) => r.commits[0])).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(a.received.every((r) => r.from === 2 && r.commits.length === 2)).toBe(true);
    expect(a.transport.stats.batchesSent).toBe(500);
  });

  it('refuses a node without the cluster secret, and serves one with it', async () => {
    const peers = new Map<number, PeerAddress>();
    const b = await startNode(2, peers, 'right secret');
    const wrong = await startNode(1, peers, 'wrong secret');
    await until(() => b.transport.stats.linksRefused > 0, 'the refusal');
    expect(b.log.join('\n')).toContain('wrong cluster secret');
    expect(b.transport.isUp(1)).toBe(false);
    await wrong.transport.close();
    const right = await startNode(1, peers, 'right secret');
    await until(() => right.transport.isUp(2), 'the link with the right secret');
    right.transport.send(2, encodePeerBatch([{ group: 1, message: heartbeat(1, 2, 42) }]));
    await until(() => b.received.length === 1, 'the batch');
  });

  it('closes only the link of a peer that sends a malformed frame', async () => {
    const peers = new Map<number, PeerAddress>();
    const b = await startNode(2, peers, null);
    peers.set(1, { host: '127.0.0.1', port: 1 }); // a known id at an unreachable address: only the raw client is node 1
    // A raw client that passes the handshake as node 1, then sends a frame claiming 1,000 segments.
    const socket = connect({ host: '127.0.0.1', port: b.transport.port });
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => {});
    let hello = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      hello = Buffer.concat([hello, chunk]);
      if (hello.length < ACCEPT_HELLO_BYTES) return;
      const accept = decodeAcceptHello(hello.subarray(0, ACCEPT_HELLO_BYTES));
      if (typeof accept === 'string') throw new Error(accept);
      socket.write(encodeDialHello(1, proofFor(null, accept.nonce, 1, 2)));
      const bogus = Buffer.alloc(16);
      bogus.writeUInt32LE(999, 0);
      socket.write(bogus);
    });
    await closed;
    expect(b.transport.stats.linksClosedForBadInput).toBe(1);
    expect(b.log.join('\n')).toMatch(/1000 segments/);
    // The node goes on: a real peer (added to the list now) links up fine when node 2 first sends to it.
    const c = await startNode(3, peers, null);
    b.transport.send(3, encodePeerBatch([{ group: 1, message: heartbeat(2, 3, 5) }]));
    await until(() => c.received.length === 1, 'a healthy link after the bad one');
  });

  it('redials after the other node restarts, and delivers what was sent after', async () => {
    const peers = new Map<number, PeerAddress>();
    const b = await startNode(2, peers, null);
    const a = await startNode(1, peers, null);
    await until(() => a.transport.isUp(2), 'the first link');
    const port = b.transport.port;
    await b.transport.close();
    await until(() => !a.transport.isUp(2), 'the link going down');
    const b2 = await startNode(2, peers, null, port);
    await until(() => a.transport.isUp(2), 'the redial');
    a.transport.send(2, encodePeerBatch([{ group: 1, message: heartbeat(1, 2, 9) }]));
    await until(() => b2.received.length === 1, 'the batch after the restart');
  });

  it('drops batches past the send queue bound while the peer is down, and says so', async () => {
    const peers = new Map<number, PeerAddress>([[2, { host: '127.0.0.1', port: 1 }]]);
    const a = await startNode(1, peers, null, 0, 10_000);
    const batch = encodePeerBatch([{ group: 1, message: heartbeat(1, 2, 1) }]);
    let accepted = 0;
    for (let i = 0; i < 1000; i++) if (a.transport.send(2, batch)) accepted++;
    expect(accepted).toBe(Math.floor(10_000 / batch.length));
    expect(a.transport.stats.batchesDropped).toBe(1000 - accepted);
  });
});

describe('message stream framing', () => {
  it('splits concatenated frames at any chunk boundary', () => {
    const frames = Array.from({ length: 20 }, (_, i) => encodePeerBatch([{ group: i, message: heartbeat(1, 2, i) }]));
    const all = Buffer.concat(frames);
    for (const chunkSize of [1, 3, 8, 64, all.length]) {
      const stream = new MessageStream(1 << 20);
      const out: Uint8Array[] = [];
      for (let at = 0; at < all.length; at += chunkSize) {
        const r = stream.push(all.subarray(at, at + chunkSize));
        if (!r.ok) throw new Error(r.error);
        out.push(...r.messages);
      }
      expect(out.map((m) => Buffer.from(m).toString('hex'))).toEqual(frames.map((f) => Buffer.from(f).toString('hex')));
      expect(stream.bufferedBytes).toBe(0);
    }
  });

  it('refuses a frame over the size limit before buffering it', () => {
    const stream = new MessageStream(1024);
    const header = Buffer.alloc(8);
    header.writeUInt32LE(0, 0);
    header.writeUInt32LE(1_000_000, 4); // 8 MB of words claimed
    const r = stream.push(header);
    expect(r).toEqual({ ok: false, error: 'a frame of 8000008 bytes (at most 1024)' });
  });
});
