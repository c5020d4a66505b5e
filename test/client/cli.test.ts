// `piccolo get|set|del|incr|scan` against a real node. Every command and
// outcome class runs at least once as a user runs it (the compiled CLI in a
// child process: stdout, stderr, exit code); variants run the same
// runClientCommand in process, because each Node start costs ~0.5 s.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type PiccoloClient } from '../../client/index.js';
import type { ClientCommand } from '../../runtime-node/cli/client-commands.js';
import {
  EXIT_NOT_FOUND, EXIT_OK, EXIT_SERVER_ERROR, EXIT_UNREACHABLE,
} from '../../runtime-node/cli/exit-codes.js';
import { runInProcess, spawnCli, stdoutText as out, type CliRun as Run } from '../cli/run-cli.js';
import { startNode, type RunningNode } from '../e2e/spawn-node.js';

let node: RunningNode;
let kv: PiccoloClient;
beforeAll(async () => {
  node = await startNode(['--workers', '2', '--no-pin']);
  kv = await connect(node.wsUrl);
});
afterAll(async () => {
  await kv?.close();
  await node?.stop();
});

/** Runs `node bin/piccolo.js command ...args`; `withUrl` adds --url for the test node. */
const spawned = (command: ClientCommand, args: string[], withUrl = true): Promise<Run> =>
  spawnCli([command, ...args, ...(withUrl ? ['--url', node.wsUrl] : [])]);

/** The same command in this process. The test node's --url goes first, so a --url in args overrides it (the last one wins). */
const inProcess = (command: ClientCommand, args: string[], withUrl = true): Promise<Run> =>
  runInProcess(command, [...(withUrl ? ['--url', node.wsUrl] : []), ...args]);
const lines = (run: Run): string[] => out(run).split('\n').filter(Boolean);

