// Entry point of `npm run sim` (node dist/runtime-sim/cli.js). The logic is
// in cli-main.ts; this file only connects it to the process.

import { performance } from 'node:perf_hooks';
import { main } from './cli-main.js';

// A sweep on several threads (--jobs) answers with a promise of the exit code.
process.exitCode = await main(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (text) => process.stderr.write(text),
  errIsTty: process.stderr.isTTY === true,
  nowMs: () => performance.now(),
});
