// Resolves `piccolo server`'s settings from four layers, highest first:
// command-line flags > PICCOLO_* environment variables > the --config JSON
// file > built-in defaults. Every value remembers where it came from, for
// --print-config. Mistakes (an unknown key in the file, a bad value, two
// settings that exclude each other) are ConfigErrors naming the setting and
// its origin; nothing is silently ignored.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError } from '../cli/usage-error.js';
import { FSYNC_BATCH_MS_MAX, parseFsyncMode } from '../storage/fsync-mode.js';
import {
  CLIENT_PASSWORD_ENV, envName, SERVER_SETTINGS, SETTINGS_BY_NAME, type SettingSpec, type SettingValue,
} from './server-settings.js';

/** A setting that cannot be used as given: printed without a stack, exit code 2. */
export class ConfigError extends UsageError {
  override name = 'ConfigError';
}

export type SettingSource = 'default' | 'file' | 'env' | 'flag';

export interface ResolvedSetting {
  readonly value: SettingValue | undefined;
  readonly source: SettingSource;
  /** Where exactly: the file path, the variable or the flag. */
  readonly origin: string;
}

export interface ServerConfig {
  /** Every setting of the table, in table order. */
  readonly settings: ReadonlyMap<string, ResolvedSetting>;
  /** --help was given. */
  readonly help: boolean;
  /** --print-config was given. */
  readonly printConfig: boolean;
  /** PICCOLO_* variables that name no setting (a typo is worth a warning, not a refusal: other tools share the prefix). */
  readonly unknownEnv: readonly string[];
}

export interface ConfigInputs {
  args: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  readFile?: (path: string) => string;
}

/** A password file is one line; anything longer is surely the wrong file. */
export const PASSWORD_FILE_BYTES_MAX = 4096;
/** A config file this large is a mistake (it holds a few dozen settings). */
export const CONFIG_FILE_BYTES_MAX = 1024 * 1024;

const TRUE_WORDS = new Set(['true', 'yes', '1', 'on']);
const FALSE_WORDS = new Set(['false', 'no', '0', 'off']);

/** Read one setting from text (a flag or an environment variable). */
function parseText(spec: SettingSpec, text: string, origin: string): SettingValue {
  const kind = spec.kind;
  switch (kind.type) {
    case 'string': case 'secret': case 'path':
      if (text.length === 0) throw new ConfigError(`${origin} must not be empty`);
      return text;
    case 'port': case 'integer': {
      const [min, max] = kind.type === 'port' ? [0, 65535] : [kind.min, kind.max];
      const n = /^-?\d{1,16}$/.test(text.trim()) ? Number(text.trim()) : NaN;
      if (!Number.isSafeInteger(n) || n < min || n > max) {
        throw new ConfigError(`${origin} must be an integer in ${min}..${max}, got '${text}'`);
      }
      const problem = kind.type === 'integer' ? kind.problem?.(n) ?? null : null;
      if (problem !== null) throw new ConfigError(`${origin}: ${problem}`);
      return n;
    }
    case 'switch': {
      const word = text.trim().toLowerCase();
      if (TRUE_WORDS.has(word)) return true;
      if (FALSE_WORDS.has(word)) return false;
      throw new ConfigError(`${origin} must be yes or no, got '${text}'`);
    }
    case 'choice': {
      const word = text.trim().toLowerCase();
      if (!kind.choices.includes(word)) throw new ConfigError(`${origin} must be one of ${kind.choices.join(', ')}, got '${text}'`);
      return word;
    }
    case 'list':
      return text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    default: {
      const never: never = kind;
      throw new Error(`unknown setting kind ${JSON.stringify(never)}`);
    }
  }
}

