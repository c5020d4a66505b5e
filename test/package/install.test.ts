// The package as a user gets it: `npm pack` the built repo, `npm install` the
// tarball into a fresh project (offline, from the npm cache `npm ci` filled),
// then run what the README promises there: `npx piccolo server`, `import
// { connect } from 'piccolo'` in an .mjs file, and the client's types under
// tsc with a minimal tsconfig. Needs `npm run build` first (packs dist/ as is).

import { execFile, type ExecFileException } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startNode, type RunningNode } from '../e2e/spawn-node.js';

/** Bounds on the slow steps: packing, installing from the cache, a typecheck. */
const PACK_TIMEOUT_MS = 60_000;
const INSTALL_TIMEOUT_MS = 120_000;
const STEP_TIMEOUT_MS = 60_000;
/**
 * The tarball holds ~670 files (bin, compiled runtime with cluster, gateway, watches and pub/sub, core with
 * Raft, storage and the data types, client, docs); far more means tests or sources leaked in (the test tree
 * alone would add ~400 compiled files).
 */
const PACKAGE_FILES_MAX = 850;

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';

interface Ran { code: number; stdout: string; stderr: string }

function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } },
      (error: ExecFileException | null, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }));
  });
}

interface PackedFile { path: string }
interface PackResult { filename: string; version: string; entryCount: number; files: PackedFile[] }

