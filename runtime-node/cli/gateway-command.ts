// `piccolo gateway`: start a stateless JSON <-> Cap'n Proto gateway in front
// of a cluster (runtime-node/gateway/, docs/gateway.md); stop gracefully on
// SIGINT/SIGTERM (stop accepting, finish requests in flight, exit 0).

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, readSecretFile } from '../config/load-config.js';
import { DEFAULT_HOST } from '../config/server-settings.js';
import {
  GATEWAY_DEFAULT_PORT, GATEWAY_IN_FLIGHT_MAX_DEFAULT, GATEWAY_IN_FLIGHT_MAX_MAX, NODE_CONNECTIONS_DEFAULT, NODE_CONNECTIONS_MAX,
} from '../gateway/gateway-limits.js';
import { LeaderMapError } from '../gateway/leader-map.js';
import { startGateway, type GatewayOptions, type PiccoloGateway } from '../gateway/gateway-server.js';
import { ListenError } from '../security/exclusive-listen.js';
import { ProtectedModeError } from '../security/protected-mode.js';
import { TlsConfigError } from '../security/tls-files.js';
import { EXIT_CANNOT_START } from './server-command.js';

export const GATEWAY_HELP = `Usage: piccolo gateway --nodes HOST:PORT[,HOST:PORT...] [options]

Start a gateway: the REST/JSON API at http://HOST:PORT/v1/kv and the WebSocket API
(JSON text and Cap'n Proto binary frames) at ws://HOST:PORT/v1/ws, as a node serves them,
for a whole cluster. It sends each request straight to the leader of its key's group over
pipelined Cap'n Proto connections, and keeps no data. See docs/gateway.md.

Options:
  --nodes HOST:PORT,...          the nodes' HTTP/WebSocket ports (some or all; repeat or comma-separate)
  --host HOST                    interface to listen on; non-loopback needs a password (default ${DEFAULT_HOST})
  --port PORT                    HTTP/WebSocket port; 0 picks a free one (default ${GATEWAY_DEFAULT_PORT})
  --requirepass PASS             password clients must give on every door; prefer the file
  --requirepass-file FILE        read the clients' password from FILE (one line)
  --node-password PASS           password of the nodes (default: the same as --requirepass)
  --node-password-file FILE      read the nodes' password from FILE (one line)
  --allow-origin ORIGIN          browser origin allowed to use WebSocket/HTTP (repeat or comma-separate)
  --tls-cert FILE                PEM certificate: serve HTTPS/WSS (needs --tls-key)
  --tls-key FILE                 PEM private key of --tls-cert
  --node-tls                     the nodes serve TLS: dial wss:// and https:// (a private CA: NODE_EXTRA_CA_CERTS=ca.pem)
  --protected-mode yes|no        refuse a non-loopback --host without a password (default yes)
  --node-connections N           WebSocket connections to each node (default ${NODE_CONNECTIONS_DEFAULT}, at most ${NODE_CONNECTIONS_MAX})
  --in-flight-max N              requests held for the nodes before OVERLOADED (default ${GATEWAY_IN_FLIGHT_MAX_DEFAULT})
  -h, --help                     show this help
`;

function integerFlag(text: string | undefined, name: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d{1,16}$/.test(text) || n < min || n > max) throw new ConfigError(`--${name} must be an integer in ${min}..${max}, got ${JSON.stringify(text)}`);
  return n;
}

