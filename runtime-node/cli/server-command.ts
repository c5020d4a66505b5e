// `piccolo server`: resolve the settings (flags > PICCOLO_* env > --config
// file > defaults), start a node, stop gracefully on SIGINT/SIGTERM (stop
// accepting, finish in-flight requests, exit 0).

import { AssertionError } from '../../core/assert.js';
import { makeLimits, type Limits } from '../../core/limits.js';
import { ConfigError, loadServerConfig, setting, type ServerConfig } from '../config/load-config.js';
import { KEYSPACE_EVENTS_INVALID, parseKeyspaceEventFlags } from '../../core/resp/keyspace-events.js';
import { configAsJson, formatConfig } from '../config/print-config.js';
import { collectionThresholdsFrom, envName, LIMIT_SETTING_NAMES, SERVER_SETTINGS } from '../config/server-settings.js';
import { createLog, type Log, type LogFormat } from '../log.js';
import { clusterOptionsFrom, joinNeeded } from '../cluster/cluster-config.js';
import { fetchJoinInfo, type JoinInfo } from '../cluster/cluster-join.js';
import {
  DataDirError, ListenError, ProtectedModeError, startServer, StorageError, StorageRefusedError, TlsConfigError, type PiccoloServer, type ServerOptions,
} from '../server.js';
import { formatFsyncMode, parseFsyncMode } from '../storage/fsync-mode.js';

/** Exit code when the node cannot start (port in use, protected mode, bad TLS files, a data directory it must not use): the message says why. */
export const EXIT_CANNOT_START = 1;

/** Column where option descriptions start in --help. */
const HELP_COLUMN = 35;

function helpRow(flag: string, text: string): string {
  return `${`  ${flag}`.padEnd(HELP_COLUMN - 1)} ${text}`;
}

function helpText(): string {
  const rows = SERVER_SETTINGS.map((spec) => {
    const shown = spec.defaultValue === undefined || spec.kind.type === 'switch'
      || (Array.isArray(spec.defaultValue) && spec.defaultValue.length === 0) ? '' : ` (default ${String(spec.defaultValue)})`;
    return helpRow(`--${spec.name}${spec.arg ? ` ${spec.arg}` : ''}`, `${spec.help}${shown}`);
  });
  return `Usage: piccolo server [options]

Start a Piccolo node: WebSocket at ws://HOST:PORT/v1/ws, REST at http://HOST:PORT/v1/kv,
metrics at http://HOST:PORT/metrics, Redis protocol (RESP) at HOST:RESP_PORT.

Data is kept in --data-dir (default ./data): every acknowledged write survives a restart
or kill -9 (and, with --fsync always, a power loss). --in-memory keeps no data directory:
a restart loses every key.

Every option can also come from the environment as PICCOLO_<OPTION> (upper case,
"-" as "_", e.g. ${envName('requirepass-file')}) or from a JSON --config file whose keys
are the option names. Precedence: flags > environment > config file > defaults.

Options:
${rows.join('\n')}
${helpRow('--print-config', 'print the effective settings and where each came from, then exit')}
${helpRow('-h, --help', 'show this help')}
`;
}

/** The help text (built from the settings table, so every setting is listed). */
export const SERVER_HELP = helpText();

/**
 * The limits with the user's overrides. Relations between them (a ring holds
 * two max-sized records, ...) are invariants inside the node, asserted; given
 * by a user they are a mistake in the settings, answered as one.
 */
function limitsOrConfigError(overrides: Partial<Limits>): Limits {
  try {
    return makeLimits(overrides);
  } catch (error) {
    if (!(error instanceof AssertionError)) throw error;
    throw new ConfigError(`the limits do not fit together: ${error.message}; see docs/architecture.md, Limits`);
  }
}

/** --notify-keyspace-events, refused (exit 2) when a letter is not one of Redis's. */
function keyspaceEventsOrConfigError(flags: string): string {
  if (parseKeyspaceEventFlags(flags) === null) throw new ConfigError(`--notify-keyspace-events ${JSON.stringify(flags)}: ${KEYSPACE_EVENTS_INVALID}`);
  return flags;
}

