// The records of the peer rings between the IO thread and a clustered
// worker, as both ends read and write them (peer-pump.ts on the IO thread,
// cluster-worker.ts in the worker):
//
//   peer-in  (IO -> worker): a peer batch's Cap'n Proto bytes, or a restart
//            record: u32 RESTART_MARKER, u32 node id ("that node came back
//            without its log"), or a control record: u32 CONTROL_MARKER,
//            u32 kind, u32 group, u32 node (an operator's command for one
//            group, e.g. "prefer node N as leader": cluster-admin.ts).
//            A Cap'n Proto batch starts with its segment count minus one,
//            never a marker. Restarts travel in the ring so the worker acts
//            on one after every batch the node's old incarnation sent,
//            never before; controls share the ring so no other channel is
//            needed.
//   peer-out (worker -> IO): u32 destination node id, then a peer batch.

/** Bytes before the batch in a peer-out record: the destination node id. */
export const PEER_OUT_HEADER_BYTES = 4;
export const RESTART_MARKER = 0xffffffff;
export const RESTART_RECORD_BYTES = 8;
export const CONTROL_MARKER = 0xfffffffe;
export const CONTROL_RECORD_BYTES = 16;

/** What a control record asks of the worker hosting `group`. */
export const CONTROL_KINDS = {
  /** Node `node` is the group's preferred leader from now on: a leader elsewhere hands leadership to it (preferred-leader.ts). */
  preferLeader: 1,
  /** Start a replica of the group on this node (a learner-to-be: replica-mover.ts). */
  hostGroup: 2,
  /** If this replica leads the group: propose the Raft membership change of that name for node `node`. */
  addLearner: 3,
  addVoter: 4,
  remove: 5,
} as const;
export type ControlKind = keyof typeof CONTROL_KINDS;

export interface ControlRecord { readonly kind: ControlKind; readonly group: number; readonly node: number }

/** The node id of a restart record at `at` in `data`, or null when the record is a batch. */
export function restartRecordNode(data: Uint8Array, at: number, length: number): number | null {
  if (length !== RESTART_RECORD_BYTES) return null;
  const view = new DataView(data.buffer, data.byteOffset);
  return view.getUint32(at, true) === RESTART_MARKER ? view.getUint32(at + 4, true) : null;
}

export function encodeRestartRecord(nodeId: number): Uint8Array {
  const bytes = new Uint8Array(RESTART_RECORD_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, RESTART_MARKER, true);
  view.setUint32(4, nodeId, true);
  return bytes;
}

export function encodeControlRecord(record: ControlRecord): Uint8Array {
  const bytes = new Uint8Array(CONTROL_RECORD_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, CONTROL_MARKER, true);
  view.setUint32(4, CONTROL_KINDS[record.kind], true);
  view.setUint32(8, record.group, true);
  view.setUint32(12, record.node, true);
  return bytes;
}

/** The control record at `at` in `data`, or null when the record is something else. */
export function controlRecordAt(data: Uint8Array, at: number, length: number): ControlRecord | null {
  if (length !== CONTROL_RECORD_BYTES) return null;
  const view = new DataView(data.buffer, data.byteOffset);
  if (view.getUint32(at, true) !== CONTROL_MARKER) return null;
  const code = view.getUint32(at + 4, true);
  const kind = (Object.keys(CONTROL_KINDS) as ControlKind[]).find((k) => CONTROL_KINDS[k] === code);
  if (kind === undefined) return null;
  return { kind, group: view.getUint32(at + 8, true), node: view.getUint32(at + 12, true) };
}
