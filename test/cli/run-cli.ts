// Runs the `piccolo` CLI for tests, two ways: as a user does (the compiled
// bin/piccolo.js in a child process: stdout bytes, stderr, exit code), and
// in this process through runClientCommand (each Node start costs ~0.5 s).

import { execFile } from 'node:child_process';
import { runClientCommand, type ClientCommand, type CliStreams } from '../../runtime-node/cli/client-commands.js';
import { CLI, REPO_ROOT } from '../e2e/spawn-node.js';

/** Bound on one CLI call in a test: a hung CLI fails the test instead of stalling the run. */
export const CLI_RUN_TIMEOUT_MS = 20_000;

export interface CliRun { code: number; stdout: Buffer; stderr: string }

/** `node bin/piccolo.js ...args`, with `input` (if any) on its standard input. */
export function spawnCli(args: string[], input?: string | Uint8Array): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args],
      { cwd: REPO_ROOT, encoding: 'buffer', timeout: CLI_RUN_TIMEOUT_MS },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr: stderr.toString('utf8') });
      });
    child.stdin!.end(input ?? '');
  });
}

/** The same client command through runClientCommand in this process; `input` is its standard input. */
export async function runInProcess(command: ClientCommand, args: string[], input: Uint8Array[] = []): Promise<CliRun> {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const sink = (chunks: Buffer[]): CliStreams['stdout'] => ({
    write: (chunk: string | Uint8Array) => { chunks.push(Buffer.from(chunk)); return true; },
    once: () => undefined,
  });
  const code = await runClientCommand(command, args, { stdout: sink(stdout), stderr: sink(stderr), stdin: input });
  return { code, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString('utf8') };
}

export const stdoutText = (run: CliRun): string => run.stdout.toString('utf8');
