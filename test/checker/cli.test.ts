import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCheckHistory } from '../../runtime-node/cli/check-history.js';
import { history } from './history-builder.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

async function run(...args: string[]): Promise<{ code: number; json: Record<string, unknown>; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCheckHistory(args, { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; } });
  const lines = stdout.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1); // exactly one JSON line
  return { code, json: JSON.parse(lines[0]!) as Record<string, unknown>, stdout, stderr };
}

describe('check-history CLI', () => {
  it('exits 0 on a linearizable history', async () => {
    const r = await run(join(fixtures, 'linearizable-concurrent.jsonl'));
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ linearizable: true, ops: 12 });
    expect((await run(join(fixtures, 'empty.jsonl'))).json).toMatchObject({ linearizable: true, ops: 0 });
  });

  it('exits 1 on a stale read and reports the key and a short window', async () => {
    const r = await run(join(fixtures, 'stale-read.jsonl'));
    expect(r.code).toBe(1);
    expect(r.json).toEqual({
      linearizable: false,
      key: 'a',
      window: [
        { process: 0, f: 'write', key: 'a', value: '1', invokeTime: 10, returnTime: 15, type: 'ok', invokeLine: 1, returnLine: 2 },
        { process: 0, f: 'write', key: 'a', value: '2', invokeTime: 20, returnTime: 25, type: 'ok', invokeLine: 5, returnLine: 6 },
        { process: 1, f: 'read', key: 'a', value: '1', invokeTime: 30, returnTime: 31, type: 'ok', invokeLine: 7, returnLine: 8 },
      ],
      ops: 5,
      steps: expect.any(Number),
    });
  });

  it('exits 1 when an info write is the only explanation for a read that came before it', async () => {
    const r = await run(join(fixtures, 'info-write-after-read.jsonl'));
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ linearizable: false, key: 'a' });
  });

  it('exits 1 on a lost incr update, reporting the delta', async () => {
    const r = await run(join(fixtures, 'incr-lost-update.jsonl'));
    expect(r.code).toBe(1);
    expect(r.json.window).toEqual([
      expect.objectContaining({ f: 'incr', value: '1', delta: '1', process: 0 }),
      expect.objectContaining({ f: 'incr', value: '1', delta: '1', process: 1 }),
    ]);
  });

  it('exits 2 with a reason when the step budget runs out', async () => {
    const r = await run(join(fixtures, 'linearizable-concurrent.jsonl'), '--steps-max', '3');
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ linearizable: null, reason: expect.stringContaining('step budget') });
  });

  it('exits 2 when the wall-clock budget runs out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'piccolo-check-'));
    const file = join(dir, 'long.jsonl');
    const h = history();
    for (let i = 0; i < 3000; i++) h.write(0, 'a', `v${i}`).read(1, 'a', `v${i}`);
    writeFileSync(file, h.jsonl());
    const r = await run(file, '--timeout-ms', '0');
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ linearizable: null, reason: expect.stringContaining('deadline') });
    expect((await run(file)).code).toBe(0);
  });

  it('exits 3 on malformed input, naming the line', async () => {
    const cases: [string, number, string][] = [
      ['malformed-json.jsonl', 3, 'not valid JSON'],
      ['malformed-unmatched-completion.jsonl', 3, 'never invoked'],
      ['malformed-time-decreasing.jsonl', 2, 'earlier'],
    ];
    for (const [name, line, message] of cases) {
      const r = await run(join(fixtures, name));
      expect(r.code, name).toBe(3);
      expect(r.json).toMatchObject({ linearizable: null, error: 'malformed', line, message: expect.stringContaining(message) });
      expect(r.stderr).toContain(`:${line}:`);
    }
  });

  it('exits 3 on an unreadable file and on bad arguments', async () => {
    const missing = await run(join(fixtures, 'no-such-file.jsonl'));
    expect(missing.code).toBe(3);
    expect(missing.json).toMatchObject({ linearizable: null, error: 'unreadable' });
    expect((await run(fixtures)).json).toMatchObject({ error: 'unreadable' }); // a directory
    for (const args of [[], ['--steps-max', 'x', 'f'], ['--bogus', 'f'], ['a', 'b']]) {
      const r = await run(...args);
      expect(r.code, args.join(' ')).toBe(3);
      expect(r.json).toMatchObject({ linearizable: null, error: 'usage' });
    }
  });

  it('prints usage for --help', async () => {
    let out = '';
    const code = await runCheckHistory(['--help'], { stdout: (s) => { out += s; }, stderr: () => {} });
    expect(code).toBe(0);
    expect(out).toContain('usage: piccolo check-history FILE');
  });
});
