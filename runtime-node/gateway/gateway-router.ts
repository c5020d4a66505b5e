// Where the gateway sends each request: straight to the node leading its
// key's group (the LeaderMap), over that node's pipelined binary WebSocket
// connections (node-link.ts). It stands where a node's workers stand, as the
// Dispatcher's ShardTransport (a multi-key request's parts arrive here one
// per group); keyless requests (count, flush, scan) go whole to any node,
// which covers the whole cluster itself (gateway-executor.ts).
//
// Retries, each only when the request certainly did nothing, at most
// ROUTE_ATTEMPTS_MAX attempts with a growing wait, the map read again first
// (a keyed request in its group's order: group-lane.ts):
//   - no leader known, or its node unreachable: nothing was sent;
//   - the node answered NOT_LEADER (it could not serve or forward it);
//   - a read whose connection closed or timed out (reads change nothing; so
//     is a transaction of reads only).
// A write whose connection closed or timed out after it was sent may or may
// not have been applied: INDETERMINATE, never retried. A transaction goes
// whole to its group's leader like any keyed request (the Dispatcher refuses
// one whose keys span groups, CROSS_SLOT); one holding a write is one log
// entry, applied whole or not at all, so a lost answer is INDETERMINATE too. When the attempts run
// out the client hears UNAVAILABLE (retryable: nothing was applied).
//
// Requests held here (sent, or waiting to retry) are bounded by inFlightMax:
// past it a request is answered OVERLOADED at once.

import type { Connection } from '../../client/connection.js';
import { ProtocolError, type ClientErrorName, type PiccoloError } from '../../client/errors.js';
import type { ResolvedOptions } from '../../client/options.js';
import { assert } from '../../core/assert.js';
import type { ShardTransport } from '../../core/node/dispatcher.js';
import type { ReplyCallback } from '../../core/node/shard-channel.js';
import { errReply, type ErrReply, type Reply, type Request } from '../../core/protocol/ops.js';
import { GroupLane, type LanedRequest } from '../../core/routing/group-lane.js';
import type { SlotMap } from '../../core/routing/slot-map.js';
import { decodedReply, passedFrameOf } from '../../schema/binary-passthrough.js';
import { mayChangeData } from '../cluster/forwarding-router.js';
import { ROUTE_ATTEMPTS_MAX, ROUTE_RETRY_WAIT_MS } from './gateway-limits.js';
import type { LeaderMap } from './leader-map.js';
import type { MapRefresher } from './map-refresher.js';
import { NodeLink } from './node-link.js';
import { TurnCork } from './turn-cork.js';

/** Client-side failures that mean the request never left the gateway; they pass through as they are. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set(['OVERLOADED', 'BAD_REQUEST', 'FRAME_TOO_LARGE']);

/** Where one request goes: its group's leader, or (ANY_NODE) any node, for keyless requests. */
type Target = number;
const ANY_NODE = -1;

/** The target in error messages (made only when one is needed: not per request). */
function what(group: Target): string {
  return group === ANY_NODE ? 'the cluster' : `group ${group}`;
}

/** A keyed request in its group's lane. */
interface LaneRequest extends LanedRequest {
  readonly request: Request;
  readonly done: ReplyCallback;
  /** Attempts made so far. */
  attempts: number;
  /** Not sent again before this (performance.now() ms): the wait after a refusal. */
  notBeforeMs: number;
  /** What the client hears when no attempt is left; null before the first refusal. */
  last: ErrReply | null;
}

/** A group's lane at the gateway: its requests in order, over the connections to its leader, and the wake-up for a wait. */
class GatewayLane extends GroupLane<LaneRequest, Connection> {
  timer: ReturnType<typeof setTimeout> | null = null;
  timerAtMs = 0;
}

/** Why nothing could be sent to `group`: no leader known (no link), or its node not reachable. */
function unreachable(group: Target, link: NodeLink | null): string {
  return link === null ? `${what(group)} has no leader the gateway knows of yet` : `${what(group)}: node ${link.endpoint} is unreachable (${link.trouble})`;
}

export interface GatewayRouterOptions {
  refresher: MapRefresher;
  /** WebSocket connections per node. */
  connectionsPerNode: number;
  /** Requests held at once before OVERLOADED. */
  inFlightMax: number;
  /** The options of the connections to the nodes (binary format, the nodes' password, timeouts). */
  client: ResolvedOptions;
  /** The nodes serve TLS: dial wss://. */
  nodeTls: boolean;
}

export interface GatewayRouterStatus {
  inFlight: number;
  /** `trouble`: why the last connection to a node failed or closed (absent while every dial succeeds). */
  nodes: { endpoint: string; up: boolean; connections: number; trouble?: string }[];
  groups: { group: number; leader: string | null }[];
}

