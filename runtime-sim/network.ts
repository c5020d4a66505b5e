// The simulated network between hosts (nodes and clients). Two kinds of
// links, because real deployments have two:
//
// - Streams (client connections: WebSocket over TCP). Within a connection,
//   messages arrive in the order sent, each after a random delay, or the
//   connection breaks: a reset loses everything in flight both ways, and each
//   side learns of it (an RST) after a delay, if the way is open. A partition
//   stalls a stream (TCP keeps retransmitting) until it heals; the client's
//   own timeout is what gives up. Streams never drop, duplicate or reorder
//   single messages: TCP does not.
//
// - Datagrams (the future node-to-node replication transport, and clients
//   in "lossy" mode). Each message is delayed independently (so they
//   reorder), and while faults are active may be dropped, delayed extra
//   (more reordering) or, if the sender marks it duplicable, delivered twice.
//   A partition drops them.

import { assert } from '../core/assert.js';
import type { Random } from '../core/random.js';
import { sampleDelayUs, type DelaySpec } from './delay.js';
import { Kind } from './event-kinds.js';
import type { PartitionTable } from './partitions.js';
import type { Simulation } from './simulation.js';

/** Occasional long delays (a congested switch, a retransmission timeout), while faults are active. */
export interface SpikeSpec {
  probability: number;
  maxUs: number;
}

export interface DatagramFaults {
  dropP: number;
  /** Applies only to datagrams the sender marks duplicable. */
  dupP: number;
  reorderP: number;
  /** Extra delay, up to this, for a datagram picked for reordering. */
  reorderMaxUs: number;
}

export const NO_DATAGRAM_FAULTS: Readonly<DatagramFaults> = Object.freeze({ dropP: 0, dupP: 0, reorderP: 0, reorderMaxUs: 0 });

export interface NetworkStats {
  streamsOpened: number;
  streamMessages: number;
  /** Times a stream stopped at a partition and waited for the heal. */
  streamStalls: number;
  streamResets: number;
  datagramsSent: number;
  datagramsDelivered: number;
  datagramsDropped: number;
  datagramsDuplicated: number;
  datagramsReordered: number;
  datagramsBlocked: number;
}

export class Network {
  /** Spikes and datagram faults apply only while this is true (cleared at quiesce). */
  faultsActive = true;
  datagramFaults: DatagramFaults = NO_DATAGRAM_FAULTS;
  readonly stats: NetworkStats = {
    streamsOpened: 0, streamMessages: 0, streamStalls: 0, streamResets: 0,
    datagramsSent: 0, datagramsDelivered: 0, datagramsDropped: 0, datagramsDuplicated: 0,
    datagramsReordered: 0, datagramsBlocked: 0,
  };
  private readonly stalled = new Set<StreamDirection<unknown>>();
  private nextStreamId = 1;
  private nextDatagramId = 1;

  constructor(
    readonly sim: Simulation,
    private readonly rng: Random,
    readonly partitions: PartitionTable,
    readonly delay: DelaySpec,
    readonly spikes: SpikeSpec | null = null,
  ) {}

  /** One message's travel time on any link. */
  linkDelayUs(): number {
    const d = sampleDelayUs(this.rng, this.delay);
    if (this.faultsActive && this.spikes !== null && this.rng.chance(this.spikes.probability)) {
      return d + this.rng.int(0, this.spikes.maxUs);
    }
    return d;
  }

  blocked(from: number, to: number): boolean {
    return this.partitions.blocked(from, to);
  }

  /** A new stream from a client host to a node host; each side's messages run on its thread. */
  openStream<ToNode, ToClient>(clientHost: number, clientThread: number, nodeHost: number, nodeThread: number): StreamConnection<ToNode, ToClient> {
    this.stats.streamsOpened++;
    return new StreamConnection<ToNode, ToClient>(this, this.nextStreamId++, clientHost, clientThread, nodeHost, nodeThread);
  }

  /** Partitions changed: stalled streams try again (each stalls anew if still cut off). */
  healed(): void {
    const stalled = [...this.stalled];
    this.stalled.clear();
    for (const direction of stalled) direction.resume();
  }

  /** @internal */
  noteStalled(direction: StreamDirection<unknown>): void {
    this.stats.streamStalls++;
    this.stalled.add(direction);
  }

  /**
   * Sends a datagram from host `from` to host `to`; `deliver(message)` runs
   * on `thread` when (if) it arrives, once per copy. The receiver's action
   * and the message come apart so that a sender needs no closure per
   * datagram (a node's peer traffic is the most frequent event).
   */
  sendDatagram<M>(from: number, to: number, thread: number, deliver: (message: M) => void, message: M, duplicable: boolean): void {
    const id = this.nextDatagramId++;
    this.stats.datagramsSent++;
    const faults = this.faultsActive ? this.datagramFaults : NO_DATAGRAM_FAULTS;
    if (faults.dropP > 0 && this.rng.chance(faults.dropP)) {
      this.stats.datagramsDropped++;
      return;
    }
    const copies = duplicable && faults.dupP > 0 && this.rng.chance(faults.dupP) ? 2 : 1;
    if (copies === 2) this.stats.datagramsDuplicated++;
    // One record for both copies; the event's argument, so the arrival needs no closure.
    const datagram = new Datagram(this, from, to, deliver, message);
    for (let c = 0; c < copies; c++) {
      let delayUs = this.linkDelayUs();
      if (faults.reorderP > 0 && this.rng.chance(faults.reorderP)) {
        this.stats.datagramsReordered++;
        delayUs += this.rng.int(0, faults.reorderMaxUs);
      }
      this.sim.afterWith(delayUs, thread, Kind.DATAGRAM, id, arriveDatagram, datagram);
    }
  }

