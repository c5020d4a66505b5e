// docs/piccolo.service, the systemd unit deploy.md tells users to copy: it
// must parse (systemd-analyze, where installed) and keep its hardening and
// the promises deploy.md makes about it.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../e2e/spawn-node.js';

const UNIT = join(REPO_ROOT, 'docs/piccolo.service');
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';
/** systemd-analyze verify reads a few unit files; seconds are plenty. */
const VERIFY_TIMEOUT_MS = 30_000;

/** `Key=value` lines by section; a key given twice keeps every value. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current === undefined || eq < 0) throw new Error(`not a unit line: ${line}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

describe('docs/piccolo.service', () => {
  it('runs piccolo server unprivileged and hardened, with the password from an EnvironmentFile', async () => {
    const service = parseUnit(await readFile(UNIT, 'utf8')).get('Service')!;
    const one = (key: string): string | undefined => service.get(key)?.at(-1);
    expect(one('ExecStart')).toMatch(/\/piccolo server /);
    expect(one('EnvironmentFile')).toBe('/etc/piccolo/piccolo.env');
    expect(one('Restart')).toBe('on-failure');
    for (const [key, value] of [['DynamicUser', 'yes'], ['NoNewPrivileges', 'yes'], ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'], ['PrivateTmp', 'yes'], ['PrivateDevices', 'yes'], ['KillSignal', 'SIGTERM']] as const) {
      expect(one(key), key).toBe(value);
    }
    expect(one('CapabilityBoundingSet')).toBe('');
    // Its data goes where ProtectSystem=strict still lets it write: its own state directory.
    expect(one('StateDirectory')).toBe('piccolo');
    expect(one('ExecStart')).toMatch(/--data-dir \/var\/lib\/piccolo\b/);
    // The password never goes on the command line, where `ps` shows it.
    expect(one('ExecStart')).not.toMatch(/--requirepass\b/);
    // Worker pinning runs taskset (sched_setaffinity): the @resources group must stay allowed.
    expect((service.get('SystemCallFilter') ?? []).join(' ')).not.toMatch(/@resources/);
  });

  it.skipIf(!existsSync(SYSTEMD_ANALYZE))('passes systemd-analyze verify (no unknown keys or sections)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'piccolo-unit-'));
    try {
      // verify also checks that ExecStart exists; piccolo is not installed here, so point it at a binary that is.
      const copy = join(dir, 'piccolo.service');
      await writeFile(copy, (await readFile(UNIT, 'utf8')).replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath}`));
      const result = await new Promise<{ code: number; output: string }>((resolve) => {
        execFile(SYSTEMD_ANALYZE, ['verify', copy], { timeout: VERIFY_TIMEOUT_MS }, (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code ?? -1) : 0, output: stdout + stderr }));
      });
      expect(result.output).not.toMatch(/Unknown (key|section)|Invalid|Failed to parse/i);
      expect(result.code, result.output).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
