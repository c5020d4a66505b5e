// `npm run bench:gateway`: what a `piccolo gateway` costs, in one run. A
// local 3-node cluster (in memory, one worker per node) is loaded by the same
// WebSocket load generator (bench/ws-load.ts: binary frames, GET/SET half and
// half over a preloaded keyspace) twice at each shape, once straight at node
// 1 (which serves its groups and forwards the rest one hop) and once through
// one gateway in front of the three nodes. Two shapes: a throughput load
// (many connections, deep pipelines) and a latency load (one connection,
// one request at a time), whose p50/p99 difference is the latency the
// gateway adds. Rewrites the "Gateway" section of docs/benchmarks.md. It
// measures; it never passes or fails on a number.
// The gateway's own CPU per request, and where it goes: bench/gateway-cpu.ts.

import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { WatchedChild } from './child-process.js';
import { PiccoloCluster } from './cluster-peers.js';
import { replaceDocSection, sectionBody } from './doc-section.js';
import { announceMachine, formatLoad, type MachineInfo } from './machine.js';
import { BENCH_HOST, freePort } from './redis-processes.js';
import { logProgress as log, parseSideBySideArgs, runWhenMain, SIDE_BY_SIDE_OPTIONS_HELP } from './side-by-side-cli.js';
import { formatCount, markdownTable, textTable, type Table } from './table.js';
import { allProblems, DEFAULT_LOAD, runLoad, type LoadOptions, type LoadResult } from './ws-load.js';

const DOCS_PATH = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
const SECTION = { heading: '## Gateway', beginMarker: '<!-- gateway:begin -->', endMarker: '<!-- gateway:end -->' };
const PICCOLO_BIN = fileURLToPath(new URL('../../bin/piccolo.js', import.meta.url));
/** Longest wait for the gateway to read its map and listen. */
const GATEWAY_START_MS_MAX = 30_000;

interface Shape { name: string; connections: number; pipeline: number }
/** Throughput: the generator's default depth; latency: one request at a time, so no queue hides the hop. */
const SHAPES: readonly Shape[] = [
  { name: 'throughput', connections: DEFAULT_LOAD.connections, pipeline: DEFAULT_LOAD.pipeline },
  { name: 'latency', connections: 1, pipeline: 1 },
];
const FULL = { warmupMs: 2_000, durationMs: 10_000, keyspace: 100_000 };
const QUICK = { warmupMs: 200, durationMs: 1_000, keyspace: 1_000 };

interface Case { shape: Shape; via: 'node' | 'gateway'; result: LoadResult }

interface GatewayReport {
  command: string;
  date: Date;
  machine: MachineInfo;
  loadAtEnd: number[];
  durationMs: number;
  cases: Case[];
}

const HELP = `Usage: npm run bench:gateway -- [options]

A 3-node Piccolo cluster (in memory), loaded by bench/ws-load.ts (binary frames, 50% GET)
straight at node 1 and through one piccolo gateway, at ${SHAPES.map((s) => `${s.connections}x${s.pipeline}`).join(' and ')}
(connections x pipeline). Rewrites the "Gateway" section of docs/benchmarks.md.

${SIDE_BY_SIDE_OPTIONS_HELP}`;

/**
 * A gateway process in front of `httpPorts`, listening once /healthz answers;
 * under --cpu-prof when `cpuProfileDir` is given; `bin` is another build's bin/piccolo.js, to compare.
 */
