// An in-process node for the security tests: a real startServer (one worker
// thread, real sockets) on free loopback ports, its log lines and refused
// authentications collected. The server comes from the compiled dist/ (run
// `npm run build` first): its worker threads run compiled JS.

import type { AuthDoor, PiccoloServer, ServerOptions } from '../../runtime-node/server.js';
import { REPO_ROOT } from '../e2e/spawn-node.js';

/** runtime-node/server.ts as compiled to dist/, typed by its source. */
export const serverModule = await import(`${REPO_ROOT}dist/runtime-node/server.js`) as typeof import('../../runtime-node/server.js');
const { startServer } = serverModule;

export interface TestNode {
  server: PiccoloServer;
  /** http(s)://127.0.0.1:PORT */
  baseUrl: string;
  /** ws(s)://127.0.0.1:PORT/v1/ws */
  wsUrl: string;
  logLines: string[];
  authFailures: AuthDoor[];
}

export async function startTestNode(options: ServerOptions = {}): Promise<TestNode> {
  const logLines: string[] = [];
  const authFailures: AuthDoor[] = [];
  const server = await startServer({
    host: '127.0.0.1', port: 0, respPort: 0, workers: 1, pin: false,
    log: (line) => { logLines.push(line); },
    onAuthFailure: (door) => { authFailures.push(door); },
    ...options,
  });
  const scheme = server.tls ? 's' : '';
  return {
    server,
    baseUrl: `http${scheme}://127.0.0.1:${server.port}`,
    wsUrl: `ws${scheme}://127.0.0.1:${server.port}/v1/ws`,
    logLines,
    authFailures,
  };
}

/** Resolves after `ms`, for bounded waits. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