  /** @internal A datagram's copy reached its host: delivered unless a partition now cuts the way. */
  arrive<M>(datagram: Datagram<M>): void {
    if (this.partitions.blocked(datagram.from, datagram.to)) {
      this.stats.datagramsBlocked++;
      return;
    }
    this.stats.datagramsDelivered++;
    datagram.deliver(datagram.message);
  }
}

/** A datagram in flight (both copies of a duplicated one share it). */
class Datagram<M> {
  constructor(
    readonly network: Network,
    readonly from: number,
    readonly to: number,
    readonly deliver: (message: M) => void,
    readonly message: M,
  ) {}
}

function arriveDatagram<M>(datagram: Datagram<M>): void {
  datagram.network.arrive(datagram);
}

export type ResetCause = 'client' | 'node' | 'network';

/** A client connection (WebSocket over TCP): ordered, or broken. */
export class StreamConnection<ToNode, ToClient> {
  open = true;
  onNodeReceive: (message: ToNode) => void = () => {};
  onClientReceive: (message: ToClient) => void = () => {};
  /** The connection was reset by the other side or the network (an RST arrived). */
  onNodeReset: () => void = () => {};
  onClientReset: () => void = () => {};
  private readonly toNode: StreamDirection<ToNode>;
  private readonly toClient: StreamDirection<ToClient>;

  constructor(
    private readonly network: Network,
    readonly id: number,
    readonly clientHost: number,
    readonly clientThread: number,
    readonly nodeHost: number,
    readonly nodeThread: number,
  ) {
    this.toNode = new StreamDirection(network, this, clientHost, nodeHost, nodeThread, Kind.STREAM_TO_NODE, (m) => this.onNodeReceive(m));
    this.toClient = new StreamDirection(network, this, nodeHost, clientHost, clientThread, Kind.STREAM_TO_CLIENT, (m) => this.onClientReceive(m));
  }

  sendToNode(message: ToNode): void {
    this.toNode.send(message);
  }

  sendToClient(message: ToClient): void {
    this.toClient.send(message);
  }

  /**
   * Breaks the connection: everything in flight is lost. The sides that did
   * not cause it are told after a link delay, unless a partition eats the
   * RST (then they find out by timing out).
   */
  reset(cause: ResetCause): void {
    if (!this.open) return;
    this.open = false;
    this.network.stats.streamResets++;
    this.toNode.clear();
    this.toClient.clear();
    const sim = this.network.sim;
    if (cause !== 'client') {
      sim.after(this.network.linkDelayUs(), this.clientThread, Kind.STREAM_RESET_NOTICE, this.id, () => {
        if (!this.network.blocked(this.nodeHost, this.clientHost)) this.onClientReset();
      });
    }
    if (cause !== 'node') {
      sim.after(this.network.linkDelayUs(), this.nodeThread, Kind.STREAM_RESET_NOTICE, this.id, () => {
        if (!this.network.blocked(this.clientHost, this.nodeHost)) this.onNodeReset();
      });
    }
  }
}

/**
 * One direction of a stream: a FIFO of messages with due times. A single
 * pump event delivers the head when it is due, so messages cannot overtake
 * each other even when the receiving thread is busy or frozen.
 */
class StreamDirection<M> {
  private queue: M[] = [];
  private dueUs: number[] = [];
  private head = 0;
  private lastDueUs = 0;
  private pumpScheduled = false;
  private stalled = false;
  private readonly pumpAction = (): void => this.pump();

  constructor(
    private readonly network: Network,
    private readonly connection: { readonly open: boolean; readonly id: number },
    private readonly from: number,
    private readonly to: number,
    private readonly thread: number,
    private readonly kind: number,
    private readonly deliver: (message: M) => void,
  ) {}

  send(message: M): void {
    if (!this.connection.open) return;
    this.network.stats.streamMessages++;
    const sim = this.network.sim;
    // FIFO: a message is never due before the one sent ahead of it.
    const due = Math.max(sim.nowUs + this.network.linkDelayUs(), this.lastDueUs);
    this.lastDueUs = due;
    this.queue.push(message);
    this.dueUs.push(due);
    if (!this.pumpScheduled && !this.stalled) this.schedulePump(due);
  }

  private schedulePump(atUs: number): void {
    this.pumpScheduled = true;
    this.network.sim.at(Math.max(atUs, this.network.sim.nowUs), this.thread, this.kind, this.connection.id, this.pumpAction);
  }

  private pump(): void {
    this.pumpScheduled = false;
    if (!this.connection.open || this.head >= this.queue.length) return;
    if (this.network.blocked(this.from, this.to)) {
      this.stalled = true;
      this.network.noteStalled(this as StreamDirection<unknown>);
      return;
    }
    const message = this.queue[this.head]!;
    this.head++;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.dueUs = [];
      this.head = 0;
    } else {
      this.schedulePump(this.dueUs[this.head]!);
    }
    this.deliver(message);
  }

  /** After a heal: carry on where the stream stopped (TCP retransmits after a while). */
  resume(): void {
    if (!this.stalled) return;
    this.stalled = false;
    if (!this.connection.open || this.head >= this.queue.length) return;
    const retransmitUs = this.network.sim.nowUs + this.network.linkDelayUs();
    this.schedulePump(Math.max(retransmitUs, this.dueUs[this.head]!));
  }

  clear(): void {
    this.queue = [];
    this.dueUs = [];
    this.head = 0;
    assert(!this.connection.open, 'clearing an open stream');
  }
}
