// `npm run sim -- ...`: run one seed, or sweep a range of seeds.
//
//   --seed N          run seed N and print its report (deterministic)
//   --seeds A..B      run seeds A to B (inclusive) and print a summary
//   --nodes K         nodes (default 1); more than one form a cluster
//   --groups G        shard groups replicated by Raft across the nodes (default: K)
//   --replicas R      replicas per group (default min(3, nodes))
//   --lone            several nodes, each alone (no groups, no replication)
//   --clients C       workload clients (default: chosen by the seed)
//   --ops M           workload operations (default 2000)
//   --tx W            transactions in the workload at weight W (default: none)
//   --data S          share S (0..0.9) of operations that are data commands (default: none)
//   --background-sync disks finish fsyncs in the background while workers go on
//   --faults LIST     comma-separated faults that are on (or "none");
//                     default: each of the default set on by chance
//   --timing          also print wall-clock timing for a single seed
//   --jobs N          run a sweep's seeds on N threads (sweep-pool.ts)
//   -h, --help        print the options (HELP below) and exit 0
//
// Exit codes: see verdict.ts (0 pass, 2 usage, 3..9 by failure kind).
// Kept apart from cli.ts so tests can drive it without a process.

import { GROUPS_MAX } from './cluster.js';
import { CLIENTS_MAX, DATA_SHARE_MAX, DEFAULT_OPS, NODES_MAX, OPS_MAX, TX_WEIGHT_MAX, type SimOptions } from './config.js';
import { DEFAULT_FAULT_CHANCE, DEFAULT_FAULTS, FAULT_NAMES, type FaultName } from './fault-plan.js';
import { formatRun } from './report.js';
import { runSeed } from './run-seed.js';
import { outcomeOf, simulatedOps, type SeedOutcome } from './seed-outcome.js';
import { JOBS_MAX, runSeedsOnThreads } from './sweep-pool.js';
import { EXIT_CODES, EXIT_PASS, EXIT_USAGE, FAILURE_KINDS, type FailureKind } from './verdict.js';

export interface CliIo {
  /** One line of standard output. */
  out(line: string): void;
  /** Raw text to standard error (progress). */
  err(text: string): void;
  /** Whether standard error is a terminal (then progress redraws one line). */
  errIsTty: boolean;
  /** Wall clock in ms, for timing lines only. */
  nowMs(): number;
}

/** Without a TTY, a progress line every this many seeds. */
export const PROGRESS_EVERY_SEEDS = 100;
const PROGRESS_BAR_WIDTH = 30;

const USAGE = `usage: npm run sim -- (--seed N | --seeds A..B) [--nodes K] [--groups G] [--replicas R] [--lone] [--clients C] [--ops M] [--tx W] [--data S] [--background-sync] [--faults LIST] [--timing] [--jobs N]
  faults: ${FAULT_NAMES.join(', ')} (comma-separated), all, or none`;

/** The full help, built from the constants it describes so it cannot drift from them. */
export const HELP = `Run the deterministic simulator: whole nodes, clients and faults on a virtual
network and clock, all drawn from one seed; then check the history.

${USAGE}

Options:
  --seed N          run seed N and print its full report (same seed, same run)
  --seeds A..B      run seeds A to B (inclusive) and print a summary
  --nodes K         nodes, 1..${NODES_MAX} (default 1); more than one form a replicated cluster
  --groups G        shard groups, 1..${GROUPS_MAX}, replicated by Raft across the nodes (default: K
                    when K > 1; given with --nodes 1, a cluster of one node)
  --replicas R      replicas per group, 1..nodes (default min(3, nodes); implies a cluster)
  --lone            with --nodes K > 1: K independent single nodes (no groups, no replication)
  --clients C       workload client hosts, 1..${CLIENTS_MAX} (default: chosen by the seed, 2..8)
  --ops M           workload operations, 1..${OPS_MAX} (default ${DEFAULT_OPS})
  --tx W            transactions in the workload mix at weight W, 1..${TX_WEIGHT_MAX} (the other ops'
                    weights are 0..10 each; default: no transactions)
  --data S          share S of workload operations that are data commands, 0 < S <= ${DATA_SHARE_MAX}: hash
                    fields as registers, lists as queues (default: none)
  --background-sync disks finish each fsync 20-600 us of virtual time after it starts, while the
                    worker goes on (core/storage/background-sync.ts; a node waits for its fsyncs)
  --faults LIST     faults that are on for sure, comma-separated, all, or none
                    (default: each of ${DEFAULT_FAULTS.join(', ')} on by chance:
                    ${DEFAULT_FAULTS.map((f) => `${f} ${Math.round(DEFAULT_FAULT_CHANCE[f] * 100)}%`).join(', ')})
  --timing          also print wall-clock timing (single seed)
  --jobs N          run a sweep's seeds on N threads, 1..${JOBS_MAX} (default 1); the summary is the same,
                    only progress and timing differ
  -h, --help        print this help

Exit codes:
  ${EXIT_PASS}  every check passed
  ${EXIT_USAGE}  bad command line
${FAILURE_KINDS.map((kind) => `  ${EXIT_CODES[kind]}  ${kind}`).join('\n')}
  (several failures: the code of the first in the list above)
`;

