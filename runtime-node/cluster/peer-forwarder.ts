// Client requests carried to a group's leader over the peer links, and their
// answers carried back (schema/peer-forward.capnp). Both sides live here:
// forward() on the node a client asked, receive() on both ends.
//
// The forwarding side correlates replies by id, gives each request a
// deadline (FORWARD_DEADLINE_MS) and bounds the requests in flight to each
// peer (FORWARDS_IN_FLIGHT_MAX). Its callback learns one of three outcomes,
// and the difference matters to whoever retries:
//   - answered: the leader's reply;
//   - not sent: nothing left this node (no link, too many in flight), so the
//     request certainly did nothing and may be retried anywhere;
//   - lost: it was sent, and no answer came (deadline passed, link dropped):
//     a write may or may not have been applied (INDETERMINATE for writes).
//
// The serving side decodes the request with the client decoder (so limits
// and validation are a client's), runs it through `serve` (the router's
// local path: a forwarded request is never forwarded again, so a request
// costs at most one hop per attempt) and sends the reply back.

import type { Limits } from '../../core/limits.js';
import { errReply, type Reply, type Request } from '../../core/protocol/ops.js';
import { decodeRequest, encodeRequest } from '../../schema/binary-request.js';
import { decodeResponse, encodeResponse } from '../../schema/binary-response.js';
import { decodePeerForward, encodePeerForward } from '../../schema/peer-forward-codec.js';

/**
 * How long the forwarding node waits for the leader's answer. Well above a
 * leader change (0.5-1 s at the default tick) so a write held by a leader
 * that is being replaced still gets its answer (a commit or a clear
 * INDETERMINATE from the worker); well below a client's own timeout (the
 * typed client's default is 30 s), so the client hears why.
 */
export const FORWARD_DEADLINE_MS = 5_000;
/**
 * Requests awaiting an answer from one peer. Each holds a callback and a
 * few words; the request bytes themselves wait in the transport's bounded
 * send queue. Thousands cover the pipelines of many client connections; past
 * it the node answers OVERLOADED (nothing was sent) rather than queue without bound.
 */
export const FORWARDS_IN_FLIGHT_MAX = 4096;
/** How often deadlines are checked while anything is in flight: a tenth of a second late at most. */
const DEADLINE_SWEEP_MS = 100;

export type ForwardOutcome =
  | { kind: 'answered'; reply: Reply; leaderHint: number }
  /** `leader`: the node to name in a NOT_LEADER, when it can be reached but not through this node. */
  | { kind: 'not-sent'; code: 'NOT_LEADER' | 'OVERLOADED' | 'BAD_REQUEST'; message: string; leader?: number }
  | { kind: 'lost'; message: string };

export interface PeerForwarderOptions {
  readonly selfId: number;
  readonly limits: Limits;
  /** Queue bytes on the link to `to` (the peer transport's send). */
  readonly send: (to: number, bytes: Uint8Array) => boolean;
  readonly linkUp: (to: number) => boolean;
  /** Serve a request forwarded to this node, here only. */
  readonly serve: (group: number, request: Request, onReply: (reply: Reply) => void) => void;
  readonly nowMs?: () => number;
}

interface Pending {
  readonly to: number;
  readonly deadlineMs: number;
  readonly done: (outcome: ForwardOutcome) => void;
}

export interface PeerForwarderStats {
  forwarded: number;
  served: number;
  lost: number;
  /** Forward messages that did not decode, or replies nobody waited for (late, or from the wrong peer). */
  dropped: number;
}

export class PeerForwarder {
  readonly stats: PeerForwarderStats = { forwarded: 0, served: 0, lost: 0, dropped: 0 };
  /** In insertion order, which is deadline order (every deadline is now + the same constant). */
  private readonly pending = new Map<bigint, Pending>();
  private readonly inFlightByPeer = new Map<number, number>();
  private nextId = 1n;
  private sweepTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly nowMs: () => number;

