// `piccolo check-history FILE`: checks a recorded history for
// linearizability and prints exactly one JSON line with the verdict.
//
// Exit codes: 0 linearizable, 1 not linearizable, 2 unknown (budget ran out),
// 3 bad input (malformed history, unreadable file, bad arguments).

import { readFile, stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  checkHistory, DEFAULT_STEPS_MAX, operationToJson, parseHistory, type Operation,
} from '../../core/checker/index.js';

export const EXIT_LINEARIZABLE = 0;
export const EXIT_NOT_LINEARIZABLE = 1;
export const EXIT_UNKNOWN = 2;
export const EXIT_BAD_INPUT = 3;

/** Default wall-clock budget: long enough for any history the step budget allows, short enough for CI. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Largest history file read: 512 MiB, just under V8's longest string
 * (~2^29 characters); a million operations take ~200 MiB.
 */
export const HISTORY_FILE_BYTES_MAX = 512 * 1024 * 1024;

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const USAGE = `usage: piccolo check-history FILE [--steps-max N] [--timeout-ms N]

Checks a history (one JSON event per line) for linearizability against a
per-key register model (read, write, cas, delete, incr). Prints one JSON line.

  --steps-max N    search steps allowed (default ${DEFAULT_STEPS_MAX}); deterministic
  --timeout-ms N   wall-clock budget in ms (default ${DEFAULT_TIMEOUT_MS})
  --help           this text

exit codes: 0 linearizable, 1 not linearizable, 2 unknown (budget ran out),
            3 malformed history, unreadable file or bad arguments
`;

interface CliOptions { file: string; stepsMax: number; timeoutMs: number }

type ParsedArgs = { kind: 'help' } | { kind: 'run'; options: CliOptions } | { kind: 'error'; message: string };

function parseArgs(args: readonly string[]): ParsedArgs {
  let file: string | undefined;
  let stepsMax = DEFAULT_STEPS_MAX;
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    switch (arg) {
      case '--help': case '-h':
        return { kind: 'help' };
      case '--steps-max': case '--timeout-ms': {
        const text = args[++i];
        const n = text !== undefined && /^[0-9]+$/.test(text) ? Number(text) : NaN;
        if (!Number.isSafeInteger(n)) return { kind: 'error', message: `${arg} needs a non-negative integer` };
        if (arg === '--steps-max') stepsMax = n;
        else timeoutMs = n;
        break;
      }
      default:
        if (arg.startsWith('-') && arg !== '-') return { kind: 'error', message: `unknown option ${arg}` };
        if (file !== undefined) return { kind: 'error', message: 'expected exactly one FILE' };
        file = arg;
    }
  }
  if (file === undefined) return { kind: 'error', message: 'missing FILE' };
  return { kind: 'run', options: { file, stepsMax, timeoutMs } };
}

async function readHistoryFile(file: string): Promise<{ ok: true; text: string } | { ok: false; message: string }> {
  try {
    const info = await stat(file);
    if (!info.isFile()) return { ok: false, message: `${file} is not a regular file` };
    if (info.size > HISTORY_FILE_BYTES_MAX) return { ok: false, message: `${file} is larger than ${HISTORY_FILE_BYTES_MAX} bytes` };
    return { ok: true, text: await readFile(file, 'utf8') };
  } catch (err) {
    return { ok: false, message: `cannot read ${file}: ${(err as Error).message}` };
  }
}

/** A window operation as reported, with the history lines it came from. */
function reportOperation(op: Operation, lineOfEvent: readonly number[]): Record<string, unknown> {
  return {
    ...operationToJson(op),
    invokeLine: lineOfEvent[op.invokeIndex],
    returnLine: op.returnIndex === null ? null : lineOfEvent[op.returnIndex],
  };
}

export async function runCheckHistory(args: string[], io: CliIo): Promise<number> {
  const print = (json: Record<string, unknown>): void => io.stdout(JSON.stringify(json) + '\n');
  const parsed = parseArgs(args);
  if (parsed.kind === 'help') {
    io.stdout(USAGE);
    return EXIT_LINEARIZABLE;
  }
  if (parsed.kind === 'error') {
    io.stderr(`check-history: ${parsed.message}\n${USAGE}`);
    print({ linearizable: null, error: 'usage', message: parsed.message });
    return EXIT_BAD_INPUT;
  }
  const { file, stepsMax, timeoutMs } = parsed.options;

  const read = await readHistoryFile(file);
  if (!read.ok) {
    io.stderr(`check-history: ${read.message}\n`);
    print({ linearizable: null, error: 'unreadable', message: read.message });
    return EXIT_BAD_INPUT;
  }
  const history = parseHistory(read.text);
  if (!history.ok) {
    io.stderr(`check-history: ${file}:${history.line}: ${history.message}\n`);
    print({ linearizable: null, error: 'malformed', line: history.line, message: history.message });
    return EXIT_BAD_INPUT;
  }

  // One wall-clock budget covers the verdict and the window search.
  const deadlineMs = performance.now() + timeoutMs;
  const result = checkHistory(history.ops, { stepsMax, deadline: () => performance.now() >= deadlineMs });
  const counts = { ops: history.ops.length, steps: result.steps };
  switch (result.linearizable) {
    case true:
      print({ linearizable: true, ...counts });
      return EXIT_LINEARIZABLE;
    case false:
      print({
        linearizable: false, key: result.key,
        window: result.window.map((op) => reportOperation(op, history.lineOfEvent)), ...counts,
      });
      return EXIT_NOT_LINEARIZABLE;
    case null:
      print({ linearizable: null, reason: result.reason, key: result.key, ...counts });
      return EXIT_UNKNOWN;
  }
}

// Runnable directly (node dist/runtime-node/cli/check-history.js FILE) until
// the piccolo command wires it in.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await runCheckHistory(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
  });
  process.exitCode = code;
}
