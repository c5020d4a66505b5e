// A sweep's seeds on several threads (`--jobs N`): each thread
// (sweep-worker.ts) runs one seed at a time, and gets the next seed as soon
// as it answers, so a slow seed does not hold the others up. Seeds are
// independent runs (each builds its own world from its seed), so where one
// runs changes nothing in it; the CLI prints the outcomes in seed order,
// and only the progress lines and the timing line depend on the threads.

import { Worker } from 'node:worker_threads';
import { assert } from '../core/assert.js';
import type { SimOptions } from './config.js';
import type { SeedOutcome } from './seed-outcome.js';

/** More threads than this only queue on the cores (and each holds a whole simulated world). */
export const JOBS_MAX = 64;

/**
 * Runs seeds first..last on `jobs` threads; `onOutcome` sees each outcome as
 * it arrives (completion order). Resolves with every outcome in seed order.
 */
export function runSeedsOnThreads(first: number, last: number, options: Omit<SimOptions, 'seed'>, jobs: number,
  onOutcome: (outcome: SeedOutcome) => void): Promise<SeedOutcome[]> {
  assert(Number.isInteger(jobs) && jobs >= 1 && jobs <= JOBS_MAX, `jobs must be in 1..${JOBS_MAX}`);
  const total = last - first + 1;
  const outcomes: SeedOutcome[] = new Array<SeedOutcome>(total);
  let nextSeed = first;
  let done = 0;
  return new Promise((resolve, reject) => {
    const threads: Worker[] = [];
    const stopAll = (): void => { for (const t of threads) void t.terminate(); };
    const handOut = (thread: Worker): void => {
      if (nextSeed > last) {
        void thread.terminate();
        return;
      }
      thread.postMessage(nextSeed++);
    };
    for (let j = 0; j < Math.min(jobs, total); j++) {
      const thread = new Worker(new URL('./sweep-worker.js', import.meta.url), { workerData: options });
      threads.push(thread);
      thread.on('message', (outcome: SeedOutcome) => {
        outcomes[outcome.seed - first] = outcome;
        onOutcome(outcome);
        if (++done === total) {
          stopAll();
          resolve(outcomes);
          return;
        }
        handOut(thread);
      });
      // An exception outside a run's own try (runSeed reports the core's as a crash) is a simulator bug: stop.
      thread.on('error', (error) => {
        stopAll();
        reject(error);
      });
      handOut(thread);
    }
  });
}
