// `npm run bench`: micro-benchmarks, then the end-to-end comparison of
// Piccolo against a bare uWS echo server (alternating, medians), then one
// extra Piccolo run under the CPU profiler; prints everything and rewrites
// the generated section of docs/benchmarks.md.
//
//   npm run bench -- [--quick] [--format binary|json|both] [--duration-s S] ...
//
// It measures; it never passes or fails on a number.

import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { formatThreadProfile, summarizeProfileDir, type ThreadProfile } from './cpu-profile.js';
import { e2eTable, formatRatio, ratios, runE2e, runOne, summarize, type E2eOptions } from './e2e.js';
import { formatLoad, machineInfo } from './machine.js';
import { MICRO_FULL, MICRO_QUICK, microTable, runMicro } from './micro.js';
import { reportMarkdown, writeReport, type BenchReport } from './report.js';
import { LOAD_FORMATS, type LoadFormat } from './request-writer.js';
import { textTable } from './table.js';
import {
  DEFAULT_LOAD, LOAD_FLAG_OPTIONS, LOAD_FLAGS_HELP, LoadFlagError, loadOptionsFromFlags, randomSeed,
} from './ws-load.js';

const DOCS_PATH = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
/** CPU profiles go here; *.cpuprofile is git-ignored. */
const PROFILE_ROOT = fileURLToPath(new URL('../../bench/profiles/', import.meta.url));
/** Functions listed per thread in the profile summary. */
const PROFILE_TOP = 15;

/** --quick: a smoke run of a few seconds per case. */
const QUICK_LOAD = { durationMs: 2000, warmupMs: 500 };
/** Echo/Piccolo pairs per format: odd, so the median is a real run. */
const ROUNDS_DEFAULT = 3;

const HELP = `Usage: npm run bench -- [options]

Micro-benchmarks, then Piccolo vs a bare uWS echo server end to end, then a
profiled Piccolo run; prints the results and rewrites the generated section
of docs/benchmarks.md.

Options:
  --quick              short runs (${QUICK_LOAD.durationMs / 1000} s per case, one round) for a smoke test
  --format F           binary, json or both (default both)
  --rounds N           echo/Piccolo pairs per format; medians are reported (default ${ROUNDS_DEFAULT}, --quick 1)
  --server-workers N   Piccolo worker threads (default half the cores, at least 1)
  --no-pin             do not pin Piccolo's workers to CPUs
${LOAD_FLAGS_HELP}  --no-micro           skip the micro-benchmarks
  --no-e2e             skip the end-to-end runs
  --no-profile         skip the profiled run
  --no-docs            print only; leave docs/benchmarks.md alone
  -h, --help           show this help
`;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      format: { type: 'string' },
      rounds: { type: 'string' },
      'server-workers': { type: 'string' },
      'no-pin': { type: 'boolean' },
      'no-micro': { type: 'boolean' },
      'no-e2e': { type: 'boolean' },
      'no-profile': { type: 'boolean' },
      'no-docs': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      ...LOAD_FLAG_OPTIONS,
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const quick = values.quick === true;
  const formatFlag = values.format ?? 'both';
  if (formatFlag !== 'both' && !(LOAD_FORMATS as readonly string[]).includes(formatFlag)) {
    throw new LoadFlagError(`--format must be binary, json or both, got '${formatFlag}'`);
  }
  const formats: LoadFormat[] = formatFlag === 'both' ? [...LOAD_FORMATS] : [formatFlag as LoadFormat];
  const rounds = values.rounds === undefined ? (quick ? 1 : ROUNDS_DEFAULT) : Number(values.rounds);
  if (!Number.isSafeInteger(rounds) || rounds < 1 || rounds > 100) throw new LoadFlagError('--rounds must be 1..100');
  const serverWorkers = values['server-workers'] === undefined
    ? Math.max(1, Math.floor(availableParallelism() / 2))
    : Number(values['server-workers']);
  if (!Number.isSafeInteger(serverWorkers) || serverWorkers < 1 || serverWorkers > 256) throw new LoadFlagError('--server-workers must be 1..256');
  const e2eOptions: E2eOptions = {
    formats,
    rounds,
    serverWorkers,
    pin: values['no-pin'] !== true,
    load: loadOptionsFromFlags(values, { ...DEFAULT_LOAD, ...(quick ? QUICK_LOAD : {}), seed: randomSeed() }),
  };

  const report: BenchReport = {
    command: process.env.npm_lifecycle_event === 'bench'
      ? ['npm run bench', ...(argv.length ? ['--', ...argv] : [])].join(' ')
      : ['node dist/bench/run-all.js', ...argv].join(' '),
    startedAt: new Date(),
    machineAtStart: machineInfo(),
    loadAtEnd: [0, 0, 0],
    micro: null,
    e2eOptions: null,
    e2e: null,
    profile: null,
  };
  const m = report.machineAtStart;
  log(`bench: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB.toFixed(1)} GiB, Node ${m.node}; load average ${formatLoad(m.loadAverage)}`);

  if (values['no-micro'] !== true) {
    report.micro = await runMicro(quick ? MICRO_QUICK : MICRO_FULL, log);
    process.stdout.write(`\nMicro-benchmarks\n\n${textTable(microTable(report.micro))}\n\n`);
  }

  if (values['no-e2e'] !== true) {
    const runs = await runE2e(e2eOptions, log);
    report.e2eOptions = e2eOptions;
    report.e2e = summarize(runs);
    process.stdout.write(`\nEnd to end (medians of ${rounds} run${rounds === 1 ? '' : 's'})\n\n${textTable(e2eTable(report.e2e))}\n`);
    for (const r of ratios(report.e2e)) process.stdout.write(`${formatRatio(r)}\n`);
    process.stdout.write('\n');
  }

  if (values['no-profile'] !== true) {
    const format = formats[0]!;
    const dir = `${PROFILE_ROOT}${new Date().toISOString().replace(/[:.]/g, '-')}`;
    mkdirSync(dir, { recursive: true });
    log(`profile: one more Piccolo run (${format}) under --cpu-prof, profiles in ${dir}`);
    const run = await runOne('piccolo', format, 0, e2eOptions, dir);
    const threads: ThreadProfile[] = summarizeProfileDir(dir, PROFILE_TOP, run.window);
    report.profile = {
      description: `One extra Piccolo run (${format}, same load: ${Math.round(run.result.opsPerSec).toLocaleString('en-US')} ops/s under the profiler) `
        + 'with `node --cpu-prof`, counting only samples inside the measured window; top functions by self time per thread. '
        + 'Native work called from JS (uWS sends, Atomics.notify, syscalls) is charged to the calling JS function; '
        + 'a worker blocked in Atomics.wait is charged to `serve` (so on a worker thread that line is mostly sleep, not CPU — '
        + 'the server CPU column above is the real CPU use).',
      threads,
    };
    for (const t of threads) process.stdout.write(`${formatThreadProfile(t)}\n\n`);
  }

  report.loadAtEnd = machineInfo().loadAverage;
  if (values['no-docs'] !== true) {
    writeReport(DOCS_PATH, reportMarkdown(report));
    log(`bench: wrote ${DOCS_PATH}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    const usage = error instanceof LoadFlagError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`bench: ${usage ? (error as Error).message : (error as Error).stack ?? String(error)}\n`);
    process.exitCode = usage ? 2 : 1;
  });
}
