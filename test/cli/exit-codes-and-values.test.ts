// The CLI's polish against a real node: --version, one exit code per kind of
// outcome (0 ok, 1 not found, 2 usage, 3 unreachable, 4 node error), binary
// values in and out (--base64, standard input, raw bytes), and the
// simulator's --help. Needs `npm run build` (it spawns bin/piccolo.js).

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connect, ConnectionClosedError, PiccoloError, TimeoutError, VersionMismatchError, type PiccoloClient,
} from '../../client/index.js';
import { exitCodeOf } from '../../runtime-node/cli/client-commands.js';
import {
  EXIT_NOT_FOUND, EXIT_OK, EXIT_SERVER_ERROR, EXIT_UNREACHABLE, EXIT_USAGE,
} from '../../runtime-node/cli/exit-codes.js';
import { readAll } from '../../runtime-node/cli/value-input.js';
import { REPO_ROOT, startNode, type RunningNode } from '../e2e/spawn-node.js';
import { CLI_RUN_TIMEOUT_MS, runInProcess, spawnCli, stdoutText as out, type CliRun } from './run-cli.js';

const VERSION = (JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as { version: string }).version;
/** Bytes that are not UTF-8 (a lone continuation byte, an overlong lead, 0xff) with a NUL and newlines around. */
const NOT_UTF8 = new Uint8Array([0x80, 0x00, 0x0a, 0xc0, 0xaf, 0xff, 0x0d, 0x0a]);

let node: RunningNode;
let kv: PiccoloClient;
beforeAll(async () => {
  node = await startNode(['--workers', '1', '--no-pin', '--no-resp']);
  kv = await connect(node.wsUrl);
});
afterAll(async () => {
  await kv?.close();
  await node?.stop();
});

const withUrl = (args: string[]): string[] => [...args, '--url', node.wsUrl];

describe('piccolo --version and --help', () => {
  it('--version and -v print the package version', async () => {
    const runs = await Promise.all([spawnCli(['--version']), spawnCli(['-v'])]);
    for (const run of runs) expect([run.code, out(run), run.stderr]).toEqual([EXIT_OK, `${VERSION}\n`, '']);
  });

  it('--help lists --version and the exit codes; so does every client command', async () => {
    const [top, get] = await Promise.all([spawnCli(['--help']), runInProcess('get', ['--help'])]);
    for (const run of [top, get]) {
      expect(run.code).toBe(EXIT_OK);
      expect(out(run)).toMatch(/Exit codes \(client commands\):\n {2}0 {2}done\n {2}1 {2}not found.*\n {2}2 {2}usage.*\n {2}3 {2}cannot connect.*\n {2}4 {2}the node answered with an error/);
    }
    expect(out(top)).toContain('-v, --version');
  });
});

