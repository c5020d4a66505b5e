// `piccolo get|set|del|incr|scan`: one request each against a running node,
// through the typed client. Exit codes: 0 done, 1 the node said no (or the
// key is absent, or no node answers), 2 the command line is wrong.

import { parseArgs } from 'node:util';
import type { DelOptions, PiccoloClient, SetOptions } from '../../client/index.js';
import { unreachable } from '../../core/assert.js';
import { isInt64 } from '../../core/int64.js';
import { putBytes } from '../../schema/json-bytes.js';

export type ClientCommand = 'get' | 'set' | 'del' | 'incr' | 'scan';

export const DEFAULT_URL = 'ws://127.0.0.1:7700/v1/ws';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Where output goes; tests may pass their own. */
export interface CliStreams {
  stdout: Output;
  stderr: Output;
}
interface Output {
  write(chunk: string | Uint8Array, callback?: (error?: Error | null) => void): boolean;
  once(event: 'drain', listener: () => void): unknown;
  isTTY?: boolean;
}

const URL_HELP = `  --url URL            node to talk to (default ${DEFAULT_URL})
  -h, --help           show this help`;

const HELP: Record<ClientCommand, string> = {
  get: `Usage: piccolo get KEY [--json] [--url URL]

Print the value of KEY as raw bytes (a newline is added only on a terminal).
Exits 1 with "(not found)" on stderr when KEY does not exist.

Options:
  --json               print {"value": ..., "version": N} instead
                       (non-UTF-8 values as "valueBase64")
${URL_HELP}
`,
  set: `Usage: piccolo set KEY VALUE [options]

Write VALUE (as UTF-8) to KEY and print "OK version N".

Options:
  --ttl-ms N           expire after N milliseconds
  --if-absent          only write if KEY does not exist (else KEY_EXISTS)
  --if-present         only write if KEY exists (else NOT_FOUND)
  --version N          only write if KEY is at version N, 0 = absent
                       (else VERSION_MISMATCH)
${URL_HELP}
`,
  del: `Usage: piccolo del KEY [--version N] [--url URL]

Delete KEY; print 1 if it existed, 0 if not.

Options:
  --version N          only delete if KEY is at version N (else VERSION_MISMATCH)
${URL_HELP}
`,
  incr: `Usage: piccolo incr KEY [DELTA] [--url URL]

Add DELTA (a signed 64-bit integer, default 1) to the decimal integer at KEY
(absent counts as 0) and print the new value.

Options:
${URL_HELP}
`,
  scan: `Usage: piccolo scan [PREFIX] [options]

Print the keys that start with PREFIX, one per line. When more keys remain,
the cursor to continue from is printed on stderr.

Options:
  --limit N            keys per page (default 1000)
  --cursor C           continue from the cursor a previous scan printed
  --all                print every page
${URL_HELP}
`,
};

type OptionSpec = { type: 'string' | 'boolean'; short?: string };

const COMMON_OPTIONS: Record<string, OptionSpec> = { url: { type: 'string' }, help: { type: 'boolean', short: 'h' } };

const OPTIONS: Record<ClientCommand, Record<string, OptionSpec>> = {
  get: { ...COMMON_OPTIONS, json: { type: 'boolean' } },
  set: {
    ...COMMON_OPTIONS,
    'ttl-ms': { type: 'string' }, 'if-absent': { type: 'boolean' }, 'if-present': { type: 'boolean' }, version: { type: 'string' },
  },
  del: { ...COMMON_OPTIONS, version: { type: 'string' } },
  incr: { ...COMMON_OPTIONS },
  scan: { ...COMMON_OPTIONS, limit: { type: 'string' }, cursor: { type: 'string' }, all: { type: 'boolean' } },
};

/** Positional argument counts: [least, most]. */
const POSITIONALS: Record<ClientCommand, readonly [number, number]> = {
  get: [1, 1], set: [2, 2], del: [1, 1], incr: [1, 2], scan: [0, 1],
};

