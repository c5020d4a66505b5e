// The end-to-end WebSocket load generator: N connections x pipeline depth P
// in a closed loop (each connection keeps P requests outstanding), a GET/SET
// mix over a preloaded keyspace, run for a warmup and then a measured window,
// spread over worker threads so one event loop is not the limit.
//
//   node dist/bench/ws-load.js --url ws://127.0.0.1:7700/v1/ws [flags]
//
// Latency is per request, send to reply, in a log-bucket histogram (1.6%
// precision). Closed loop: latency and throughput are two views of the same
// queue (Little's law: outstanding = throughput x latency), so compare runs
// at equal connections x pipeline.

import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { LatencyHistogram } from './histogram.js';
import type { FromThread, LoadThreadSetup, ToThread } from './load-protocol.js';
import type { LoadTarget } from './reply-check.js';
import { LOAD_FORMATS, type LoadFormat } from './request-writer.js';

export interface LoadOptions {
  url: string;
  /** What answers: Piccolo (replies are checked) or the echo server (replies mirror requests). */
  target: LoadTarget;
  format: LoadFormat;
  connections: number;
  /** Requests each connection keeps outstanding. */
  pipeline: number;
  /** Generator threads; connections are spread over them. */
  threads: number;
  warmupMs: number;
  durationMs: number;
  keyspace: number;
  valueBytes: number;
  /** Fraction of GETs; the rest are SETs. */
  getRatio: number;
  /** Write every key before the run, so GETs hit. */
  preload: boolean;
  seed: number;
}

export interface LatencySummaryUs {
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface LoadResult {
  options: LoadOptions;
  replies: number;
  opsPerSec: number;
  latencyUs: LatencySummaryUs;
  /** Replies fully checked, and problems found (error codes, wrong content), from the end of the preload on. */
  checked: number;
  problems: Record<string, number>;
  /** Problems in the preload's replies: a keyspace not fully written makes the run's GETs miss. */
  preloadProblems: Record<string, number>;
  /** Event-loop utilisation per generator thread over the window: near 1 means the generator, not the server, was the limit. */
  generatorUtilization: number[];
  undrained: number;
  preloadMs: number;
}

export const DEFAULT_LOAD: Omit<LoadOptions, 'url' | 'target' | 'seed'> = {
  format: 'binary',
  connections: 16,
  pipeline: 16,
  threads: Math.min(2, availableParallelism()),
  warmupMs: 1000,
  durationMs: 10_000,
  keyspace: 100_000,
  valueBytes: 100,
  getRatio: 0.5,
  preload: true,
};

/** Most requests one Piccolo connection may have in flight (limits.pipelineMax); deeper pipelines just queue on the server. */
export const PIPELINE_MAX = 1024;
/** Most connections the generator opens; well under the server's connectionsMax. */
export const CONNECTIONS_MAX = 4096;
/** The key format has room for this many keys (key:0000000). */
export const KEYSPACE_MAX = 10_000_000;
/** Values up to 1 MiB keep frames far under the server's limits. */
export const VALUE_BYTES_MAX = 1024 * 1024;
/** How long the coordinator waits for threads to connect and preload. */
const READY_TIMEOUT_MS = 120_000;

const THREAD_SCRIPT = new URL('./ws-load-thread.js', import.meta.url);

interface Thread {
  worker: Worker;
  next(): Promise<FromThread>;
}

function startThread(setup: LoadThreadSetup): Thread {
  const worker = new Worker(THREAD_SCRIPT, { workerData: setup });
  const inbox: FromThread[] = [];
  let waiter: ((m: FromThread) => void) | null = null;
  const deliver = (m: FromThread): void => {
    if (waiter) {
      const w = waiter;
      waiter = null;
      w(m);
    } else {
      inbox.push(m);
    }
  };
  worker.on('message', deliver);
  worker.on('error', (error) => deliver({ type: 'failed', message: error.stack ?? String(error) }));
  worker.on('exit', (code) => { if (code !== 0) deliver({ type: 'failed', message: `generator thread exited with code ${code}` }); });
  return {
    worker,
    next: () => (inbox.length > 0 ? Promise.resolve(inbox.shift()!) : new Promise((resolve) => { waiter = resolve; })),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e: unknown) => { clearTimeout(timer); reject(e as Error); });
  });
}

