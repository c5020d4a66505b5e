// The first bytes of a peer connection, before any Cap'n Proto frame: who is
// on each end, and (with --cluster-secret) proof that the dialer knows the
// secret, without sending it.
//
//   acceptor -> dialer: "PCLA" u16 version, u16 0, u32 acceptor id, 16-byte nonce      (28 bytes)
//   dialer -> acceptor: "PCLD" u16 version, u16 0, u32 dialer id, 32-byte proof         (44 bytes)
//   proof = HMAC-SHA256(secret, "piccolo-peer-v1" | nonce | dialer id | acceptor id), zeros without a secret
//
// The nonce is fresh per connection, so a recorded proof is useless on
// another connection. This authenticates nodes to each other; it does not
// encrypt: across untrusted networks, run peers over a private network.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const PEER_PROTOCOL_VERSION = 1;
export const ACCEPT_HELLO_BYTES = 28;
export const DIAL_HELLO_BYTES = 44;
const NONCE_BYTES = 16;
const PROOF_BYTES = 32;
const ACCEPT_MAGIC = 'PCLA';
const DIAL_MAGIC = 'PCLD';
const PROOF_LABEL = 'piccolo-peer-v1';

export interface AcceptHello { readonly acceptorId: number; readonly nonce: Uint8Array }
export interface DialHello { readonly dialerId: number; readonly proof: Uint8Array }

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

export function encodeAcceptHello(acceptorId: number): { bytes: Uint8Array; nonce: Uint8Array } {
  const bytes = Buffer.alloc(ACCEPT_HELLO_BYTES);
  header(ACCEPT_MAGIC, bytes);
  bytes.writeUInt32LE(acceptorId, 8);
  const nonce = randomBytes(NONCE_BYTES);
  nonce.copy(bytes, 12);
  return { bytes, nonce };
}

export function decodeAcceptHello(bytes: Uint8Array): AcceptHello | string {
  const problem = checkHeader(ACCEPT_MAGIC, bytes);
  if (problem) return problem;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { acceptorId: b.readUInt32LE(8), nonce: bytes.slice(12, 12 + NONCE_BYTES) };
}

export function proofFor(secret: string | null, nonce: Uint8Array, dialerId: number, acceptorId: number): Uint8Array {
  if (secret === null) return new Uint8Array(PROOF_BYTES);
  const ids = Buffer.alloc(8);
  ids.writeUInt32LE(dialerId, 0);
  ids.writeUInt32LE(acceptorId, 4);
  return createHmac('sha256', secret).update(PROOF_LABEL).update(nonce).update(ids).digest();
}

export function encodeDialHello(dialerId: number, proof: Uint8Array): Uint8Array {
  const bytes = Buffer.alloc(DIAL_HELLO_BYTES);
  header(DIAL_MAGIC, bytes);
  bytes.writeUInt32LE(dialerId, 8);
  bytes.set(proof, 12);
  return bytes;
}

export function decodeDialHello(bytes: Uint8Array): DialHello | string {
  const problem = checkHeader(DIAL_MAGIC, bytes);
  if (problem) return problem;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { dialerId: b.readUInt32LE(8), proof: bytes.slice(12, 12 + PROOF_BYTES) };
}

/** Constant-time comparison of the proof the dialer sent with the one we expect. */
export function proofMatches(expected: Uint8Array, got: Uint8Array): boolean {
  return expected.length === got.length && timingSafeEqual(expected, got);
}
