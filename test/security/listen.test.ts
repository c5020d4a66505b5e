// No silent port sharing: a second node on a port in use fails with a
// ListenError naming the address, the door and the flag, and the first node
// keeps serving. Also protected mode, which refuses before anything starts.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopbackHost } from '../../runtime-node/security/protected-mode.js';
import { CLI, REPO_ROOT } from '../e2e/spawn-node.js';
import { serverModule, startTestNode, type TestNode } from './security-node.js';

const { ListenError, ProtectedModeError, startServer } = serverModule;

/** Bound on how long the spawned CLI may take to give up. */
const CLI_EXIT_TIMEOUT_MS = 20_000;

let first: TestNode;
beforeAll(async () => { first = await startTestNode(); });
afterAll(async () => { await first?.server.close(); });

const refusal = async (p: Promise<unknown>): Promise<Error> => {
  try {
    await p;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a refusal');
};

describe('a port in use', () => {
  it('a second node on the HTTP port fails with a ListenError naming it and --port; the first keeps serving', async () => {
    const error = await refusal(startServer({ host: '127.0.0.1', port: first.server.port, respPort: null, workers: 1, pin: false }));
    expect(error).toBeInstanceOf(ListenError);
    expect(error.message).toBe(`cannot listen on 127.0.0.1:${first.server.port} (HTTP/WebSocket): the port is already in use; `
      + 'stop the other process or choose another port with --port');
    expect((error as InstanceType<typeof ListenError>).code).toBe('EADDRINUSE');
    const res = await fetch(`${first.baseUrl}/healthz`);
    expect(res.status).toBe(200);
  });

  it('a second node on the RESP port fails naming --resp-port, and stops its HTTP door', async () => {
    // Find a free port for the second node's HTTP door, so we can see it released afterwards.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const httpPort = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const error = await refusal(startServer({ host: '127.0.0.1', port: httpPort, respPort: first.server.respPort, workers: 1, pin: false }));
    expect(error).toBeInstanceOf(ListenError);
    expect(error.message).toContain(`cannot listen on 127.0.0.1:${first.server.respPort} (RESP): the port is already in use`);
    expect(error.message).toContain('--resp-port');
    // Everything the failed node started is stopped: its HTTP port is free again.
    const again: Server = createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen({ host: '127.0.0.1', port: httpPort, exclusive: true }, resolve);
    });
    await new Promise<void>((resolve) => again.close(() => resolve()));
  });

  it('an address no interface has is a clear ListenError', async () => {
    const error = await refusal(startServer({ host: '192.0.2.1', port: 0, respPort: null, workers: 1, pin: false, protectedMode: false }));
    expect(error).toBeInstanceOf(ListenError);
    expect(error.message).toContain('cannot listen on 192.0.2.1:0 (HTTP/WebSocket): no network interface has this address');
  });

  it('a host name that does not resolve is a clear ListenError', async () => {
    const error = await refusal(startServer({ host: 'no-such-host.invalid', port: 0, respPort: null, workers: 1, pin: false, protectedMode: false }));
    expect(error).toBeInstanceOf(ListenError);
    expect(error.message).toMatch(/^cannot listen on no-such-host\.invalid:0 \(HTTP\/WebSocket\): /);
  });

  it('each system error has its own advice', () => {
    expect(new ListenError('127.0.0.1', 80, 'HTTP/WebSocket', 'EACCES').message).toBe('cannot listen on 127.0.0.1:80 (HTTP/WebSocket): '
      + 'permission denied (ports below 1024 need privileges); choose another port with --port');
    expect(new ListenError('::1', 6380, 'RESP', 'EADDRINUSE').message).toBe('cannot listen on [::1]:6380 (RESP): '
      + 'the port is already in use; stop the other process or choose another port with --resp-port');
    expect(new ListenError('h.invalid', 1, 'RESP', 'ENOTFOUND').message).toContain('the host name does not resolve; choose another one with --host');
  });

  it('the CLI on a used port exits non-zero and says which port and --port', async () => {
    const child = spawn(process.execPath, [CLI, 'server', '--port', String(first.server.port), '--no-resp', '--workers', '1', '--no-pin', '--in-memory'],
      { cwd: REPO_ROOT });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`the CLI did not exit:\n${stderr}`)); }, CLI_EXIT_TIMEOUT_MS);
      child.once('exit', (c) => { clearTimeout(timer); resolve(c); });
    });
    expect(code).not.toBe(0);
    expect(stderr).toContain(`127.0.0.1:${first.server.port}`);
    expect(stderr).toContain('--port');
  }, CLI_EXIT_TIMEOUT_MS + 5_000);
});

describe('protected mode', () => {
  it('refuses 0.0.0.0 without a password, saying how to set one', async () => {
    const error = await refusal(startServer({ host: '0.0.0.0', port: 0, respPort: null, workers: 1, pin: false }));
    expect(error).toBeInstanceOf(ProtectedModeError);
    for (const hint of ['--requirepass', '--requirepass-file', 'PICCOLO_REQUIREPASS', '--protected-mode no']) {
      expect(error.message).toContain(hint);
    }
  });

  it('knows loopback from the rest', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.1', 'example.com', '128.0.0.1', '::ffff:10.0.0.1', '']) expect(isLoopbackHost(host), host).toBe(false);
  });
});
