// A simulated client host's connections: one stream per node it talks to,
// opened on demand, with a connect timeout, capped exponential backoff
// between attempts, and keepalive pings (as a WebSocket client's ping/pong)
// so a dead connection is noticed even when idle. Several processes may
// share a session, pipelining their requests on its connections (as callers
// sharing one WebSocket client do); replies are matched by request id.
//
// What a caller learns about a request is exactly what a real client learns:
// a reply, or that it gave up (timeout), or that the connection broke under
// it (reset). In the last two cases the request may or may not have been
// applied; the history records it as `info`. A client that gives up on one
// request drops the connection, and with it every request pipelined on it.
//
// In lossy mode the client talks datagrams instead (see network.ts): no
// connection, requests may be dropped, replies dropped or duplicated; stale
// and duplicate replies are recognised by request id and ignored.

import { assert } from '../core/assert.js';
import type { Reply, Request } from '../core/protocol/ops.js';
import type { Random } from '../core/random.js';
import { Kind } from './event-kinds.js';
import type { Network } from './network.js';
import type { ClientStream, NodeHost, ToClient, ToNode } from './node-host.js';
import type { Simulation } from './simulation.js';

export type Outcome =
  | { kind: 'reply'; reply: Reply }
  /** No reply within the timeout, or the client dropped the connection it was on. */
  | { kind: 'timeout' }
  /** The connection was reset while the request was out. */
  | { kind: 'reset' };

export interface SessionSettings {
  timeoutUs: number;
  connectTimeoutUs: number;
  backoffMinUs: number;
  backoffMaxUs: number;
  keepaliveUs: number;
  lossy: boolean;
}

export interface SessionStats {
  requests: number;
  timeouts: number;
  resets: number;
  connects: number;
  connectFailures: number;
  keepaliveFailures: number;
  staleReplies: number;
  /** Most requests one session had out at once. */
  pipelinedPeak: number;
}

export function emptySessionStats(): SessionStats {
  return { requests: 0, timeouts: 0, resets: 0, connects: 0, connectFailures: 0, keepaliveFailures: 0, staleReplies: 0, pipelinedPeak: 0 };
}

type LinkState = 'idle' | 'backoff' | 'connecting' | 'open';

interface Link {
  node: NodeHost;
  state: LinkState;
  stream: ClientStream | null;
  backoffUs: number;
  retryAtUs: number;
  pingSentAtUs: number | null;
}

interface Pending {
  id: number;
  node: number;
  request: Request;
  onSent: (stream: number) => void;
  onOutcome: (outcome: Outcome) => void;
  /** The stream it went out on (stream mode); null before it is sent and in lossy mode. */
  sentOn: ClientStream | null;
  sent: boolean;
  /** When the client gives up on it (set when sent). */
  deadlineUs: number;
}

export class ClientSession {
  readonly stats: SessionStats = emptySessionStats();
  private readonly links: Link[];
  /** Requests not yet answered, in the order they were made. */
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** When the request timer fires next (Infinity: not armed). Earlier timer events are superseded. */
  private timerAtUs = Infinity;
  private readonly timerAction = (): void => this.timerFired();