function listFlag(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/** One password from its flag or its file, never both. */
function secretFlag(value: string | undefined, file: string | undefined, name: string): string | undefined {
  if (value !== undefined && file !== undefined) throw new ConfigError(`--${name} and --${name}-file exclude each other`);
  if (file !== undefined) return readSecretFile(file, (p) => readFileSync(p, 'utf8'));
  if (value === '') throw new ConfigError(`--${name} must not be empty`);
  return value;
}

/** The gateway's options from its command line; throws ConfigError for a mistake. */
export function gatewayOptionsFrom(args: string[]): GatewayOptions | 'help' {
  const { values } = parseArgs({
    args, strict: true, allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' }, nodes: { type: 'string', multiple: true }, host: { type: 'string' }, port: { type: 'string' },
      requirepass: { type: 'string' }, 'requirepass-file': { type: 'string' }, 'node-password': { type: 'string' },
      'node-password-file': { type: 'string' }, 'allow-origin': { type: 'string', multiple: true }, 'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' }, 'node-tls': { type: 'boolean' }, 'protected-mode': { type: 'string' }, 'node-connections': { type: 'string' }, 'in-flight-max': { type: 'string' },
    },
  });
  if (values.help) return 'help';
  const nodes = listFlag(values.nodes);
  if (nodes.length === 0) throw new ConfigError('--nodes is required: the HTTP/WebSocket HOST:PORT of one or more cluster nodes');
  for (const node of nodes) if (!/^[^\s:/]+:\d{1,5}$/.test(node)) throw new ConfigError(`--nodes: ${JSON.stringify(node)} is not HOST:PORT`);
  const certFile = values['tls-cert'];
  const keyFile = values['tls-key'];
  if ((certFile === undefined) !== (keyFile === undefined)) throw new ConfigError('--tls-cert and --tls-key go together');
  const protectedMode = values['protected-mode'] ?? 'yes';
  if (protectedMode !== 'yes' && protectedMode !== 'no') throw new ConfigError('--protected-mode must be yes or no');
  const requirePass = secretFlag(values.requirepass, values['requirepass-file'], 'requirepass');
  const nodePassword = secretFlag(values['node-password'], values['node-password-file'], 'node-password');
  const port = integerFlag(values.port, 'port', 0, 65535);
  const connectionsPerNode = integerFlag(values['node-connections'], 'node-connections', 1, NODE_CONNECTIONS_MAX);
  const inFlightMax = integerFlag(values['in-flight-max'], 'in-flight-max', 1, GATEWAY_IN_FLIGHT_MAX_MAX);
  return {
    nodes, host: values.host ?? DEFAULT_HOST, allowOrigins: listFlag(values['allow-origin']), protectedMode: protectedMode === 'yes',
    ...(port !== undefined ? { port } : {}),
    ...(requirePass !== undefined ? { requirePass } : {}),
    ...(nodePassword !== undefined ? { nodePassword } : {}),
    ...(certFile !== undefined && keyFile !== undefined ? { tls: { certFile, keyFile } } : {}),
    ...(connectionsPerNode !== undefined ? { connectionsPerNode } : {}),
    ...(inFlightMax !== undefined ? { inFlightMax } : {}),
    ...(values['node-tls'] ? { nodeTls: true } : {}),
  };
}

export async function runGatewayCommand(args: string[]): Promise<number> {
  const options = gatewayOptionsFrom(args);
  if (options === 'help') {
    process.stdout.write(GATEWAY_HELP);
    return 0;
  }
  const err = (line: string): void => { process.stderr.write(`${line}\n`); };
  let gateway: PiccoloGateway;
  try {
    gateway = await startGateway({ ...options, log: err });
  } catch (error) {
    if (!(error instanceof ListenError || error instanceof ProtectedModeError || error instanceof TlsConfigError || error instanceof LeaderMapError)) throw error;
    err(`fatal: ${error.message}`);
    return EXIT_CANNOT_START;
  }
  const http = gateway.tls ? 'https' : 'http';
  const ws = gateway.tls ? 'wss' : 'ws';
  // Tests and scripts read this line: keep its shape (`listening on http://H:P ...`).
  process.stdout.write(`piccolo gateway listening on ${http}://${gateway.host}:${gateway.port} (WebSocket ${ws}://${gateway.host}:${gateway.port}/v1/ws); `
    + `${gateway.groupCount} groups, nodes ${options.nodes.join(',')}${options.requirePass ? '' : '; no password set'}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      process.stdout.write(`piccolo gateway: ${signal}, shutting down\n`);
      void gateway.close().then(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  process.stdout.write('piccolo gateway: stopped\n');
  return 0;
}