const POSITIONAL_NAMES: Record<ClientCommand, string> = {
  get: 'KEY', set: 'KEY VALUE', del: 'KEY', incr: 'KEY [DELTA]', scan: '[PREFIX]',
};

class UsageError extends Error {}

type Values = Record<string, string | boolean | undefined>;

/** One fully checked command line: everything is validated before connecting. */
type Plan =
  | { command: 'get'; key: string; json: boolean }
  | { command: 'set'; key: string; value: string; options: SetOptions }
  | { command: 'del'; key: string; options: DelOptions }
  | { command: 'incr'; key: string; delta: bigint }
  | { command: 'scan'; prefix: string; cursor: string | null; limit: number | undefined; all: boolean };

export async function runClientCommand(
  command: ClientCommand,
  args: string[],
  streams: CliStreams = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let parsed: { help: true } | { help: false; url: string; plan: Plan };
  try {
    parsed = parseCommandLine(command, args);
  } catch (error) {
    if (!(error instanceof UsageError) && !isParseArgsError(error)) throw error;
    await write(streams.stderr, `piccolo: ${(error as Error).message}\nRun "piccolo ${command} --help" for usage.\n`);
    return EXIT_USAGE;
  }
  if (parsed.help) {
    await write(streams.stdout, HELP[command]);
    return EXIT_OK;
  }
  // Loaded only now, so --help and usage errors do not pay for the codecs.
  const { connect, ConnectError, PiccoloError } = await import('../../client/index.js');
  let client: PiccoloClient;
  try {
    client = await connect(parsed.url);
  } catch (error) {
    if (!(error instanceof ConnectError)) throw error;
    await write(streams.stderr, `piccolo: cannot connect to ${error.url} (${error.detail}): is a node running? start one with: piccolo server\n`);
    return EXIT_FAILED;
  }
  try {
    return await run(client, parsed.plan, streams);
  } catch (error) {
    if (!(error instanceof PiccoloError)) throw error;
    await write(streams.stderr, `piccolo: ${error.code}: ${error.message}\n`);
    return EXIT_FAILED;
  } finally {
    await client.close();
  }
}

async function run(client: PiccoloClient, plan: Plan, { stdout, stderr }: CliStreams): Promise<number> {
  switch (plan.command) {
    case 'get': {
      const entry = await client.get(plan.key);
      if (entry === null) {
        await write(stderr, '(not found)\n');
        return EXIT_FAILED;
      }
      if (plan.json) {
        const out: Record<string, unknown> = {};
        putBytes(out, 'value', entry.value);
        out.version = entry.version;
        await write(stdout, `${JSON.stringify(out)}\n`);
      } else {
        await write(stdout, entry.value);
        if (stdout.isTTY) await write(stdout, '\n');
      }
      return EXIT_OK;
    }
    case 'set': {
      const { version } = await client.set(plan.key, plan.value, plan.options);
      await write(stdout, `OK version ${version}\n`);
      return EXIT_OK;
    }
    case 'del':
      await write(stdout, (await client.del(plan.key, plan.options)) ? '1\n' : '0\n');
      return EXIT_OK;
    case 'incr':
      await write(stdout, `${await client.incr(plan.key, plan.delta)}\n`);
      return EXIT_OK;
    case 'scan': {
      let cursor = plan.cursor;
      do {
        const page = await client.scan({ prefix: plan.prefix, cursor, ...(plan.limit !== undefined ? { limit: plan.limit } : {}) });
        if (page.items.length > 0) await write(stdout, linesOf(page.items.map((item) => item.key)));
        cursor = page.cursor;
      } while (plan.all && cursor !== null);
      if (cursor !== null) await write(stderr, `next cursor: ${cursor}\n`);
      return EXIT_OK;
    }
    default:
      return unreachable(plan, 'client command');
  }
}

