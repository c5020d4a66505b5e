// The origin policy of a node that serves its own dashboard: the page at
// /dashboard talks to the node's WebSocket from the node's own origin, and a
// browser sends that Origin on every WebSocket upgrade, so the node must
// accept it while still refusing every other page that is not allowed.
// Only the WebSocket door and the dashboard's routes use this policy; the
// REST door keeps the plain allow list (the page needs no REST).
//
// "Own origin" means the addresses this node is known at — its listen host
// when that is an address, the loopback names when it listens on loopback,
// its advertised host — with its scheme and port. It is never derived from
// the request's Host header: under DNS rebinding an attacker's page reaches
// the node under the attacker's host name, and that origin is not among these.

import { normalizeOrigin, OriginPolicy, type OriginVerdict } from '../security/origin-policy.js';

/** Names a loopback listener is reached by from a browser on the same machine. */
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

export class SelfOriginPolicy extends OriginPolicy {
  private own: ReadonlySet<string> = new Set();

  /** Set once the port is known: `hosts` are the names and addresses the node is reached by. */
  setOwnAddresses(scheme: 'http' | 'https', hosts: readonly string[], port: number): void {
    const names = new Set<string>();
    for (const host of hosts) {
      if (host === '' || host === '0.0.0.0' || host === '::') continue; // "every interface" is no address a page has
      if (LOOPBACK_HOSTS.includes(host) || host === '::1' || host.startsWith('127.')) {
        for (const h of LOOPBACK_HOSTS) names.add(h);
      }
      names.add(host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);
    }
    const own = new Set<string>();
    for (const name of names) {
      const origin = normalizeOrigin(`${scheme}://${name}:${port}`);
      if (origin !== null) own.add(origin);
    }
    this.own = own;
  }

  override judge(origin: string): OriginVerdict {
    const verdict = super.judge(origin);
    if (verdict !== 'forbidden') return verdict;
    return this.own.has(normalizeOrigin(origin) ?? '') ? 'allowed' : 'forbidden';
  }
}
