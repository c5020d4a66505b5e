// Listening without sharing, and saying why a listen failed. uWebSockets.js
// may listen with SO_REUSEPORT, which lets a second node on the same port
// silently take half the connections; the HTTP/WebSocket door listens with
// LIBUS_LISTEN_EXCLUSIVE_PORT instead, so a port in use is an error. A
// failed listen is a ListenError that an operator can act on: which address,
// which door, what the system said, and the flag that changes it. uWS
// reports a failure only as `false`, so its cause is found by trying the same
// address once with node:net (diagnoseListen).

import '../uws-env.js'; // must precede the uWebSockets.js import
import uWS from 'uWebSockets.js';
import { createServer } from 'node:net';
import { assert } from '../../core/assert.js';

/** The front doors that listen, as named in messages. */
export type ListenDoor = 'HTTP/WebSocket' | 'RESP';

/** The command-line flag that picks each door's port. */
const PORT_FLAG: Readonly<Record<ListenDoor, string>> = { 'HTTP/WebSocket': '--port', RESP: '--resp-port' };

/** A front door could not listen; `code` is the system's error code (EADDRINUSE, ...) when known. */
export class ListenError extends Error {
  override name = 'ListenError';

  constructor(readonly host: string, readonly port: number, readonly door: ListenDoor, readonly code: string | undefined) {
    super(listenFailureMessage(host, port, door, code));
  }
}

function listenFailureMessage(host: string, port: number, door: ListenDoor, code: string | undefined): string {
  const where = `cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port} (${door})`;
  const flag = PORT_FLAG[door];
  switch (code) {
    case 'EADDRINUSE':
      return `${where}: the port is already in use; stop the other process or choose another port with ${flag}`;
    case 'EACCES':
      return `${where}: permission denied (ports below 1024 need privileges); choose another port with ${flag}`;
    case 'EADDRNOTAVAIL':
      return `${where}: no network interface has this address; choose another one with --host`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${where}: the host name does not resolve; choose another one with --host`;
    case undefined:
      return `${where}: the listen failed for an unknown reason; try another port with ${flag} or another --host`;
    default:
      return `${where}: ${code}; choose another port with ${flag} or another --host`;
  }
}

/** Longest the node:net probe of a failed listen may take (a host name lookup at most). */
const LISTEN_PROBE_MS_MAX = 2_000;

/**
 * The system error code that listening on host:port gives now, found by
 * trying it with node:net; undefined when that listen succeeds (the address
 * freed up meanwhile) or the probe takes too long.
 */
export function diagnoseListen(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    const timer = setTimeout(() => { probe.close(); resolve(undefined); }, LISTEN_PROBE_MS_MAX);
    probe.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code);
    });
    probe.listen({ host, port, exclusive: true }, () => {
      clearTimeout(timer);
      probe.close(() => resolve(undefined));
    });
  });
}

/** The addon's value of ListenOptions.LIBUS_LISTEN_EXCLUSIVE_PORT (declared only as a type-level enum). */
const LISTEN_EXCLUSIVE_PORT = (uWS as unknown as { LIBUS_LISTEN_EXCLUSIVE_PORT: number }).LIBUS_LISTEN_EXCLUSIVE_PORT;
assert(typeof LISTEN_EXCLUSIVE_PORT === 'number', 'uWebSockets.js exports LIBUS_LISTEN_EXCLUSIVE_PORT');

/** uWS's listen with options; its type declarations lack the (host, port, options, cb) form the addon has. */
type ListenWithOptions = (host: string, port: number, options: number,
  cb: (token: uWS.us_listen_socket | false) => void) => uWS.TemplatedApp;

/** Listen on host:port alone (no SO_REUSEPORT); rejects with a ListenError saying why not. */
export async function listenExclusive(app: uWS.TemplatedApp, host: string, port: number, door: ListenDoor): Promise<uWS.us_listen_socket> {
  const listen = (app.listen as unknown as ListenWithOptions).bind(app);
  const token = await new Promise<uWS.us_listen_socket | false>((resolve) => {
    listen(host, port, LISTEN_EXCLUSIVE_PORT, resolve);
  });
  if (token) return token;
  throw new ListenError(host, port, door, await diagnoseListen(host, port));
}
