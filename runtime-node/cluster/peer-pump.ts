// The IO thread's side of the peer rings (cluster-worker.ts has the other):
// batches from peer links go, checked and split by worker, onto each
// worker's peer-in ring, and batches the workers leave on their peer-out
// rings go to the peer links. Waiting is as for the reply rings
// (io/worker-pool.ts): Atomics.waitAsync on the ring's signal word; a
// worker is woken through its doorbell.
//
// Checks on a batch from node F, before any of it reaches a worker: it
// decodes within the peer limits; every frame is for a group this node
// hosts, addressed to this node's replica, from F's replica (a peer cannot
// speak for another); and the vote gate (vote-gate.ts) admits it. Frames
// that fail are dropped and counted; a batch that does not decode at all is
// dropped whole (the link stays: the transport already closes links that
// break the stream framing).

import { DEFAULT_PEER_LIMITS } from '../../core/limits.js';
import type { PeerFrame } from '../../core/replica/peer-frame.js';
import { SpscRing } from '../../core/ring/spsc-ring.js';
import type { SlotMap } from '../../core/routing/slot-map.js';
import { decodePeerBatch, encodePeerBatch } from '../../schema/peer-codec.js';
import { encodeControlRecord, encodeRestartRecord, PEER_OUT_HEADER_BYTES, type ControlRecord } from './peer-ring-records.js';
import type { VoteGate } from './vote-gate.js';

export interface WorkerPeerRings {
  peerIn: SpscRing;
  peerOut: SpscRing;
  doorbell: Int32Array;
  /** Restart and control records still to be written to this worker's peer-in ring (it was full), in order. */
  recordsPending: Uint8Array[];
}


export interface PeerPumpStats {
  framesDropped: number;
  batchesRefused: number;
  /** Batches dropped because a worker's peer-in ring was full or the batch larger than a record. */
  batchesOverflowed: number;
}

/** Wake a clustered worker: bump its doorbell word (so a wait about to start returns at once) and notify. */
export function ringDoorbell(doorbell: Int32Array): void {
  Atomics.add(doorbell, 0, 1);
  Atomics.notify(doorbell, 0);
}

export class PeerPump {
  readonly stats: PeerPumpStats = { framesDropped: 0, batchesRefused: 0, batchesOverflowed: 0 };
  private stopped = false;

  constructor(
    private readonly selfId: number,
    private readonly rings: readonly WorkerPeerRings[],
    private readonly slotMap: SlotMap,
    private readonly hosted: ReadonlySet<number>,
    private readonly gate: VoteGate,
    private readonly send: (to: number, bytes: Uint8Array) => void,
  ) {}

  start(): void {
    for (const ring of this.rings) this.armPeerOut(ring);
  }

  stop(): void {
    this.stopped = true;
    // Wake our own pending waitAsync calls so no promise keeps the loop alive.
    for (const ring of this.rings) Atomics.notify(ring.peerOut.header, SpscRing.signalConsumerIndex);
  }

  /** A batch from node `from`'s link. */
  receive(from: number, bytes: Uint8Array): void {
    if (this.stopped) return;
    const decoded = decodePeerBatch(bytes, DEFAULT_PEER_LIMITS);
    if (!decoded.ok) {
      this.stats.batchesRefused++;
      return;
    }
    const byWorker = new Map<number, PeerFrame[]>();
    let kept = 0;
    for (const frame of decoded.frames) {
      const { group, message } = frame;
      if (!this.hosted.has(group) || message.to !== this.selfId || message.from !== from || !this.gate.admits(group, message)) {
        this.stats.framesDropped++;
        continue;
      }
      const w = this.slotMap.workerOf(group);
      let list = byWorker.get(w);
      if (list === undefined) byWorker.set(w, list = []);
      list.push(frame);
      kept++;
    }
    // The usual case, every frame kept and for one worker, passes the bytes on as they came.
    if (byWorker.size === 1 && kept === decoded.frames.length) {
      const [w] = byWorker.keys();
      this.toWorker(this.rings[w!]!, bytes);
      return;
    }
    for (const [w, frames] of byWorker) this.toWorker(this.rings[w]!, encodePeerBatch(frames));
  }

  /** Node `nodeId` came back with a new incarnation: tell every worker, in ring order (peer-ring-records.ts). */
  peerRestarted(nodeId: number): void {
    for (const ring of this.rings) this.toWorkerInOrder(ring, encodeRestartRecord(nodeId));
  }

  /** An operator's command for `record.group`: to the worker hosting that group, after what its ring already holds. */
  control(record: ControlRecord): void {
    const ring = this.rings[this.slotMap.workerOf(record.group)];
    if (ring !== undefined) this.toWorkerInOrder(ring, encodeControlRecord(record));
  }

  private toWorkerInOrder(ring: WorkerPeerRings, record: Uint8Array): void {
    ring.recordsPending.push(record);
    if (this.flushRecords(ring) && ring.peerIn.publish()) ringDoorbell(ring.doorbell);
  }

  /** Write pending restart and control records; false while some do not fit (then batches wait behind them: dropped). */
  private flushRecords(ring: WorkerPeerRings): boolean {
    while (ring.recordsPending.length > 0) {
      if (!ring.peerIn.tryWrite(ring.recordsPending[0]!)) return false;
      ring.recordsPending.shift();
    }
    return true;
  }

  private toWorker(ring: WorkerPeerRings, bytes: Uint8Array): void {
    if (!this.flushRecords(ring) || bytes.length > ring.peerIn.payloadBytesMax || !ring.peerIn.tryWrite(bytes)) {
      this.stats.batchesOverflowed++;
      return;
    }
    if (ring.peerIn.publish()) ringDoorbell(ring.doorbell);
  }

  /** Send every batch the worker left, then sleep on the ring until it publishes more. */
  private armPeerOut(ring: WorkerPeerRings): void {
    const out = ring.peerOut;
    const drain = (): void => {
      if (this.stopped) return;
      out.wokeUp();
      let taken = 0;
      for (let at = out.peek(); at >= 0; at = out.peek()) {
        const to = new DataView(out.data.buffer, out.data.byteOffset).getUint32(at, true);
        // The transport queues what it is given: copy out of ring memory before releasing it.
        this.send(to, out.data.slice(at + PEER_OUT_HEADER_BYTES, at + out.lastLength));
        out.release();
        taken++;
      }
      // The worker never waits for peer-out space (it drops instead), so there is no one to notify.
      if (taken > 0) out.flushHead();
      const tail = out.prepareToSleep();
      if (tail === null) {
        setImmediate(drain);
        return;
      }
      const waited = Atomics.waitAsync(out.header, SpscRing.signalConsumerIndex, tail);
      if (waited.async) void waited.value.then(drain);
      else setImmediate(drain);
    };
    drain();
  }
}