/** Map resolved settings to startServer's options. */
/** `joined`: the cluster a --join node read (cluster/cluster-join.ts), fetched before. */
export function serverOptionsFrom(config: ServerConfig, log: Log, joined?: JoinInfo): ServerOptions {
  const limits: Partial<Limits> = {};
  for (const [name, key] of LIMIT_SETTING_NAMES) {
    if (config.settings.get(name)!.source !== 'default') limits[key] = setting<number>(config, name);
  }
  limits.collections = collectionThresholdsFrom(config);
  const port = setting<number>(config, 'port');
  const respPortSetting = config.settings.get('resp-port')!;
  // With --port 0 (tests, several nodes on one machine) the RESP port is free-picked too unless given.
  const respPort = setting<boolean>(config, 'no-resp') ? null
    : respPortSetting.source === 'default' && port === 0 ? 0 : respPortSetting.value as number;
  const workers = setting<number | undefined>(config, 'workers');
  const requirePass = setting<string | undefined>(config, 'requirepass');
  const certFile = setting<string | undefined>(config, 'tls-cert');
  const inMemory = setting<boolean>(config, 'in-memory');
  const keyFile = setting<string | undefined>(config, 'tls-key');
  const cluster = clusterOptionsFrom(config, undefined, joined);
  return {
    host: setting<string>(config, 'host'),
    port,
    respPort,
    ...(workers !== undefined ? { workers } : {}),
    pin: !setting<boolean>(config, 'no-pin'),
    maxmemory: setting<number>(config, 'maxmemory'),
    notifyKeyspaceEvents: keyspaceEventsOrConfigError(setting<string>(config, 'notify-keyspace-events')),
    watchLimits: { historyBytesMax: setting<number>(config, 'watch-history-bytes'), bufferBytesMax: setting<number>(config, 'watch-buffer-bytes') },
    ...(inMemory ? {} : { dataDir: setting<string>(config, 'data-dir'), fsync: parseFsyncMode(setting<string>(config, 'fsync'))! }),
    limits: limitsOrConfigError(limits),
    ...(requirePass !== undefined ? { requirePass } : {}),
    allowOrigins: setting<readonly string[]>(config, 'allow-origin'),
    protectedMode: setting<string>(config, 'protected-mode') === 'yes',
    ...(certFile !== undefined && keyFile !== undefined ? { tls: { certFile, keyFile } } : {}),
    ...(cluster ? { cluster } : {}),
    log,
  };
}

function listeningLine(server: PiccoloServer, format: LogFormat, log: Log): void {
  const http = server.tls ? 'https' : 'http';
  const ws = server.tls ? 'wss' : 'ws';
  const pinned = server.workers.filter((w) => w.pinned).map((w) => w.cpu);
  const fields = {
    http: `${http}://${server.host}:${server.port}`, ws: `${ws}://${server.host}:${server.port}/v1/ws`,
    resp: server.respPort === null ? null : `${server.host}:${server.respPort}`,
    workers: server.workers.length, pinnedCpus: pinned, auth: server.passwordGate.required, durable: server.dataDir !== null,
    dataDir: server.dataDir, fsync: server.dataDir === null ? null : formatFsyncMode(server.fsync),
  };
  if (format === 'json') return log('listening', fields);
  // Tests and scripts read this line: keep its shape (`listening on http://H:P ...; RESP on H:P`).
  log(`piccolo listening on ${fields.http} (WebSocket ${fields.ws}); `
    + `${server.workers.length} workers${pinned.length ? `, pinned to cpus ${pinned.join(',')}` : ', unpinned'}`
    + `${server.respPort === null ? '' : `; RESP on ${fields.resp}`}`);
  const data = server.dataDir === null && server.peerPort !== null ? 'cluster node, data in memory only (--in-memory); a restarted node copies it back from its peers'
    : server.dataDir === null ? 'data is in memory only (--in-memory); a restart loses every key'
      : `data in ${server.dataDir} (fsync ${fields.fsync}${server.fsync.kind === 'never' ? ': unsafe, a power loss can lose acknowledged writes' : ''})`;
  log(`piccolo: ${data}${server.passwordGate.required ? '' : '; no password set'}`);
  if (server.peerPort !== null) log(`piccolo: cluster node, peers on port ${server.peerPort} (docs/cluster.md)`);
}

export async function runServerCommand(args: string[]): Promise<number> {
  const config = loadServerConfig({ args, env: process.env });
  if (config.help) {
    process.stdout.write(SERVER_HELP);
    return 0;
  }
  const format = setting<LogFormat>(config, 'log-format');
  if (config.printConfig) {
    process.stdout.write(format === 'json' ? `${JSON.stringify(configAsJson(config), null, 2)}\n` : formatConfig(config));
    return 0;
  }
  const out = createLog(format, (text) => process.stdout.write(text));
  const err = createLog(format, (text) => process.stderr.write(text));
  for (const variable of config.unknownEnv) err(`warning: ${variable} names no setting of piccolo server; ignored`);
  // A joining node reads the cluster from the node named by --join, unless its data directory already knows it (a restart).
  const joined = joinNeeded(config) ? await fetchJoinInfo(setting<string>(config, 'join'), setting<string | undefined>(config, 'requirepass')) : undefined;
  let server: PiccoloServer;
  try {
    server = await startServer(serverOptionsFrom(config, err, joined));
  } catch (error) {
    // Expected refusals get their message alone; anything else is a bug and keeps its stack (main.ts).
    if (!(error instanceof ListenError || error instanceof ProtectedModeError || error instanceof TlsConfigError
      || error instanceof StorageError || error instanceof StorageRefusedError || error instanceof DataDirError)) throw error;
    const storage = error instanceof StorageError || error instanceof StorageRefusedError;
    err(`fatal: ${error.message}${storage ? ' (docs/durability.md, "Refusals and the way out", says what to do)' : ''}`);
    return EXIT_CANNOT_START;
  }
  listeningLine(server, format, out);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      out(`piccolo: ${signal}, shutting down`);
      void server.close().then(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  out('piccolo: stopped');
  return 0;
}
