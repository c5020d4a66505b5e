// A sweep thread (see sweep-pool.ts): runs the seeds the CLI's thread hands
// it, one at a time, and answers each with its SeedOutcome. The options come
// once, as workerData; nothing else is shared, so a seed runs exactly as it
// would on the main thread (same report, same trace hash).

import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { assert } from '../core/assert.js';
import type { SimOptions } from './config.js';
import { runSeed } from './run-seed.js';
import { outcomeOf } from './seed-outcome.js';

const port = parentPort;
assert(port !== null, 'sweep-worker.ts runs as a worker thread');
const options = workerData as Omit<SimOptions, 'seed'>;
port.on('message', (seed: number) => {
  port.postMessage(outcomeOf(seed, runSeed({ ...options, seed }, () => performance.now())));
});
