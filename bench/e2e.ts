// The end-to-end comparison: the same load against Piccolo and against the
// bare uWS echo server (the ceiling), alternating echo, piccolo, echo,
// piccolo... so slow drifts on a shared machine hit both alike, and reported
// as medians. Each run gets a fresh server process.

import { monotonicUs, type ProfileWindow } from './cpu-profile.js';
import { allProblems, runLoad, type LoadOptions, type LoadResult } from './ws-load.js';
import type { LoadTarget } from './reply-check.js';
import type { LoadFormat } from './request-writer.js';
import { ServerProcess } from './server-process.js';
import { formatCount, formatPercent, formatUs, type Table } from './table.js';

export interface E2eOptions {
  formats: LoadFormat[];
  rounds: number;
  /** Load settings; url, target and format are filled in per run. */
  load: Omit<LoadOptions, 'url' | 'target' | 'format'>;
  serverWorkers: number;
  pin: boolean;
}

export interface E2eRun {
  target: LoadTarget;
  format: LoadFormat;
  round: number;
  result: LoadResult;
  /** Server CPU over the measured window, as a share of one core: its main (IO) thread, and all its threads. */
  serverMainCpu: number | null;
  serverTotalCpu: number | null;
  /** CPU of this (generator) process over the window, as a share of one core. */
  generatorCpu: number;
  /** The measured window on the monotonic clock, to cut CPU profiles to it. */
  window: ProfileWindow;
}