function expect<T extends FromThread['type']>(m: FromThread, type: T): Extract<FromThread, { type: T }> {
  if (m.type === 'failed') throw new Error(`load generator thread failed: ${m.message}`);
  if (m.type !== type) throw new Error(`load generator thread sent ${m.type}, expected ${type}`);
  return m as Extract<FromThread, { type: T }>;
}

export interface LoadHooks {
  /** Called when the measured window opens and closes (after warmup), e.g. to sample server CPU. */
  onWindowStart?: () => void;
  onWindowEnd?: () => void;
}

export async function runLoad(options: LoadOptions, hooks: LoadHooks = {}): Promise<LoadResult> {
  checkLoadOptions(options);
  const threadCount = Math.min(options.threads, options.connections);
  const threads: Thread[] = [];
  for (let t = 0; t < threadCount; t++) {
    threads.push(startThread({
      url: options.url,
      target: options.target,
      format: options.format,
      threadIndex: t,
      threadCount,
      connections: Math.floor(options.connections / threadCount) + (t < options.connections % threadCount ? 1 : 0),
      pipeline: options.pipeline,
      keyspace: options.keyspace,
      valueBytes: options.valueBytes,
      getRatio: options.getRatio,
      preload: options.preload,
      seed: (options.seed + t * 0x9e3779b1) | 0,
    }));
  }
  try {
    const preloadStartMs = performance.now();
    const preloadProblems: Record<string, number> = {};
    for (const t of threads) {
      const ready = expect(await withTimeout(t.next(), READY_TIMEOUT_MS, 'connecting and preloading'), 'ready');
      for (const [kind, n] of Object.entries(ready.preloadProblems)) preloadProblems[kind] = (preloadProblems[kind] ?? 0) + n;
    }
    const preloadMs = performance.now() - preloadStartMs;

    const go: ToThread = { type: 'go', warmupMs: options.warmupMs, durationMs: options.durationMs };
    for (const t of threads) t.worker.postMessage(go);
    // The threads time the window themselves; these timers mirror it for the
    // hooks. A thread may report before our end timer fires: then end now.
    let windowOpen = false;
    let windowClosed = false;
    const openWindow = (): void => {
      if (windowOpen) return;
      windowOpen = true;
      hooks.onWindowStart?.();
    };
    const closeWindow = (): void => {
      if (windowClosed) return;
      openWindow();
      windowClosed = true;
      hooks.onWindowEnd?.();
    };
    const windowStart = setTimeout(openWindow, options.warmupMs);
    const windowEnd = setTimeout(closeWindow, options.warmupMs + options.durationMs);
    const histogram = new LatencyHistogram();
    let replies = 0;
    let checked = 0;
    let undrained = 0;
    const problems: Record<string, number> = {};
    const generatorUtilization: number[] = [];
    try {
      for (const t of threads) {
        const done = expect(await t.next(), 'done');
        closeWindow();
        replies += done.replies;
        histogram.merge(LatencyHistogram.fromTransfer(done.histogram));
        checked += done.checks.checked;
        for (const [kind, n] of Object.entries(done.checks.problems)) problems[kind] = (problems[kind] ?? 0) + n;
        generatorUtilization.push(done.eventLoopUtilization);
        undrained += done.undrained;
      }
    } finally {
      clearTimeout(windowStart);
      clearTimeout(windowEnd);
    }
    const us = (ns: number): number => ns / 1000;
    return {
      options,
      replies,
      opsPerSec: replies / (options.durationMs / 1000),
      latencyUs: {
        mean: us(histogram.mean),
        p50: us(histogram.percentile(50)),
        p90: us(histogram.percentile(90)),
        p99: us(histogram.percentile(99)),
        p999: us(histogram.percentile(99.9)),
        max: us(histogram.max),
      },
      checked,
      problems,
      preloadProblems,
      generatorUtilization,
      undrained,
      preloadMs,
    };
  } finally {
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }
}