/** Read one setting from a JSON config file value. */
function parseJson(spec: SettingSpec, value: unknown, origin: string): SettingValue {
  if (spec.kind.type === 'list') {
    if (typeof value === 'string') return parseText(spec, value, origin);
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return parseText(spec, value.join(','), origin);
    throw new ConfigError(`${origin} must be a list of strings`);
  }
  if (spec.kind.type === 'switch' && typeof value === 'boolean') return value;
  if (typeof value === 'number' && (spec.kind.type === 'port' || spec.kind.type === 'integer')) {
    return parseText(spec, Number.isInteger(value) ? String(value) : 'not an integer', origin);
  }
  if (typeof value === 'string') return parseText(spec, value, origin);
  throw new ConfigError(`${origin} has the wrong type (${value === null ? 'null' : typeof value})`);
}

/** The closest setting name, for "did you mean" (edit distance ≤ 3). */
function closestName(name: string): string | null {
  let best: string | null = null;
  let bestDistance = 4;
  for (const spec of SERVER_SETTINGS) {
    const d = editDistance(name, spec.name);
    if (d < bestDistance) { best = spec.name; bestDistance = d; }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function unknownSetting(name: string, origin: string): ConfigError {
  const guess = closestName(name);
  return new ConfigError(`${origin}: unknown setting '${name}'${guess ? ` (did you mean '${guess}'?)` : ''}; see piccolo server --help`);
}

function readConfigFile(path: string, readFile: (path: string) => string): Map<string, SettingValue> {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  if (text.length > CONFIG_FILE_BYTES_MAX) throw new ConfigError(`config file ${path} is larger than ${CONFIG_FILE_BYTES_MAX} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path} must hold a JSON object of settings, e.g. {"port": 7700}`);
  }
  const values = new Map<string, SettingValue>();
  for (const [name, value] of Object.entries(parsed)) {
    const spec = SETTINGS_BY_NAME.get(name);
    if (spec === undefined) throw unknownSetting(name, `config file ${path}`);
    if (spec.notInFile) throw new ConfigError(`config file ${path}: '${name}' can only be given on the command line or in ${envName(name)}`);
    values.set(name, parseJson(spec, value, `config file ${path}: '${name}'`));
  }
  return values;
}

/** A one-line secret from a file (a password, the cluster secret); `what` names it in errors. */
export function readSecretFile(path: string, readFile: (path: string) => string, what = 'password'): string {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    throw new ConfigError(`cannot read the ${what} file ${path}: ${(error as Error).message}`);
  }
  if (text.length > PASSWORD_FILE_BYTES_MAX) throw new ConfigError(`${what} file ${path} is larger than ${PASSWORD_FILE_BYTES_MAX} bytes`);
  // One line; a trailing newline (as editors and `echo` write) is not part of the secret.
  const secret = text.replace(/\r?\n$/, '');
  if (secret.length === 0) throw new ConfigError(`${what} file ${path} is empty`);
  if (/[\r\n]/.test(secret)) throw new ConfigError(`${what} file ${path} must hold one line`);
  return secret;
}

/** `--list-max-listpack-size -2` as `--list-max-listpack-size=-2`: parseArgs would read a value starting with '-' as an option. */
function joinNegativeValues(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const spec = args[i]!.startsWith('--') ? SETTINGS_BY_NAME.get(args[i]!.slice(2)) : undefined;
    if (spec?.kind.type === 'integer' && /^-\d+$/.test(args[i + 1] ?? '')) out.push(`${args[i]}=${args[++i]}`);
    else out.push(args[i]!);
  }
  return out;
}