export interface E2eSummary {
  target: LoadTarget;
  format: LoadFormat;
  runs: E2eRun[];
  opsPerSec: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  serverMainCpu: number | null;
  serverTotalCpu: number | null;
  generatorCpu: number;
  generatorBusy: number;
  problems: Record<string, number>;
  checked: number;
  undrained: number;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function startServer(target: LoadTarget, options: { serverWorkers: number; pin: boolean; cpuProfileDir?: string }): Promise<ServerProcess> {
  const profile = options.cpuProfileDir ? { cpuProfileDir: options.cpuProfileDir } : {};
  return target === 'echo'
    ? ServerProcess.startEcho(profile)
    : ServerProcess.startPiccolo({ workers: options.serverWorkers, pin: options.pin, ...profile });
}

/** One load run against a fresh server process. */
export async function runOne(
  target: LoadTarget, format: LoadFormat, round: number, options: E2eOptions, cpuProfileDir?: string,
): Promise<E2eRun> {
  const server = await startServer(target, { serverWorkers: options.serverWorkers, pin: options.pin, ...(cpuProfileDir ? { cpuProfileDir } : {}) });
  try {
    let serverStart = server.cpu();
    let serverEnd = serverStart;
    let processStart = process.cpuUsage();
    let processUsedUs = 0;
    let windowStartMs = performance.now();
    let windowMs = 0;
    const window: ProfileWindow = { fromUs: 0, toUs: 0 };
    const result = await runLoad({ ...options.load, url: server.url, target, format }, {
      onWindowStart: () => {
        serverStart = server.cpu();
        processStart = process.cpuUsage();
        windowStartMs = performance.now();
        window.fromUs = monotonicUs();
      },
      onWindowEnd: () => {
        window.toUs = monotonicUs();
        serverEnd = server.cpu();
        const used = process.cpuUsage(processStart);
        processUsedUs = used.user + used.system;
        windowMs = performance.now() - windowStartMs;
      },
    });
    const seconds = windowMs / 1000;
    const share = (a: number | undefined, b: number | undefined): number | null =>
      a === undefined || b === undefined || seconds <= 0 ? null : (b - a) / seconds;
    return {
      target, format, round, result,
      serverMainCpu: share(serverStart?.mainS, serverEnd?.mainS),
      serverTotalCpu: share(serverStart?.totalS, serverEnd?.totalS),
      generatorCpu: seconds > 0 ? processUsedUs / 1e6 / seconds : 0,
      window,
    };
  } finally {
    await server.stop();
  }
}

export async function runE2e(options: E2eOptions, progress: (line: string) => void): Promise<E2eRun[]> {
  const runs: E2eRun[] = [];
  for (const format of options.formats) {
    for (let round = 1; round <= options.rounds; round++) {
      for (const target of ['echo', 'piccolo'] as const) {
        progress(`e2e: ${format}, round ${round}/${options.rounds}, ${target}`);
        const run = await runOne(target, format, round, options);
        progress(`  ${formatCount(run.result.opsPerSec)} ops/s (preload ${(run.result.preloadMs / 1000).toFixed(1)} s), p50 ${formatUs(run.result.latencyUs.p50)}, p99 ${formatUs(run.result.latencyUs.p99)}`
          + `${Object.keys(allProblems(run.result)).length ? `, PROBLEMS ${JSON.stringify(allProblems(run.result))}` : ''}`);
        runs.push(run);
      }
    }
  }
  return runs;
}

export function summarize(runs: E2eRun[]): E2eSummary[] {
  const groups = new Map<string, E2eRun[]>();
  for (const r of runs) {
    const key = `${r.format}/${r.target}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const nullableMedian = (xs: (number | null)[]): number | null => (xs.some((x) => x === null) ? null : median(xs as number[]));
  return [...groups.values()].map((g) => {
    const problems: Record<string, number> = {};
    for (const r of g) for (const [k, n] of Object.entries(allProblems(r.result))) problems[k] = (problems[k] ?? 0) + n;
    return {
      target: g[0]!.target,
      format: g[0]!.format,
      runs: g,
      opsPerSec: median(g.map((r) => r.result.opsPerSec)),
      p50Us: median(g.map((r) => r.result.latencyUs.p50)),
      p99Us: median(g.map((r) => r.result.latencyUs.p99)),
      p999Us: median(g.map((r) => r.result.latencyUs.p999)),
      serverMainCpu: nullableMedian(g.map((r) => r.serverMainCpu)),
      serverTotalCpu: nullableMedian(g.map((r) => r.serverTotalCpu)),
      generatorCpu: median(g.map((r) => r.generatorCpu)),
      generatorBusy: median(g.map((r) => Math.max(...r.result.generatorUtilization))),
      problems,
      checked: g.reduce((n, r) => n + r.result.checked, 0),
      undrained: g.reduce((n, r) => n + r.result.undrained, 0),
    };
  });
}

/**
 * CPU time per request from a CPU share (core-seconds per second) and a rate:
 * unlike throughput, it barely moves when other processes take CPU away, so
 * it compares servers fairly on a busy machine.
 */
function perRequest(share: number | null, opsPerSec: number): string {
  return share === null || opsPerSec <= 0 ? '—' : formatUs((share / opsPerSec) * 1e6);
}

export function e2eTable(summaries: E2eSummary[]): Table {
  const cpu = (x: number | null): string => (x === null ? '—' : formatPercent(x));
  return {
    headers: [
      'format', 'server', 'ops/s (median)', 'runs', 'p50', 'p99', 'p99.9', 'server CPU: IO thread / all',
      'server CPU per request: IO thread / all', 'generator CPU / busiest thread', 'replies checked', 'problems',
    ],
    rightAligned: [false, false, true, true, true, true, true, true, true, true, true, false],
    rows: summaries.map((s) => [
      s.format,
      s.target === 'echo' ? 'uWS echo (ceiling)' : 'Piccolo',
      formatCount(s.opsPerSec),
      s.runs.map((r) => formatCount(r.result.opsPerSec)).join(' / '),
      formatUs(s.p50Us),
      formatUs(s.p99Us),
      formatUs(s.p999Us),
      `${cpu(s.serverMainCpu)} / ${cpu(s.serverTotalCpu)}`,
      `${perRequest(s.serverMainCpu, s.opsPerSec)} / ${perRequest(s.serverTotalCpu, s.opsPerSec)}`,
      `${formatPercent(s.generatorCpu)} / ${formatPercent(s.generatorBusy)}`,
      formatCount(s.checked),
      [
        ...Object.entries(s.problems).map(([k, n]) => `${k} ×${n}`),
        ...(s.undrained ? [`${s.undrained} unanswered`] : []),
      ].join(', ') || 'none',
    ]),
  };
}

export interface CeilingRatio {
  format: LoadFormat;
  /** Piccolo's median throughput over the echo server's. */
  ratio: number;
  /** How many times the echo server's CPU per request Piccolo spends (all server threads); null without /proc. */
  cpuPerRequestFactor: number | null;
}

export function ratios(summaries: E2eSummary[]): CeilingRatio[] {
  const out: CeilingRatio[] = [];
  for (const p of summaries.filter((s) => s.target === 'piccolo')) {
    const echo = summaries.find((s) => s.target === 'echo' && s.format === p.format);
    if (!echo || echo.opsPerSec <= 0 || p.opsPerSec <= 0) continue;
    const cpuFactor = p.serverTotalCpu !== null && echo.serverTotalCpu !== null && echo.serverTotalCpu > 0
      ? (p.serverTotalCpu / p.opsPerSec) / (echo.serverTotalCpu / echo.opsPerSec)
      : null;
    out.push({ format: p.format, ratio: p.opsPerSec / echo.opsPerSec, cpuPerRequestFactor: cpuFactor });
  }
  return out;
}

export function formatRatio(r: CeilingRatio): string {
  return `Piccolo / ceiling, ${r.format}: ${formatPercent(r.ratio)} of the echo server's throughput`
    + `${r.cpuPerRequestFactor === null ? '' : `; ${r.cpuPerRequestFactor.toFixed(1)}× its server CPU per request`}`;
}
