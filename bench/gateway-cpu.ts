// The gateway's own CPU per request, and where it goes, measured in a way a
// shared machine barely disturbs: a 3-node cluster (in memory) and a gateway
// in front of it, as bench/gateway.ts sets them up, loaded through the
// gateway by bench/ws-load.ts at the throughput shape (16 connections x 16
// pipelined, binary, 50% GET); the gateway process's CPU time (/proc, user
// and system apart) over the measured window is divided by the replies in
// it. Wall-clock ops/s on a busy machine measure the neighbours; CPU per
// request is what the gateway itself costs, and what its throughput next to
// direct access depends on.
//
//   npm run build && node dist/bench/gateway-cpu.js [--rounds 4] [--duration-s 3] [--format binary|json]
//       [--against DIR] [--cpu-prof]
//
// --against DIR (another checkout, built) runs its gateway beside this one,
// in front of the same cluster, each round loading both, the one that goes
// first swapping from round to round (use an even number of rounds): a
// before/after comparison under the same neighbours. On the shared 2-core
// VM one build's median moved between 9.9 and 20 µs over five such runs:
// compare several runs, not one. --cpu-prof runs this
// build's gateway under node --cpu-prof and ranks its functions by self time
// inside the last round's window (samples are wall-clock: on a loaded
// machine time spent descheduled in a syscall shows as that syscall).
// Prints only; it never passes or fails on a number, and leaves the docs alone.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuTimes, type WatchedChild } from './child-process.js';
import { PiccoloCluster } from './cluster-peers.js';
import { formatThreadProfile, monotonicUs, summarizeProfileDir, type ProfileWindow } from './cpu-profile.js';
import { startGateway } from './gateway.js';
import { BENCH_HOST } from './redis-processes.js';
import { logProgress as log, runWhenMain } from './side-by-side-cli.js';
import { allProblems, DEFAULT_LOAD, runLoad } from './ws-load.js';

/** Longest wait for a gateway's graceful exit, which writes its CPU profile. */
const GATEWAY_STOP_MS_MAX = 15_000;
/** Functions shown from the gateway's profile. */
const PROFILE_TOP = 60;
/** Keys preloaded: a small keyspace keeps the preload short; the gateway's cost does not depend on it. */
const KEYSPACE = 10_000;
/** Unmeasured time before each window: connections open and the JIT settles. */
const WARMUP_MS = 1_000;

const HELP = `Usage: node dist/bench/gateway-cpu.js [--rounds N] [--duration-s S] [--format binary|json] [--against DIR] [--cpu-prof]

The gateway's CPU µs per request at ${DEFAULT_LOAD.connections}x${DEFAULT_LOAD.pipeline} (connections x pipeline) in front of a 3-node
cluster (in memory). --against DIR: another built checkout's gateway, alternated with this one's.
--cpu-prof: this build's gateway under node --cpu-prof, functions by self time. Docs untouched.
`;

interface Contender { name: string; bin: string; port: number; child: WatchedChild }

interface Round { userUs: number; systemUs: number; opsPerSec: number; problems: number }

/** One measured run through `c`: its CPU per request, user and system apart. */
async function measureRound(c: Contender, format: 'binary' | 'json', durationMs: number, window: ProfileWindow): Promise<Round> {
  let start = { userS: 0, systemS: 0 };
  let spent = { userS: 0, systemS: 0 };
  const result = await runLoad({
    ...DEFAULT_LOAD, warmupMs: WARMUP_MS, durationMs, keyspace: KEYSPACE, format,
    url: `ws://${BENCH_HOST}:${c.port}/v1/ws`, target: 'piccolo', seed: 1,
  }, {
    onWindowStart: () => { start = cpuTimes(c.child.pid); window.fromUs = monotonicUs(); },
    onWindowEnd: () => {
      const end = cpuTimes(c.child.pid);
      spent = { userS: end.userS - start.userS, systemS: end.systemS - start.systemS };
      window.toUs = monotonicUs();
    },
  });
  const perRequestUs = (s: number): number => s * 1e6 / Math.max(result.replies, 1);
  return {
    userUs: perRequestUs(spent.userS), systemUs: perRequestUs(spent.systemS), opsPerSec: result.opsPerSec,
    problems: Object.values(allProblems(result)).reduce((a, b) => a + b, 0),
  };
}

const formatRound = (r: Round): string =>
  `${(r.userUs + r.systemUs).toFixed(1)} µs (user ${r.userUs.toFixed(1)}, system ${r.systemUs.toFixed(1)}); `
  + `${Math.round(r.opsPerSec)} ops/s (noisy), ${r.problems} problems`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string' }, 'duration-s': { type: 'string' }, format: { type: 'string' },
      against: { type: 'string' }, 'cpu-prof': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const rounds = Number(values.rounds ?? 4);
  const durationMs = Number(values['duration-s'] ?? 3) * 1000;
  const format = values.format === 'json' ? 'json' : 'binary';
  const profileDir = values['cpu-prof'] ? mkdtempSync(join(tmpdir(), 'piccolo-gateway-prof-')) : undefined;
  const cluster = await PiccoloCluster.start('memory');
  const contenders: Contender[] = [];
  try {
    const self = await startGateway(cluster.httpPorts, profileDir);
    contenders.push({ name: 'this build', bin: 'bin/piccolo.js', ...self });
    if (values.against !== undefined) {
      const bin = resolve(values.against, 'bin/piccolo.js');
      contenders.push({ name: `against ${values.against}`, bin, ...await startGateway(cluster.httpPorts, undefined, bin) });
    }
    const results = new Map<Contender, Round[]>(contenders.map((c) => [c, []]));
    const window: ProfileWindow = { fromUs: 0, toUs: 0 };
    let selfWindow: ProfileWindow = window;
    // Round 0 is not counted: the first load through a gateway pays for its JIT warming up.
    for (let round = 0; round <= rounds; round++) {
      // Which gateway goes first swaps each round, so that neither build always runs right after the other's load.
      for (const c of round % 2 === 0 ? contenders : [...contenders].reverse()) {
        const r = await measureRound(c, format, durationMs, window);
        if (c === contenders[0]) selfWindow = { ...window };
        if (round > 0) results.get(c)!.push(r);
        log(`round ${round}${round === 0 ? ' (warm-up, not counted)' : ''}, ${c.name}: ${formatRound(r)}`);
      }
    }
    for (const c of contenders) {
      const totals = results.get(c)!.map((r) => r.userUs + r.systemUs);
      process.stdout.write(`${c.name} (${c.bin}): gateway CPU per request, ${format} ${DEFAULT_LOAD.connections}x${DEFAULT_LOAD.pipeline}: `
        + `median ${median(totals).toFixed(1)} µs of ${totals.map((t) => t.toFixed(1)).join(', ')}\n`);
    }
    await Promise.all(contenders.map((c) => c.child.stop(GATEWAY_STOP_MS_MAX)));
    if (profileDir) {
      for (const thread of summarizeProfileDir(profileDir, PROFILE_TOP, selfWindow)) process.stdout.write(`${formatThreadProfile(thread)}\n\n`);
    }
  } finally {
    await Promise.all(contenders.map((c) => c.child.kill()));
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    await cluster.stop();
  }
}

runWhenMain(import.meta.url, 'bench:gateway-cpu', main);
