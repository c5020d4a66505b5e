// TLS on every door with a self-signed certificate made here by openssl:
// HTTPS, WSS with the typed client, RESP over TLS with ioredis and
// redis-cli; bad certificate or key files stop startup naming the file.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { connect as connectTcp } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect, ConnectError } from '../../client/index.js';
import { CLOSE_LINGER_MS } from '../../runtime-node/io/resp-connection.js';
import { serverModule, startTestNode, type TestNode } from './security-node.js';
import { makeCertificate } from './test-certificate.js';

const execFileAsync = promisify(execFile);
const PASSWORD = 'tls-pass';
/** Bound on each openssl / redis-cli run. */
const TOOL_TIMEOUT_MS = 15_000;

const dir = mkdtempSync(join(tmpdir(), 'piccolo-tls-'));
const certFile = join(dir, 'cert.pem');
const keyFile = join(dir, 'key.pem');
let cert: Buffer;
let node: TestNode;

beforeAll(async () => {
  makeCertificate(certFile, keyFile);
  cert = readFileSync(certFile);
  node = await startTestNode({ tls: { certFile, keyFile }, requirePass: PASSWORD });
});
afterAll(async () => {
  await node?.server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One HTTPS request trusting the test certificate. */
function https(method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${node.baseUrl}${path}`, { method, ca: cert, headers: { authorization: `Bearer ${PASSWORD}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => { text += d; }).on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

/** The `ws` WebSocket trusting the test certificate, as an application with a private CA would pass it. */
class TrustingWebSocket extends WebSocket {
  constructor(url: string, protocols?: string | string[], options?: WebSocket.ClientOptions) {
    super(url, protocols, { ...options, ca: cert });
  }
}

describe('TLS', () => {
  it('HTTPS: PUT then GET round-trips', async () => {
    expect(node.baseUrl.startsWith('https://')).toBe(true);
    expect((await https('PUT', '/v1/kv/tls-k', 'over tls')).status).toBe(200);
    expect(await https('GET', '/v1/kv/tls-k')).toEqual({ status: 200, body: 'over tls' });
  });

  it('WSS: the typed client, password by header or by auth frame', async () => {
    for (const passwordVia of ['header', 'frame'] as const) {
      const kv = await connect(node.wsUrl, { WebSocket: TrustingWebSocket, password: PASSWORD, passwordVia });
      expect(await kv.getString('tls-k')).toBe('over tls');
      await kv.close();
    }
  });

  it('WSS: an untrusted certificate fails connect()', async () => {
    await expect(connect(node.wsUrl, { password: PASSWORD })).rejects.toBeInstanceOf(ConnectError);
  });

  it('RESP over TLS with ioredis', async () => {
    const redis = new Redis({ host: '127.0.0.1', port: node.server.respPort!, password: PASSWORD, tls: { ca: cert }, lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
    expect(await redis.set('tls-r', 'resp')).toBe('OK');
    expect(await redis.get('tls-k')).toBe('over tls');
    redis.disconnect();
  });

  it('RESP over TLS with redis-cli --tls --insecure', async () => {
    const help = spawnSync('redis-cli', ['--help'], { encoding: 'utf8', timeout: TOOL_TIMEOUT_MS });
    if (help.error || !`${help.stdout}${help.stderr}`.includes('--tls')) {
      console.warn('redis-cli without TLS support: skipped');
      return;
    }
    // Asynchronously: the node runs in this process and must answer meanwhile.
    const { stdout } = await execFileAsync('redis-cli',
      ['--tls', '--insecure', '-h', '127.0.0.1', '-p', String(node.server.respPort), '--no-auth-warning', '-a', PASSWORD, 'GET', 'tls-r'],
      { encoding: 'utf8', timeout: TOOL_TIMEOUT_MS });
    expect(stdout.trim()).toBe('resp');
  });

  it('a plain-text client on the TLS RESP port gets no service', async () => {
    const redis = new Redis({ host: '127.0.0.1', port: node.server.respPort!, password: PASSWORD, lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2_000, retryStrategy: () => null });
    redis.on('error', () => {});
    const outcome = await redis.connect().then(() => redis.get('tls-r')).then(() => 'served', () => 'refused');
    expect(outcome).toBe('refused');
    redis.disconnect();
  });
});

describe('shutdown with a TLS handshake pending', () => {
  it('close() ends a socket that never finished its handshake', async () => {
    const other = await startTestNode({ tls: { certFile, keyFile }, requirePass: PASSWORD });
    const socket = connectTcp({ host: '127.0.0.1', port: other.server.respPort! });
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const closedMs = Date.now();
    await other.server.close();
    expect(Date.now() - closedMs).toBeLessThan(CLOSE_LINGER_MS + 2_000);
    socket.destroy();
  }, CLOSE_LINGER_MS + 10_000);
});

describe('bad TLS files stop startup, naming the file', () => {
  const { TlsConfigError, startServer } = serverModule;
  const start = (files: { certFile: string; keyFile: string }): Promise<unknown> =>
    startServer({ host: '127.0.0.1', port: 0, respPort: null, workers: 1, pin: false, tls: files });

  it('a missing certificate', async () => {
    const missing = join(dir, 'nope.pem');
    const error = await start({ certFile: missing, keyFile }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(TlsConfigError);
    expect((error as Error).message).toContain(missing);
    expect((error as Error).message).toContain('ENOENT');
  });

  it('a key file that is not a key, and a key of another certificate', async () => {
    const notKey = join(dir, 'not-key.pem');
    writeFileSync(notKey, 'hello\n');
    const error = await start({ certFile, keyFile: notKey }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(TlsConfigError);
    expect((error as Error).message).toContain(notKey);

    const otherCert = join(dir, 'other-cert.pem');
    const otherKey = join(dir, 'other-key.pem');
    makeCertificate(otherCert, otherKey);
    const mismatch = await start({ certFile, keyFile: otherKey }).catch((e: Error) => e);
    expect((mismatch as Error).message).toContain('does not belong to the certificate');
    const notCert = await start({ certFile: notKey, keyFile }).catch((e: Error) => e);
    expect((notCert as Error).message).toContain(`not a PEM certificate`);
  });
});
