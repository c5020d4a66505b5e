// `piccolo get|set|del|incr|scan`: one request each against a running node,
// through the typed client. Each kind of outcome has its exit code
// (exit-codes.ts): 0 done, 1 not found, 2 usage, 3 unreachable, 4 node error.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { DelOptions, PiccoloClient, PiccoloError, SetOptions } from '../../client/index.js';
import { unreachable } from '../../core/assert.js';
import { isInt64 } from '../../core/int64.js';
import { putBytes } from '../../schema/json-bytes.js';
import {
  EXIT_CODES_HELP, EXIT_NOT_FOUND, EXIT_OK, EXIT_SERVER_ERROR, EXIT_UNREACHABLE, EXIT_USAGE,
} from './exit-codes.js';
import { CLIENT_PASSWORD_ENV } from '../config/server-settings.js';
import { UsageError } from './usage-error.js';
import { decodeBase64, readAll, STDIN_VALUE_BYTES_MAX, type ByteSource } from './value-input.js';

export type ClientCommand = 'get' | 'set' | 'del' | 'incr' | 'scan';

export const DEFAULT_URL = 'ws://127.0.0.1:7700/v1/ws';

/** Where output goes (and `set KEY -` reads from); tests may pass their own. */
export interface CliStreams {
  stdout: Output;
  stderr: Output;
  /** Standard input, read only by `set KEY -` / `set KEY --stdin` (default process.stdin). */
  stdin?: ByteSource;
}
interface Output {
  write(chunk: string | Uint8Array, callback?: (error?: Error | null) => void): boolean;
  once(event: 'drain', listener: () => void): unknown;
  isTTY?: boolean;
}

const STDIN_VALUE_BYTES_MAX_TEXT = `${STDIN_VALUE_BYTES_MAX / (1024 * 1024)} MiB`;

const URL_HELP = `  --url URL            node to talk to (default ${DEFAULT_URL})
  --password-file FILE the node's password (one line); or set ${CLIENT_PASSWORD_ENV}
  --connect-timeout-ms N  give up connecting after N ms (default: the client's, 10000)
  -h, --help           show this help

${EXIT_CODES_HELP}`;