export function checkLoadOptions(o: LoadOptions): void {
  const int = (name: string, v: number, min: number, max: number): void => {
    if (!Number.isSafeInteger(v) || v < min || v > max) throw new LoadFlagError(`${name} must be an integer from ${min} to ${max}, got ${v}`);
  };
  int('connections', o.connections, 1, CONNECTIONS_MAX);
  int('pipeline', o.pipeline, 1, PIPELINE_MAX);
  int('threads', o.threads, 1, 64);
  int('keyspace', o.keyspace, 1, KEYSPACE_MAX);
  int('value bytes', o.valueBytes, 0, VALUE_BYTES_MAX);
  if (!(o.durationMs > 0)) throw new LoadFlagError('duration must be positive');
  if (!(o.warmupMs >= 0)) throw new LoadFlagError('warmup must not be negative');
  if (!(o.getRatio >= 0 && o.getRatio <= 1)) throw new LoadFlagError('get ratio must be between 0 and 1');
  if (!LOAD_FORMATS.includes(o.format)) throw new LoadFlagError(`format must be one of ${LOAD_FORMATS.join(', ')}`);
}

export class LoadFlagError extends Error {
  override name = 'LoadFlagError';
}

/** Flags shared by ws-load and run-all, as parseArgs options. */
export const LOAD_FLAG_OPTIONS = {
  'duration-s': { type: 'string' },
  'warmup-s': { type: 'string' },
  connections: { type: 'string' },
  pipeline: { type: 'string' },
  threads: { type: 'string' },
  keyspace: { type: 'string' },
  'value-bytes': { type: 'string' },
  'get-ratio': { type: 'string' },
  'no-preload': { type: 'boolean' },
  seed: { type: 'string' },
} as const;

export const LOAD_FLAGS_HELP = `  --duration-s S       measured seconds per run (default ${DEFAULT_LOAD.durationMs / 1000})
  --warmup-s S         unmeasured seconds before that (default ${DEFAULT_LOAD.warmupMs / 1000})
  --connections N      WebSocket connections (default ${DEFAULT_LOAD.connections})
  --pipeline P         requests each connection keeps outstanding (default ${DEFAULT_LOAD.pipeline})
  --threads T          generator threads (default ${DEFAULT_LOAD.threads})
  --keyspace K         keys key:0..K-1, chosen uniformly (default ${DEFAULT_LOAD.keyspace})
  --value-bytes B      SET value size (default ${DEFAULT_LOAD.valueBytes})
  --get-ratio R        fraction of GETs, the rest SETs (default ${DEFAULT_LOAD.getRatio})
  --no-preload         do not write the keyspace first (GETs then miss)
  --seed N             seed for the key sequence (default random)
`;

function num(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new LoadFlagError(`--${flag} must be a number, got '${text}'`);
  return n;
}

/** Apply the shared load flags over `base`. */
export function loadOptionsFromFlags(
  values: Partial<Record<keyof typeof LOAD_FLAG_OPTIONS, string | boolean>>,
  base: Omit<LoadOptions, 'url' | 'target' | 'format'>,
): Omit<LoadOptions, 'url' | 'target' | 'format'> {
  const v = values as Record<string, string | undefined>;
  const seconds = (flag: string, fallbackMs: number): number => {
    const s = num(v[flag], flag);
    return s === undefined ? fallbackMs : Math.round(s * 1000);
  };
  return {
    connections: num(v.connections, 'connections') ?? base.connections,
    pipeline: num(v.pipeline, 'pipeline') ?? base.pipeline,
    threads: num(v.threads, 'threads') ?? base.threads,
    warmupMs: seconds('warmup-s', base.warmupMs),
    durationMs: seconds('duration-s', base.durationMs),
    keyspace: num(v.keyspace, 'keyspace') ?? base.keyspace,
    valueBytes: num(v['value-bytes'], 'value-bytes') ?? base.valueBytes,
    getRatio: num(v['get-ratio'], 'get-ratio') ?? base.getRatio,
    preload: values['no-preload'] === true ? false : base.preload,
    seed: num(v.seed, 'seed') ?? base.seed,
  };
}