function parseFlags(args: readonly string[]): { flags: Map<string, SettingValue>; help: boolean; printConfig: boolean } {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
    'print-config': { type: 'boolean' },
  };
  for (const spec of SERVER_SETTINGS) {
    options[spec.name] = spec.kind.type === 'switch' ? { type: 'boolean' }
      : spec.kind.type === 'list' ? { type: 'string', multiple: true } : { type: 'string' };
  }
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: joinNegativeValues(args), options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}; see piccolo server --help`);
  }
  const flags = new Map<string, SettingValue>();
  for (const spec of SERVER_SETTINGS) {
    const raw = values[spec.name];
    if (raw === undefined) continue;
    const origin = `--${spec.name}`;
    if (spec.kind.type === 'switch') flags.set(spec.name, raw as boolean);
    else if (spec.kind.type === 'list') flags.set(spec.name, parseText(spec, (raw as string[]).join(','), origin));
    else flags.set(spec.name, parseText(spec, raw as string, origin));
  }
  return { flags, help: values.help === true, printConfig: values['print-config'] === true };
}

export function loadServerConfig(inputs: ConfigInputs): ServerConfig {
  const readFile = inputs.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const { flags, help, printConfig } = parseFlags(inputs.args);

  const fromEnv = new Map<string, SettingValue>();
  const knownEnv = new Map(SERVER_SETTINGS.map((s) => [envName(s.name), s]));
  const unknownEnv: string[] = [];
  for (const [variable, text] of Object.entries(inputs.env)) {
    if (!variable.startsWith('PICCOLO_') || text === undefined || variable === CLIENT_PASSWORD_ENV) continue;
    const spec = knownEnv.get(variable);
    if (spec === undefined) unknownEnv.push(variable);
    else fromEnv.set(spec.name, parseText(spec, text, variable));
  }

  const configPath = (flags.get('config') ?? fromEnv.get('config')) as string | undefined;
  const fromFile = configPath === undefined ? new Map<string, SettingValue>() : readConfigFile(configPath, readFile);

  const settings = new Map<string, ResolvedSetting>();
  for (const spec of SERVER_SETTINGS) {
    const env = envName(spec.name);
    const resolved: ResolvedSetting = flags.has(spec.name) ? { value: flags.get(spec.name), source: 'flag', origin: `--${spec.name}` }
      : fromEnv.has(spec.name) ? { value: fromEnv.get(spec.name), source: 'env', origin: env }
        : fromFile.has(spec.name) ? { value: fromFile.get(spec.name), source: 'file', origin: configPath! }
          : { value: spec.defaultValue, source: 'default', origin: 'default' };
    settings.set(spec.name, resolved);
  }
  resolvePasswordFile(settings, readFile);
  checkTogether(settings);
  return { settings, help, printConfig, unknownEnv };
}

/** `requirepass-file` becomes the `requirepass` value, remembering the file as its origin. */
function resolvePasswordFile(settings: Map<string, ResolvedSetting>, readFile: (path: string) => string): void {
  const file = settings.get('requirepass-file')!;
  if (file.value === undefined) return;
  const pass = settings.get('requirepass')!;
  if (pass.value !== undefined) {
    throw new ConfigError(`give the password once: requirepass (${pass.origin}) and requirepass-file (${file.origin}) are both set`);
  }
  const path = file.value as string;
  settings.set('requirepass', { value: readSecretFile(path, readFile), source: file.source, origin: `${file.origin} (${path})` });
}

function checkTogether(settings: Map<string, ResolvedSetting>): void {
  const cert = settings.get('tls-cert')!;
  const key = settings.get('tls-key')!;
  if ((cert.value === undefined) !== (key.value === undefined)) {
    throw new ConfigError('TLS needs both --tls-cert and --tls-key');
  }
  const fsync = settings.get('fsync')!;
  if (parseFsyncMode(fsync.value as string) === null) {
    throw new ConfigError(`${fsync.origin === 'default' ? 'fsync' : fsync.origin} must be always, batch=<ms> (ms in 1..${FSYNC_BATCH_MS_MAX}) or never, got '${String(fsync.value)}'`);
  }
  if (settings.get('in-memory')!.value === true) {
    // Nothing is silently ignored: with no data directory there is nothing to put in one or to sync.
    for (const name of ['data-dir', 'fsync']) {
      const other = settings.get(name)!;
      if (other.source !== 'default') throw new ConfigError(`--in-memory keeps no data directory: drop ${name} (${other.origin}) or --in-memory`);
    }
  }
}

/** The value of one setting (typed by the caller, who knows the table). */
export function setting<T extends SettingValue | undefined>(config: ServerConfig, name: string): T {
  const resolved = config.settings.get(name);
  if (resolved === undefined) throw new Error(`no setting named ${name}`);
  return resolved.value as T;
}
