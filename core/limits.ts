// Every limit Piccolo enforces, with why. Front doors check these at the edge
// and answer with an error code; the core asserts them again as invariants.
import { assert } from './assert.js';
import { STORE_KEY_BYTES_MAX } from './store/record-layout.js';
import { collectionThresholdsProblem, DEFAULT_COLLECTION_THRESHOLDS, type CollectionThresholds } from './types/collection-thresholds.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;

export interface Limits {
  /** Largest key. Keys live in memory as map keys and in every reply; 16 KiB keeps pathological keys from dominating memory. */
  keyBytesMax: number;
  /** Largest value. Bounded so that one value fits a ring record and a frame with room to spare. */
  valueBytesMax: number;
  /** Largest client frame (WebSocket message / HTTP body): one max value plus room for keys and framing. */
  frameBytesMax: number;
  /** Requests one connection may have in flight before the server stops reading from it. */
  pipelineMax: number;
  /** Bytes in each SPSC ring (request and reply direction, per worker). */
  ringBytes: number;
  /** Open client connections per node (WebSocket + RESP); more are refused with TOO_MANY_CONNECTIONS. */
  connectionsMax: number;
  /** Keys in one MGET/MSET/DEL batch. */
  batchKeysMax: number;
  /** Largest page a SCAN may ask for. */
  scanLimitMax: number;
  /** Bytes of replies a slow client may leave unread before we stop serving its requests. */
  clientOutputBytesMax: number;
  /**
   * Bytes of requests one connection may have waiting beyond pipelineMax (uWS
   * cannot pause a WebSocket's reads, so excess requests wait here; past this
   * they are answered OVERLOADED instead of growing memory without bound).
   */
  connectionQueueBytesMax: number;
  /**
   * Where each collection type leaves its compact encoding (Redis's
   * hash-max-listpack-entries and friends; core/types/collection-thresholds.ts).
   * Set at start and the same on every replica: encodings decide some
   * commands' effects, so replicas with other thresholds would diverge.
   */
  collections: Readonly<CollectionThresholds>;
}

/** The limits that are one number each (every limit but `collections`): the `--key-bytes-max`-style settings. */
export type NumericLimitName = Exclude<keyof Limits, 'collections'>;

/** Headroom in a frame beyond the value itself: key, ids, options and encoding overhead. */
export const FRAME_HEADROOM_BYTES = 64 * KiB;

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  keyBytesMax: 16 * KiB,
  valueBytesMax: 8 * MiB,
  frameBytesMax: 8 * MiB + FRAME_HEADROOM_BYTES,
  pipelineMax: 1024,
  ringBytes: 32 * MiB,
  connectionsMax: 10_000,
  batchKeysMax: 10_000,
  scanLimitMax: 10_000,
  clientOutputBytesMax: 64 * MiB,
  connectionQueueBytesMax: 32 * MiB,
  collections: DEFAULT_COLLECTION_THRESHOLDS,
});

/** Bytes of ring-record header around a request or reply payload (see core/ring/ring-codec.ts). */
export const RING_RECORD_OVERHEAD_BYTES = 256;

/**
 * Relations between limits that must hold for the system to be able to make
 * progress. Checked once at load for the defaults and again for any settings.
 */
export function checkLimits(limits: Limits): void {
  for (const [name, value] of Object.entries(limits)) {
    if (name === 'collections') continue;
    assert(Number.isSafeInteger(value) && value > 0, `limit ${name} must be a positive integer, got ${value}`);
  }
  const thresholdsProblem = collectionThresholdsProblem(limits.collections);
  assert(thresholdsProblem === null, () => `collection thresholds: ${thresholdsProblem}`);
  assert(limits.frameBytesMax >= limits.valueBytesMax + limits.keyBytesMax,
    'frameBytesMax must hold one max value and one max key');
  assert(limits.keyBytesMax <= STORE_KEY_BYTES_MAX, `keyBytesMax must be at most ${STORE_KEY_BYTES_MAX} (a key fits one shard-store record)`);
  // A ring must hold at least two of the largest records, or a single large
  // request could wait forever behind a half-full ring.
  assert(limits.ringBytes >= 2 * (limits.frameBytesMax + RING_RECORD_OVERHEAD_BYTES),
    'ringBytes must hold two max-sized records');
  assert(limits.connectionQueueBytesMax >= limits.frameBytesMax,
    'a connection must be able to queue at least one max-sized frame');
  assert((limits.ringBytes & (limits.ringBytes - 1)) === 0, 'ringBytes must be a power of two');
  assert(limits.ringBytes <= 1024 * MiB, 'ringBytes must be at most 1 GiB (32-bit ring positions)');
}

