// Every setting of `piccolo server`, in one table: its name (the flag without
// dashes, the key in a config file, and PICCOLO_<NAME> in the environment),
// its kind, default and help line. The flag parser, the config-file reader,
// the environment reader, --print-config and --help are all built from this
// table, so a setting cannot exist in one of them and be missing in another.

import { DEFAULT_LIMITS, type NumericLimitName } from '../../core/limits.js';
import { DEFAULT_COLLECTION_THRESHOLDS, THRESHOLD_SETTINGS, thresholdValueProblem, type CollectionThresholds } from '../../core/types/collection-thresholds.js';
import { FSYNC_BATCH_MS_MAX, FSYNC_SYNTAX } from '../storage/fsync-mode.js';
import { DEFAULT_WATCH_LIMITS } from '../../core/watch/watch-limits.js';

/** How a setting's text (flag, env) or JSON (config file) value is read. */
export type SettingKind =
  | { type: 'string' }
  /** A secret: never printed (--print-config shows whether it is set). */
  | { type: 'secret' }
  | { type: 'path' }
  | { type: 'port' }
  | { type: 'integer'; min: number; max: number; /** Refuses values the range allows but the setting does not (null: fine). */ problem?: (n: number) => string | null }
  /** A flag without a value (`--no-resp`); in env and files true/false, yes/no, 1/0. */
  | { type: 'switch' }
  /** A value among a fixed set (`--protected-mode yes|no`). */
  | { type: 'choice'; choices: readonly string[] }
  /** Repeatable flag or a comma-separated list; a JSON array in a file. */
  | { type: 'list' };

export type SettingValue = string | number | boolean | readonly string[];

