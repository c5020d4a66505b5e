// A data command's reply tree (core/protocol/data-value.ts) in the ring's
// binary layout: a tag byte, then by tag: int i64, bytes and status a
// length-prefixed field, double f64, an aggregate u32 count then its items.
// Internal to a node (both ends are the same build), like the rest of the
// ring codec; the tree was built by our own shard, so depth is not bounded
// here (the wire decoders that read it from strangers bound it).

import { assert, unreachable } from '../assert.js';
import type { DataValue } from '../protocol/data-value.js';
import type { ByteReader, ByteWriter } from './byte-writer.js';

const TAGS = ['nil', 'nilArray', 'int', 'bytes', 'double', 'status', 'array', 'map', 'set', 'pairs'] as const;
const TAG_OF = new Map<string, number>(TAGS.map((t, i) => [t, i]));

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

export function encodeDataValue(w: ByteWriter, value: DataValue): void {
  w.u8(TAG_OF.get(value.t)!);
  switch (value.t) {
    case 'nil': case 'nilArray': return;
    case 'int': w.i64(value.v); return;
    case 'bytes': w.bytesField(value.v); return;
    case 'double': w.f64(value.v); return;
    case 'status': w.bytesField(textEncoder.encode(value.v)); return;
    case 'array': case 'map': case 'set': case 'pairs':
      w.u32(value.v.length);
      for (const item of value.v) encodeDataValue(w, item);
      return;
    default: unreachable(value, 'data value');
  }
}

/** Decode a tree; byte fields are copied (a reply outlives its ring record). */
export function decodeDataValue(r: ByteReader): DataValue {
  const t = TAGS[r.u8()];
  assert(t !== undefined, 'unknown data value tag in ring record');
  switch (t) {
    case 'nil': case 'nilArray': return { t };
    case 'int': return { t, v: r.i64() };
    case 'bytes': return { t, v: r.bytesView().slice() };
    case 'double': return { t, v: r.f64() };
    case 'status': return { t, v: textDecoder.decode(r.bytesView()) };
    case 'array': case 'map': case 'set': case 'pairs': {
      const n = r.u32();
      const v: DataValue[] = [];
      for (let i = 0; i < n; i++) v.push(decodeDataValue(r));
      return { t, v };
    }
    default: return unreachable(t, 'data value tag');
  }
}
