// The gateway's named limits and defaults (runtime-node/gateway/, docs/gateway.md).
// Each says why it has its value; the relations between them are asserted
// once, when a gateway starts (checkGatewayLimits).

import { assert } from '../../core/assert.js';

/** The gateway's HTTP/WebSocket port: clear of a node's 7700 and of `cluster up`'s 7701-7709 and 7801-7809, so all run on one machine without flags. */
export const GATEWAY_DEFAULT_PORT = 7790;

/**
 * WebSocket connections the gateway keeps to each node. Each carries up to a
 * node's pipelineMax requests in flight, so two already hold hundreds of
 * requests per node; a second one keeps one slow reply from holding up all.
 */
export const NODE_CONNECTIONS_DEFAULT = 2;
/** More connections per node only add sockets for the node to poll. */
export const NODE_CONNECTIONS_MAX = 64;

/**
 * Requests the gateway has sent to nodes (or holds for a retry) and not yet
 * answered, over all clients. Past it a request is answered OVERLOADED at
 * once, so a burst or a stalled node cannot grow the gateway's memory
 * without bound: 8192 requests of at most frameBytesMax each is the worst case.
 */
export const GATEWAY_IN_FLIGHT_MAX_DEFAULT = 8192;
export const GATEWAY_IN_FLIGHT_MAX_MAX = 1_000_000;

/**
 * A node request with no reply after this long fails (a read is retried, a
 * write answered INDETERMINATE). Far above any healthy reply (a node answers
 * in milliseconds), short enough that a hung node is noticed.
 */
export const NODE_REQUEST_TIMEOUT_MS = 5_000;
/** Opening a WebSocket to a node on a LAN takes milliseconds; past this the node counts as unreachable. */
export const NODE_CONNECT_TIMEOUT_MS = 1_000;

/** First wait before dialling a lost node again; doubled per failure up to the max. */
export const NODE_RECONNECT_MS_MIN = 50;
/** Longest wait between dials of an unreachable node: it is back in service at most this long after it returns. */
export const NODE_RECONNECT_MS_MAX = 2_000;

/**
 * Attempts per request when the leader is unknown or unreachable, or answers
 * NOT_LEADER (each time certainly not applied), or a read's answer is lost.
 * With ROUTE_RETRY_WAIT_MS growing per attempt (100, 200, ... ms) six
 * attempts wait 1.5 s in all: one election at the default Raft tick. Longer
 * would hold clients' requests for a cluster that cannot elect; they hear
 * UNAVAILABLE and retry themselves.
 */
export const ROUTE_ATTEMPTS_MAX = 6;
export const ROUTE_RETRY_WAIT_MS = 100;

/**
 * How often the gateway reads the slot -> leader map again without being
 * asked. Nodes forward a request for a group they do not lead, so a moved
 * leader (say a preferred leader taking its group back) costs a hop rather
 * than a NOT_LEADER the gateway would notice; a periodic read bounds that.
 */
export const MAP_REFRESH_INTERVAL_MS = 1_000;
/** A map read this recently is not read again (many requests redirected at once share one read). */
export const MAP_FRESH_MS = 50;
/** One node's GET /v1/cluster; a node slower than this is skipped for this read. */
export const MAP_FETCH_TIMEOUT_MS = 1_000;
/** How long a starting gateway waits for its first map (the nodes may be starting too). */
export const MAP_FIRST_WAIT_MS = 30_000;

/** The relations the values above must keep. */
export function checkGatewayLimits(): void {
  assert(ROUTE_ATTEMPTS_MAX >= 2, 'a NOT_LEADER answer must leave at least one more attempt');
  assert(NODE_RECONNECT_MS_MIN <= NODE_RECONNECT_MS_MAX, 'the reconnect backoff starts below its cap');
  assert(MAP_FRESH_MS < MAP_REFRESH_INTERVAL_MS, 'a periodic refresh is never skipped as fresh');
  assert(MAP_FETCH_TIMEOUT_MS <= MAP_FIRST_WAIT_MS, 'one map read fits in the first wait');
}