export class GatewayRouter implements ShardTransport {
  private readonly links = new Map<string, NodeLink>();
  /** Each group's requests in arrival order (group-lane.ts); keyless requests keep no order. */
  private readonly lanes = new Map<number, GatewayLane>();
  /** One write per node connection per turn, shared by every link. */
  private readonly cork = new TurnCork();
  private inFlightCount = 0;
  private turn = 0;
  private closed = false;

  constructor(private readonly options: GatewayRouterOptions) {}

  get slotMap(): SlotMap {
    const map = this.options.refresher.current;
    assert(map !== null, 'the gateway serves only once it has read a map');
    return map.slotMap;
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  /**
   * Opens links to every node a new map names, and closes those to
   * endpoints it no longer names (a node restarted on another port), once
   * their requests are answered. A node that is down but still a member
   * stays named, so its link keeps dialling it.
   */
  handleMap(map: LeaderMap): void {
    const named = new Set(map.endpoints);
    for (const endpoint of named) this.linkTo(endpoint);
    for (const [endpoint, link] of this.links) {
      if (named.has(endpoint)) continue;
      this.links.delete(endpoint);
      void link.close();
    }
  }

  submit(group: number, request: Request, onReply: ReplyCallback): void {
    this.route(request, onReply, group);
  }

  /** A keyless request, whole, to any reachable node (which covers every group itself). */
  submitAnywhere(request: Request, onReply: ReplyCallback): void {
    this.route(request, onReply, ANY_NODE);
  }

  status(): GatewayRouterStatus {
    const map = this.options.refresher.current;
    return {
      inFlight: this.inFlightCount,
      nodes: [...this.links.values()].map((l) => ({
        endpoint: l.endpoint, up: l.isUp, connections: l.openCount, ...(l.lastTrouble !== null ? { trouble: l.lastTrouble } : {}),
      })),
      groups: map === null ? [] : Array.from({ length: map.groupCount }, (_, group) => ({ group, leader: map.leaderOf(group) })),
    };
  }

  /** Stops retrying and closes every link once its requests are answered. */
  async close(): Promise<void> {
    this.closed = true;
    // Requests waiting to be sent again hear why now.
    for (const lane of this.lanes.values()) {
      if (lane.timer !== null) clearTimeout(lane.timer);
      lane.timer = null;
      lane.pump();
    }
    await Promise.all([...this.links.values()].map((l) => l.close()));
  }

  private route(request: Request, onReply: ReplyCallback, group: Target): void {
    if (this.inFlightCount >= this.options.inFlightMax) {
      onReply(errReply('OVERLOADED', `the gateway holds ${this.inFlightCount} requests for the nodes (in-flight-max); retry with backoff`));
      return;
    }
    this.inFlightCount++;
    const done: ReplyCallback = (reply) => { this.inFlightCount--; onReply(reply); };
    if (group === ANY_NODE) {
      this.attemptAnywhere(request, done, 1);
      return;
    }
    const lane = this.laneOf(group);
    lane.add({ seq: lane.nextSeq(), request, done, attempts: 0, notBeforeMs: 0, last: null });
    lane.pump();
  }

  /** Sends from the head of `group`'s lane while its rules allow (core/routing/group-lane.ts); lane.pump() runs it. */
  private sendWhatMay(group: number, lane: GatewayLane): void {
    for (let item = lane.head; item !== undefined; item = lane.head) {
      if (this.closed && item.last !== null) {
        lane.shift();
        item.done(item.last);
        continue;
      }
      if (item.notBeforeMs > performance.now()) {
        this.wakeAt(lane, item.notBeforeMs);
        return;
      }
      const link = this.linkFor(group);
      const connection = link?.pick(group) ?? null;
      if (connection === null) {
        lane.shift();
        item.attempts++;
        this.options.refresher.request();
        this.sendAgain(lane, item, errReply('UNAVAILABLE', `${unreachable(group, link)}; nothing was sent: retry shortly`));
        continue;
      }
      // Earlier requests of the group are out on another connection (the leader moved): wait for their answers.
      if (!lane.mayGoTo(connection)) return;
      lane.shift();
      item.attempts++;
      lane.sent(connection);
      const answered = (reply: Reply): void => {
        lane.answered();
        item.done(reply);
        lane.pump();
      };
      const again = (last: ErrReply): void => {
        lane.answered();
        this.sendAgain(lane, item, last);
        lane.pump();
      };
      this.send(link!, connection, group, item.request, answered, again);
    }
  }

  /** `item` was certainly not applied: back in its lane after a wait growing per attempt, or answered `last` when none is left. */
  private sendAgain(lane: GatewayLane, item: LaneRequest, last: ErrReply): void {
    if (item.attempts >= ROUTE_ATTEMPTS_MAX || this.closed) {
      item.done(last);
      return;
    }
    item.last = last;
    item.notBeforeMs = performance.now() + ROUTE_RETRY_WAIT_MS * item.attempts;
    lane.putBack(item);
  }

  private wakeAt(lane: GatewayLane, atMs: number): void {
    if (lane.timer !== null) {
      if (lane.timerAtMs <= atMs) return;
      clearTimeout(lane.timer);
    }
    lane.timerAtMs = atMs;
    lane.timer = setTimeout(() => {
      lane.timer = null;
      lane.pump();
    }, Math.max(1, Math.ceil(atMs - performance.now())));
  }

  /** A keyless request: to any node, tried again (any node) after a refusal; no order to keep. */
  private attemptAnywhere(request: Request, done: ReplyCallback, attempt: number): void {
    const again = (last: ErrReply): void => {
      if (attempt >= ROUTE_ATTEMPTS_MAX || this.closed) done(last);
      else setTimeout(() => this.attemptAnywhere(request, done, attempt + 1), ROUTE_RETRY_WAIT_MS * attempt);
    };
    const link = this.linkFor(ANY_NODE);
    const connection = link?.pick() ?? null;
    if (connection === null) {
      this.options.refresher.request();
      again(errReply('UNAVAILABLE', `${unreachable(ANY_NODE, link)}; nothing was sent: retry shortly`));
      return;
    }
    this.send(link!, connection, ANY_NODE, request, done, again);
  }

  /** Sends `request`: `done` gets its answer, or `again` why it must be sent again (it certainly did nothing). */
  private send(link: NodeLink, connection: Connection, group: Target, request: Request, done: ReplyCallback, again: (last: ErrReply) => void): void {
    const lost = (error: PiccoloError): void => {
      if (NOT_SENT_CODES.has(error.code)) return done(errReply(error.code as Exclude<typeof error.code, ClientErrorName>, error.message));
      // Sent, and the answer lost: the connection closed or the node did not answer in time.
      this.options.refresher.request();
      if (mayChangeData(request)) {
        return done(errReply('INDETERMINATE',
          `${request.op} was sent to ${link.endpoint} (${what(group)}) and ${error.message}: it may or may not have been applied; read before retrying`));
      }
      again(errReply('UNAVAILABLE', `${what(group)}: ${error.message}; a read changes nothing: retry`));
    };
    connection.submit(request, (reply) => {
      if (reply.ok) {
        // An ok reply came as its frame (passthrough-format.ts): a request that was not passed through needs it read in full.
        if (passedFrameOf(request) !== undefined) return done(reply);
        let decoded: Reply;
        try {
          decoded = decodedReply(reply);
        } catch (error) {
          return lost(new ProtocolError(`${link.endpoint} sent an unreadable reply: ${(error as Error).message}`, error));
        }
        return done(decoded);
      }
      if (reply.code !== 'NOT_LEADER') return done(reply);
      this.options.refresher.request();
      again(errReply('UNAVAILABLE', `${what(group)}: ${reply.message}; nothing was applied: retry shortly`));
    }, lost);
  }

  private laneOf(group: number): GatewayLane {
    let lane = this.lanes.get(group);
    if (lane === undefined) {
      const created: GatewayLane = new GatewayLane(() => this.sendWhatMay(group, created));
      this.lanes.set(group, created);
      lane = created;
    }
    return lane;
  }

  /** The link to `group`'s leader (ANY_NODE: to any node that is up); null when no leader is known. */
  private linkFor(group: Target): NodeLink | null {
    const endpoint = group === ANY_NODE ? this.anyUpEndpoint() : this.options.refresher.current?.leaderOf(group) ?? null;
    return endpoint === null ? null : this.linkTo(endpoint);
  }

  private linkTo(endpoint: string): NodeLink {
    let link = this.links.get(endpoint);
    if (link === undefined) {
      link = new NodeLink(endpoint, this.options.connectionsPerNode, this.options.client, this.options.nodeTls, () => this.options.refresher.request(), this.cork);
      this.links.set(endpoint, link);
    }
    return link;
  }

  private anyUpEndpoint(): string | null {
    const links = [...this.links.values()];
    for (let i = 0; i < links.length; i++) {
      const link = links[this.turn++ % links.length]!;
      if (link.isUp) return link.endpoint;
    }
    return links[0]?.endpoint ?? null;
  }
}