const HELP: Record<ClientCommand, string> = {
  get: `Usage: piccolo get KEY [--json | --base64] [--url URL]

Print the value of KEY as raw bytes, byte for byte (a newline is added only
on a terminal). Exits 1 with "(not found)" on stderr when KEY does not exist.

Options:
  --json               print {"found": true, "value": ..., "version": N}
                       (non-UTF-8 values as "valueBase64"); {"found": false}
                       when KEY does not exist
  --base64             print the value as base64 and a newline
${URL_HELP}
`,
  set: `Usage: piccolo set KEY VALUE [options]
       piccolo set KEY - [options]          (or: set KEY --stdin)

Write VALUE (as UTF-8) to KEY and print "OK version N". With "-" or --stdin
the value is standard input, as raw bytes, up to ${STDIN_VALUE_BYTES_MAX_TEXT}.

Options:
  --base64             VALUE (or standard input) is base64; write the bytes it encodes
  --stdin              read the value from standard input (no VALUE argument)
  --ttl-ms N           expire after N milliseconds
  --if-absent          only write if KEY does not exist (else KEY_EXISTS)
  --if-present         only write if KEY exists (else NOT_FOUND, exit 1)
  --version N          only write if KEY is at version N, 0 = absent
                       (else VERSION_MISMATCH)
${URL_HELP}
`,
  del: `Usage: piccolo del KEY [--version N] [--url URL]

Delete KEY; print 1 if it existed, or 0 and exit 1 if it did not.

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

const COMMON_OPTIONS: Record<string, OptionSpec> = {
  url: { type: 'string' }, 'connect-timeout-ms': { type: 'string' }, 'password-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

const OPTIONS: Record<ClientCommand, Record<string, OptionSpec>> = {
  get: { ...COMMON_OPTIONS, json: { type: 'boolean' }, base64: { type: 'boolean' } },
  set: {
    ...COMMON_OPTIONS, base64: { type: 'boolean' }, stdin: { type: 'boolean' },
    'ttl-ms': { type: 'string' }, 'if-absent': { type: 'boolean' }, 'if-present': { type: 'boolean' }, version: { type: 'string' },
  },
  del: { ...COMMON_OPTIONS, version: { type: 'string' } },
  incr: { ...COMMON_OPTIONS },
  scan: { ...COMMON_OPTIONS, limit: { type: 'string' }, cursor: { type: 'string' }, all: { type: 'boolean' } },
};

/** Positional argument counts: [least, most]. */
const POSITIONALS: Record<ClientCommand, readonly [number, number]> = {
  get: [1, 1], set: [1, 2], del: [1, 1], incr: [1, 2], scan: [0, 1],
};

const POSITIONAL_NAMES: Record<ClientCommand, string> = {
  get: 'KEY', set: 'KEY VALUE', del: 'KEY', incr: 'KEY [DELTA]', scan: '[PREFIX]',
};

type Values = Record<string, string | boolean | undefined>;

/** Where set's value comes from; standard input is read (and checked) before connecting. */
type ValueSource = { from: 'argument'; value: string | Uint8Array } | { from: 'stdin'; base64: boolean };

/** How get prints a value it found. */
type GetFormat = 'raw' | 'json' | 'base64';

/** One fully checked command line: everything is validated before connecting. */
type Plan =
  | { command: 'get'; key: string; format: GetFormat }
  | { command: 'set'; key: string; value: ValueSource; options: SetOptions }
  | { command: 'del'; key: string; options: DelOptions }
  | { command: 'incr'; key: string; delta: bigint }
  | { command: 'scan'; prefix: string; cursor: string | null; limit: number | undefined; all: boolean };

export async function runClientCommand(
  command: ClientCommand,
  args: string[],
  streams: CliStreams = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseCommandLine(command, args);
    if (!parsed.help && parsed.plan.command === 'set' && parsed.plan.value.from === 'stdin') {
      parsed.plan.value = await valueFromStdin(parsed.plan.value.base64, streams.stdin ?? process.stdin);
    }
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
    client = await connect(parsed.url, {
      ...(parsed.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: parsed.connectTimeoutMs }),
      ...(parsed.password === undefined ? {} : { password: parsed.password }),
    });
  } catch (error) {
    if (!(error instanceof ConnectError)) throw error;
    await write(streams.stderr, `piccolo: cannot connect to ${error.url} (${error.detail}). Is a node running there? `
      + `Start one with "piccolo server", or name the node with --url ws://HOST:PORT/v1/ws\n`);
    return EXIT_UNREACHABLE;
  }
  try {
    return await run(client, parsed.plan, streams);
  } catch (error) {
    if (!(error instanceof PiccoloError)) throw error;
    await write(streams.stderr, failureText(error, parsed.url));
    return exitCodeOf(error);
  } finally {
    await client.close();
  }
}

/** Client-side failures after connecting: the node is out of reach, not refusing. */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set(['CONNECT_FAILED', 'CONNECTION_CLOSED', 'TIMEOUT']);

/** The exit code for a request that failed after connecting. */
export function exitCodeOf(error: PiccoloError): number {
  if (UNREACHABLE_CODES.has(error.code)) return EXIT_UNREACHABLE;
  return error.code === 'NOT_FOUND' ? EXIT_NOT_FOUND : EXIT_SERVER_ERROR;
}

function failureText(error: PiccoloError, url: string): string {
  if (UNREACHABLE_CODES.has(error.code)) return `piccolo: lost the node at ${url}: ${error.code}: ${error.message}\n`;
  return `piccolo: ${error.code}: ${error.message}\n`;
}

async function valueFromStdin(base64: boolean, stdin: ByteSource): Promise<ValueSource> {
  const bytes = await readAll(stdin);
  // Base64 text from a file or `base64` usually ends in a newline (and may be wrapped): drop all whitespace.
  const value = base64 ? decodeBase64(Buffer.from(bytes).toString('latin1').replace(/\s+/g, ''), 'standard input') : bytes;
  return { from: 'argument', value };
}