checkLimits(DEFAULT_LIMITS);

export function makeLimits(overrides: Partial<Limits> = {}): Limits {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  // When only the value limit grows, grow the frame and ring with it.
  if (overrides.valueBytesMax !== undefined && overrides.frameBytesMax === undefined) {
    limits.frameBytesMax = limits.valueBytesMax + limits.keyBytesMax + FRAME_HEADROOM_BYTES;
  }
  if (overrides.ringBytes === undefined) {
    while (limits.ringBytes < 2 * (limits.frameBytesMax + RING_RECORD_OVERHEAD_BYTES)) limits.ringBytes *= 2;
  }
  checkLimits(limits);
  return limits;
}

/**
 * What one peer (another node) may send in one write: a batch of Raft
 * messages (schema/peer-codec.ts). A batch over any of these is refused whole
 * and the transport closes that link, as for a corrupt one; an honest sender
 * stays inside them (the transport splits batches, Raft bounds its appends).
 */
export interface PeerLimits {
  /** Largest batch in bytes (one transport write); checked before any of it is read. */
  batchBytesMax: number;
  /** Messages in one batch: heartbeats for every group two nodes share travel together. */
  batchMessagesMax: number;
  /**
   * Entries in one append: bounds the work and objects one message costs the
   * receiver. Raft bounds an append's data bytes (RaftConfig.appendBytesMax),
   * not its entries, so its sender must stop at this count too.
   */
  appendEntriesMax: number;
  /** Bytes of one snapshot's data: a snapshot travels whole, in one message, until chunked transfer exists. */
  snapshotBytesMax: number;
  /** Voters plus learners in a snapshot's membership: Raft groups have a handful; this bounds quorum work. */
  membershipReplicasMax: number;
}

/** Room in a peer batch beyond its largest payload (a snapshot, or one client frame as an entry): headers, membership, framing. */
export const PEER_BATCH_HEADROOM_BYTES = 1 * MiB;

export const DEFAULT_PEER_LIMITS: Readonly<PeerLimits> = Object.freeze({
  batchBytesMax: 256 * MiB + PEER_BATCH_HEADROOM_BYTES,
  batchMessagesMax: 65_536,
  appendEntriesMax: 65_536,
  snapshotBytesMax: 256 * MiB,
  membershipReplicasMax: 256,
});

/** Relations between peer limits (and with the client limits whose values replicate through appends). */
export function checkPeerLimits(peer: PeerLimits, client: Limits = DEFAULT_LIMITS): void {
  for (const [name, value] of Object.entries(peer)) {
    assert(Number.isSafeInteger(value) && value > 0, `peer limit ${name} must be a positive integer, got ${value}`);
  }
  assert(peer.batchBytesMax >= peer.snapshotBytesMax + PEER_BATCH_HEADROOM_BYTES, 'a peer batch must hold one max-sized snapshot');
  // Raft always sends at least one entry, however large: one client frame's command must fit.
  assert(peer.batchBytesMax >= client.frameBytesMax + PEER_BATCH_HEADROOM_BYTES, 'a peer batch must hold one max-sized client frame as an entry');
  assert(peer.snapshotBytesMax < 2 ** 29, 'a snapshot must fit one Cap\'n Proto Data field (2^29 - 1 bytes)');
}

checkPeerLimits(DEFAULT_PEER_LIMITS);
