// `npm run sim` without a process: argument handling, output, exit codes.

import { describe, expect, it, vi } from 'vitest';
import type { Reply, Request } from '../../core/protocol/ops.js';
import { ShardWorker, type HostedGroup } from '../../core/shard/shard-worker.js';
import { main, PROGRESS_EVERY_SEEDS, type CliIo } from '../../runtime-sim/cli-main.js';
import type { WorkerFactory } from '../../runtime-sim/sim-node.js';

/**
 * A broken core the CLI's runs can be given (no fault makes a correct node
 * fail any more; a crash included): while set, every run uses it.
 */
const injected = vi.hoisted(() => ({ factory: null as WorkerFactory | null }));
vi.mock('../../runtime-sim/run-seed.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../runtime-sim/run-seed.js')>();
  return {
    ...original,
    runSeed: (options: Parameters<typeof original.runSeed>[0], nowMs?: () => number) =>
      original.runSeed(injected.factory ? { ...options, workerFactory: injected.factory } : options, nowMs),
  };
});

/** A worker that acknowledges every fourth SET without a TTL without storing it (lost writes, not expiry errors). */
class LosingWorker extends ShardWorker {
  private sets = 0;
  protected override serve(group: HostedGroup, tag: number, request: Request, nowMs: number): Reply | null {
    if (request.op === 'set' && request.ttlMs === undefined && request.expireAtMs === undefined && ++this.sets % 4 === 0) return { ok: true, version: 1 };
    return super.serve(group, tag, request, nowMs);
  }
}

function capture(errIsTty = false): CliIo & { lines: string[]; errText: string } {
  let clock = 0;
  const io = {
    lines: [] as string[],
    errText: '',
    out(line: string) { io.lines.push(line); },
    err(text: string) { io.errText += text; },
    errIsTty,
    nowMs: () => (clock += 5),
  };
  return io;
}

describe('sim CLI', () => {
  it('runs one seed: prints its knobs, counts, verdict and trace, identically every time', () => {
    const a = capture();
    const b = capture();
    expect(main(['--seed', '12', '--ops', '200'], a)).toBe(0);
    expect(main(['--seed', '12', '--ops', '200'], b)).toBe(0);
    expect(b.lines).toEqual(a.lines);
    const text = a.lines.join('\n');
    expect(text).toMatch(/^piccolo sim: seed 12$/m);
    expect(text).toMatch(/^faults: allowed=/m);
    expect(text).toMatch(/^quiesce at /m);
    expect(text).toMatch(/^ops \(ok\/fail\/info\): read \d+\/\d+\/\d+/m);
    expect(text).toMatch(/^verdict: PASS/m);
    expect(text).toMatch(/^trace: [0-9a-f]{16}$/m);
    expect(text).not.toMatch(/timing/);
  });

  it('prints wall-clock timing only when asked, on a marked line', () => {
    const io = capture();
    expect(main(['--seed', '3', '--ops', '100', '--timing'], io)).toBe(0);
    expect(io.lines.at(-1)).toMatch(/^timing \(wall clock, not deterministic\): simulate .* ops\/s/);
  });

  it('sweeps a range: summary table, progress on stderr', () => {
    const io = capture();
    expect(main(['--seeds', '1..3', '--ops', '100'], io)).toBe(0);
    const text = io.lines.join('\n');
    expect(text).toMatch(/^sweep: seeds 1\.\.3 \(3 runs\)$/m);
    expect(text).toMatch(/^ {2}passed +3$/m);
    expect(text).toMatch(/^ {2}failed +0$/m);
    expect(text).toMatch(/^timing \(wall clock, not deterministic\): .*ops\/s/m);
    expect(io.errText).toBe('3/3 seeds, 0 failed\n');
    expect(PROGRESS_EVERY_SEEDS).toBeGreaterThan(3);
    const tty = capture(true);
    main(['--seeds', '4..5', '--ops', '100'], tty);
    expect(tty.errText).toMatch(/\r\[#+\.*\] 1\/2 seeds, 0 failed\r\[#+\] 2\/2 seeds, 0 failed\n$/);
  });

  it('reports the first failing seed of a sweep with its replay command, and exits with its code', async () => {
    const io = capture();
    injected.factory = (s, rq, rp, l, r) => new LosingWorker(s, rq, rp, l, r);
    let code: number;
    try {
      code = await main(['--seeds', '1..4', '--ops', '300', '--faults', 'crash'], io);
    } finally {
      injected.factory = null;
    }
    const text = io.lines.join('\n');
    expect([3, 4]).toContain(code);
    expect(text).toMatch(/^first failing seed: \d+ \(/m);
    expect(text).toMatch(/^replay: npm run sim -- --seed \d+ --nodes 1 --clients \d+ --ops 300 --faults crash$/m);
  });

  it('refuses bad command lines with exit code 2 and a usage message', () => {
    for (const argv of [
      [], ['--seed'], ['--seed', 'x'], ['--seed', '-1'], ['--seeds', '5..2'], ['--seeds', '1-3'],
      ['--seed', '1', '--seeds', '1..2'], ['--seed', '1', '--faults', 'meteor'], ['--seed', '1', '--nodes', '0'],
      ['--seed', '1', '--ops', '1e3'], ['--seed', '1', '--bogus'], ['--seeds', '1..2', '--jobs', '0'], ['--seeds', '1..2', '--jobs', '65'],
      ['--seed', '1', '--nodes', '3', '--lone', '--groups', '2'], ['--seed', '1', '--lone', '--replicas', '1'],
    ]) {
      const io = capture();
      expect(main(argv, io), argv.join(' ')).toBe(2);
      expect(io.lines[0]).toMatch(/^error: /);
      expect(io.lines[1]).toMatch(/^usage: npm run sim/);
    }
  });

  it('runs several nodes as a replicated cluster, one group per node unless told; --lone keeps them apart', () => {
    const topology = (argv: string[]): string => {
      const io = capture();
      expect(main(['--seed', '2', '--ops', '100', ...argv], io)).toBe(0);
      return io.lines.find((l) => l.startsWith('topology: '))!;
    };
    expect(topology(['--nodes', '3'])).toMatch(/nodes=3 .*\(cluster: groups=3 replicas=3 /);
    expect(topology(['--nodes', '3', '--groups', '4'])).toMatch(/\(cluster: groups=4 replicas=3 /);
    expect(topology(['--nodes', '3', '--lone'])).toMatch(/nodes=3 .*\(each node independent;/);
    expect(topology([])).toMatch(/nodes=1 .*\(each node independent;/);
  });

  it('accepts --faults none (a fault-free run)', () => {
    const io = capture();
    expect(main(['--seed', '9', '--ops', '100', '--faults', 'none'], io)).toBe(0);
    expect(io.lines.join('\n')).toMatch(/^faults: allowed=none on=none$/m);
  });
});
