// The records of the peer rings between the IO thread and a clustered
// worker, as both ends read and write them (peer-pump.ts on the IO thread,
// cluster-worker.ts in the worker):
//
//   peer-in  (IO -> worker): a peer batch's Cap'n Proto bytes, or a restart
//            record: u32 RESTART_MARKER, u32 node id ("that node came back
//            without its log"). A Cap'n Proto batch starts with its segment
//            count minus one, never the marker. Restarts travel in the ring
//            so the worker acts on one after every batch the node's old
//            incarnation sent, never before.
//   peer-out (worker -> IO): u32 destination node id, then a peer batch.

/** Bytes before the batch in a peer-out record: the destination node id. */
export const PEER_OUT_HEADER_BYTES = 4;
export const RESTART_MARKER = 0xffffffff;
export const RESTART_RECORD_BYTES = 8;

/** The node id of a restart record at `at` in `data`, or null when the record is a batch. */
export function restartRecordNode(data: Uint8Array, at: number, length: number): number | null {
  if (length !== RESTART_RECORD_BYTES) return null;
  const view = new DataView(data.buffer, data.byteOffset);
  return view.getUint32(at, true) === RESTART_MARKER ? view.getUint32(at + 4, true) : null;
}