  constructor(private readonly options: PeerForwarderOptions) {
    this.nowMs = options.nowMs ?? Date.now;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Sends `request` for `group` to node `to`; `done` is called exactly once. */
  forward(to: number, group: number, request: Request, done: (outcome: ForwardOutcome) => void): void {
    const inFlight = this.inFlightByPeer.get(to) ?? 0;
    if (this.closed || !this.options.linkUp(to)) {
      done({ kind: 'not-sent', code: 'NOT_LEADER', message: `node ${to}, which leads group ${group}, is not reachable from this node; nothing was done: retry shortly` });
      return;
    }
    if (inFlight >= FORWARDS_IN_FLIGHT_MAX) {
      done({ kind: 'not-sent', code: 'OVERLOADED', message: `${inFlight} requests already wait for node ${to}; nothing was done: retry later` });
      return;
    }
    const id = this.nextId++;
    let frame: Uint8Array;
    try {
      frame = encodeRequest(0n, request);
    } catch (error) {
      // Numbers the wire cannot carry; validation should have refused them before.
      done({ kind: 'not-sent', code: 'BAD_REQUEST', message: (error as Error).message });
      return;
    }
    if (frame.length > this.options.limits.frameBytesMax) {
      // Valid here, but bigger in Cap'n Proto than the leader takes a frame (a JSON batch
      // or transaction of many small keys: Cap'n Proto spends a few words on each).
      done({
        kind: 'not-sent', code: 'NOT_LEADER', leader: to,
        message: `the request is ${frame.length} bytes as a forwarded frame, over the ${this.options.limits.frameBytesMax} a frame may hold; nothing was done: send it to node ${to}, which leads group ${group}`,
      });
      return;
    }
    const bytes = encodePeerForward({ id, group, leaderHint: 0, isReply: false, frame });
    if (!this.options.send(to, bytes)) {
      done({ kind: 'not-sent', code: 'OVERLOADED', message: `the link to node ${to} is full; nothing was done: retry later` });
      return;
    }
    this.pending.set(id, { to, deadlineMs: this.nowMs() + FORWARD_DEADLINE_MS, done });
    this.inFlightByPeer.set(to, inFlight + 1);
    this.stats.forwarded++;
    this.armSweep();
  }

  /** A PeerForward from node `from`: a request to serve or an answer to one of ours. */
  receive(from: number, bytes: Uint8Array): void {
    const forward = decodePeerForward(bytes);
    if (typeof forward === 'string') {
      this.stats.dropped++;
      return;
    }
    if (forward.isReply) {
      const waiting = this.pending.get(forward.id);
      if (waiting === undefined || waiting.to !== from) {
        this.stats.dropped++;
        return;
      }
      let reply: Reply;
      try {
        reply = decodeResponse(forward.frame).reply;
      } catch (error) {
        this.settle(forward.id, { kind: 'lost', message: `node ${from} answered with an unreadable reply (${(error as Error).message})` });
        return;
      }
      this.settle(forward.id, { kind: 'answered', reply, leaderHint: forward.leaderHint });
      return;
    }
    this.serveRequest(from, forward.id, forward.group, forward.frame);
  }

  /** The link to `peer` dropped: whatever waits on it will not be answered. */
  linkDown(peer: number): void {
    for (const [id, waiting] of this.pending) {
      if (waiting.to === peer) this.settle(id, { kind: 'lost', message: `the link to node ${peer} dropped before it answered` });
    }
  }

  /** Fails everything in flight (the node is stopping). */
  close(): void {
    this.closed = true;
    for (const id of [...this.pending.keys()]) this.settle(id, { kind: 'lost', message: 'this node is shutting down' });
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  private serveRequest(from: number, id: bigint, group: number, frame: Uint8Array): void {
    const answer = (reply: Reply): void => {
      if (this.closed) return;
      let bytes: Uint8Array;
      try {
        bytes = encodePeerForward({ id, group, leaderHint: reply.ok ? 0 : reply.leaderHint ?? 0, isReply: true, frame: encodeResponse(0n, reply) });
      } catch (error) {
        const internal = errReply('INTERNAL', `the reply could not be encoded: ${(error as Error).message}`);
        bytes = encodePeerForward({ id, group, leaderHint: 0, isReply: true, frame: encodeResponse(0n, internal) });
      }
      this.options.send(from, bytes);
    };
    const decoded = decodeRequest(frame, this.options.limits);
    if (!decoded.ok) {
      answer(decoded.error);
      return;
    }
    this.stats.served++;
    this.options.serve(group, decoded.request, answer);
  }

  private settle(id: bigint, outcome: ForwardOutcome): void {
    const waiting = this.pending.get(id);
    if (waiting === undefined) return;
    this.pending.delete(id);
    const left = (this.inFlightByPeer.get(waiting.to) ?? 1) - 1;
    if (left === 0) this.inFlightByPeer.delete(waiting.to);
    else this.inFlightByPeer.set(waiting.to, left);
    if (outcome.kind === 'lost') this.stats.lost++;
    waiting.done(outcome);
  }

  private armSweep(): void {
    if (this.sweepTimer !== null) return;
    this.sweepTimer = setInterval(() => this.sweep(), DEADLINE_SWEEP_MS);
    this.sweepTimer.unref();
  }

  private sweep(): void {
    const now = this.nowMs();
    for (const [id, waiting] of this.pending) {
      if (waiting.deadlineMs > now) break; // the rest are later still
      this.settle(id, { kind: 'lost', message: `node ${waiting.to} did not answer within ${FORWARD_DEADLINE_MS} ms` });
    }
    if (this.pending.size === 0 && this.sweepTimer !== null) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = null;
    }
  }
}
