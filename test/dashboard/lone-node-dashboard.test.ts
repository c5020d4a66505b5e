// The dashboard of a lone node (a real node in-process, its compiled
// workers): the status shows the node itself and one group per shard led by
// it; the WebSocket feed pushes again about every second; the page and
// its files come with their content types and caching headers.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { DashboardStatus } from '../../runtime-node/dashboard/status-build.js';
import type { PiccoloServer } from '../../runtime-node/server.js';

/** Bound on waiting for two pushes (one immediate, one a second later) on a busy machine. */
const PUSHES_WAIT_MS = 5_000;
const WORKERS = 2;

describe('a lone node\'s dashboard', () => {
  let node: PiccoloServer;
  const base = (): string => `http://127.0.0.1:${node.port}`;

  beforeAll(async () => {
    // The compiled server: its worker threads load dist/runtime-node/worker/worker-main.js.
    const serverModule = new URL('../../dist/runtime-node/server.js', import.meta.url).href;
    const { startServer } = (await import(serverModule)) as typeof import('../../runtime-node/server.js');
    node = await startServer({ port: 0, respPort: null, workers: WORKERS, pin: false, log: () => {} });
  }, 30_000);
  afterAll(async () => { await node?.close(); });

  it('shows the node itself and one group of one per shard, led by it', async () => {
    const status = await (await fetch(`${base()}/v1/dashboard/status`)).json() as DashboardStatus;
    expect(status.nodeId).toBe(1);
    expect(status.nodes).toEqual([expect.objectContaining({ id: 1, http: `127.0.0.1:${node.port}`, reachable: true })]);
    expect(status.groups).toHaveLength(WORKERS);
    for (const g of status.groups) expect(g).toMatchObject({ members: [1], leader: 1, term: null });
    expect(status.elections).toEqual([]);
  });

  it('pushes the status over the WebSocket now and again about a second later, with the subscription id', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${node.port}/v1/ws`, { origin: `http://localhost:${node.port}` });
    try {
      const pushes = await new Promise<{ id: unknown; status: DashboardStatus }[]>((resolve, reject) => {
        const got: { id: unknown; status: DashboardStatus }[] = [];
        const timer = setTimeout(() => reject(new Error(`only ${got.length} pushes in ${PUSHES_WAIT_MS} ms`)), PUSHES_WAIT_MS);
        ws.on('open', () => ws.send(JSON.stringify({ id: 'feed', op: 'status' })));
        ws.on('message', (data) => {
          got.push(JSON.parse(String(data)) as { id: unknown; status: DashboardStatus });
          if (got.length === 2) { clearTimeout(timer); resolve(got); }
        });
        ws.on('error', reject);
      });
      expect(pushes.map((p) => p.id)).toEqual(['feed', 'feed']);
      const gapMs = pushes[1]!.status.atMs - pushes[0]!.status.atMs;
      expect(gapMs).toBeGreaterThanOrEqual(500);
      expect(gapMs).toBeLessThan(3_000);
    } finally {
      ws.close();
    }
  });

  it('serves the page files with their types, an ETag (304 when unchanged) and no CORS headers', async () => {
    const types: Record<string, string> = {
      '/dashboard': 'text/html; charset=utf-8', '/dashboard/dashboard.js': 'text/javascript; charset=utf-8', '/dashboard/dashboard.css': 'text/css; charset=utf-8',
    };
    for (const [path, type] of Object.entries(types)) {
      const res = await fetch(`${base()}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      const again = await fetch(`${base()}${path}`, { headers: { 'if-none-match': res.headers.get('etag')! } });
      expect(again.status, path).toBe(304);
    }
    expect((await fetch(`${base()}/dashboard/nope.js`)).status).toBe(404);
    expect((await fetch(`${base()}/dashboard`, { method: 'POST' })).status).toBe(405);
  });
});
