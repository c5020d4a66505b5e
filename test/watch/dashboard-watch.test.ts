// The dashboard's "Watch a prefix live" in headless Chromium against a lone
// node: the page lists each change of the prefix (newest first) as it is
// written, nothing of other keys, and nothing after Stop. Needs
// `npm run build` and Debian's chromium.

import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PiccoloServer } from '../../runtime-node/server.js';
import { FrameClient, startWatchNode } from './ws-watch-node.js';

const CHROMIUM = '/usr/bin/chromium';
/** As test/browser/dashboard.test.ts: a headless Chromium in a container. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const BROWSER_LAUNCH_TIMEOUT_MS = 30_000;
const PAGE_WAIT_MS = 15_000;

const hasChromium = existsSync(CHROMIUM);

/** The (kind, key) of each row of the page's change table, top (newest) first. */
async function rows(page: Page): Promise<string[]> {
  return page.locator('#changes tbody tr').evaluateAll((trs: { getAttribute(n: string): string | null }[]) =>
    trs.map((tr) => `${tr.getAttribute('data-kind')} ${tr.getAttribute('data-key')}`));
}

describe.skipIf(!hasChromium)('the dashboard watches a prefix live', () => {
  let node: PiccoloServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    [node, browser] = await Promise.all([
      startWatchNode(),
      chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: BROWSER_LAUNCH_TIMEOUT_MS }),
    ]);
    page = await browser.newPage();
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  }, BROWSER_LAUNCH_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    await browser?.close();
    await node?.close();
  });

  it('lists each change of the prefix as it comes, and only those', async () => {
    await page.goto(`http://127.0.0.1:${node.port}/dashboard`, { timeout: PAGE_WAIT_MS });
    await page.waitForSelector('body[data-state="live"]', { timeout: PAGE_WAIT_MS });
    await page.fill('#watch-prefix', 'dash:');
    await page.click('#watch-start');
    await page.waitForSelector('body[data-watch="live"]', { timeout: PAGE_WAIT_MS });
    const writer = await FrameClient.open(node.port);
    await writer.request({ op: 'set', key: 'dash:a', value: 'one' });
    await writer.request({ op: 'set', key: 'other', value: 'not shown' });
    await writer.request({ op: 'del', key: 'dash:a' });
    await page.waitForSelector('#changes tr[data-kind="delete"]', { timeout: PAGE_WAIT_MS });
    expect(await rows(page)).toEqual(['delete dash:a', 'set dash:a']);
    expect(await page.locator('#changes tbody tr').last().textContent()).toContain('one');

    // Stop: nothing more is listed.
    await page.click('#watch-stop');
    await writer.request({ op: 'set', key: 'dash:b', value: 'after stop' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await rows(page)).toEqual(['delete dash:a', 'set dash:a']);
    writer.close();
    expect(problems).toEqual([]);
  });
});
