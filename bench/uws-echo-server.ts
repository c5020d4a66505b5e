// The ceiling for the end-to-end benchmark: a bare uWebSockets.js server that
// answers every WebSocket frame with the same bytes, doing no other work. It
// listens like Piccolo (same path, same uWS settings), so the load generator
// drives both alike; Piccolo's throughput over this one's is the share of the
// transport's capacity Piccolo keeps after doing real work.
//
//   node dist/bench/uws-echo-server.js [--port N]   (prints "listening on http://127.0.0.1:PORT")

import { parseArgs } from 'node:util';
import uWS from 'uWebSockets.js';
import { DEFAULT_LIMITS } from '../core/limits.js';

const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' } }, strict: true });
const host = values.host ?? '127.0.0.1';
const port = Number(values.port ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write('uws-echo-server: --port must be 0..65535\n');
  process.exit(2);
}

const sockets = new Set<uWS.WebSocket<unknown>>();
const app = uWS.App().ws('/v1/ws', {
  // As Piccolo's front door (runtime-node/io/ws-front.ts), so framing costs match.
  maxPayloadLength: DEFAULT_LIMITS.frameBytesMax,
  maxBackpressure: DEFAULT_LIMITS.clientOutputBytesMax * 2,
  closeOnBackpressureLimit: false,
  compression: uWS.DISABLED,
  idleTimeout: 120,
  sendPingsAutomatically: true,
  open: (ws) => { sockets.add(ws); },
  message: (ws, message, isBinary) => { ws.send(message, isBinary); },
  close: (ws) => { sockets.delete(ws); },
});

app.listen(host, port, (token) => {
  if (!token) {
    process.stderr.write(`uws-echo-server: cannot listen on ${host}:${port}\n`);
    process.exit(1);
  }
  process.stdout.write(`uws echo server listening on http://${host}:${uWS.us_socket_local_port(token)}\n`);
  const stop = (): void => {
    uWS.us_listen_socket_close(token);
    for (const ws of [...sockets]) ws.close();
    app.close();
    // A normal exit (not a kill), so --cpu-prof can write its profile.
    setImmediate(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
});
