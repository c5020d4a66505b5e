// The gateway's connections to one node: a few WebSockets speaking Cap'n
// Proto binary frames, each pipelining many requests (the typed client's
// Connection: client/connection.ts), used in turn. A connection that cannot
// be opened or closes is dialled again after a backoff that doubles from
// NODE_RECONNECT_MS_MIN to NODE_RECONNECT_MS_MAX, so a node that comes back
// is used again within NODE_RECONNECT_MS_MAX, and a dead one costs one dial
// per connection every NODE_RECONNECT_MS_MAX.

import { Connection } from '../../client/connection.js';
import type { ResolvedOptions } from '../../client/options.js';
import { openSocket } from '../../client/web-socket.js';
import { NODE_RECONNECT_MS_MAX, NODE_RECONNECT_MS_MIN } from './gateway-limits.js';
import { passThroughFormat } from './passthrough-format.js';
import type { TurnCork } from './turn-cork.js';

interface Slot {
  connection: Connection | null;
  dialing: boolean;
  backoffMs: number;
  timer: ReturnType<typeof setTimeout> | null;
}

export class NodeLink {
  private readonly slots: Slot[];
  private turn = 0;
  private closed = false;
  /** Why the last dial failed, for error messages; null after a success. */
  private lastError: string | null = null;

  constructor(
    /** The node's HTTP/WebSocket endpoint, `host:port`. */
    readonly endpoint: string,
    connections: number,
    private readonly client: ResolvedOptions,
    /** Dial wss:// (the nodes serve TLS). */
    private readonly tls: boolean,
    /** Called when a connection is lost or a dial fails (the map may be stale). */
    private readonly onTrouble: () => void,
    /** Batches each connection's sends into one write per event-loop turn. */
    private readonly cork: TurnCork,
  ) {
    this.slots = Array.from({ length: connections }, () => ({ connection: null, dialing: false, backoffMs: NODE_RECONNECT_MS_MIN, timer: null }));
    for (const slot of this.slots) this.dial(slot);
  }

  get url(): string {
    return `${this.tls ? 'wss' : 'ws'}://${this.endpoint}/v1/ws`;
  }

  /** Whether at least one connection is open. */
  get isUp(): boolean {
    return this.slots.some((s) => s.connection?.isOpen === true);
  }

  get openCount(): number {
    return this.slots.filter((s) => s.connection?.isOpen === true).length;
  }

  /** Why the last dial failed or connection closed; null after a successful dial. */
  get lastTrouble(): string | null {
    return this.lastError;
  }

  /** Why the node is not reachable, for an UNAVAILABLE message. */
  get trouble(): string {
    return this.lastError ?? 'no connection open yet';
  }

  /**
   * An open connection; null when none is open (nothing can be sent). With
   * a `lane` (a keyed request's group), always the same connection while it
   * is open: the node reads one connection's frames in order, so a client's
   * pipelined requests on one key reach its shard in the order sent (two
   * connections could deliver a GET ahead of the SET before it). Without,
   * the next in turn.
   */
  pick(lane?: number): Connection | null {
    if (lane !== undefined) {
      const connection = this.slots[lane % this.slots.length]!.connection;
      if (connection?.isOpen === true) return connection;
    }
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[this.turn++ % this.slots.length]!;
      if (slot.connection?.isOpen === true) return slot.connection;
    }
    return null;
  }

  /** Stops dialling; open connections finish their requests (each bounded by its timeout), then close. */
  async close(): Promise<void> {
    this.closed = true;
    for (const slot of this.slots) if (slot.timer !== null) clearTimeout(slot.timer);
    await Promise.all(this.slots.map((s) => s.connection?.close()));
  }

  private dial(slot: Slot): void {
    if (this.closed || slot.dialing) return;
    slot.dialing = true;
    openSocket(undefined, this.url, this.client).then((socket) => {
      slot.dialing = false;
      if (this.closed) return socket.close();
      this.lastError = null;
      slot.backoffMs = NODE_RECONNECT_MS_MIN;
      // Node Buffers as they arrive: the reply decoder reads any Uint8Array, and an ArrayBuffer would cost a copy per reply.
      socket.binaryType = 'nodebuffer';
      slot.connection = new Connection(this.cork.wrap(socket), passThroughFormat, this.client, this.url);
      socket.addEventListener('close', (event) => {
        const { code, reason } = event;
        this.lastError = `the connection to ${this.endpoint} closed (${code ?? '?'}${reason ? ` ${reason}` : ''})`;
        this.redial(slot);
      });
    }, (error: unknown) => {
      slot.dialing = false;
      this.lastError = (error as Error).message;
      this.redial(slot);
    });
  }

  private redial(slot: Slot): void {
    if (this.closed) return;
    this.onTrouble();
    const waitMs = slot.backoffMs;
    slot.backoffMs = Math.min(slot.backoffMs * 2, NODE_RECONNECT_MS_MAX);
    slot.timer = setTimeout(() => { slot.timer = null; this.dial(slot); }, waitMs);
  }
}
