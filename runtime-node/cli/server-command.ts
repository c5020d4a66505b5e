// `piccolo server`: start a node on embedded defaults, stop gracefully on
// SIGINT/SIGTERM (stop accepting, finish in-flight requests, exit 0).

import { parseArgs } from 'node:util';
import { DEFAULT_LIMITS, type Limits } from '../../core/limits.js';
import { DEFAULT_RESP_PORT } from '../io/resp-front.js';
import { UsageError } from './usage-error.js';
import { DEFAULT_HOST, DEFAULT_PORT, startServer } from '../server.js';

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const LIMIT_FLAGS = Object.keys(DEFAULT_LIMITS).map((name) => [kebab(name), name as keyof Limits] as const);

export const SERVER_HELP = `Usage: piccolo server [options]

Start a Piccolo node: WebSocket at ws://HOST:PORT/v1/ws, REST at http://HOST:PORT/v1/kv,
Redis protocol (RESP) at HOST:RESP_PORT.

Options:
  --host HOST          interface to listen on (default ${DEFAULT_HOST})
  --port PORT          port to listen on; 0 picks a free one (default ${DEFAULT_PORT})
  --resp-port PORT     RESP port; 0 picks a free one (default ${DEFAULT_RESP_PORT}, or 0 with --port 0)
  --no-resp            do not serve RESP
  --requirepass PASS   password RESP clients must AUTH with (default: none)
  --workers N          worker threads, one per core by default
  --no-pin             do not pin workers to CPUs
${LIMIT_FLAGS.map(([flag, name]) => `  --${flag} N`.padEnd(23) + `limit (default ${DEFAULT_LIMITS[name]})`).join('\n')}
  -h, --help           show this help
`;

export async function runServerCommand(args: string[]): Promise<number> {
  const limitOptions = Object.fromEntries(LIMIT_FLAGS.map(([flag]) => [flag, { type: 'string' as const }]));
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'resp-port': { type: 'string' },
      'no-resp': { type: 'boolean' },
      requirepass: { type: 'string' },
      workers: { type: 'string' },
      'no-pin': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      ...limitOptions,
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(SERVER_HELP);
    return 0;
  }
  const limits: Partial<Limits> = {};
  for (const [flag, name] of LIMIT_FLAGS) {
    const text = (values as Record<string, string | undefined>)[flag];
    if (text === undefined) continue;
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--${flag} must be a positive integer`);
    limits[name] = n;
  }
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0..65535');
  const respPort = values['no-resp'] ? null : values['resp-port'] === undefined ? undefined : Number(values['resp-port']);
  if (typeof respPort === 'number' && (!Number.isInteger(respPort) || respPort < 0 || respPort > 65535)) {
    throw new UsageError('--resp-port must be 0..65535');
  }
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1 || workers > 256)) {
    throw new UsageError('--workers must be 1..256');
  }
  const server = await startServer({
    host: values.host ?? DEFAULT_HOST,
    port,
    ...(workers !== undefined ? { workers } : {}),
    pin: !values['no-pin'],
    limits,
    ...(respPort !== undefined ? { respPort } : {}),
    ...(values.requirepass !== undefined ? { requirePass: values.requirepass } : {}),
  });
  const pinned = server.workers.filter((w) => w.pinned).map((w) => w.cpu);
  process.stdout.write(
    `piccolo listening on http://${server.host}:${server.port} (WebSocket ws://${server.host}:${server.port}/v1/ws); `
    + `${server.workers.length} workers${pinned.length ? `, pinned to cpus ${pinned.join(',')}` : ', unpinned'}`
    + `${server.respPort === null ? '' : `; RESP on ${server.host}:${server.respPort}`}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      process.stdout.write(`piccolo: ${signal}, shutting down\n`);
      void server.close().then(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  process.stdout.write('piccolo: stopped\n');
  return 0;
}
