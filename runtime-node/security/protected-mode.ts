// Protected mode, as Redis has it: a node that listens beyond this machine
// must have a password, unless the operator says, explicitly, that it need
// not. A node bound to loopback is reachable only from this machine.

import { BlockList, isIP } from 'node:net';

/** startServer refused a non-loopback address without a password. */
export class ProtectedModeError extends Error {
  override name = 'ProtectedModeError';

  constructor(readonly host: string) {
    super(`refusing to listen on ${host} without a password (protected mode): anyone who can reach this address `
      + 'could read and change every key. Set a password with --requirepass, --requirepass-file or the '
      + 'PICCOLO_REQUIREPASS environment variable, listen on a loopback address (--host 127.0.0.1), '
      + 'or turn protected mode off with --protected-mode no (unsafe: only behind a firewall you trust)');
  }
}

/** Loopback addresses: 127.0.0.0/8 and ::1 (BlockList also matches their IPv4-mapped IPv6 forms). */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Whether `host` names only this machine: a loopback address or localhost.
 * Other names count as public, since what they resolve to can change.
 */
export function isLoopbackHost(host: string): boolean {
  const name = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost') return true;
  const family = isIP(name);
  return family !== 0 && LOOPBACK.check(name, family === 4 ? 'ipv4' : 'ipv6');
}

/** Throws ProtectedModeError when the node would listen beyond loopback with no password and protected mode on. */
export function checkProtectedMode(host: string, hasPassword: boolean, protectedMode: boolean): void {
  if (protectedMode && !hasPassword && !isLoopbackHost(host)) throw new ProtectedModeError(host);
}
