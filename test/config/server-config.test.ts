// `piccolo server` configured the three ways a user does (a JSON --config
// file, PICCOLO_* environment variables, flags), checked on the real binary:
// --print-config shows the winner of each setting and where it came from, the
// settings take effect on a running node, and mistakes exit 2 with a message.

import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, NODE_START_TIMEOUT_MS, REPO_ROOT } from '../e2e/spawn-node.js';

interface Run { code: number | null; stdout: string; stderr: string }

/** Runs `piccolo server ...args` with exactly `env` (plus PATH), to completion or until `until` matches stdout. */
function runServer(args: string[], env: Record<string, string>, until?: RegExp): Promise<Run & { stop: () => Promise<Run> }> {
  const child = spawn(process.execPath, [CLI, 'server', ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const exited = new Promise<Run>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
  const stop = async (): Promise<Run> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    return exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`server did not finish:\n${stdout}\n${stderr}`)); }, NODE_START_TIMEOUT_MS);
    if (until) {
      child.stdout.on('data', () => {
        if (until.test(stdout)) { clearTimeout(timer); resolve({ code: null, stdout, stderr, stop }); }
      });
    }
    void exited.then((run) => { clearTimeout(timer); resolve({ ...run, stop }); });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'piccolo-config-'));

describe('piccolo server configuration', () => {
  it('--print-config shows each effective setting and its source, flags over env over file', async () => {
    const file = join(dir, 'piccolo.json');
    writeFileSync(file, JSON.stringify({ port: 7001, workers: 1, 'allow-origin': ['https://app.example'], 'resp-port': 7002 }));
    const run = await runServer(['--config', file, '--port', '7003', '--print-config'], { PICCOLO_RESP_PORT: '7004', PICCOLO_REQUIREPASS: 'sekret' });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^port\s+7003\s+flag --port$/m);
    expect(run.stdout).toMatch(/^resp-port\s+7004\s+env PICCOLO_RESP_PORT$/m);
    expect(run.stdout).toMatch(new RegExp(`^workers\\s+1\\s+file ${file.replace(/[.\\/]/g, '\\$&')}$`, 'm'));
    expect(run.stdout).toMatch(/^allow-origin\s+https:\/\/app\.example\s+file /m);
    expect(run.stdout).toMatch(/^requirepass\s+\(set, hidden\)\s+env PICCOLO_REQUIREPASS$/m);
    expect(run.stdout).toMatch(/^host\s+127\.0\.0\.1\s+default$/m);
    expect(run.stdout).not.toContain('sekret');
  });

  it('a password from a file protects the HTTP door of the running node; JSON log lines', async () => {
    const passFile = join(dir, 'pass');
    writeFileSync(passFile, 'from-a-file\n');
    const file = join(dir, 'node.json');
    const dataDir = join(dir, 'data');
    writeFileSync(file, JSON.stringify({ 'requirepass-file': passFile, 'no-pin': true, 'log-format': 'json', 'data-dir': dataDir, fsync: 'batch=5' }));
    const node = await runServer(['--port', '0', '--no-resp'], { PICCOLO_CONFIG: file, PICCOLO_WORKERS: '1' }, /"msg":"listening"/);
    try {
      const line = JSON.parse(node.stdout.split('\n').find((l) => l.includes('"listening"'))!) as { http: string; workers: number; auth: boolean; durable: boolean; level: string };
      expect(line).toMatchObject({ level: 'info', workers: 1, auth: true, durable: true, dataDir, fsync: 'batch=5' });
      const url = `${line.http}/v1/kv/k`;
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      const put = await fetch(url, { method: 'PUT', body: 'v', headers: { authorization: 'Bearer from-a-file' } });
      expect(put.status).toBe(200);
      expect(await (await fetch(url, { headers: { authorization: 'Bearer from-a-file' } })).text()).toBe('v');
    } finally {
      const end = await node.stop();
      expect(end.code).toBe(0);
    }
  });

  it('storage settings: --in-memory excludes --data-dir and --fsync, and --fsync takes only its three forms (exit 2)', async () => {
    const both = await runServer(['--in-memory', '--data-dir', join(dir, 'x')], {});
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--in-memory keeps no data directory: drop data-dir \(--data-dir\)/);
    const fsyncInMemory = await runServer(['--in-memory'], { PICCOLO_FSYNC: 'never' });
    expect(fsyncInMemory.code).toBe(2);
    expect(fsyncInMemory.stderr).toMatch(/drop fsync \(PICCOLO_FSYNC\)/);
    for (const bad of ['sometimes', 'batch=0', 'batch=', 'batch=99999']) {
      const run = await runServer(['--fsync', bad, '--print-config'], {});
      expect(run.code, bad).toBe(2);
      expect(run.stderr).toMatch(/--fsync must be always, batch=<ms> \(ms in 1\.\.10000\) or never/);
    }
    const help = await runServer(['--help'], {});
    expect(help.stdout).toMatch(/--in-memory\s+no data directory: everything is lost on restart/);
    expect(help.stdout).toMatch(/--data-dir DIR\s+.*\(default \.\/data\)/);
  });

  it('refuses mistakes with exit code 2 and a message naming the setting', async () => {
    const file = join(dir, 'typo.json');
    writeFileSync(file, JSON.stringify({ prot: 1 }));
    const typo = await runServer(['--config', file], {});
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown setting 'prot' (did you mean 'port'?)");
    const bad = await runServer(['--port', '0'], { PICCOLO_WORKERS: 'lots' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("PICCOLO_WORKERS must be an integer in 1..256, got 'lots'");
    const ring = await runServer(['--ring-bytes', '1000', '--port', '0'], {});
    expect(ring.code).toBe(2);
    expect(ring.stderr).toContain('the limits do not fit together: ringBytes must hold two max-sized records');
    expect(ring.stderr).not.toMatch(/\n\s+at /);
    const tls = await runServer(['--tls-cert', file], {});
    expect(tls.code).toBe(2);
    expect(tls.stderr).toContain('TLS needs both --tls-cert and --tls-key');
  });

  it('refuses to bind a public address without a password (protected mode), without a stack trace', async () => {
    const run = await runServer(['--host', '0.0.0.0', '--port', '0', '--no-resp', '--workers', '1', '--no-pin'], {});
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--requirepass');
    expect(run.stderr).toContain('--protected-mode no');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('client commands take the password from PICCOLO_PASSWORD or --password-file', async () => {
    const node = await runServer(['--port', '0', '--no-resp', '--workers', '1', '--no-pin', '--in-memory'], { PICCOLO_REQUIREPASS: 'cli-pass' }, /listening on/);
    try {
      const url = `ws://127.0.0.1:${/listening on http:\/\/[^:]+:(\d+)/.exec(node.stdout)![1]}/v1/ws`;
      const cli = (args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> =>
        new Promise((resolve) => {
          execFile(process.execPath, [CLI, ...args, '--url', url], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 },
            (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }));
        });
      const refused = await cli(['set', 'k', 'v'], {});
      expect(refused.code).toBe(3);
      expect(refused.stderr).toMatch(/password|auth/i);
      expect((await cli(['set', 'k', 'v'], { PICCOLO_PASSWORD: 'cli-pass' })).code).toBe(0);
      const passFile = join(dir, 'client-pass');
      writeFileSync(passFile, 'cli-pass\n');
      const got = await cli(['get', 'k', '--password-file', passFile], {});
      expect(got).toMatchObject({ code: 0, stdout: 'v' });
    } finally {
      await node.stop();
    }
  });
});
