// Measures what the durable write path costs in CPU, per request and per
// thread, where wall-clock throughput on a shared machine is noise: a real
// node under redis-benchmark SET load (-c 50 -d 100 -r 1000000, -P 1 and
// -P 16, as bench/durability-side-by-side.ts) in each storage mode, and for
// each of its busy threads the user and system CPU µs per request, read
// and write syscalls and voluntary context switches per 1,000 requests, and
// bytes written per request (/proc/<pid>/task/<tid>/{stat,io,status}). The
// main thread is the IO thread; the busiest other one is the worker (the
// node runs one worker on a 2-core machine). What the figures mean:
// docs/durability.md, "CPU of the write path". Not a test; after
// `npm run build`:
//   node dist/test/storage/measure-write-path-cpu.js [requests] [rounds]

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuTimes } from '../../bench/child-process.js';
import { benchmarkArgs, BenchServer, redisBenchmarkRows, type BenchmarkFlags } from '../../bench/redis-processes.js';

const REQUESTS_DEFAULT = 200_000;
const ROUNDS_DEFAULT = 2;
/** A thread with less CPU than this share of the run's is a helper (V8's platform threads, GC): not reported. */
const THREAD_SHARE_MIN = 0.05;

const MODES: readonly { label: string; args: (dir: string) => string[] }[] = [
  { label: '--in-memory', args: () => ['--in-memory'] },
  { label: '--fsync never', args: (dir) => ['--data-dir', dir, '--fsync', 'never'] },
  { label: '--fsync always', args: (dir) => ['--data-dir', dir, '--fsync', 'always'] },
];

interface ThreadSample { cpuS: number; userS: number; systemS: number; syscr: number; syscw: number; wchar: number; voluntarySwitches: number }

function sampleThread(pid: number, tid: number): ThreadSample {
  const { userS, systemS } = cpuTimes(pid, tid);
  const io = Object.fromEntries(readFileSync(`/proc/${pid}/task/${tid}/io`, 'utf8').trim().split('\n').map((l) => l.split(': ') as [string, string]));
  const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
  const voluntarySwitches = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuS: userS + systemS, userS, systemS, syscr: Number(io['syscr']), syscw: Number(io['syscw']), wchar: Number(io['wchar']), voluntarySwitches };
}

function sampleThreads(pid: number): Map<number, ThreadSample> {
  return new Map(readdirSync(`/proc/${pid}/task`).map((t) => [Number(t), sampleThread(pid, Number(t))]));
}

async function measure(label: string, args: string[], flags: BenchmarkFlags): Promise<void> {
  const server = await BenchServer.startPiccolo({ args });
  try {
    const load = loadavg()[0]!;
    const before = sampleThreads(server.pid);
    const rows = await redisBenchmarkRows(benchmarkArgs(server.port, flags), 'piccolo');
    const after = sampleThreads(server.pid);
    const deltas = [...after].filter(([tid]) => before.has(tid)).map(([tid, a]) => {
      const b = before.get(tid)!;
      return { tid, cpuS: a.cpuS - b.cpuS, userS: a.userS - b.userS, systemS: a.systemS - b.systemS, syscr: a.syscr - b.syscr,
        syscw: a.syscw - b.syscw, wchar: a.wchar - b.wchar, voluntarySwitches: a.voluntarySwitches - b.voluntarySwitches };
    });
    const totalS = deltas.reduce((s, d) => s + d.cpuS, 0);
    const workerTid = deltas.filter((d) => d.tid !== server.pid).sort((x, y) => y.cpuS - x.cpuS)[0]?.tid;
    const n = flags.requests;
    console.log(`${label} -P ${flags.pipeline}: ${n} SETs, load average ${load.toFixed(1)} (wall-clock ${rows[0]?.rps.toFixed(0)} SET/s: noise on a shared machine)`);
    for (const d of deltas) {
      if (d.cpuS < totalS * THREAD_SHARE_MIN) continue;
      const role = d.tid === server.pid ? 'io' : d.tid === workerTid ? 'worker' : 'other';
      console.log(`  ${role.padEnd(6)} user ${(d.userS * 1e6 / n).toFixed(2).padStart(6)} + sys ${(d.systemS * 1e6 / n).toFixed(2).padStart(6)} µs/req;`
        + ` per 1000 req: ${(d.syscr * 1000 / n).toFixed(0)} read, ${(d.syscw * 1000 / n).toFixed(0)} write syscalls,`
        + ` ${(d.voluntarySwitches * 1000 / n).toFixed(0)} sleeps; ${(d.wchar / n).toFixed(0)} bytes written/req`);
    }
  } finally {
    await server.stop();
  }
}

const requests = Number(process.argv[2] ?? REQUESTS_DEFAULT);
const rounds = Number(process.argv[3] ?? ROUNDS_DEFAULT);
for (let round = 0; round < rounds; round++) {
  for (const pipeline of [1, 16]) {
    for (const mode of MODES) {
      const dir = mkdtempSync(join(tmpdir(), 'piccolo-cpu-'));
      try {
        await measure(mode.label, mode.args(join(dir, 'data')), { tests: ['set'], clients: 50, valueBytes: 100, keyspace: 1_000_000, pipeline, requests });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
}
