// Cross-protocol attacks on the RESP door: a web page cannot open a raw TCP
// socket, but it can make the browser POST to 127.0.0.1:6380, and a RESP
// server that reads the HTTP request's lines as inline commands would run
// whatever the body says. As Redis does (securityWarningCommand), a command
// named `POST` or `Host:` means the peer speaks HTTP: the connection is closed
// at once, before anything after it runs. (`GET /` stays a valid RESP GET; an
// HTTP GET is stopped at its Host: line, and a browser GET carries no body.)

import { isOption } from '../../core/resp/command-args.js';

/** Whether a command name shows that the peer is sending HTTP. */
export function isHttpCommand(name: Uint8Array): boolean {
  return isOption(name, 'POST') || isOption(name, 'HOST:');
}

export function crossProtocolWarning(remoteAddress: string): string {
  return `piccolo: possible SECURITY ATTACK detected: an HTTP request (POST or Host:) arrived on the RESP port from ${remoteAddress}; `
    + 'connection closed. It is likely a web page making a browser talk to this node.';
}
