// Ports for servers a test starts on a port it must name in advance (a peer
// list, a redis-server command line). A port taken from the kernel's
// ephemeral range (listen on 0, then close) can be taken again by any outgoing
// connection before the server binds it; CI saw EADDRINUSE from exactly that.
// So these come from below Linux's ephemeral range (32768 and up), where no
// outgoing connection lands, and each vitest worker draws from a slice of its
// own, so two test files running at once never pick the same port.
import { createServer } from 'node:net';

const TEST_PORT_BASE = 20_000;
const TEST_PORT_SLICE = 1_500;
/** 8 slices: 20000..31999, below the ephemeral range. */
const TEST_PORT_SLICES = 8;

const pool = Math.max(1, Number(process.env.VITEST_POOL_ID ?? '1') || 1);
const sliceStart = TEST_PORT_BASE + ((pool - 1) % TEST_PORT_SLICES) * TEST_PORT_SLICE;
// A random start so a rerun (or a process outside vitest) does not retrace the same ports.
let nextOffset = Math.floor(Math.random() * TEST_PORT_SLICE);

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A loopback port free now, below the ephemeral range, in this worker's slice. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < TEST_PORT_SLICE; tries++) {
    const port = sliceStart + (nextOffset++ % TEST_PORT_SLICE);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port in ${sliceStart}..${sliceStart + TEST_PORT_SLICE - 1}`);
}