  constructor(
    private readonly sim: Simulation,
    private readonly network: Network,
    private readonly nodes: readonly NodeHost[],
    readonly host: number,
    readonly thread: number,
    private readonly rng: Random,
    private readonly settings: SessionSettings,
  ) {
    this.links = nodes.map((node) => ({
      node, state: 'idle', stream: null, backoffUs: settings.backoffMinUs, retryAtUs: 0, pingSentAtUs: null,
    }));
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Sends `request` to node `node` as soon as there is a connection.
   * `onSent` runs when it leaves (that is the operation's invoke), with the
   * id of the stream it left on (-1: a datagram); `onOutcome` runs exactly
   * once, after `onSent`.
   */
  execute(node: number, request: Request, onSent: (stream: number) => void, onOutcome: (outcome: Outcome) => void): void {
    const pending: Pending = { id: this.nextId++, node, request, onSent, onOutcome, sentOn: null, sent: false, deadlineUs: 0 };
    this.pending.set(pending.id, pending);
    if (this.pending.size > this.stats.pipelinedPeak) this.stats.pipelinedPeak = this.pending.size;
    if (this.settings.lossy) {
      this.sendDatagram(pending);
      return;
    }
    const link = this.links[node]!;
    switch (link.state) {
      case 'open': this.sendOnStream(link, pending); return;
      case 'idle': this.connectWhenAllowed(link); return;
      case 'backoff': case 'connecting': return; // sent when the connection opens
    }
  }

  // ---- datagram (lossy) mode ------------------------------------------------

  private sendDatagram(pending: Pending): void {
    const node = this.nodes[pending.node]!;
    const { id, request } = pending;
    this.network.sendDatagram(this.host, node.host, node.threads.io,
      runThunk, () => node.receiveDatagram(this.host, this.thread, request, (reply) => this.replyArrived(id, null, reply)), false);
    this.markSent(pending, null);
  }

  // ---- stream mode ----------------------------------------------------------

  private waitingFor(link: Link): boolean {
    for (const p of this.pending.values()) if (!p.sent && p.node === link.node.index) return true;
    return false;
  }

  private connectWhenAllowed(link: Link): void {
    const at = Math.max(this.sim.nowUs, link.retryAtUs);
    link.state = 'backoff';
    this.sim.at(at, this.thread, Kind.CLIENT_CONNECT, this.host, () => {
      if (link.state !== 'backoff') return;
      if (!this.waitingFor(link)) {
        link.state = 'idle'; // nobody needs it any more: connect lazily next time
        return;
      }
      this.connect(link);
    });
  }

  private connect(link: Link): void {
    this.stats.connects++;
    const stream: ClientStream = this.network.openStream<ToNode, ToClient>(this.host, this.thread, link.node.host, link.node.threads.io);
    link.node.attach(stream);
    stream.onClientReceive = (message) => this.receive(link, stream, message);
    stream.onClientReset = () => this.streamBroken(link, stream, 'reset');
    link.stream = stream;
    link.state = 'connecting';
    link.pingSentAtUs = null;
    stream.sendToNode({ t: 'connect' });
    this.sim.after(this.settings.connectTimeoutUs, this.thread, Kind.CLIENT_CONNECT_TIMEOUT, stream.id, () => {
      if (link.stream !== stream || link.state !== 'connecting') return;
      this.stats.connectFailures++;
      stream.reset('client');
      this.streamBroken(link, stream, 'timeout');
    });
  }

  private receive(link: Link, stream: ClientStream, message: ToClient): void {
    if (link.stream !== stream) return;
    switch (message.t) {
      case 'accept': {
        if (link.state !== 'connecting') return;
        link.state = 'open';
        link.backoffUs = this.settings.backoffMinUs;
        this.scheduleKeepalive(link, stream);
        for (const p of [...this.pending.values()]) {
          if (!p.sent && p.node === link.node.index && link.stream === stream) this.sendOnStream(link, p);
        }
        return;
      }
      case 'pong':
        link.pingSentAtUs = null;
        return;
      case 'reply':
        this.replyArrived(message.id, stream, message.reply);
        return;
    }
  }

  private sendOnStream(link: Link, pending: Pending): void {
    const stream = link.stream!;
    stream.sendToNode({ t: 'request', id: pending.id, request: pending.request });
    this.markSent(pending, stream);
  }

  private markSent(pending: Pending, stream: ClientStream | null): void {
    pending.sent = true;
    pending.sentOn = stream;
    pending.deadlineUs = this.sim.nowUs + this.settings.timeoutUs;
    this.stats.requests++;
    pending.onSent(stream === null ? -1 : stream.id);
    this.armTimer(pending.deadlineUs);
  }

  private armTimer(atUs: number): void {
    if (atUs >= this.timerAtUs) return;
    this.timerAtUs = atUs;
    this.sim.at(atUs, this.thread, Kind.CLIENT_TIMEOUT, this.host, this.timerAction);
  }

  /**
   * The request timer: one pending event at most, re-armed lazily for the
   * earliest deadline (most requests are answered long before theirs).
   */
  private timerFired(): void {
    const now = this.sim.nowUs;
    if (now !== this.timerAtUs) return; // superseded by an earlier one
    this.timerAtUs = Infinity;
    let earliest = Infinity;
    for (const p of [...this.pending.values()]) {
      if (!p.sent || !this.pending.has(p.id)) continue;
      if (p.deadlineUs > now) {
        earliest = Math.min(earliest, p.deadlineUs);
        continue;
      }
      this.stats.timeouts++;
      // A client that gives up on a request gives up on its connection too (it may be half-dead).
      const link = this.links[p.node]!;
      if (p.sentOn !== null && link.stream === p.sentOn) {
        p.sentOn.reset('client');
        this.streamBroken(link, p.sentOn, 'timeout');
      }
      if (this.pending.has(p.id)) this.finish(p, { kind: 'timeout' });
    }
    if (earliest < Infinity) this.armTimer(earliest);
  }

  private replyArrived(id: number, stream: ClientStream | null, reply: Reply): void {
    const pending = this.pending.get(id);
    if (pending === undefined || pending.sentOn !== stream) {
      this.stats.staleReplies++;
      return;
    }
    this.finish(pending, { kind: 'reply', reply });
  }

  private finish(pending: Pending, outcome: Outcome): void {
    assert(this.pending.get(pending.id) === pending, 'finishing a request that is not pending');
    this.pending.delete(pending.id);
    pending.onOutcome(outcome);
  }

  /** The stream broke (RST arrived, connect timed out, keepalive failed, the client gave up on it). */
  private streamBroken(link: Link, stream: ClientStream, why: 'reset' | 'timeout' | 'keepalive'): void {
    if (link.stream !== stream) return;
    this.linkDown(link);
    let waiting = false;
    for (const p of [...this.pending.values()]) {
      if (p.node !== link.node.index || !this.pending.has(p.id)) continue;
      if (!p.sent) {
        waiting = true;
      } else if (p.sentOn === stream) {
        if (why === 'reset') this.stats.resets++;
        this.finish(p, why === 'reset' ? { kind: 'reset' } : { kind: 'timeout' });
      }
    }
    if (waiting && link.state === 'idle') this.connectWhenAllowed(link);
  }

  private linkDown(link: Link): void {
    link.stream = null;
    link.state = 'idle';
    link.pingSentAtUs = null;
    // Capped exponential backoff with jitter, so reconnecting clients do not march in step.
    link.retryAtUs = this.sim.nowUs + this.rng.int(Math.floor(link.backoffUs / 2), link.backoffUs);
    link.backoffUs = Math.min(this.settings.backoffMaxUs, link.backoffUs * 2);
  }

  private scheduleKeepalive(link: Link, stream: ClientStream): void {
    this.sim.after(this.settings.keepaliveUs, this.thread, Kind.CLIENT_KEEPALIVE, stream.id, () => {
      if (link.stream !== stream || link.state !== 'open') return;
      if (link.pingSentAtUs !== null) {
        if (this.sim.nowUs - link.pingSentAtUs >= this.settings.timeoutUs) {
          this.stats.keepaliveFailures++;
          stream.reset('client');
          this.streamBroken(link, stream, 'keepalive');
          return;
        }
      } else {
        link.pingSentAtUs = this.sim.nowUs;
        stream.sendToNode({ t: 'ping', id: stream.id });
      }
      this.scheduleKeepalive(link, stream);
    });
  }
}

/** A lossy-mode request's arrival: rare, so a closure per datagram is fine. */
function runThunk(thunk: () => void): void {
  thunk();
}
