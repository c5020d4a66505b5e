// Reads V8 .cpuprofile files (from node --cpu-prof) and ranks functions by
// self time: where a thread's CPU went. Node writes one file per thread,
// named CPU.<date>.<time>.<pid>.<threadId>.<seq>.cpuprofile; thread 0 is the
// main thread (Piccolo's IO thread), the others are worker threads.
//
//   node dist/bench/cpu-profile.js FILE.cpuprofile [--top N]

import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

export interface ProfileFrame { functionName: string; url: string; lineNumber: number }

interface ProfileNode {
  id: number;
  callFrame: ProfileFrame;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FunctionCost {
  /** "name (file:line)" */
  name: string;
  selfMs: number;
  /** Share of the thread's non-idle time. */
  selfShare: number;
}

export interface ThreadProfile {
  file: string;
  /** Node's thread id from the file name: 0 = main thread. */
  threadId: number;
  /** Sampled time (inside the window, when one was given). */
  wallMs: number;
  /** Sampled time not spent idle (JS, native, GC). */
  busyMs: number;
  top: FunctionCost[];
}

/** Meta entries V8 records besides real functions. */
const IDLE = '(idle)';

function label(frame: ProfileNode['callFrame']): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  const file = frame.url.replace(/^file:\/\//, '').replace(/^.*\/(dist|node_modules)\//, '$1/');
  return `${name} (${file}:${frame.lineNumber + 1})`;
}

/**
 * A time range to look at, in microseconds of the monotonic clock that both
 * V8 profiles and process.hrtime use (system-wide on Linux, so a profile from
 * another process lines up with this one's clock).
 */
export interface ProfileWindow {
  fromUs: number;
  toUs: number;
}

/** Microseconds of process.hrtime, on the clock profile timestamps use. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * Visit every non-idle sample of a profile (inside `window` when given) with
 * its frame and the µs it stands for; returns the sampled and the busy µs.
 */
export function walkBusySamples(
  path: string, window: ProfileWindow | undefined, visit: (frame: ProfileFrame, us: number) => void,
): { sampledUs: number; busyUs: number } {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  let busyUs = 0;
  let sampledUs = 0;
  let at = profile.startTime;
  // timeDeltas[i] is the time before sample i; attribute it to sample i's node.
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!);
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window.fromUs || at >= window.toUs)) continue;
    if (!node || delta <= 0) continue;
    sampledUs += delta;
    if (node.callFrame.functionName === IDLE) continue;
    busyUs += delta;
    visit(node.callFrame, delta);
  }
  return { sampledUs, busyUs };
}

/** Rank functions by self time, counting only samples inside `window` when given. */
export function summarizeProfile(path: string, topN: number, window?: ProfileWindow): ThreadProfile {
  const selfUs = new Map<string, number>();
  const { sampledUs, busyUs } = walkBusySamples(path, window, (frame, us) => {
    const name = label(frame);
    selfUs.set(name, (selfUs.get(name) ?? 0) + us);
  });
  const top = [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([name, us]) => ({ name, selfMs: us / 1000, selfShare: busyUs > 0 ? us / busyUs : 0 }));
  const match = /\.(\d+)\.\d+\.cpuprofile$/.exec(basename(path));
  return {
    file: basename(path),
    threadId: match ? Number(match[1]) : -1,
    wallMs: sampledUs / 1000,
    busyMs: busyUs / 1000,
    top,
  };
}

/** Every profile in a directory, main thread first. */
export function summarizeProfileDir(dir: string, topN: number, window?: ProfileWindow): ThreadProfile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => summarizeProfile(join(dir, f), topN, window))
    .sort((a, b) => a.threadId - b.threadId);
}

export function formatThreadProfile(p: ThreadProfile): string {
  const lines = [`${p.file} (thread ${p.threadId}): busy ${p.busyMs.toFixed(0)} ms of ${p.wallMs.toFixed(0)} ms sampled`];
  for (const f of p.top) lines.push(`  ${(f.selfShare * 100).toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(1).padStart(8)} ms  ${f.name}`);
  return lines.join('\n');
}

function main(): void {
  const { values, positionals } = parseArgs({ options: { top: { type: 'string' } }, allowPositionals: true, strict: true });
  const topN = Number(values.top ?? 25);
  for (const path of positionals) process.stdout.write(`${formatThreadProfile(summarizeProfile(path, topN))}\n\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