function parseCommandLine(command: ClientCommand, args: string[]): { help: true } | { help: false; url: string; plan: Plan } {
  const options = OPTIONS[command];
  const { values, positionals } = parseArgs({ args: positionalsLast(args, options), options, allowPositionals: true, strict: true });
  if (values.help) return { help: true };
  const [least, most] = POSITIONALS[command];
  if (positionals.length < least || positionals.length > most) {
    throw new UsageError(`${command} takes ${POSITIONAL_NAMES[command]}, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}`);
  }
  const url = (values.url as string | undefined) ?? DEFAULT_URL;
  if (!/^wss?:\/\//i.test(url)) throw new UsageError(`--url must be a ws:// or wss:// URL, got ${JSON.stringify(url)}`);
  return { help: false, url, plan: planOf(command, positionals, values) };
}

function planOf(command: ClientCommand, [first, second]: string[], values: Values): Plan {
  switch (command) {
    case 'get':
      return { command, key: first!, json: values.json === true };
    case 'set': {
      if (values['if-absent'] && values['if-present']) throw new UsageError('--if-absent and --if-present exclude each other');
      const options: SetOptions = {};
      const ttlMs = optionalInteger(values, 'ttl-ms', 1);
      if (ttlMs !== undefined) options.ttlMs = ttlMs;
      const expectedVersion = optionalInteger(values, 'version', 0);
      if (expectedVersion !== undefined) options.expectedVersion = expectedVersion;
      if (values['if-absent']) options.ifAbsent = true;
      if (values['if-present']) options.ifPresent = true;
      return { command, key: first!, value: second!, options };
    }
    case 'del': {
      const expectedVersion = optionalInteger(values, 'version', 0);
      return { command, key: first!, options: expectedVersion === undefined ? {} : { expectedVersion } };
    }
    case 'incr':
      return { command, key: first!, delta: second === undefined ? 1n : parseDelta(second) };
    case 'scan':
      return {
        command,
        prefix: first ?? '',
        cursor: (values.cursor as string | undefined) ?? null,
        limit: optionalInteger(values, 'limit', 1),
        all: values.all === true,
      };
    default:
      return unreachable(command, 'client command');
  }
}

/**
 * Moves positionals behind a "--" so that values such as "-5" (a negative
 * DELTA, or a VALUE) are not taken for options. Node 20's parseArgs has no
 * allowNegative; an explicit "--" still ends the options as usual.
 */
function positionalsLast(args: string[], options: Record<string, OptionSpec>): string[] {
  const flags: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    const isNumber = /^-\d+$/.test(arg);
    if (arg.startsWith('-') && arg.length > 1 && !isNumber) {
      const name = arg.startsWith('--') ? arg.slice(2) : arg.slice(1);
      // "--name=value" so that a value starting with "-" is not refused as ambiguous.
      if (arg.startsWith('--') && options[name]?.type === 'string' && i + 1 < args.length) flags.push(`${arg}=${args[++i]!}`);
      else flags.push(arg);
    } else {
      positionals.push(arg);
    }
  }
  return [...flags, '--', ...positionals];
}

function optionalInteger(values: Values, name: string, least: number): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  const n = Number(text);
  if (typeof text !== 'string' || !/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < least) {
    throw new UsageError(`--${name} must be an integer of at least ${least}, got ${JSON.stringify(text)}`);
  }
  return n;
}


function parseDelta(text: string): bigint {
  const delta = /^[+-]?\d{1,19}$/.test(text) ? BigInt(text) : null;
  if (delta === null || !isInt64(delta)) {
    throw new UsageError(`DELTA must be a signed 64-bit integer, got ${JSON.stringify(text)}`);
  }
  return delta;
}

/** The byte strings, each followed by a newline, in one buffer (one write per page, not per key). */
function linesOf(lines: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(lines.reduce((sum, line) => sum + line.length + 1, 0));
  let at = 0;
  for (const line of lines) {
    out.set(line, at);
    at += line.length;
    out[at++] = NEWLINE;
  }
  return out;
}

const NEWLINE = 0x0a;

function isParseArgsError(error: unknown): boolean {
  return typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code.startsWith('ERR_PARSE_ARGS');
}

/** Writes and waits for the stream to take more, so a long scan does not pile up in memory. */
function write(out: Output, chunk: string | Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    if (out.write(chunk)) resolve();
    else out.once('drain', resolve);
  });
}
