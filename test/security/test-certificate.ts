// A self-signed certificate for 127.0.0.1 / localhost made by openssl, and
// clients that trust it (HTTPS requests, the `ws` WebSocket for the typed
// client), for tests of TLS doors.

import { execFileSync } from 'node:child_process';
import { request } from 'node:https';
import WebSocket from 'ws';
import type { WebSocketConstructor } from '../../client/index.js';

/** Bound on an openssl run. */
const OPENSSL_TIMEOUT_MS = 15_000;

/** Writes a one-day certificate and its key (PEM) to the given paths. */
export function makeCertificate(cert: string, key: string): void {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert],
  { stdio: 'ignore', timeout: OPENSSL_TIMEOUT_MS });
}

/** One HTTPS request trusting `ca`. */
export function httpsRequest(url: string, ca: Buffer, options: { method?: string; headers?: Record<string, string>; body?: string } = {}):
  Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', ca, headers: options.headers ?? {} }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => { text += d; }).on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.once('error', reject);
    req.end(options.body);
  });
}

/** The `ws` WebSocket trusting `ca`, as an application with a private CA would pass it to connect(). */
export function trustingWebSocket(ca: Buffer): WebSocketConstructor {
  return class extends WebSocket {
    constructor(url: string, protocols?: string | string[], options?: WebSocket.ClientOptions) {
      super(url, protocols, { ...options, ca });
    }
  } as unknown as WebSocketConstructor;
}