let work: string;
let project: string;
let packed: PackResult;
let packedVersion: string;

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, 'dist/runtime-node/cli/main.js')) || !existsSync(join(REPO_ROOT, 'dist/browser/piccolo.js'))) {
    throw new Error('dist/ is not built: run `npm run build` first');
  }
  work = await mkdtemp(join(tmpdir(), 'piccolo-package-'));
  // --ignore-scripts: pack the dist/ that is there instead of rebuilding it (prepare).
  const pack = await run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], REPO_ROOT, PACK_TIMEOUT_MS);
  expect(pack.code, pack.stderr).toBe(0);
  [packed] = JSON.parse(pack.stdout) as PackResult[];
  packedVersion = packed!.version;

  project = join(work, 'consumer');
  await mkdir(project);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'piccolo-consumer', private: true, type: 'module' }));
  const install = await run(NPM, ['install', join(work, packed.filename), '--prefer-offline', '--no-audit', '--no-fund'],
    project, INSTALL_TIMEOUT_MS);
  expect(install.code, install.stderr).toBe(0);
}, PACK_TIMEOUT_MS + INSTALL_TIMEOUT_MS);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('ships the CLI, the compiled runtime, client and browser bundle, docs; no tests, benchmarks or sources', () => {
    const paths = packed.files.map((f) => f.path);
    expect(packed.entryCount).toBeLessThan(PACKAGE_FILES_MAX);
    for (const needed of ['bin/piccolo.js', 'dist/runtime-node/cli/main.js', 'dist/client/index.js', 'dist/client/index.d.ts',
      'dist/browser/piccolo.js', 'dist/browser/piccolo.js.map', 'schema/piccolo.capnp', 'README.md', 'docs/deploy.md',
      'docs/piccolo.service', 'package.json']) {
      expect(paths, needed).toContain(needed);
    }
    const leaked = paths.filter((p) => /^(test|bench|dist\/test|dist\/bench|dist\/runtime-sim)\//.test(p) || /\.ts$/.test(p) && !p.endsWith('.d.ts'));
    expect(leaked).toEqual([]);
  });

  describe('installed into a fresh project', () => {
    let node: RunningNode;
    beforeAll(async () => {
      // The bin npx runs, run directly: through npx, SIGTERM would reach npm's shell and orphan the node.
      node = await startNode(['--workers', '1', '--no-pin', '--no-resp'], { command: join(project, 'node_modules/.bin/piccolo'), commandArgs: [], cwd: project });
    });
    afterAll(async () => { await node?.stop(); });

    it('piccolo server prints its listening line; npx piccolo finds the installed bin', async () => {
      expect(node.output()).toMatch(/piccolo listening on http:\/\/127\.0\.0\.1:\d+ \(WebSocket ws:\/\/127\.0\.0\.1:\d+\/v1\/ws\)/);
      // --no: never ask the registry; the bin must be the installed one.
      const [version, help, checker] = await Promise.all([
        run(NPX, ['--no', '--', 'piccolo', '--version'], project, STEP_TIMEOUT_MS),
        run(NPX, ['--no', '--', 'piccolo', 'server', '--help'], project, STEP_TIMEOUT_MS),
        run(NPX, ['--no', '--', 'piccolo', 'check-history', '--help'], project, STEP_TIMEOUT_MS),
      ]);
      expect([version.code, version.stdout]).toEqual([0, `${packedVersion}\n`]);
      expect([help.code, help.stdout]).toEqual([0, expect.stringMatching(/^Usage: piccolo server/)]);
      // The checker ships too (dist/core/checker): its help loads it.
      expect([checker.code, checker.stdout]).toEqual([0, expect.stringMatching(/^usage: piccolo check-history/i)]);
    });

    it("an .mjs file sets and gets a key with `import { connect } from 'piccolo'`", async () => {
      await writeFile(join(project, 'use.mjs'), `
import { connect, PiccoloError } from 'piccolo';
const kv = await connect(process.argv[2]);
const { version } = await kv.set('package:greeting', 'hello from the tarball');
const value = await kv.getString('package:greeting');
let code = null;
try { await kv.cas('package:greeting', version + 1, 'x'); } catch (e) { code = e instanceof PiccoloError ? e.code : String(e); }
await kv.close();
console.log(JSON.stringify({ version, value, code }));
`);
      const ran = await run(process.execPath, ['use.mjs', node.wsUrl], project, STEP_TIMEOUT_MS);
      expect(ran.code, ran.stderr).toBe(0);
      expect(JSON.parse(ran.stdout)).toEqual({ version: expect.any(Number), value: 'hello from the tarball', code: 'VERSION_MISMATCH' });
    });

    it('the client types check with tsc (node16 and bundler resolution, no @types/node)', async () => {
      await writeFile(join(project, 'use.ts'), `
import { connect, PiccoloError, type Entry, type PiccoloClient } from 'piccolo';
import { connect as connectInBrowser } from 'piccolo/browser';

export async function greet(url: string): Promise<string | null> {
  const kv: PiccoloClient = await connect(url, { requestTimeoutMs: 1000 });
  const entry: Entry | null = await kv.get('greeting');
  // @ts-expect-error: keys are strings or bytes, so a typo here must not typecheck.
  await kv.set(42, 'x');
  await kv.close();
  return entry === null ? null : new TextDecoder().decode(entry.value);
}
export const isMismatch = (e: unknown): boolean => e instanceof PiccoloError && e.code === 'VERSION_MISMATCH';
export const sameConnect: typeof connect = connectInBrowser;
`);
      const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
      for (const resolution of [{ module: 'node16', moduleResolution: 'node16' }, { module: 'esnext', moduleResolution: 'bundler' }]) {
        await writeFile(join(project, 'tsconfig.json'), JSON.stringify({
          compilerOptions: { ...resolution, target: 'es2022', lib: ['es2022', 'dom'], types: [], strict: true, noEmit: true },
          files: ['use.ts'],
        }));
        const checked = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], project, STEP_TIMEOUT_MS);
        expect([checked.code, checked.stdout], resolution.moduleResolution).toEqual([0, '']);
      }
    });

    it('stops with exit 0 on SIGTERM', async () => {
      expect(await node.stop()).toBe(0);
      expect(node.output()).toMatch(/piccolo: SIGTERM, shutting down\npiccolo: stopped\n$/);
    });
  });
});
