// A node's card: what a cluster node tells each peer first on every new peer
// link (peer-transport.ts sends it before any Raft batch). It carries:
// - the node's client endpoints (RESP and HTTP/WebSocket, with the
//   --advertise-host), so any node can redirect a client to any leader;
// - the current Raft term of each group replica the node hosts, which the
//   vote gate (vote-gate.ts) of a node that just started reads to tell a
//   brand-new cluster from one it is rejoining with a forgotten log;
// - its incarnation, drawn at random when the process starts: a node whose
//   peer comes back with a new one knows the peer lost its in-memory log, and
//   its leaders stop trusting what they knew the peer held (cluster-node.ts).
//
// Framing: one Cap'n Proto stream message (u32 segment count - 1 = 0, u32
// words, then the segment) whose segment is the 8-byte magic below and a
// JSON object padded with spaces to a whole word. It is never decoded as a
// peer batch: it is only ever the first message of a link.

export const CARD_MAGIC = 'PCCARD01';
/** A card names a few endpoints and one term per hosted group: far below this. */
export const CARD_BYTES_MAX = 256 * 1024;

export interface NodeCard {
  readonly nodeId: number;
  /** `host:port` of the RESP door, or null when RESP is off. */
  readonly resp: string | null;
  /** `host:port` of the HTTP/WebSocket door. */
  readonly http: string;
  /** Term of each hosted group's replica, by group. */
  readonly terms: Readonly<Record<string, number>>;
  /** Random per process start (hex). */
  readonly incarnation: string;
}

export function encodeCard(card: NodeCard): Uint8Array {
  const json = JSON.stringify(card);
  const body = Buffer.from(CARD_MAGIC + json, 'utf8');
  const words = Math.ceil(body.length / 8);
  const out = Buffer.alloc(8 + words * 8, 0x20);
  out.writeUInt32LE(0, 0);
  out.writeUInt32LE(words, 4);
  body.copy(out, 8);
  return out;
}

const ENDPOINT = /^[^\s]{1,255}:\d{1,5}$/;

/** The card in a link's first message, or why it is not one. */
export function decodeCard(bytes: Uint8Array): NodeCard | string {
  if (bytes.length > CARD_BYTES_MAX) return `a node card of ${bytes.length} bytes (at most ${CARD_BYTES_MAX})`;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8', 8);
  if (!text.startsWith(CARD_MAGIC)) return 'the first message is not a node card';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(CARD_MAGIC.length).trimEnd());
  } catch {
    return 'a node card that is not JSON';
  }
  const c = parsed as Partial<NodeCard> | null;
  if (typeof c !== 'object' || c === null || !Number.isSafeInteger(c.nodeId)
    || !(c.resp === null || (typeof c.resp === 'string' && ENDPOINT.test(c.resp)))
    || typeof c.http !== 'string' || !ENDPOINT.test(c.http)
    || typeof c.incarnation !== 'string' || !/^[0-9a-f]{1,64}$/.test(c.incarnation)
    || typeof c.terms !== 'object' || c.terms === null
    || !Object.values(c.terms).every((t) => Number.isSafeInteger(t) && (t as number) >= 0)) {
    return 'a node card with missing or malformed fields';
  }
  return c as NodeCard;
}
