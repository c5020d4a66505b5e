// Starts a real Piccolo node (the compiled CLI, real worker threads) on an
// ephemeral loopback port for end-to-end tests.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = `${REPO_ROOT}bin/piccolo.js`;
/** Bound on how long a node may take to start in a test. */
export const NODE_START_TIMEOUT_MS = 20_000;

export interface RunningNode {
  process: ChildProcessWithoutNullStreams;
  port: number;
  /** The RESP port, or null when the node runs without RESP. */
  respPort: number | null;
  baseUrl: string;
  wsUrl: string;
  output: () => string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop: () => Promise<number | null>;
}

/** How to run `piccolo`: by default this repo's CLI; test/package runs an installed copy. */
export interface NodeLaunch { command: string; commandArgs: string[]; cwd: string }
const REPO_CLI: NodeLaunch = { command: process.execPath, commandArgs: [CLI], cwd: REPO_ROOT };

/** Tests keep nothing unless they ask: a node without --data-dir runs --in-memory (no ./data shared between test files). */
function storageArgs(args: readonly string[]): string[] {
  return args.some((a) => a === '--in-memory' || a === '--data-dir' || a.startsWith('--data-dir=')) ? [] : ['--in-memory'];
}

/** `command` 'gateway' starts a `piccolo gateway` instead (no storage flags; same listening line). */
export async function startNode(args: string[] = [], launch: NodeLaunch = REPO_CLI, command: 'server' | 'gateway' = 'server'): Promise<RunningNode> {
  const commandArgs = command === 'server' ? ['server', '--port', '0', ...storageArgs(args)] : [command, '--port', '0'];
  const child = spawn(launch.command, [...launch.commandArgs, ...commandArgs, ...args], { cwd: launch.cwd });
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => { output += d; });
  const { port, respPort } = await new Promise<{ port: number; respPort: number | null }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start:\n${output}`)), NODE_START_TIMEOUT_MS);
    child.stdout.on('data', (d: string) => {
      output += d;
      // The listening line is written whole: `listening on http://H:P (...)...[; RESP on H:P]`.
      const line = /listening on https?:\/\/[^:\s]+:(\d+)[^\n]*\n/.exec(output);
      if (line) {
        clearTimeout(timer);
        const resp = /RESP on [^:\s]+:(\d+)/.exec(line[0]);
        resolve({ port: Number(line[1]), respPort: resp ? Number(resp[1]) : null });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code} before listening:\n${output}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    process: child,
    port,
    respPort,
    baseUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/v1/ws`,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