interface ParsedArgs {
  seeds: { first: number; last: number; single: boolean };
  options: Omit<SimOptions, 'seed'>;
  timing: boolean;
  /** Threads a sweep runs its seeds on (1: the calling thread). */
  jobs: number;
}

class UsageError extends Error {}

function parseCount(flag: string, text: string | undefined, max: number): number {
  if (text === undefined || !/^[0-9]+$/.test(text)) throw new UsageError(`${flag} needs a whole number`);
  const n = Number(text);
  if (n < 1 || n > max) throw new UsageError(`${flag} must be in 1..${max}`);
  return n;
}

function parseShare(flag: string, text: string | undefined, max: number): number {
  if (text === undefined || !/^[0-9]*\.?[0-9]+$/.test(text)) throw new UsageError(`${flag} needs a decimal share such as 0.3`);
  const share = Number(text);
  if (!(share > 0 && share <= max)) throw new UsageError(`${flag} must be above 0 and at most ${max}`);
  return share;
}

function parseSeed(text: string, what: string): number {
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`${what} must be a non-negative integer below 2^53`);
  return Number(text);
}

function parseFaults(text: string | undefined): FaultName[] {
  if (text === undefined || text === '') throw new UsageError('--faults needs a list');
  if (text === 'none') return [];
  if (text === 'all') return [...FAULT_NAMES];
  const names = text.split(',');
  for (const name of names) {
    if (!(FAULT_NAMES as readonly string[]).includes(name)) throw new UsageError(`unknown fault "${name}"; known: ${FAULT_NAMES.join(', ')}`);
  }
  return [...new Set(names)] as FaultName[];
}

export function parseArgs(argv: readonly string[]): ParsedArgs | 'help' {
  let seeds: ParsedArgs['seeds'] | null = null;
  const options: Omit<SimOptions, 'seed'> = {};
  let timing = false;
  let jobs = 1;
  let lone = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string | undefined => argv[++i];
    switch (flag) {
      case '--seed': {
        if (seeds !== null) throw new UsageError('give one --seed or --seeds');
        const text = value();
        if (text === undefined) throw new UsageError('--seed needs a number');
        const seed = parseSeed(text, '--seed');
        seeds = { first: seed, last: seed, single: true };
        break;
      }
      case '--seeds': {
        if (seeds !== null) throw new UsageError('give one --seed or --seeds');
        const match = /^([0-9]+)\.\.([0-9]+)$/.exec(value() ?? '');
        if (match === null) throw new UsageError('--seeds needs a range A..B');
        const first = parseSeed(match[1]!, 'a seed');
        const last = parseSeed(match[2]!, 'a seed');
        if (last < first) throw new UsageError('--seeds A..B needs A <= B');
        seeds = { first, last, single: false };
        break;
      }
      case '--nodes': options.nodes = parseCount(flag, value(), NODES_MAX); break;
      case '--groups': options.groups = parseCount(flag, value(), GROUPS_MAX); break;
      case '--replicas': options.replicas = parseCount(flag, value(), NODES_MAX); break;
      case '--lone': lone = true; break;
      case '--clients': options.clients = parseCount(flag, value(), CLIENTS_MAX); break;
      case '--ops': options.ops = parseCount(flag, value(), OPS_MAX); break;
      case '--faults': options.faults = parseFaults(value()); break;
      case '--tx': options.txWeight = parseCount(flag, value(), TX_WEIGHT_MAX); break;
      case '--data': options.dataShare = parseShare(flag, value(), DATA_SHARE_MAX); break;
      case '--background-sync': options.backgroundSync = true; break;
      case '--timing': timing = true; break;
      case '--jobs': jobs = parseCount(flag, value(), JOBS_MAX); break;
      case '--help': case '-h': return 'help';
      default: throw new UsageError(`unknown argument "${flag}"`);
    }
  }
  if (seeds === null) throw new UsageError('give --seed N or --seeds A..B');
  const clusterAsked = options.groups !== undefined || options.replicas !== undefined;
  if (lone && clusterAsked) throw new UsageError('--lone runs nodes without groups: give it without --groups and --replicas');
  // Several nodes are a cluster, as the issue's `--nodes 3 --faults all` means: one group per node unless told.
  if (!lone && !clusterAsked && (options.nodes ?? 1) > 1) options.groups = options.nodes;
  return { seeds, options, timing, jobs };
}

function rate(ops: number, ms: number): string {
  return ms > 0 ? `${Math.round((ops * 1000) / ms)} ops/s` : 'n/a';
}

