// The /dashboard page in a real browser against a real cluster: three node
// processes (the compiled CLI, --requirepass set), headless Chromium opens
// node 1's /dashboard. Without the password the page gets no status (the
// WebSocket is closed 4401 and the page asks for it); with it, the page
// shows three reachable nodes and a leader for every group, finds a key
// written through node 2 in its key browser, and node 2's request count
// moves. A screenshot goes to test-results/dashboard.png. Pages of other
// origins are refused. A gateway in front of the cluster serves the same
// page with a node's status. Needs `npm run build` and Debian's chromium.

import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startCluster, until, type TestCluster } from '../cluster/cluster-nodes.js';
import { REPO_ROOT, startNode, type RunningNode } from '../e2e/spawn-node.js';

const CHROMIUM = '/usr/bin/chromium';
/** Flags for a headless Chromium in a container (as browser-client.test.ts): no sandbox, no GPU, no calls home. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const BROWSER_LAUNCH_TIMEOUT_MS = 30_000;
/** Bound on each wait for the page: a cluster electing its first leaders on a busy 2-core machine. */
const PAGE_WAIT_MS = 20_000;
const GROUPS = 3;
const PASSWORD = 'dashboard-test-secret';
/** The gateway's own clients' password (it asks the nodes with theirs). */
const GATEWAY_PASSWORD = 'gateway-dashboard-secret';
const SCREENSHOT = join(REPO_ROOT, 'test-results/dashboard.png');

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`test/browser: skipped, ${CHROMIUM} is missing (apt-get install -y chromium)`);

/** Attribute `name` of every element `selector` matches, in order (the test has no DOM types: elements are typed by what it uses). */
function attributes(page: Page, selector: string, name: string): Promise<(string | null)[]> {
  return page.locator(selector).evaluateAll((els: { getAttribute(n: string): string | null }[], n: string) => els.map((e) => e.getAttribute(n)), name);
}

/** The number in node `id`'s "requests" cell. */
async function requestsShown(page: Page, id: number): Promise<number> {
  return Number(await page.locator(`#nodes tr[data-node-id="${id}"] td.requests`).textContent());
}

