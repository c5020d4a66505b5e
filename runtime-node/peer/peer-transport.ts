// Node-to-node links over TCP: one connection per node pair (the node with
// the lower id dials, the other accepts), a handshake naming both ends,
// proving the cluster secret and comparing the collection thresholds
// (peer-handshake.ts), then Cap'n Proto peer
// batches back to back in both directions (core/peer/message-stream.ts).
//
// Sending never blocks and never grows without bound: batches for a peer
// wait in a queue of at most `sendQueueBytesMax` bytes while the link is down
// or slow; past that they are dropped (Raft resends what matters). Writes
// made in one event-loop turn leave in one socket write. A peer that sends
// anything malformed loses that link (it is redialed), never the node.
// Lost links are redialed with jittered exponential backoff.
//
// With a `card` (a cluster node's: runtime-node/cluster/node-card.ts), each
// side sends it as the first message on every new link, before any batch,
// and the first message received on a link goes to onCard, not onBatch: so
// each node learns the other's client endpoints and group terms whenever a
// link (re)starts, e.g. after the other node restarted.

import { createServer, connect, type Server, type Socket } from 'node:net';
import { MessageStream } from '../../core/peer/message-stream.js';
import {
  ACCEPT_HELLO_BYTES, decodeAcceptHello, decodeDialHello, DIAL_HELLO_BYTES, encodeAcceptHello, encodeDialHello, proofFor, proofMatches,
  thresholdsRefusal,
} from './peer-handshake.js';
import { DEFAULT_COLLECTION_THRESHOLDS, type CollectionThresholds } from '../../core/types/collection-thresholds.js';

export interface PeerAddress { readonly host: string; readonly port: number }

export interface PeerTransportOptions {
  readonly nodeId: number;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /**
   * Every other node of the cluster (this node's own id may be listed; it is
   * ignored). Read when a link is first needed, so a node added later (add-node)
   * is reached once it is in the map.
   */
  readonly peers: ReadonlyMap<number, PeerAddress>;
  /** The shared cluster secret, or null for none. */
  readonly secret: string | null;
  /** This node's collection thresholds (default: the defaults): a peer with others is refused, and both ends log why. */
  readonly thresholds?: CollectionThresholds;
  /** Largest batch accepted from a peer (PeerLimits.batchBytesMax). */
  readonly frameBytesMax: number;
  /** Bytes waiting for one peer before further batches to it are dropped. */
  readonly sendQueueBytesMax: number;
  readonly onBatch: (from: number, bytes: Uint8Array) => void;
  readonly log: (line: string) => void;
  readonly onLinkUp?: (peer: number) => void;
  /** This node's card, framed as one stream message (sent first on every link); none without it. */
  readonly card?: () => Uint8Array;
  /** The first message of a link when cards are on; return false to refuse it (the link is closed). */
  readonly onCard?: (from: number, bytes: Uint8Array) => boolean;
  readonly onLinkDown?: (peer: number) => void;
}

/** Redial backoff: doubling from the minimum to the maximum, each wait jittered ±50%. */
export const PEER_REDIAL_MS_MIN = 50;
export const PEER_REDIAL_MS_MAX = 2_000;
/** A connection that has not finished its handshake by then is closed. */
export const PEER_HANDSHAKE_MS_MAX = 5_000;

export interface PeerStats {
  batchesSent: number;
  batchesReceived: number;
  batchesDropped: number;
  linksRefused: number;
  linksClosedForBadInput: number;
}

class Link {
  socket: Socket | null = null;
  up = false;
  queue: Uint8Array[] = [];
  queuedBytes = 0;
  flushScheduled = false;
  redialMs = PEER_REDIAL_MS_MIN;
  redialTimer: NodeJS.Timeout | null = null;
  constructor(readonly peer: number) {}
}

export class PeerTransport {
  readonly stats: PeerStats = { batchesSent: 0, batchesReceived: 0, batchesDropped: 0, linksRefused: 0, linksClosedForBadInput: 0 };
  private readonly links = new Map<number, Link>();
  /** Every connection this node accepted and has not seen close (handshakes in progress included), for close(). */
  private readonly acceptedSockets = new Set<Socket>();
  private server: Server | null = null;
  private closed = false;
  port = 0;