export function parseFormat(text: string | undefined, fallback: LoadFormat): LoadFormat {
  if (text === undefined) return fallback;
  if (!(LOAD_FORMATS as readonly string[]).includes(text)) throw new LoadFlagError(`--format must be one of ${LOAD_FORMATS.join(', ')}, got '${text}'`);
  return text as LoadFormat;
}

export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

/** The run's problems and the preload's (their kinds prefixed "preload: "), for a report that counts both. */
export function allProblems(r: LoadResult): Record<string, number> {
  const all = { ...r.problems };
  for (const [kind, n] of Object.entries(r.preloadProblems)) all[`preload: ${kind}`] = n;
  return all;
}

export function formatLoadResult(r: LoadResult): string {
  const f = (n: number): string => n.toFixed(n < 10 ? 1 : 0);
  const problems = Object.entries(r.problems).map(([k, n]) => `${k} x${n}`).join(', ');
  const preloadProblems = Object.entries(r.preloadProblems).map(([k, n]) => `${k} x${n}`).join(', ');
  return `${preloadProblems ? `PRELOAD PROBLEMS: ${preloadProblems}; ` : ''}`
    + `${r.options.target} ${r.options.format}: ${Math.round(r.opsPerSec).toLocaleString('en-US')} ops/s; `
    + `latency us mean ${f(r.latencyUs.mean)} p50 ${f(r.latencyUs.p50)} p90 ${f(r.latencyUs.p90)} p99 ${f(r.latencyUs.p99)} `
    + `p99.9 ${f(r.latencyUs.p999)} max ${f(r.latencyUs.max)}; checked ${r.checked} replies`
    + `${problems ? `, PROBLEMS: ${problems}` : ', no problems'}; generator busy ${r.generatorUtilization.map((u) => `${Math.round(u * 100)}%`).join('/')}`
    + `${r.undrained ? `; ${r.undrained} requests never answered` : ''}`;
}

const HELP = `Usage: node dist/bench/ws-load.js --url ws://HOST:PORT/v1/ws [options]

Drive a Piccolo node (or the echo server: --target echo) with a closed-loop
GET/SET mix and print throughput and latency.

Options:
  --url URL            WebSocket URL (required)
  --target T           piccolo (default; replies are checked) or echo
  --format F           binary (Cap'n Proto, default) or json
  --json               print the result as one JSON object
${LOAD_FLAGS_HELP}  -h, --help           show this help
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      target: { type: 'string' },
      format: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      ...LOAD_FLAG_OPTIONS,
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (!values.url) throw new LoadFlagError('--url is required');
  const target = values.target ?? 'piccolo';
  if (target !== 'piccolo' && target !== 'echo') throw new LoadFlagError('--target must be piccolo or echo');
  const options: LoadOptions = {
    url: values.url,
    target,
    format: parseFormat(values.format, DEFAULT_LOAD.format),
    ...loadOptionsFromFlags(values, { ...DEFAULT_LOAD, seed: randomSeed() }),
  };
  const result = await runLoad(options);
  process.stdout.write(`${values.json ? JSON.stringify(result) : formatLoadResult(result)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`ws-load: ${error instanceof LoadFlagError ? error.message : (error as Error).stack}\n`);
    process.exitCode = error instanceof LoadFlagError ? 2 : 1;
  });
}