describe.skipIf(!hasChromium)('the /dashboard page in headless Chromium against a 3-node cluster', () => {
  let cluster: TestCluster;
  let gateway: RunningNode | undefined;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, 'dist/runtime-node/dashboard/node-dashboard.js'))) throw new Error('run `npm run build` first');
    [cluster, browser] = await Promise.all([
      startCluster(3, ['--groups', String(GROUPS), '--workers', '1', '--requirepass', PASSWORD]),
      chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: BROWSER_LAUNCH_TIMEOUT_MS }),
    ]);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  }, BROWSER_LAUNCH_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await cluster?.stopAll();
  });

  const base = (i: number): string => cluster.nodes[i - 1]!.node.baseUrl;

  it('without the password the page gets no status, and the JSON routes answer 401', async () => {
    await page.goto(`${base(1)}/dashboard`, { timeout: PAGE_WAIT_MS });
    await page.waitForSelector('body[data-state="unauthorized"]', { timeout: PAGE_WAIT_MS });
    expect(await page.locator('#login').isVisible()).toBe(true);
    expect(await page.locator('#nodes tbody tr').count()).toBe(0);

    const status = await fetch(`${base(1)}/v1/dashboard/status`);
    expect(status.status).toBe(401);
    expect((await status.json() as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    // A client that asks for the feed first is closed with 4401, as the page was.
    const ws = new WebSocket(`${cluster.nodes[0]!.node.wsUrl}`);
    const closed = await new Promise<{ code: number; frames: string[] }>((resolve) => {
      const frames: string[] = [];
      ws.on('open', () => ws.send(JSON.stringify({ id: 1, op: 'status' })));
      ws.on('message', (data) => frames.push(String(data)));
      ws.on('close', (code) => resolve({ code, frames }));
    });
    expect(closed).toEqual({ code: 4401, frames: [] });
  });

  it('with the password it shows three nodes and a leader for every group', async () => {
    await page.fill('#password', PASSWORD);
    await page.click('#login-form button');
    await page.waitForSelector('body[data-state="live"]', { timeout: PAGE_WAIT_MS });
    expect(await page.locator('#login').isVisible()).toBe(false);
    // Every node answered node 1 for its numbers (with the shared password), and every group has a leader.
    await until(async () => {
      const reachable = await attributes(page, '#nodes tbody tr', 'data-reachable');
      const leaders = await attributes(page, '#groups tbody tr', 'data-leader');
      return reachable.length === 3 && reachable.every((r) => r === 'true') && leaders.length === GROUPS && leaders.every((l) => l !== '0');
    }, 'three reachable nodes and a leader for every group on the page', PAGE_WAIT_MS);
    expect(await attributes(page, '#nodes tbody tr', 'data-node-id')).toEqual(['1', '2', '3']);
    const leaders = (await attributes(page, '#groups tbody tr', 'data-leader')).map(Number);
    expect(leaders).toHaveLength(GROUPS);
    for (const leader of leaders) expect([1, 2, 3]).toContain(leader);
    // Elections were seen (every group elected its first leader); the watch form is there.
    expect(await page.locator('#elections li').first().textContent()).toMatch(/group \d+ → node [123]/);
    expect(await page.locator('#watch-form').count()).toBe(1);
  });

  it('reflects a key written through node 2 in the key browser, and node 2\'s counters move', async () => {
    const before = await requestsShown(page, 2);
    const put = await fetch(`${base(2)}/v1/kv/dash:written?ttlMs=600000`, {
      method: 'PUT', body: 'hello from node 2', headers: { authorization: `Bearer ${PASSWORD}` },
    });
    expect(put.status).toBe(200);
    await page.fill('#prefix', 'dash:');
    const row = page.locator('#keys tr[data-key="dash:written"]');
    // The browser lists the serving node's own replica, which may apply the write a heartbeat after its leader
    // acknowledged it: browse again until it shows (bounded).
    const deadline = Date.now() + PAGE_WAIT_MS;
    for (;;) {
      await page.click('#browse-form button[type="submit"]');
      const shown = await row.waitFor({ timeout: 1_000 }).then(() => true, () => false);
      if (shown || Date.now() > deadline) break;
    }
    await row.waitFor({ timeout: 1_000 });
    const cells = await row.locator('td').allTextContents();
    expect(cells[0]).toBe('dash:written');
    expect(cells[1]).toBe('hello from node 2');
    expect(cells[3]).toMatch(/^(9|10)m /); // the TTL, about ten minutes
    await until(async () => await requestsShown(page, 2) > before, "node 2's request count to move on the page", PAGE_WAIT_MS);
    // The key count of the cluster includes it (each replica of its group holds it).
    const keys = await page.locator('#nodes td.keys').allTextContents();
    expect(keys.map(Number).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);

    mkdirSync(join(REPO_ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  it('a gateway serves the same page, relaying a node\'s status under its own password', async () => {
    gateway = await startNode(['--nodes', `127.0.0.1:${cluster.nodes[0]!.node.port}`, '--requirepass', GATEWAY_PASSWORD,
      '--node-password', PASSWORD], undefined, 'gateway');
    const viaGateway = await browser.newPage();
    try {
      await viaGateway.goto(`${gateway.baseUrl}/dashboard`, { timeout: PAGE_WAIT_MS });
      await viaGateway.waitForSelector('body[data-state="unauthorized"]', { timeout: PAGE_WAIT_MS });
      await viaGateway.fill('#password', GATEWAY_PASSWORD);
      await viaGateway.click('#login-form button');
      await viaGateway.waitForSelector('body[data-state="live"]', { timeout: PAGE_WAIT_MS });
      expect(await viaGateway.locator('#served-by').textContent()).toMatch(/via the gateway \(numbers from node [123]\)/);
      await until(async () => (await attributes(viaGateway, '#nodes tbody tr', 'data-reachable')).filter((r) => r === 'true').length === 3,
        'three reachable nodes through the gateway', PAGE_WAIT_MS);
      await viaGateway.fill('#prefix', 'dash:');
      await viaGateway.click('#browse-form button[type="submit"]');
      await viaGateway.locator('#keys tr[data-key="dash:written"]').waitFor({ timeout: PAGE_WAIT_MS });
      // A gateway has no numbers of its own.
      const own = await fetch(`${gateway.baseUrl}/v1/dashboard/node`, { headers: { authorization: `Bearer ${GATEWAY_PASSWORD}` } });
      expect(own.status).toBe(404);
    } finally {
      await viaGateway.close();
    }
  });

  it('refuses pages of other origins: the page, its JSON routes and the WebSocket', async () => {
    const origin = 'http://evil.example';
    for (const path of ['/dashboard', '/dashboard/dashboard.js', '/v1/dashboard/status']) {
      const response = await fetch(`${base(1)}${path}`, { headers: { origin, authorization: `Bearer ${PASSWORD}` } });
      expect(response.status, path).toBe(403);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect((await response.json() as { error: { code: string } }).error.code).toBe('FORBIDDEN_ORIGIN');
    }
    const upgrade = await new Promise<number>((resolve) => {
      const ws = new WebSocket(cluster.nodes[0]!.node.wsUrl, { origin });
      ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
      ws.on('open', () => { resolve(101); ws.close(); });
      ws.on('error', () => {});
    });
    expect(upgrade).toBe(403);
    // The page's own origin is served, with headers that keep it to itself.
    const own = await fetch(`${base(1)}/dashboard`, { headers: { origin: base(1) } });
    expect(own.status).toBe(200);
    expect(own.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(own.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(own.headers.get('cache-control')).toBe('no-cache');
  });
});