  constructor(private readonly options: PeerTransportOptions) {}

  private get thresholds(): CollectionThresholds {
    return this.options.thresholds ?? DEFAULT_COLLECTION_THRESHOLDS;
  }

  /** The link with `peer`, made on first use if the peer list names it. */
  private linkFor(peer: number): Link | undefined {
    let link = this.links.get(peer);
    if (link === undefined && peer !== this.options.nodeId && this.options.peers.has(peer)) {
      link = new Link(peer);
      this.links.set(peer, link);
    }
    return link;
  }

  async start(): Promise<void> {
    const server = createServer({ noDelay: true }, (socket) => this.accepted(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.options.host, port: this.options.port, exclusive: true }, () => { server.off('error', reject); resolve(); });
    });
    const address = server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : this.options.port;
    for (const id of this.options.peers.keys()) {
      const link = this.linkFor(id);
      if (link && this.options.nodeId < id) this.dial(link);
    }
  }

  /** Open the link to `peer` now if this end dials it (a node added since start: its card brings its endpoints). */
  connect(peer: number): void {
    const link = this.linkFor(peer);
    if (link && !link.up && link.socket === null && link.redialTimer === null && this.options.nodeId < peer && !this.closed) this.dial(link);
  }

  /** Queue a batch for `to`; false when it was dropped (unknown peer, queue full, or closed). */
  send(to: number, bytes: Uint8Array): boolean {
    const link = this.linkFor(to);
    if (!link || this.closed || link.queuedBytes + bytes.length > this.options.sendQueueBytesMax) {
      this.stats.batchesDropped++;
      return false;
    }
    link.queue.push(bytes);
    link.queuedBytes += bytes.length;
    this.scheduleFlush(link);
    return true;
  }

  isUp(peer: number): boolean {
    return this.links.get(peer)?.up === true;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const link of this.links.values()) {
      if (link.redialTimer) clearTimeout(link.redialTimer);
      link.socket?.destroy();
    }
    // The server's close waits for every accepted connection, a handshake in progress included.
    for (const socket of this.acceptedSockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  // ---- connections ------------------------------------------------------------

  private dial(link: Link): void {
    if (this.closed) return;
    const address = this.options.peers.get(link.peer)!;
    const socket = connect({ host: address.host, port: address.port, noDelay: true });
    link.socket = socket;
    readHello(socket, ACCEPT_HELLO_BYTES, (hello, rest) => {
      const accept = decodeAcceptHello(hello);
      if (typeof accept === 'string' || accept.acceptorId !== link.peer) {
        this.options.log(`warning: peer link to node ${link.peer} at ${address.host}:${address.port} refused: ${
          typeof accept === 'string' ? accept : `the node there is ${accept.acceptorId}`}`);
        this.stats.linksRefused++;
        socket.destroy();
        return;
      }
      const reply = encodeDialHello(this.options.nodeId, proofFor(this.options.secret, accept.nonce, this.options.nodeId, link.peer), this.thresholds);
      const refusal = thresholdsRefusal(this.thresholds, accept.thresholds, `node ${link.peer}`);
      if (refusal !== null) {
        // Our hello still goes, so the other end logs the same refusal; then the link closes (and is redialed, refused again).
        this.options.log(`warning: peer link to node ${link.peer} at ${address.host}:${address.port} refused: ${refusal}`);
        this.stats.linksRefused++;
        socket.end(reply);
        return;
      }
      socket.write(reply);
      this.linkUp(link, socket, rest);
    });
    socket.on('error', () => {});
    socket.on('close', () => this.linkDown(link, socket));
  }

  private accepted(socket: Socket): void {
    socket.on('error', () => {});
    if (this.closed) { socket.destroy(); return; }
    this.acceptedSockets.add(socket);
    socket.on('close', () => this.acceptedSockets.delete(socket));
    const { bytes, nonce } = encodeAcceptHello(this.options.nodeId, this.thresholds);
    socket.write(bytes);
    readHello(socket, DIAL_HELLO_BYTES, (hello, rest) => {
      const dial = decodeDialHello(hello);
      const link = typeof dial === 'string' ? undefined : this.linkFor(dial.dialerId);
      const problem = typeof dial === 'string' ? dial
        : link === undefined ? `node ${dial.dialerId} is not in this node's peer list`
          : !proofMatches(proofFor(this.options.secret, nonce, dial.dialerId, this.options.nodeId), dial.proof) ? 'wrong cluster secret'
            : thresholdsRefusal(this.thresholds, dial.thresholds, `node ${dial.dialerId}`);
      if (problem !== null || link === undefined) {
        this.options.log(`warning: refused a peer connection from ${socket.remoteAddress}:${socket.remotePort}: ${problem}`);
        this.stats.linksRefused++;
        socket.destroy();
        return;
      }
      // The dialer's newest connection wins: an old one (a restart the other side noticed first) goes.
      if (link.socket && link.socket !== socket) link.socket.destroy();
      link.socket = socket;
      socket.on('close', () => this.linkDown(link, socket));
      this.linkUp(link, socket, rest);
    });
  }

  private linkUp(link: Link, socket: Socket, rest: Uint8Array): void {
    link.up = true;
    link.redialMs = PEER_REDIAL_MS_MIN;
    this.options.onLinkUp?.(link.peer);
    const stream = new MessageStream(this.options.frameBytesMax);
    const card = this.options.card;
    let cardDue = card !== undefined;
    // Before anything queued (flushes wait for setImmediate), so the card is the link's first message.
    if (card) socket.write(card());
    const receive = (chunk: Uint8Array): void => {
      const result = stream.push(chunk);
      if (!result.ok) {
        this.stats.linksClosedForBadInput++;
        this.options.log(`warning: closed the peer link with node ${link.peer}: it sent ${result.error}`);
        socket.destroy();
        return;
      }
      for (const message of result.messages) {
        if (cardDue) {
          cardDue = false;
          if (this.options.onCard?.(link.peer, message) === false) {
            this.stats.linksClosedForBadInput++;
            this.options.log(`warning: closed the peer link with node ${link.peer}: its node card is malformed`);
            socket.destroy();
            return;
          }
          continue;
        }
        this.stats.batchesReceived++;
        this.options.onBatch(link.peer, message);
      }
    };
    socket.on('data', receive);
    if (rest.length > 0) receive(rest);
    this.scheduleFlush(link);
  }

  private linkDown(link: Link, socket: Socket): void {
    if (link.socket !== socket) return; // an older connection of this link
    link.socket = null;
    if (link.up) this.options.onLinkDown?.(link.peer);
    link.up = false;
    if (this.closed || this.options.nodeId > link.peer) return; // the other side dials
    const waitMs = link.redialMs * (0.5 + Math.random());
    link.redialMs = Math.min(PEER_REDIAL_MS_MAX, link.redialMs * 2);
    link.redialTimer = setTimeout(() => { link.redialTimer = null; this.dial(link); }, waitMs);
  }

  private scheduleFlush(link: Link): void {
    if (!link.up && link.socket === null && link.redialTimer === null && this.options.nodeId < link.peer && !this.closed) {
      this.dial(link); // a peer added since start: dial it on first use
      return;
    }
    if (link.flushScheduled || !link.up) return;
    link.flushScheduled = true;
    // Everything queued in this turn of the event loop leaves in one write.
    setImmediate(() => {
      link.flushScheduled = false;
      const socket = link.socket;
      if (!link.up || socket === null || link.queue.length === 0) return;
      const batch = link.queue;
      link.queue = [];
      link.queuedBytes = 0;
      this.stats.batchesSent += batch.length;
      socket.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch));
    });
  }
}

/**
 * Waits for the first `length` bytes on `socket` (closing it when they do not
 * come within PEER_HANDSHAKE_MS_MAX), then hands them over with whatever
 * arrived after them.
 */
function readHello(socket: Socket, length: number, done: (hello: Uint8Array, rest: Uint8Array) => void): void {
  const guard = setTimeout(() => socket.destroy(), PEER_HANDSHAKE_MS_MAX);
  socket.on('close', () => clearTimeout(guard));
  let received: Uint8Array = new Uint8Array(0);
  const onData = (chunk: Buffer): void => {
    received = concat(received, chunk);
    if (received.length < length) return;
    socket.off('data', onData);
    clearTimeout(guard);
    done(received.subarray(0, length), received.subarray(length));
  };
  socket.on('data', onData);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
