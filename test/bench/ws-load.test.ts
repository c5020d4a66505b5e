// The load generator end to end (compiled, as `npm run bench` runs it): it
// must drive the echo server and a real Piccolo node in both formats, and its
// reply checks must pass. Short runs with no expectations on speed: this
// checks that the benchmark measures real replies, not how fast they come.

import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT, startNode, type RunningNode } from '../e2e/spawn-node.js';

const run = promisify(execFile);
const LOAD = `${REPO_ROOT}dist/bench/ws-load.js`;
const ECHO = `${REPO_ROOT}dist/bench/uws-echo-server.js`;
const SHORT_RUN = ['--duration-s', '0.4', '--warmup-s', '0.1', '--connections', '3', '--pipeline', '4', '--threads', '1', '--keyspace', '500'];

interface LoadJson {
  replies: number;
  opsPerSec: number;
  checked: number;
  problems: Record<string, number>;
  preloadProblems: Record<string, number>;
  undrained: number;
  latencyUs: { p50: number; p99: number };
}

async function load(args: string[]): Promise<LoadJson> {
  const { stdout } = await run(process.execPath, [LOAD, '--json', ...SHORT_RUN, ...args], { timeout: 30_000 });
  return JSON.parse(stdout) as LoadJson;
}

function expectHealthy(r: LoadJson): void {
  expect(r.replies).toBeGreaterThan(0);
  expect(r.checked).toBeGreaterThan(0);
  expect(r.problems).toEqual({});
  expect(r.preloadProblems).toEqual({});
  expect(r.undrained).toBe(0);
  expect(r.latencyUs.p99).toBeGreaterThanOrEqual(r.latencyUs.p50);
}

describe('ws-load against the uWS echo server', () => {
  let echo: ReturnType<typeof spawn>;
  let url = '';
  beforeAll(async () => {
    echo = spawn(process.execPath, [ECHO, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      echo.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      echo.once('exit', (code) => reject(new Error(`echo server exited with ${code}`)));
    });
    url = `ws://127.0.0.1:${port}/v1/ws`;
  });
  afterAll(() => { echo.kill('SIGTERM'); });

  for (const format of ['binary', 'json']) {
    test(`${format}: every reply echoes its request`, async () => {
      expectHealthy(await load(['--url', url, '--target', 'echo', '--format', format]));
    });

    test(`${format}: the reply checks catch replies that are not Piccolo's`, async () => {
      const r = await load(['--url', url, '--target', 'piccolo', '--format', format]);
      expect(r.checked).toBeGreaterThan(0);
      expect(Object.values(r.problems).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      // The preload's replies are checked too, and counted apart from the run's.
      expect(Object.values(r.preloadProblems).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    });
  }
});

describe('ws-load against Piccolo', () => {
  let node: RunningNode;
  beforeAll(async () => { node = await startNode(['--workers', '1', '--no-pin']); });
  afterAll(async () => { await node.stop(); });

  for (const format of ['binary', 'json']) {
    test(`${format}: preloaded GETs find their values and SETs succeed (two generator threads)`, async () => {
      // Two threads split the preload between them: every key must still be written.
      expectHealthy(await load(['--url', node.wsUrl, '--format', format, '--threads', '2']));
    });
  }

  test('bad flags are refused with a clear message', async () => {
    await expect(run(process.execPath, [LOAD, '--url', node.wsUrl, '--pipeline', '0'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('pipeline must be an integer from 1 to 1024'),
    });
  });
});
