// The Piccolo client: `import { connect } from 'piccolo'`. Runs in browsers
// (native WebSocket) and in Node (the `ws` package where there is no global
// WebSocket); nothing here imports node:*.
//
//   const kv = await connect('ws://127.0.0.1:7700/v1/ws');
//   const { version } = await kv.set('greeting', 'hello');
//   await kv.cas('greeting', version, 'hi');          // VERSION_MISMATCH if someone else wrote
//   console.log(await kv.getString('greeting'));
//   await kv.close();

import { ClusterConnection } from './cluster-connection.js';
import { Connection } from './connection.js';
import { PiccoloClient } from './client.js';
import { bytesOut, type DataBytes } from './data-reply.js';
import { resolveOptions, type ConnectOptions } from './options.js';
import { openSocket } from './web-socket.js';
import { wireFormat } from './wire-format.js';

export { PiccoloClient, SCAN_LIMIT_DEFAULT, type CallChannel } from './client.js';
export { CLUSTER_ATTEMPTS_MAX, CLUSTER_RETRY_WAIT_MS } from './cluster-connection.js';
export type { DelOptions, Entry, MSetEntries, ScanItem, ScanOptions, ScanPage, SetOptions, SortOptions } from './client.js';
export type { BytesLike } from './bytes.js';
export type { CallArg } from './calls.js';
export type { DataBytes, DataBytesAs, DataReply } from './data-reply.js';
export { Transaction, TxResult, type TransactionOutcome } from './transaction.js';
export {
  ClientErrorCode, ConnectError, ConnectionClosedError, PiccoloError, ProtocolError, TimeoutError, VersionMismatchError,
  type ClientErrorName, type PiccoloErrorCode,
} from './errors.js';
export {
  DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_FRAME_BYTES_MAX, DEFAULT_PIPELINE_MAX, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_WAITING_BYTES_MAX,
  type ConnectOptions, type PasswordVia,
} from './options.js';
export type { WebSocketConstructor, WebSocketLike } from './web-socket.js';
export { WATCH_QUEUED_CHANGES_MAX, WATCH_RECONNECT_WAIT_MS, WATCH_RECONNECTS_MAX, type WatchChange, type WatchOptions } from './watch.js';
export type { FormatName } from './wire-format.js';
export type { ErrorName } from '../core/errors.js';
export type { OkReply, Request } from '../core/protocol/ops.js';

/** The WebSocket path of a node; a URL without a path gets this one. */
export const WS_PATH = '/v1/ws';

/** Opens a connection to a node. Rejects with ConnectError when it cannot. */
export async function connect(url: string, options: ConnectOptions & { dataBytesAs: 'text' }): Promise<PiccoloClient<string>>;
export async function connect(url: string, options?: ConnectOptions): Promise<PiccoloClient>;
export async function connect(url: string, options: ConnectOptions = {}): Promise<PiccoloClient<DataBytes>> {
  const resolved = resolveOptions(options);
  const target = withDefaultPath(url);
  const socket = await openSocket(options.WebSocket, target, resolved);
  return new PiccoloClient(new Connection(socket, wireFormat(resolved.format), resolved, target), resolved.format, bytesOut(resolved.dataBytesAs),
    () => openSocket(options.WebSocket, target, resolved));
}

/**
 * Connects to a cluster through any of its nodes: the client reads the slot
 * -> leader map from that node (GET /v1/cluster), sends each request to its
 * key's leader directly, follows leadership changes (NOT_LEADER refreshes the
 * map) and retries only what is safe; a write whose outcome is unknown
 * rejects with INDETERMINATE (client/cluster-connection.ts). Against a lone
 * node it behaves as connect().
 */
export async function connectCluster(url: string, options: ConnectOptions & { dataBytesAs: 'text' }): Promise<PiccoloClient<string>>;
export async function connectCluster(url: string, options?: ConnectOptions): Promise<PiccoloClient>;
export async function connectCluster(url: string, options: ConnectOptions = {}): Promise<PiccoloClient<DataBytes>> {
  const resolved = resolveOptions(options);
  const channel = await ClusterConnection.open(withDefaultPath(url), resolved, options.WebSocket);
  return new PiccoloClient(channel, resolved.format, bytesOut(resolved.dataBytesAs));
}

/** 'ws://host:7700' means the node's WebSocket endpoint, 'ws://host:7700/v1/ws'. */
function withDefaultPath(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url; // the WebSocket constructor reports the bad URL as a ConnectError
  }
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = WS_PATH;
  return parsed.toString();
}