async function run(client: PiccoloClient, plan: Plan, { stdout, stderr }: CliStreams): Promise<number> {
  switch (plan.command) {
    case 'get': {
      const entry = await client.get(plan.key);
      if (entry === null) {
        // --json answers on stdout either way, so a script can read one JSON object per call.
        await (plan.format === 'json' ? write(stdout, `${JSON.stringify({ found: false })}\n`) : write(stderr, '(not found)\n'));
        return EXIT_NOT_FOUND;
      }
      switch (plan.format) {
        case 'json': {
          const out: Record<string, unknown> = { found: true };
          putBytes(out, 'value', entry.value);
          out.version = entry.version;
          await write(stdout, `${JSON.stringify(out)}\n`);
          break;
        }
        case 'base64':
          await write(stdout, `${Buffer.from(entry.value).toString('base64')}\n`);
          break;
        case 'raw':
          await write(stdout, entry.value);
          if (stdout.isTTY) await write(stdout, '\n');
          break;
        default:
          return unreachable(plan.format, 'get format');
      }
      return EXIT_OK;
    }
    case 'set': {
      if (plan.value.from !== 'argument') throw new Error('set: standard input must be read before connecting');
      const { version } = await client.set(plan.key, plan.value.value, plan.options);
      await write(stdout, `OK version ${version}\n`);
      return EXIT_OK;
    }
    case 'del': {
      const existed = await client.del(plan.key, plan.options);
      await write(stdout, existed ? '1\n' : '0\n');
      return existed ? EXIT_OK : EXIT_NOT_FOUND;
    }
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

type Parsed = { help: true } | { help: false; url: string; connectTimeoutMs: number | undefined; password: string | undefined; plan: Plan };

/**
 * The password from --password-file, else the environment. Not a flag of its
 * own: a password on the command line is visible to every user in `ps`.
 */
export function passwordOf(values: Values): string | undefined {
  const file = values['password-file'] as string | undefined;
  if (file === undefined) return process.env[CLIENT_PASSWORD_ENV] || undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --password-file ${file}: ${(error as Error).message}`);
  }
  const password = text.replace(/\r?\n$/, '');
  if (password.length === 0 || /[\r\n]/.test(password)) throw new UsageError(`--password-file ${file} must hold one non-empty line`);
  return password;
}

function parseCommandLine(command: ClientCommand, args: string[]): Parsed {
  const options = OPTIONS[command];
  const { values, positionals } = parseArgs({ args: positionalsLast(args, options), options, allowPositionals: true, strict: true });
  if (values.help) return { help: true };
  const [least, most] = POSITIONALS[command];
  const stdinValue = command === 'set' && values.stdin === true;
  if (command === 'set' && !stdinValue && positionals.length === 1) throw new UsageError('set takes KEY VALUE (or KEY - to read the value from standard input)');
  if (stdinValue && positionals.length !== 1) throw new UsageError('set --stdin takes KEY only; the value is standard input');
  if (positionals.length < least || positionals.length > most) {
    throw new UsageError(`${command} takes ${POSITIONAL_NAMES[command]}, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}`);
  }
  const url = (values.url as string | undefined) ?? DEFAULT_URL;
  if (!/^wss?:\/\//i.test(url)) throw new UsageError(`--url must be a ws:// or wss:// URL, got ${JSON.stringify(url)}`);
  return {
    help: false, url, connectTimeoutMs: optionalInteger(values, 'connect-timeout-ms', 1), password: passwordOf(values),
    plan: planOf(command, positionals, values),
  };
}

function planOf(command: ClientCommand, [first, second]: string[], values: Values): Plan {
  switch (command) {
    case 'get': {
      if (values.json && values.base64) throw new UsageError('--json and --base64 exclude each other');
      return { command, key: first!, format: values.json ? 'json' : values.base64 ? 'base64' : 'raw' };
    }
    case 'set': {
      if (values['if-absent'] && values['if-present']) throw new UsageError('--if-absent and --if-present exclude each other');
      const options: SetOptions = {};
      const ttlMs = optionalInteger(values, 'ttl-ms', 1);
      if (ttlMs !== undefined) options.ttlMs = ttlMs;
      const expectedVersion = optionalInteger(values, 'version', 0);
      if (expectedVersion !== undefined) options.expectedVersion = expectedVersion;
      if (values['if-absent']) options.ifAbsent = true;
      if (values['if-present']) options.ifPresent = true;
      return { command, key: first!, value: valueSourceOf(second, values.base64 === true), options };
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

/** VALUE "-" (or none, with --stdin) means standard input, read later; the rest is checked now. */
function valueSourceOf(text: string | undefined, base64: boolean): ValueSource {
  if (text === undefined || text === '-') return { from: 'stdin', base64 };
  return { from: 'argument', value: base64 ? decodeBase64(text, 'VALUE') : text };
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
