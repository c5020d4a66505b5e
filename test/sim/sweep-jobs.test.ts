// A sweep on several threads (--jobs N, runtime-sim/sweep-pool.ts) prints the
// same summary as on one: seeds are independent runs, and the outcomes are
// printed in seed order whichever thread finished first. Needs `npm run build`
// (worker threads load the built sweep-worker.js).

import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../e2e/spawn-node.js';

/** Bound on one small sweep (a few seeds of 100 operations), threads included, on a loaded 2-core machine. */
const SWEEP_TIMEOUT_MS = 60_000;

function sim(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [`${REPO_ROOT}dist/runtime-sim/cli.js`, ...args], { timeout: SWEEP_TIMEOUT_MS }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }));
  });
}

const withoutTiming = (text: string): string => text.split('\n').filter((line) => !line.startsWith('timing ')).join('\n');

describe('sim sweep on threads (--jobs)', () => {
  it('prints the summary of the sequential sweep, in seed order', async () => {
    const sweep = ['--seeds', '1..5', '--nodes', '3', '--groups', '4', '--ops', '100', '--faults', 'all'];
    const [one, three] = await Promise.all([sim([...sweep, '--jobs', '1']), sim([...sweep, '--jobs', '3'])]);
    expect(one.code).toBe(0);
    expect(three.code).toBe(0);
    expect(withoutTiming(three.stdout)).toBe(withoutTiming(one.stdout));
    expect(three.stdout).toMatch(/^ {2}client ops +\d+$/m);
    expect(three.stdout).toMatch(/^timing \(wall clock, not deterministic\): .* overall on 3 threads; simulate/m);
    expect(one.stdout).not.toMatch(/threads/);
    expect(three.stderr).toBe('5/5 seeds, 0 failed\n');
  }, SWEEP_TIMEOUT_MS);
});
