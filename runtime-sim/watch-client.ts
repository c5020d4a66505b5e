// The simulated watcher: one client that watches a key prefix for the whole
// run, on one node at a time, over a stream of its own (as the typed client's
// db.watch opens a WebSocket of its own), and hands everything it gets to
// the watch checker (watch-checker.ts). The faults break its stream: a node
// crash resets it (or silences it: the keepalive notices), a partition
// stalls it, a reset fault cuts it. It then reconnects after a backoff, to
// the next of its nodes (each holds every group: a token's positions are
// good on any replica, which this checks) and resumes after the last token
// it got; a resume the node cannot serve ends COMPACTED (it began recording
// after the token, or restarted), and it watches again from now (the
// checker restarts there).

import { Kind } from './event-kinds.js';
import type { Network } from './network.js';
import type { ClientStream, NodeHost, ToClient, ToNode } from './node-host.js';
import type { SessionSettings } from './client-session.js';
import type { Simulation } from './simulation.js';
import type { WatchChecker } from './watch-checker.js';

export class WatchClient {
  private stream: ClientStream | null = null;
  private state: 'idle' | 'connecting' | 'open' = 'idle';
  /** The last resume token received (null: watch from now). */
  private token: string | null = null;
  /** The token the open watch was asked to resume after, for the checker. */
  private requestedAfter: string | null = null;
  private watchId = 0;
  private live = false;
  private pingOutstanding = false;
  private backoffUs: number;
  /** Streams this watcher opened (reconnects: the first is not one). */
  connects = 0;
  /** Which of `nodes` it watches on now. */
  private nodeAt = 0;

  constructor(
    private readonly sim: Simulation,
    private readonly network: Network,
    /** The nodes it watches on, in turn (the first is where it starts). */
    private readonly nodes: readonly NodeHost[],
    private readonly host: number,
    private readonly thread: number,
    private readonly prefix: Uint8Array,
    private readonly settings: SessionSettings,
    private readonly checker: WatchChecker,
  ) {
    this.backoffUs = settings.backoffMinUs;
  }

  start(): void {
    this.connect();
  }

  /** The node it watches on now. */
  get node(): NodeHost {
    return this.nodes[this.nodeAt]!;
  }

  /** Whether a watch is live on an open stream (the end check asks). */
  get isLive(): boolean {
    return this.live && this.state === 'open';
  }

  private connect(): void {
    this.connects++;
    const stream = this.network.openStream<ToNode, ToClient>(this.host, this.thread, this.node.host, this.node.threads.io);
    this.node.attach(stream);
    this.stream = stream;
    this.state = 'connecting';
    this.live = false;
    stream.onClientReceive = (message) => this.receive(stream, message);
    stream.onClientReset = () => this.broken(stream);
    stream.sendToNode({ t: 'connect' });
    this.sim.after(this.settings.connectTimeoutUs, this.thread, Kind.WATCH_CLIENT, stream.id, () => {
      if (this.stream !== stream || this.state !== 'connecting') return;
      stream.reset('client');
      this.broken(stream);
    });
  }

  private receive(stream: ClientStream, message: ToClient): void {
    if (this.stream !== stream) return;
    switch (message.t) {
      case 'accept':
        if (this.state !== 'connecting') return;
        this.state = 'open';
        this.backoffUs = this.settings.backoffMinUs;
        this.watch(stream);
        this.scheduleKeepalive(stream);
        return;
      case 'pong':
        this.pingOutstanding = false;
        return;
      case 'watch-ok':
        if (message.id !== this.watchId) return;
        this.live = true;
        this.token = message.resume;
        this.checker.onLive(message.resume, this.requestedAfter, message.process);
        return;
      case 'change':
        if (message.id !== this.watchId) return;
        this.token = message.resume;
        this.checker.onChange(message.change, message.resume, message.process);
        return;
      case 'watch-end':
        if (message.id !== this.watchId) return;
        this.live = false;
        this.checker.onEnd(message.code, message.message);
        // Re-read would go here; the checker restarts its window at the next watch, from now.
        this.token = null;
        this.watch(stream);
        return;
      case 'reply':
        return; // the watcher sends no requests
    }
  }

  private watch(stream: ClientStream): void {
    this.watchId++;
    this.requestedAfter = this.token;
    stream.sendToNode({ t: 'watch', id: this.watchId, prefix: this.prefix, after: this.token });
  }

  /** A ping each keepalive period; one unanswered by the next means the node or the path is gone. */
  private scheduleKeepalive(stream: ClientStream): void {
    this.pingOutstanding = false;
    const tick = (): void => {
      if (this.stream !== stream || this.state !== 'open') return;
      if (this.pingOutstanding) {
        stream.reset('client');
        this.broken(stream);
        return;
      }
      this.pingOutstanding = true;
      stream.sendToNode({ t: 'ping', id: 0 });
      this.sim.after(this.settings.keepaliveUs, this.thread, Kind.WATCH_CLIENT, stream.id, tick);
    };
    this.sim.after(this.settings.keepaliveUs, this.thread, Kind.WATCH_CLIENT, stream.id, tick);
  }

  /** The stream broke: reconnect after a backoff and resume after the last token. */
  private broken(stream: ClientStream): void {
    if (this.stream !== stream) return;
    this.stream = null;
    this.state = 'idle';
    this.live = false;
    this.nodeAt = (this.nodeAt + 1) % this.nodes.length;
    const waitUs = this.backoffUs;
    this.backoffUs = Math.min(2 * this.backoffUs, this.settings.backoffMaxUs);
    this.sim.after(waitUs, this.thread, Kind.WATCH_CLIENT, 0, () => this.connect());
  }
}