export interface SettingSpec {
  /** kebab-case: `--NAME`, `"NAME"` in a config file, `PICCOLO_NAME` (upper, `_`) in the environment. */
  readonly name: string;
  readonly kind: SettingKind;
  /** undefined = not set (the server picks, e.g. one worker per core). */
  readonly defaultValue: SettingValue | undefined;
  readonly help: string;
  /** The placeholder in --help, e.g. PORT. */
  readonly arg?: string;
  /** Only on the command line or in the environment, never in a config file (e.g. --config itself). */
  readonly notInFile?: boolean;
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 7700;
export const DEFAULT_RESP_PORT = 6380;
/** Relative to the working directory, like Redis's `dir ./`: `npm start` in a checkout keeps its data beside it. */
export const DEFAULT_DATA_DIR = './data';
/** More workers than this is a configuration mistake on any machine we target. */
export const WORKERS_MAX = 256;
/** The largest --maxmemory: any real machine's memory, and still exact in a double (it is compared with byte counts). */
export const MAXMEMORY_BYTES_MAX = Number.MAX_SAFE_INTEGER;

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The flag name of each numeric limit (`keyBytesMax` -> `key-bytes-max`); the collection thresholds have Redis's names (THRESHOLD_SETTINGS). */
export const LIMIT_SETTING_NAMES: ReadonlyMap<string, NumericLimitName> = new Map(
  (Object.keys(DEFAULT_LIMITS) as (keyof typeof DEFAULT_LIMITS)[]).filter((name): name is NumericLimitName => name !== 'collections')
    .map((name) => [kebab(name), name]),
);

/** One line of --help per limit; the reasons are in core/limits.ts and docs/architecture.md. */
const LIMIT_HELP: Readonly<Record<NumericLimitName, string>> = {
  keyBytesMax: 'largest key, bytes',
  valueBytesMax: 'largest value, bytes (frame and ring grow with it)',
  frameBytesMax: 'largest client frame or HTTP body, bytes',
  pipelineMax: 'requests in flight per connection',
  ringBytes: 'bytes of each worker ring (a power of two)',
  connectionsMax: 'client connections per node, all doors together',
  batchKeysMax: 'keys in one MGET/MSET/DEL',
  scanLimitMax: 'largest SCAN page',
  clientOutputBytesMax: 'unread reply bytes per connection before it is paused',
  connectionQueueBytesMax: 'request bytes waiting per connection before OVERLOADED',
};

const LIMIT_SETTINGS: SettingSpec[] = [...LIMIT_SETTING_NAMES].map(([name, key]) => ({
  name,
  kind: { type: 'integer', min: 1, max: Number.MAX_SAFE_INTEGER },
  defaultValue: DEFAULT_LIMITS[key],
  arg: 'N',
  help: LIMIT_HELP[key],
}));

/**
 * The collection thresholds under Redis's names (`--hash-max-listpack-entries`),
 * bounded as core/types/collection-thresholds.ts says why; set at start only,
 * the same on every node of a cluster and for the life of a data directory.
 */
const THRESHOLD_SERVER_SETTINGS: SettingSpec[] = THRESHOLD_SETTINGS.map((t) => ({
  name: t.name,
  kind: { type: 'integer', min: t.min, max: t.max, problem: (n: number) => thresholdValueProblem(t, n) },
  defaultValue: DEFAULT_COLLECTION_THRESHOLDS[t.key],
  arg: 'N',
  help: `${t.help}; the same on every node`,
}));

export const SERVER_SETTINGS: readonly SettingSpec[] = [
  { name: 'config', kind: { type: 'path' }, defaultValue: undefined, arg: 'FILE', notInFile: true,
    help: 'read settings from a JSON file (keys are these option names)' },
  { name: 'host', kind: { type: 'string' }, defaultValue: DEFAULT_HOST, arg: 'HOST',
    help: 'interface to listen on; non-loopback needs a password (protected mode)' },
  { name: 'port', kind: { type: 'port' }, defaultValue: DEFAULT_PORT, arg: 'PORT',
    help: 'HTTP/WebSocket port; 0 picks a free one' },
  { name: 'resp-port', kind: { type: 'port' }, defaultValue: DEFAULT_RESP_PORT, arg: 'PORT',
    help: 'Redis protocol (RESP) port; 0 picks a free one (0 too when --port is 0)' },
  { name: 'no-resp', kind: { type: 'switch' }, defaultValue: false, help: 'do not serve RESP' },
  { name: 'requirepass', kind: { type: 'secret' }, defaultValue: undefined, arg: 'PASS',
    help: 'password every door asks for (RESP AUTH, HTTP/WebSocket Bearer); prefer the file or env' },
  { name: 'requirepass-file', kind: { type: 'path' }, defaultValue: undefined, arg: 'FILE',
    help: 'read the password from FILE (one line)' },
  { name: 'protected-mode', kind: { type: 'choice', choices: ['yes', 'no'] }, defaultValue: 'yes', arg: 'yes|no',
    help: 'refuse a non-loopback --host without a password; "no" is unsafe' },
  { name: 'allow-origin', kind: { type: 'list' }, defaultValue: [], arg: 'ORIGIN',
    help: 'browser origin allowed to use WebSocket/HTTP (repeat or comma-separate); none by default' },
  { name: 'tls-cert', kind: { type: 'path' }, defaultValue: undefined, arg: 'FILE',
    help: 'PEM certificate: serve HTTPS/WSS and RESP over TLS (needs --tls-key)' },
  { name: 'tls-key', kind: { type: 'path' }, defaultValue: undefined, arg: 'FILE', help: 'PEM private key of --tls-cert' },
  { name: 'workers', kind: { type: 'integer', min: 1, max: WORKERS_MAX }, defaultValue: undefined, arg: 'N',
    help: 'worker threads (default: one per core but one, which the IO thread keeps)' },
  { name: 'no-pin', kind: { type: 'switch' }, defaultValue: false, help: 'do not pin workers to CPUs' },
  { name: 'data-dir', kind: { type: 'path' }, defaultValue: DEFAULT_DATA_DIR, arg: 'DIR',
    help: 'where each shard keeps its log and snapshots; acknowledged writes survive restarts and kill -9 (one node per directory)' },
  { name: 'in-memory', kind: { type: 'switch' }, defaultValue: false,
    help: 'no data directory: everything is lost on restart (caches, tests, benchmarks)' },
  { name: 'fsync', kind: { type: 'string' }, defaultValue: 'always', arg: FSYNC_SYNTAX,
    help: `always: a reply leaves after its write is on disk; batch=<ms> (1..${FSYNC_BATCH_MS_MAX}): on disk within <ms>, `
      + 'a power loss may lose that much; never: only at shutdown (unsafe on power loss)' },
  { name: 'maxmemory', kind: { type: 'integer', min: 0, max: MAXMEMORY_BYTES_MAX }, defaultValue: 0, arg: 'BYTES',
    help: 'store bytes the node may hold (each shard: BYTES / shards); over it, writes that add data are refused (OOM); 0 = no limit' },
  { name: 'notify-keyspace-events', kind: { type: 'string' }, defaultValue: '', arg: 'FLAGS',
    help: "Redis keyspace notifications on the RESP door, in Redis's letters (KEA: all); '' = off (docs/pubsub.md)" },
  // Watches (core/watch/watch-limits.ts says why each bound is what it is; docs/watch.md).
  { name: 'watch-history-bytes', kind: { type: 'integer', min: 1, max: 2 ** 40 }, defaultValue: DEFAULT_WATCH_LIMITS.historyBytesMax, arg: 'BYTES',
    help: 'changes each shard group keeps for watchers to resume from; a watcher further behind gets COMPACTED' },
  { name: 'watch-buffer-bytes', kind: { type: 'integer', min: 1, max: 2 ** 40 }, defaultValue: DEFAULT_WATCH_LIMITS.bufferBytesMax, arg: 'BYTES',
    help: 'unsent watch bytes a connection may hold before its watches pause and read on from the history' },
  // Cluster (runtime-node/cluster/cluster-config.ts checks them together; docs/cluster.md).
  { name: 'node-id', kind: { type: 'integer', min: 1, max: 2 ** 31 - 1 }, defaultValue: undefined, arg: 'ID',
    help: 'this node\'s id in --peers (a cluster node)' },
  { name: 'peers', kind: { type: 'list' }, defaultValue: [], arg: 'ID@HOST:PORT',
    help: 'every node of the cluster with its peer address, itself included (the same list on every node)' },
  { name: 'join', kind: { type: 'string' }, defaultValue: undefined, arg: 'HOST:PORT',
    help: 'join a running cluster: the HTTP address of any of its nodes (with --node-id and --peer-port; then piccolo cluster add-node)' },
  { name: 'peer-port', kind: { type: 'port' }, defaultValue: undefined, arg: 'PORT',
    help: 'port to listen on for peers (default: this node\'s port in --peers)' },
  { name: 'advertise-host', kind: { type: 'string' }, defaultValue: undefined, arg: 'HOST',
    help: 'host clients are redirected to for this node (default --host)' },
  { name: 'groups', kind: { type: 'integer', min: 1, max: 1024 }, defaultValue: undefined, arg: 'G',
    help: 'shard groups of the cluster (default: one per node)' },
  { name: 'replicas', kind: { type: 'integer', min: 1, max: 64 }, defaultValue: 3, arg: 'R',
    help: 'replicas of each group (at most the nodes in --peers)' },
  { name: 'cluster-secret', kind: { type: 'secret' }, defaultValue: undefined, arg: 'SECRET',
    help: 'secret every node must prove on peer links; prefer the file or env' },
  { name: 'cluster-secret-file', kind: { type: 'path' }, defaultValue: undefined, arg: 'FILE',
    help: 'read the cluster secret from FILE (one line)' },
  { name: 'log-format', kind: { type: 'choice', choices: ['text', 'json'] }, defaultValue: 'text', arg: 'text|json',
    help: 'log lines as text or as one JSON object per line' },
  ...LIMIT_SETTINGS,
  ...THRESHOLD_SERVER_SETTINGS,
];

/** The collection thresholds the resolved settings give (each was checked as it was read). */
export function collectionThresholdsFrom(config: { readonly settings: ReadonlyMap<string, { readonly value: SettingValue | undefined }> }): CollectionThresholds {
  const t = { ...DEFAULT_COLLECTION_THRESHOLDS };
  for (const s of THRESHOLD_SETTINGS) t[s.key] = config.settings.get(s.name)!.value as number;
  return t;
}

export const SETTINGS_BY_NAME: ReadonlyMap<string, SettingSpec> = new Map(SERVER_SETTINGS.map((s) => [s.name, s]));

/** `allow-origin` -> `PICCOLO_ALLOW_ORIGIN`. */
export function envName(settingName: string): string {
  return `PICCOLO_${settingName.toUpperCase().replace(/-/g, '_')}`;
}

/** The client commands' password variable: not a server setting, so the server does not warn about it. */
export const CLIENT_PASSWORD_ENV = 'PICCOLO_PASSWORD';
