// A gateway's dashboard: the same page and routes as a node's, but the
// gateway keeps no numbers of its own, so its status is relayed from what a
// node builds (GET /v1/dashboard/status), asking the nodes it knows in turn
// until one answers, with the nodes' password.

import '../uws-env.js'; // must precede the uWebSockets.js import
import type uWS from 'uWebSockets.js';
import type { OriginPolicy } from '../security/origin-policy.js';
import type { PasswordGate } from '../security/password-gate.js';
import { mountDashboard } from './dashboard-routes.js';
import { DASHBOARD_STATUS_PATH, fetchNodeJson, type DashboardStatus } from './status-build.js';
import { StatusFeed } from './status-feed.js';

/** The status as relayed by a gateway: `relayedBy` tells the page the numbers are a node's. */
export type RelayedStatus = DashboardStatus & { relayedBy?: 'gateway' };

export function relayedStatusSource(endpoints: () => readonly string[], password: string | null, tls: boolean): () => Promise<RelayedStatus> {
  return async () => {
    const asked = endpoints();
    for (const endpoint of asked) {
      const status = await fetchNodeJson<DashboardStatus>(endpoint, DASHBOARD_STATUS_PATH, password, tls);
      if (status !== null) return { ...status, relayedBy: 'gateway' };
    }
    throw new Error(`no node answered ${DASHBOARD_STATUS_PATH} (asked ${asked.join(', ') || 'none'})`);
  };
}

export interface GatewayDashboardOptions {
  originPolicy: OriginPolicy;
  passwordGate: PasswordGate;
  /** The nodes to ask (host:port), in order. */
  endpoints: () => readonly string[];
  nodePassword: string | null;
  nodeTls: boolean;
}

/** Mount the page and GET /v1/dashboard/status on a gateway; the feed returned is for its WebSocket door (and to close). */
export function mountGatewayDashboard(app: uWS.TemplatedApp, opts: GatewayDashboardOptions): StatusFeed {
  const feed = new StatusFeed(relayedStatusSource(opts.endpoints, opts.nodePassword, opts.nodeTls));
  mountDashboard(app, { originPolicy: opts.originPolicy, passwordGate: opts.passwordGate, status: () => feed.current() });
  return feed;
}