export async function startGateway(
  httpPorts: readonly number[], cpuProfileDir?: string, bin = PICCOLO_BIN,
): Promise<{ port: number; child: WatchedChild }> {
  const port = await freePort();
  const nodes = httpPorts.map((p) => `${BENCH_HOST}:${p}`).join(',');
  const nodeFlags = cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfileDir] : [];
  const child = new WatchedChild('gateway', spawn(process.execPath,
    [...nodeFlags, bin, 'gateway', '--nodes', nodes, '--host', BENCH_HOST, '--port', String(port)],
    { stdio: ['ignore', 'ignore', 'pipe'] }));
  const deadline = Date.now() + GATEWAY_START_MS_MAX;
  for (;;) {
    if (!child.running) throw new Error(`the gateway exited: ${child.stderrTail}`);
    const ok = await fetch(`http://${BENCH_HOST}:${port}/healthz`).then((r) => r.ok, () => false);
    if (ok) return { port, child };
    if (Date.now() > deadline) {
      await child.kill();
      throw new Error(`the gateway did not listen within ${GATEWAY_START_MS_MAX} ms: ${child.stderrTail}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function measure(port: number, shape: Shape, timing: typeof FULL): Promise<LoadResult> {
  const options: LoadOptions = {
    ...DEFAULT_LOAD, ...timing, url: `ws://${BENCH_HOST}:${port}/v1/ws`, target: 'piccolo', seed: 1,
    connections: shape.connections, pipeline: shape.pipeline,
  };
  return runLoad(options);
}

/** A latency in µs, shown in ms. */
const msOfUs = (n: number): string => (n / 1000).toFixed(3);

function resultTable(r: GatewayReport): Table {
  const rows: string[][] = [];
  for (const shape of SHAPES) {
    const node = r.cases.find((c) => c.shape === shape && c.via === 'node')?.result;
    const gateway = r.cases.find((c) => c.shape === shape && c.via === 'gateway')?.result;
    if (!node || !gateway) continue;
    rows.push([
      `${shape.name} (${shape.connections}x${shape.pipeline})`, formatCount(node.opsPerSec), formatCount(gateway.opsPerSec),
      `${(gateway.opsPerSec / node.opsPerSec).toFixed(2)}×`,
      msOfUs(node.latencyUs.p50), msOfUs(gateway.latencyUs.p50), msOfUs(gateway.latencyUs.p50 - node.latencyUs.p50),
      msOfUs(node.latencyUs.p99), msOfUs(gateway.latencyUs.p99), msOfUs(gateway.latencyUs.p99 - node.latencyUs.p99),
      formatCount(Object.values(allProblems(node)).reduce((a, b) => a + b, 0) + Object.values(allProblems(gateway)).reduce((a, b) => a + b, 0)),
    ]);
  }
  return {
    headers: ['load', 'node ops/s', 'gateway ops/s', 'gateway ÷ node', 'node p50 ms', 'gateway p50 ms', 'added p50 ms',
      'node p99 ms', 'gateway p99 ms', 'added p99 ms', 'problems'],
    rightAligned: [false, true, true, true, true, true, true, true, true, true, true],
    rows,
  };
}

function reportMarkdown(r: GatewayReport): string {
  return sectionBody(SECTION, [
    `Measured ${r.date.toISOString().slice(0, 10)} with \`${r.command}\` (\`npm run bench:gateway\`) on ${r.machine.cpuModel}, `
      + `${r.machine.cores} cores, Node ${r.machine.node}; load average ${formatLoad(r.loadAtEnd)} at the end. `
      + 'A 3-node cluster in memory (one worker per node) and one gateway, all on this machine, on loopback; '
      + `bench/ws-load.ts with binary frames, 50% GET, ${DEFAULT_LOAD.valueBytes}-byte values, ${r.durationMs / 1000} s per run. `
      + '"node": every connection to node 1, which forwards requests for the groups it does not lead; "gateway": every connection '
      + 'to the gateway, which sends each request to its group\'s leader. The issue\'s target is ≥ 0.8× with one gateway per core; '
      + 'here the gateway shares the cores with the nodes and the load generator.',
    markdownTable(resultTable(r)),
  ]);
}

async function main(argv: string[]): Promise<void> {
  const args = parseSideBySideArgs(argv, HELP);
  if (args === null) return;
  const timing = args.quick ? QUICK : FULL;
  const machine = announceMachine(log);
  const cluster = await PiccoloCluster.start('memory');
  const cases: Case[] = [];
  try {
    const gateway = await startGateway(cluster.httpPorts);
    try {
      for (const shape of SHAPES) {
        for (const via of ['node', 'gateway'] as const) {
          const result = await measure(via === 'node' ? cluster.httpPorts[0]! : gateway.port, shape, timing);
          log(`  ${shape.name} via ${via}: ${Math.round(result.opsPerSec)} ops/s, p50 ${msOfUs(result.latencyUs.p50)} ms, p99 ${msOfUs(result.latencyUs.p99)} ms`);
          cases.push({ shape, via, result });
        }
      }
    } finally {
      await gateway.child.kill();
    }
  } finally {
    await cluster.stop();
  }
  const [l1, l5, l15] = loadavg();
  const report: GatewayReport = {
    command: `node dist/bench/gateway.js${argv.length ? ` ${argv.join(' ')}` : ''}`,
    date: new Date(), machine, loadAtEnd: [l1!, l5!, l15!], durationMs: timing.durationMs, cases,
  };
  process.stdout.write(`${textTable(resultTable(report))}\n`);
  if (args.writeDocs) {
    replaceDocSection(DOCS_PATH, SECTION, reportMarkdown(report));
    log(`wrote the gateway section of ${DOCS_PATH}`);
  }
}

runWhenMain(import.meta.url, 'bench:gateway', main);