describe('exit codes', () => {
  it('get --json prints {"found":false} and exits 1 for a missing key', async () => {
    const run = await spawnCli(withUrl(['get', 'polish:missing', '--json']));
    expect([run.code, JSON.parse(out(run)), run.stderr]).toEqual([EXIT_NOT_FOUND, { found: false }, '']);
  });

  it('exits 4 with the error code when the node answers an error', async () => {
    await kv.set('polish:word', 'abc');
    const run = await spawnCli(withUrl(['incr', 'polish:word']));
    expect([run.code, run.stderr]).toEqual([EXIT_SERVER_ERROR, expect.stringMatching(/^piccolo: WRONG_TYPE: /)]);
  });

  it('maps every failure after connecting to its code: lost connection 3, NOT_FOUND 1, other node errors 4', () => {
    expect(exitCodeOf(new ConnectionClosedError('closed', 1006))).toBe(EXIT_UNREACHABLE);
    expect(exitCodeOf(new TimeoutError('get', 1000))).toBe(EXIT_UNREACHABLE);
    expect(exitCodeOf(new PiccoloError('NOT_FOUND', 'no such key'))).toBe(EXIT_NOT_FOUND);
    expect(exitCodeOf(new VersionMismatchError('lost', 3))).toBe(EXIT_SERVER_ERROR);
    expect(exitCodeOf(new PiccoloError('SHUTTING_DOWN', 'bye'))).toBe(EXIT_SERVER_ERROR);
  });

  it('exits 3 naming the URL when the handshake times out', async () => {
    // A TCP listener that never answers the WebSocket upgrade: connecting works, the handshake does not.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => { sockets.push(socket); });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(silent.address() as { port: number }).port}/v1/ws`;
    try {
      const run = await spawnCli(['get', 'k', '--url', url, '--connect-timeout-ms', '300']);
      expect(run.code).toBe(EXIT_UNREACHABLE);
      expect(run.stderr).toContain(`cannot connect to ${url} (no handshake within 300 ms)`);
      expect(run.stderr).toContain('--url');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('binary values', () => {
  it('set --base64 writes the decoded bytes; get --base64 prints them as base64; plain get writes them raw', async () => {
    const b64 = Buffer.from(NOT_UTF8).toString('base64');
    const set = await spawnCli(withUrl(['set', 'polish:b64', '--base64', b64]));
    expect([set.code, out(set)]).toEqual([EXIT_OK, expect.stringMatching(/^OK version \d+\n$/)]);
    expect((await kv.get('polish:b64'))!.value).toEqual(NOT_UTF8);

    const [asBase64, raw] = await Promise.all([
      spawnCli(withUrl(['get', 'polish:b64', '--base64'])),
      spawnCli(withUrl(['get', 'polish:b64'])),
    ]);
    expect([asBase64.code, out(asBase64)]).toEqual([EXIT_OK, `${b64}\n`]);
    expect(raw.code).toBe(EXIT_OK);
    expect(new Uint8Array(raw.stdout)).toEqual(NOT_UTF8); // byte for byte, no newline (stdout is a pipe)
  });

  it('set KEY - and set KEY --stdin read the value from standard input as raw bytes', async () => {
    const [dash, flag, dashBase64] = await Promise.all([
      spawnCli(withUrl(['set', 'polish:stdin-dash', '-']), NOT_UTF8),
      spawnCli(withUrl(['set', 'polish:stdin-flag', '--stdin']), 'text with\nnewline\n'),
      spawnCli(withUrl(['set', 'polish:stdin-b64', '--base64', '-']), `${Buffer.from(NOT_UTF8).toString('base64')}\n`),
    ]);
    for (const run of [dash, flag, dashBase64]) expect([run.code, run.stderr]).toEqual([EXIT_OK, '']);
    expect((await kv.get('polish:stdin-dash'))!.value).toEqual(NOT_UTF8);
    expect(await kv.getString('polish:stdin-flag')).toBe('text with\nnewline\n');
    expect((await kv.get('polish:stdin-b64'))!.value).toEqual(NOT_UTF8);

    // Chunks arrive as the stream gives them; an empty standard input is an empty value.
    const chunked = await runInProcess('set', withUrl(['polish:chunks', '-']), [NOT_UTF8.subarray(0, 3), NOT_UTF8.subarray(3)]);
    expect(chunked.code).toBe(EXIT_OK);
    expect((await kv.get('polish:chunks'))!.value).toEqual(NOT_UTF8);
    expect((await runInProcess('set', withUrl(['polish:empty', '--stdin']), [])).code).toBe(EXIT_OK);
    expect((await kv.get('polish:empty'))!.value).toEqual(new Uint8Array(0));
  });

  it('refuses bad binary input with exit 2 before sending anything', async () => {
    const cases: [string, string[], Uint8Array[]][] = [
      ['bad base64', ['set', 'polish:bad', '--base64', 'not base64!'], []],
      ['base64 missing padding chars', ['set', 'polish:bad', '--base64', 'QUJD=='], []],
      ['bad base64 on stdin', ['set', 'polish:bad', '--base64', '-'], [Buffer.from('%%%\n')]],
      ['--stdin and a VALUE', ['set', 'polish:bad', 'v', '--stdin'], []],
      ['--json with --base64', ['get', 'polish:bad', '--json', '--base64'], []],
    ];
    for (const [what, [command, ...args], input] of cases) {
      const run: CliRun = await runInProcess(command as 'set' | 'get', withUrl(args), input);
      expect([run.code, out(run)], what).toEqual([EXIT_USAGE, '']);
      expect(run.stderr, what).toMatch(/^piccolo: .+\nRun "piccolo (set|get) --help" for usage\.\n$/);
    }
    expect(await kv.get('polish:bad')).toBeNull();
  });

  it('stops reading standard input past its limit', async () => {
    const chunks = [new Uint8Array(6), new Uint8Array(6)];
    await expect(readAll(chunks, 10)).rejects.toThrow(/more than 10 bytes/);
    expect(await readAll(chunks, 12)).toEqual(new Uint8Array(12));
  });
});

describe('npm run sim -- --help', () => {
  it('prints every option of the simulator and exits 0', async () => {
    const pkg = JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.sim).toBe('node dist/runtime-sim/cli.js');
    const run = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, [`${REPO_ROOT}dist/runtime-sim/cli.js`, '--help'], { timeout: CLI_RUN_TIMEOUT_MS }, (error, stdout) =>
        resolve({ code: error ? Number(error.code) : 0, stdout }));
    });
    expect(run.code).toBe(0);
    for (const option of ['--seed N', '--seeds A..B', '--nodes K', '--clients C', '--ops M', '--faults LIST', '--timing', '--help']) {
      expect(run.stdout).toContain(option);
    }
    expect(run.stdout).toMatch(/partition, reset, pause, skew, spike, lossy, crash/);
    expect(run.stdout).toMatch(/Exit codes:\n {2}0 {2}every check passed\n {2}2 {2}bad command line\n/);
    expect(run.stdout).toContain('  3  linearizability');
  });
});
