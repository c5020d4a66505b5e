// Writes a simulated, linearizable-by-construction history file, for
// measuring the checker by hand:
//   npx vite-node test/checker/generate-history.ts SEED KEYS PROCESSES OPS FAULT_PERCENT OUT.jsonl
// (FAULT_PERCENT of operations end in fail or info.) Add a bug by editing one
// read's value in the output.

import { writeFileSync } from 'node:fs';
import { formatHistoryEvent } from '../../core/checker/index.js';
import { SeededChoices, simulateHistory } from './simulated-history.js';

const args = process.argv.slice(2);
if (args.length !== 6) {
  process.stderr.write('usage: generate-history.ts SEED KEYS PROCESSES OPS FAULT_PERCENT OUT.jsonl\n');
  process.exit(2);
}
const [seed, keys, processes, ops, faultPercent] = args.slice(0, 5).map(Number) as [number, number, number, number, number];
const events = simulateHistory(new SeededChoices(seed, Number.MAX_SAFE_INTEGER), { keys, processes, opsMax: ops, faultPercent });
writeFileSync(args[5]!, events.map(formatHistoryEvent).join('\n') + '\n');
process.stdout.write(`${events.length} events\n`);
