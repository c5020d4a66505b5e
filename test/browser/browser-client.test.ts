// The browser build of the client (dist/browser/piccolo.js, `piccolo/browser`)
// in a real browser: headless Chromium loads a page from a tiny loopback HTTP
// server, the page imports the bundle, connects to a real node with the
// browser's own WebSocket, and does set, get, incr, scan, a failed cas and a
// binary value; the test reads the results off the page and checks them
// against the node with the Node client. Needs `npm run build`, and Debian's
// chromium (`apt-get install chromium`; .ci/run installs it).

import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import type { PiccoloServer, ServerOptions } from '../../runtime-node/server.js';
import { REPO_ROOT } from '../e2e/spawn-node.js';

const CHROMIUM = '/usr/bin/chromium';
const BUNDLE = join(REPO_ROOT, 'dist/browser/piccolo.js');
/** Flags for a headless Chromium in a container: no sandbox (we run as root), no GPU, and no calls home. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Bounds: starting Chromium on a busy 2-core machine, and the page's whole script. */
const BROWSER_LAUNCH_TIMEOUT_MS = 30_000;
const PAGE_TIMEOUT_MS = 20_000;

/** The page: imports the bundle, runs the client against the node named in its query, publishes the outcome. */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>piccolo browser test</title>
<link rel="icon" href="data:,">
<script type="module">
  import { connect, PiccoloError } from './piccolo.js';
  const ws = new URLSearchParams(location.search).get('ws');
  const run = async () => {
    const kv = await connect(ws);
    const { version } = await kv.set('browser:greeting', 'hello from chromium');
    const greeting = await kv.getString('browser:greeting');
    await kv.incr('browser:counter', 5);
    const counter = (await kv.incr('browser:counter', 37)).toString();
    for (const k of ['browser:scan:a', 'browser:scan:b', 'browser:scan:c']) await kv.set(k, 'v');
    const page = await kv.scan({ prefix: 'browser:scan:' });
    const keys = page.items.map((item) => new TextDecoder().decode(item.key)).sort();
    await kv.set('browser:bytes', new Uint8Array([0, 255, 128, 10]));
    const bytes = Array.from((await kv.get('browser:bytes')).value);
    let casError = null;
    try { await kv.cas('browser:greeting', version + 100, 'lost'); } catch (e) { casError = e instanceof PiccoloError ? e.code : String(e); }
    const missing = await kv.get('browser:missing');
    await kv.close();
    return { hasNativeWebSocket: typeof WebSocket === 'function', version, greeting, counter, keys, bytes, casError, missing };
  };
  run().then((result) => { window.__piccolo = { result }; }, (e) => { window.__piccolo = { error: String(e && e.stack || e) }; });
</script>
`;

/** Serves the page and the bundle (and its map) on loopback; anything else is 404. */
function servePage(): Promise<{ server: Server; origin: string }> {
  const files: Record<string, { type: string; body: string | Buffer }> = {
    '/': { type: 'text/html; charset=utf-8', body: PAGE },
    '/piccolo.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(BUNDLE) },
    '/piccolo.js.map': { type: 'application/json', body: readFileSync(`${BUNDLE}.map`) },
  };
  const server = createServer((req, res) => {
    const file = files[new URL(req.url ?? '/', 'http://x').pathname];
    res.writeHead(file ? 200 : 404, { 'content-type': file?.type ?? 'text/plain' });
    res.end(file?.body ?? 'not found');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () =>
    resolve({ server, origin: `http://127.0.0.1:${(server.address() as { port: number }).port}` })));
}

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`test/browser: skipped, ${CHROMIUM} is missing (apt-get install -y chromium)`);

describe.skipIf(!hasChromium)('the browser bundle in headless Chromium', () => {
  let pageServer: Server;
  let origin: string;
  let node: PiccoloServer;
  let browser: Browser;
  const nodeLog: string[] = [];

  beforeAll(async () => {
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build\` first`);
    ({ server: pageServer, origin } = await servePage());
    // The compiled server: its worker threads load dist/runtime-node/worker/worker-main.js.
    const serverModule = new URL('../../dist/runtime-node/server.js', import.meta.url).href;
    const { startServer } = (await import(serverModule)) as typeof import('../../runtime-node/server.js');
    // allowOrigins through a spread: the option is new (the WebSocket door's Origin allow-list);
    // this works both before it exists and after, when a page's origin must be listed.
    const options: ServerOptions = { port: 0, respPort: null, workers: 1, pin: false, log: (line) => nodeLog.push(line) };
    node = await startServer({ ...options, ...({ allowOrigins: [origin] } as object) });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: BROWSER_LAUNCH_TIMEOUT_MS });
  }, BROWSER_LAUNCH_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    await browser?.close();
    await node?.close();
    await new Promise((resolve) => pageServer?.close(resolve));
  });

  it('connects with the native WebSocket and does set, get, incr, scan, cas and bytes', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => { if (message.type() === 'error') problems.push(`console: ${message.text()}`); });
    const wsUrl = `ws://127.0.0.1:${node.port}/v1/ws`;
    await page.goto(`${origin}/?ws=${encodeURIComponent(wsUrl)}`, { timeout: PAGE_TIMEOUT_MS });
    // These callbacks run in the page, where globalThis is its window.
    await page.waitForFunction(() => (globalThis as { __piccolo?: unknown }).__piccolo !== undefined, undefined, { timeout: PAGE_TIMEOUT_MS });
    const outcome = await page.evaluate(() => (globalThis as unknown as { __piccolo: { result?: unknown; error?: string } }).__piccolo);
    await page.close();

    expect(outcome.error, `${outcome.error}\n${problems.join('\n')}\nnode log:\n${nodeLog.join('\n')}`).toBeUndefined();
    expect(outcome.result).toEqual({
      hasNativeWebSocket: true,
      version: expect.any(Number),
      greeting: 'hello from chromium',
      counter: '42',
      keys: ['browser:scan:a', 'browser:scan:b', 'browser:scan:c'],
      bytes: [0, 255, 128, 10],
      casError: 'VERSION_MISMATCH',
      missing: null,
    });
    expect(problems).toEqual([]);

    // What the page wrote is on the node: read it back from Node with the same client.
    const kv = await connect(`ws://127.0.0.1:${node.port}/v1/ws`);
    try {
      expect(await kv.getString('browser:greeting')).toBe('hello from chromium');
      expect(await kv.getString('browser:counter')).toBe('42');
    } finally {
      await kv.close();
    }
  });

  it('the bundle holds no Node code: no require, no process, no node: imports, no ws package', () => {
    const bundle = readFileSync(BUNDLE, 'utf8');
    expect(bundle).not.toMatch(/\brequire\(["']|\bprocess\.(env|versions|nextTick)|from ["']node:|import\(["']ws["']\)/);
    expect(bundle).toMatch(/^export \{[^}]*\bconnect\b[^}]*\};?$/m);
  });
});
