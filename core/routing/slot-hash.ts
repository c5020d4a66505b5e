// key -> slot. The slot of a key is part of Piccolo's contract: it must be the
// same in every process and every release, because slots are what the cluster
// moves between nodes. We use Redis Cluster's function, so that tools that
// know Redis Cluster agree with us: CRC16-CCITT (XMODEM: poly 0x1021, init 0,
// no reflection) of the key, mod 16384. If the key contains "{...}" with at
// least one byte between the first '{' and the next '}', only those bytes are
// hashed ("hash tags"), so related keys can be kept on one shard.

export const SLOT_COUNT = 16_384;

const CRC16_TABLE = buildTable();

function buildTable(): Uint16Array {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    table[i] = crc;
  }
  return table;
}

export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  }
  return crc;
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

export function slotOf(key: Uint8Array): number {
  const open = key.indexOf(OPEN_BRACE);
  if (open >= 0) {
    const close = key.indexOf(CLOSE_BRACE, open + 1);
    if (close > open + 1) return crc16(key, open + 1, close) & (SLOT_COUNT - 1);
  }
  return crc16(key) & (SLOT_COUNT - 1);
}
