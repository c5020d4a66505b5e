// One load-generator thread: opens its connections, preloads its share of the
// keyspace, then on 'go' runs the closed loop for warmup + duration, and
// reports the replies and latencies of the measured window.

import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { LatencyHistogram } from './histogram.js';
import { LoadConnection, type MeasureWindow, type RequestSource } from './load-connection.js';
import type { FromThread, LoadThreadSetup, ToThread } from './load-protocol.js';
import { ReplyChecker } from './reply-check.js';
import { OP_GET, OP_SET, RequestWriter, type LoadOp } from './request-writer.js';
import { BenchSocket } from './ws-client.js';

/** Requests in flight per connection while preloading: deep enough to load 100k keys in about a second. */
const PRELOAD_PIPELINE = 256;
/** After the window closes, how long outstanding replies may take to arrive. */
const DRAIN_TIMEOUT_MS = 10_000;

const setup = workerData as LoadThreadSetup;
const port = parentPort!;

function send(message: FromThread): void {
  port.postMessage(message);
}

/** xorshift32: fast, seedable, plenty random for picking keys. */
function makeRandom(seed: number): () => number {
  let x = (seed | 0) || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function preloadSource(keys: number[]): RequestSource {
  let i = 0;
  return { next: () => (i < keys.length ? { op: OP_SET, keyIndex: keys[i++]! } : null) };
}

function mixSource(random: () => number, keyspace: number, getRatio: number): RequestSource & { stopped: boolean } {
  const request = { op: OP_GET as LoadOp, keyIndex: 0 };
  const source = {
    stopped: false,
    next: () => {
      if (source.stopped) return null;
      request.op = random() < getRatio ? OP_GET : OP_SET;
      request.keyIndex = Math.floor(random() * keyspace);
      return request;
    },
  };
  return source;
}

async function main(): Promise<void> {
  const writer = new RequestWriter({ format: setup.format, keyspace: setup.keyspace, valueBytes: setup.valueBytes });
  const checker = new ReplyChecker(setup.target, setup.format, setup.valueBytes, setup.preload);
  const sockets: BenchSocket[] = [];
  for (let i = 0; i < setup.connections; i++) sockets.push(await BenchSocket.open(setup.url));
  const depthMax = Math.max(setup.pipeline, setup.preload ? PRELOAD_PIPELINE : 0);
  const connections = sockets.map((s) => new LoadConnection(s, writer, checker, depthMax));

  let preloadedKeys = 0;
  if (setup.preload) {
    const shares: number[][] = connections.map(() => []);
    let n = 0;
    for (let k = setup.threadIndex; k < setup.keyspace; k += setup.threadCount) shares[n++ % shares.length]!.push(k);
    preloadedKeys = n;
    await Promise.all(connections.map((c, i) => c.run(preloadSource(shares[i]!), PRELOAD_PIPELINE, null)));
  }
  send({ type: 'ready', preloadedKeys, preloadProblems: checker.takeCounts().problems });

  const go = await new Promise<ToThread>((resolve) => port.once('message', resolve));
  const startMs = performance.now();
  const window: MeasureWindow = {
    fromMs: startMs + go.warmupMs,
    toMs: startMs + go.warmupMs + go.durationMs,
    histogram: new LatencyHistogram(),
    replies: 0,
  };
  const random = makeRandom(setup.seed);
  const sources = connections.map(() => mixSource(random, setup.keyspace, setup.getRatio));
  const runs = Promise.all(connections.map((c, i) => c.run(sources[i]!, setup.pipeline, window)));
  runs.catch(() => {}); // a failure is rethrown by the await below; this only keeps it from being "unhandled" meanwhile

  let eluAtStart = performance.eventLoopUtilization();
  setTimeout(() => { eluAtStart = performance.eventLoopUtilization(); }, go.warmupMs);
  const elu = await new Promise<number>((resolve) => {
    setTimeout(() => {
      const used = performance.eventLoopUtilization(eluAtStart).utilization;
      for (const s of sources) s.stopped = true;
      for (const c of connections) c.stop();
      resolve(used);
    }, go.warmupMs + go.durationMs);
  });

  const drained = await Promise.race([
    runs.then(() => true),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), DRAIN_TIMEOUT_MS).unref()),
  ]);
  const undrained = drained ? 0 : connections.reduce((n, c) => n + c.outstanding, 0);
  send({
    type: 'done',
    replies: window.replies,
    histogram: window.histogram.toTransfer(),
    checks: checker.counts,
    eventLoopUtilization: elu,
    undrained,
  });
  await Promise.all(sockets.map((s) => s.close()));
}

main().catch((error: unknown) => {
  send({ type: 'failed', message: (error as Error).stack ?? String(error) });
});
