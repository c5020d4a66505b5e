// The first bytes of a peer connection, before any Cap'n Proto frame: who is
// on each end, (with --cluster-secret) proof that the dialer knows the
// secret, without sending it, and the collection thresholds each end runs
// with, which must be equal (replicas must choose the same encodings:
// core/types/collection-thresholds.ts).
//
//   acceptor -> dialer: "PCLA" u16 version, u16 0, u32 acceptor id, 16-byte nonce, thresholds  (60 bytes)
//   dialer -> acceptor: "PCLD" u16 version, u16 0, u32 dialer id, 32-byte proof, thresholds    (76 bytes)
//   proof = HMAC-SHA256(secret, "piccolo-peer-v1" | nonce | dialer id | acceptor id), zeros without a secret
//   thresholds = each of THRESHOLD_SETTINGS as an i32, little-endian, in table order (32 bytes)
//
// The nonce is fresh per connection, so a recorded proof is useless on
// another connection. This authenticates nodes to each other; it does not
// encrypt: across untrusted networks, run peers over a private network.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  DEFAULT_COLLECTION_THRESHOLDS, THRESHOLD_SETTINGS, thresholdDifferences, type CollectionThresholds,
} from '../../core/types/collection-thresholds.js';

/**
 * 2: the hellos carry the collection thresholds (a version-1 node is refused by its version, not misread).
 * 3: snapshots travel in chunks with a snapshotResponse (docs/protocol.md): a version-2 node would take a
 * chunk for the whole snapshot, so it is refused by its version.
 */
export const PEER_PROTOCOL_VERSION = 3;
/** Bytes of the thresholds in each hello: one i32 per setting. */
const THRESHOLDS_BYTES = THRESHOLD_SETTINGS.length * 4;
export const ACCEPT_HELLO_BYTES = 28 + THRESHOLDS_BYTES;
export const DIAL_HELLO_BYTES = 44 + THRESHOLDS_BYTES;
const NONCE_BYTES = 16;
const PROOF_BYTES = 32;
const ACCEPT_MAGIC = 'PCLA';
const DIAL_MAGIC = 'PCLD';
const PROOF_LABEL = 'piccolo-peer-v1';

export interface AcceptHello { readonly acceptorId: number; readonly nonce: Uint8Array; readonly thresholds: CollectionThresholds }
export interface DialHello { readonly dialerId: number; readonly proof: Uint8Array; readonly thresholds: CollectionThresholds }

function writeThresholds(bytes: Buffer, at: number, t: CollectionThresholds): void {
  THRESHOLD_SETTINGS.forEach((s, i) => bytes.writeInt32LE(t[s.key], at + 4 * i));
}

function readThresholds(b: Buffer, at: number): CollectionThresholds {
  const t = { ...DEFAULT_COLLECTION_THRESHOLDS };
  THRESHOLD_SETTINGS.forEach((s, i) => { t[s.key] = b.readInt32LE(at + 4 * i); });
  return t;
}

/**
 * Null when a peer's thresholds are ours, else a refusal naming each
 * difference with both values, for the log of both ends.
 */
export function thresholdsRefusal(ours: CollectionThresholds, theirs: CollectionThresholds, peer: string): string | null {
  const differences = thresholdDifferences(ours, theirs, 'this node', peer);
  return differences.length === 0 ? null
    : `collection thresholds differ: ${differences.join(', ')}; every node of a cluster must start with the same values (docs/cluster.md)`;
}

function header(magic: string, bytes: Buffer): void {
  bytes.write(magic, 0, 'latin1');
  bytes.writeUInt16LE(PEER_PROTOCOL_VERSION, 4);
  bytes.writeUInt16LE(0, 6);
}

function checkHeader(magic: string, bytes: Uint8Array): string | null {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.toString('latin1', 0, 4) !== magic) return 'not a Piccolo peer (bad magic)';
  const version = b.readUInt16LE(4);
  if (version !== PEER_PROTOCOL_VERSION) return `peer protocol version ${version}; this node speaks ${PEER_PROTOCOL_VERSION}`;
  return null;
}

export function encodeAcceptHello(acceptorId: number, thresholds: CollectionThresholds = DEFAULT_COLLECTION_THRESHOLDS): { bytes: Uint8Array; nonce: Uint8Array } {
  const bytes = Buffer.alloc(ACCEPT_HELLO_BYTES);
  header(ACCEPT_MAGIC, bytes);
  bytes.writeUInt32LE(acceptorId, 8);
  const nonce = randomBytes(NONCE_BYTES);
  nonce.copy(bytes, 12);
  writeThresholds(bytes, 12 + NONCE_BYTES, thresholds);
  return { bytes, nonce };
}

export function decodeAcceptHello(bytes: Uint8Array): AcceptHello | string {
  const problem = checkHeader(ACCEPT_MAGIC, bytes);
  if (problem) return problem;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { acceptorId: b.readUInt32LE(8), nonce: bytes.slice(12, 12 + NONCE_BYTES), thresholds: readThresholds(b, 12 + NONCE_BYTES) };
}

export function proofFor(secret: string | null, nonce: Uint8Array, dialerId: number, acceptorId: number): Uint8Array {
  if (secret === null) return new Uint8Array(PROOF_BYTES);
  const ids = Buffer.alloc(8);
  ids.writeUInt32LE(dialerId, 0);
  ids.writeUInt32LE(acceptorId, 4);
  return createHmac('sha256', secret).update(PROOF_LABEL).update(nonce).update(ids).digest();
}

export function encodeDialHello(dialerId: number, proof: Uint8Array, thresholds: CollectionThresholds = DEFAULT_COLLECTION_THRESHOLDS): Uint8Array {
  const bytes = Buffer.alloc(DIAL_HELLO_BYTES);
  header(DIAL_MAGIC, bytes);
  bytes.writeUInt32LE(dialerId, 8);
  bytes.set(proof, 12);
  writeThresholds(bytes, 12 + PROOF_BYTES, thresholds);
  return bytes;
}

export function decodeDialHello(bytes: Uint8Array): DialHello | string {
  const problem = checkHeader(DIAL_MAGIC, bytes);
  if (problem) return problem;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { dialerId: b.readUInt32LE(8), proof: bytes.slice(12, 12 + PROOF_BYTES), thresholds: readThresholds(b, 12 + PROOF_BYTES) };
}

/** Constant-time comparison of the proof the dialer sent with the one we expect. */
export function proofMatches(expected: Uint8Array, got: Uint8Array): boolean {
  return expected.length === got.length && timingSafeEqual(expected, got);
}