/** The exit code; a promise of it for a sweep on several threads (--jobs N). */
export function main(argv: readonly string[], io: CliIo): number | Promise<number> {
  let args: ParsedArgs | 'help';
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.out(`error: ${error.message}`);
    io.out(USAGE);
    return EXIT_USAGE;
  }
  if (args === 'help') {
    for (const line of HELP.trimEnd().split('\n')) io.out(line);
    return EXIT_PASS;
  }
  if (args.seeds.single) return runOne(args.seeds.first, args, io);
  return runSweep(args, io);
}

function runOne(seed: number, args: ParsedArgs, io: CliIo): number {
  const run = runSeed({ ...args.options, seed }, args.timing ? io.nowMs : undefined);
  for (const line of formatRun(run)) io.out(line);
  if (args.timing && run.timing) {
    const { simMs, checkMs } = run.timing;
    const ops = simulatedOps(run);
    io.out(`timing (wall clock, not deterministic): simulate ${simMs.toFixed(1)}ms (${rate(ops, simMs)}), check ${checkMs.toFixed(1)}ms, `
      + `total ${(simMs + checkMs).toFixed(1)}ms (${rate(ops, simMs + checkMs)})`);
  }
  return run.exitCode;
}

function runSweep(args: ParsedArgs, io: CliIo): number | Promise<number> {
  const { first, last } = args.seeds;
  const total = last - first + 1;
  let done = 0;
  let failed = 0;
  const progress = (outcome: SeedOutcome): void => {
    done++;
    if (outcome.failureKinds.length > 0) failed++;
    if (io.errIsTty) {
      const filled = Math.round((done / total) * PROGRESS_BAR_WIDTH);
      io.err(`\r[${'#'.repeat(filled)}${'.'.repeat(PROGRESS_BAR_WIDTH - filled)}] ${done}/${total} seeds, ${failed} failed`);
      if (done === total) io.err('\n');
    } else if (done % PROGRESS_EVERY_SEEDS === 0 || done === total) {
      io.err(`${done}/${total} seeds, ${failed} failed\n`);
    }
  };
  const started = io.nowMs();
  if (args.jobs > 1) {
    return runSeedsOnThreads(first, last, args.options, args.jobs, progress)
      .then((outcomes) => printSweep(args, outcomes, io.nowMs() - started, io));
  }
  const outcomes: SeedOutcome[] = [];
  for (let seed = first; seed <= last; seed++) {
    const outcome = outcomeOf(seed, runSeed({ ...args.options, seed }, io.nowMs));
    outcomes.push(outcome);
    progress(outcome);
  }
  return printSweep(args, outcomes, io.nowMs() - started, io);
}

/** The sweep's summary table from its outcomes (in seed order); returns the exit code. */
function printSweep(args: ParsedArgs, outcomes: readonly SeedOutcome[], wallMs: number, io: CliIo): number {
  const { first, last } = args.seeds;
  const total = last - first + 1;
  const failedBy = new Map<FailureKind, number>();
  const failing = outcomes.filter((o) => o.failureKinds.length > 0);
  let ops = 0;
  let simMs = 0;
  let checkMs = 0;
  for (const outcome of outcomes) {
    ops += outcome.ops;
    simMs += outcome.simMs;
    checkMs += outcome.checkMs;
    for (const kind of new Set(outcome.failureKinds)) failedBy.set(kind, (failedBy.get(kind) ?? 0) + 1);
  }
  io.out(`sweep: seeds ${first}..${last} (${total} runs)`);
  io.out(`  ${'passed'.padEnd(16)} ${total - failing.length}`);
  io.out(`  ${'failed'.padEnd(16)} ${failing.length}`);
  for (const kind of FAILURE_KINDS) {
    const n = failedBy.get(kind);
    if (n !== undefined) io.out(`    ${kind.padEnd(14)} ${n}`);
  }
  io.out(`  ${'client ops'.padEnd(16)} ${ops}`);
  if (failing.length > 0) {
    const firstFail = failing[0]!;
    io.out(`first failing seed: ${firstFail.seed} (${firstFail.failureKinds.join(', ')})`);
    io.out(`replay: ${firstFail.replay}`);
    const shown = failing.slice(0, 20).map((f) => f.seed).join(', ');
    io.out(`failing seeds: ${shown}${failing.length > 20 ? `, ... (${failing.length} in all)` : ''}`);
  }
  // With several threads the simulate and check times are summed over them (thread time, more than the wall clock).
  io.out(`timing (wall clock, not deterministic): ${(wallMs / 1000).toFixed(2)}s wall, ${rate(ops, wallMs)} overall`
    + `${args.jobs > 1 ? ` on ${args.jobs} threads` : ''}; simulate ${(simMs / 1000).toFixed(2)}s (${rate(ops, simMs)}), check ${(checkMs / 1000).toFixed(2)}s`);
  return failing.length === 0 ? EXIT_PASS : failing[0]!.exitCode;
}