describe('piccolo CLI client commands', () => {
  it('prints usage for --help on every command', async () => {
    const commands = ['get', 'set', 'del', 'incr', 'scan'] as const;
    const runs = await Promise.all(commands.map((command, i) =>
      (i < 2 ? spawned : inProcess)(command, ['--help'], false)));
    runs.forEach((run, i) => {
      expect(run.code, commands[i]).toBe(0);
      expect(out(run), commands[i]).toMatch(new RegExp(`^Usage: piccolo ${commands[i]}`));
      expect(out(run), commands[i]).toContain('--url URL');
    });
    expect(out(runs[1]!)).toContain('--if-absent');
  });

  it('set then get prints the exact bytes; --json prints value and version', async () => {
    const set = await spawned('set', ['cli:greeting', 'hello world']);
    expect(set.code).toBe(0);
    const version = Number(/^OK version (\d+)\n$/.exec(out(set))?.[1]);
    expect(version).toBeGreaterThan(0);

    // Binary values come out byte for byte (and as base64 with --json).
    const bytes = new Uint8Array([0, 255, 10, 13, 0xc3]);
    await kv.set('cli:binary', bytes);
    const [json, binary, text, binaryJson] = await Promise.all([
      spawned('get', ['cli:greeting', '--json']),
      spawned('get', ['cli:binary']),
      inProcess('get', ['cli:greeting']),
      inProcess('get', ['cli:binary', '--json']),
    ]);
    expect(JSON.parse(out(json))).toEqual({ found: true, value: 'hello world', version });
    expect(binary.code).toBe(0);
    expect(new Uint8Array(binary.stdout)).toEqual(bytes); // no newline added: stdout is not a terminal
    expect(out(text)).toBe('hello world');
    expect(JSON.parse(out(binaryJson))).toEqual({ found: true, valueBase64: 'AP8KDcM=', version: (await kv.get('cli:binary'))!.version });
  });

  it('get of a missing key exits 1 with (not found)', async () => {
    const run = await spawned('get', ['cli:missing']);
    expect(run.code).toBe(1);
    expect(out(run)).toBe('');
    expect(run.stderr).toBe('(not found)\n');
  });

  it('set honours --ttl-ms, --if-absent, --if-present and --version', async () => {
    const { version } = await kv.set('cli:cas', 'one');
    const [ttl, stale] = await Promise.all([
      spawned('set', ['cli:ttl', 'v', '--ttl-ms', '60000']),
      spawned('set', ['cli:cas', 'two', '--version', String(version + 1000)]),
    ]);
    expect(ttl.code).toBe(0);
    expect(await kv.ttl('cli:ttl')).toBeGreaterThan(50_000);
    expect([stale.code, out(stale), stale.stderr]).toEqual([EXIT_SERVER_ERROR, '', expect.stringMatching(/^piccolo: VERSION_MISMATCH: .+\n$/)]);

    const absent = await inProcess('set', ['cli:ttl', 'other', '--if-absent']);
    expect([absent.code, absent.stderr]).toEqual([EXIT_SERVER_ERROR, expect.stringMatching(/^piccolo: KEY_EXISTS: /)]);
    const present = await inProcess('set', ['cli:nothing-here', 'v', '--if-present']);
    expect([present.code, present.stderr]).toEqual([EXIT_NOT_FOUND, expect.stringMatching(/^piccolo: NOT_FOUND: /)]);
    expect((await inProcess('set', ['cli:cas', 'two', '--version', String(version)])).code).toBe(0);
    expect(await kv.getString('cli:cas')).toBe('two');
    // A value that looks like a negative number is a value, not an option.
    expect((await inProcess('set', ['cli:neg', '-42'])).code).toBe(0);
    expect(await kv.getString('cli:neg')).toBe('-42');
  });

  it('del prints 1, then 0 with exit 1 (not found); --version guards it', async () => {
    const { version } = await kv.set('cli:del', 'x');
    const guarded = await inProcess('del', ['cli:del', '--version', String(version + 1000)]);
    expect([guarded.code, guarded.stderr]).toEqual([EXIT_SERVER_ERROR, expect.stringMatching(/^piccolo: VERSION_MISMATCH: /)]);
    const deleted = await spawned('del', ['cli:del', '--version', String(version)]);
    expect([deleted.code, out(deleted)]).toEqual([EXIT_OK, '1\n']);
    const again = await spawned('del', ['cli:del']);
    expect([again.code, out(again)]).toEqual([EXIT_NOT_FOUND, '0\n']);
  });

  it('incr prints the new value, takes negative deltas, and reports WRONG_TYPE', async () => {
    await kv.set('cli:word', 'abc');
    const [negative, wrong] = await Promise.all([
      spawned('incr', ['cli:counter', '-5']),
      spawned('incr', ['cli:word']),
    ]);
    expect([negative.code, out(negative)]).toEqual([0, '-5\n']);
    expect([wrong.code, out(wrong), wrong.stderr]).toEqual([EXIT_SERVER_ERROR, '', expect.stringMatching(/^piccolo: WRONG_TYPE: .+\n$/)]);
    expect(out(await inProcess('incr', ['cli:counter']))).toBe('-4\n');
    expect(out(await inProcess('incr', ['cli:counter', '10']))).toBe('6\n');
    expect(out(await inProcess('incr', ['cli:big', '9223372036854775807']))).toBe('9223372036854775807\n');
    const overflow = await inProcess('incr', ['cli:big']);
    expect([overflow.code, overflow.stderr]).toEqual([EXIT_SERVER_ERROR, expect.stringMatching(/^piccolo: OVERFLOW: /)]);
  });

  it('scan prints keys one per line, pages with --limit/--cursor, and --all reads every page', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `cli:scan:${String(i).padStart(2, '0')}`);
    await kv.mset(keys.map((key) => [key, 'v'] as const));
    await kv.set('cli:scam', 'outside the prefix');

    const [all, first] = await Promise.all([
      spawned('scan', ['cli:scan:', '--all', '--limit', '7']),
      spawned('scan', ['cli:scan:', '--limit', '20']),
    ]);
    expect(all.code).toBe(0);
    expect(lines(all).sort()).toEqual(keys);
    expect(all.stderr).toBe('');

    expect(first.code).toBe(0);
    expect(lines(first)).toHaveLength(20);
    const seen = lines(first);
    let cursor = /^next cursor: (\S+)\n$/.exec(first.stderr)?.[1];
    expect(cursor).toBeDefined();
    for (let page = 0; cursor !== undefined && page < 10; page++) {
      const run = await inProcess('scan', ['cli:scan:', '--limit', '20', '--cursor', cursor]);
      expect(run.code).toBe(0);
      seen.push(...lines(run));
      cursor = /^next cursor: (\S+)\n$/.exec(run.stderr)?.[1];
    }
    expect(cursor).toBeUndefined();
    expect(seen.sort()).toEqual(keys);

    const badCursor = await inProcess('scan', ['cli:scan:', '--cursor', '%%%']);
    expect([badCursor.code, badCursor.stderr]).toEqual([EXIT_SERVER_ERROR, expect.stringMatching(/^piccolo: BAD_REQUEST: /)]);
  });

  it('exits 2 on usage errors, before connecting', async () => {
    const run = await spawned('get', []);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('piccolo: get takes KEY, got 0 arguments\nRun "piccolo get --help" for usage.\n');
    // In process, against a URL where nothing listens: a usage error must not even try to connect.
    const cases: [ClientCommand, string[]][] = [
      ['set', ['only-key']],
      ['get', ['a', 'b']],
      ['set', ['k', 'v', '--ttl-ms', 'soon']],
      ['set', ['k', 'v', '--version', '-1']],
      ['set', ['k', 'v', '--if-absent', '--if-present']],
      ['del', ['k', '--bogus']],
      ['scan', ['--limit', '0']],
      ['get', ['k', '--url', 'http://127.0.0.1:7700']],
      ['incr', ['k', 'ten']],
      ['incr', ['k', '9223372036854775808']],
    ];
    for (const [command, args] of cases) {
      // The last --url wins, so a case's own --url replaces this one.
      const result = await inProcess(command, ['--url', 'ws://127.0.0.1:1/v1/ws', ...args], false);
      expect(result.code, `${command} ${args.join(' ')}`).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^piccolo: .+\\nRun "piccolo ${command} --help" for usage\\.\\n$`));
      expect(out(result)).toBe('');
    }
  });

  it('explains a refused connection, names the URL and suggests --url (exit 3)', async () => {
    const run = await spawned('get', ['k', '--url', 'ws://127.0.0.1:1/v1/ws'], false);
    expect(run.code).toBe(EXIT_UNREACHABLE);
    expect(run.stderr).toMatch(/^piccolo: cannot connect to ws:\/\/127\.0\.0\.1:1\/v1\/ws \(.*ECONNREFUSED.*\)\. Is a node running there\? Start one with "piccolo server", or name the node with --url ws:\/\/HOST:PORT\/v1\/ws\n$/);
  });
});
