// The values simulated clients write: a unique id (`k3=2:17`: key, client,
// sequence number) padded with a seed-chosen number of '.' bytes, so that
// values vary in size and fill the small rings. The history carries the id;
// every read checks the bytes exactly: the id must be one written to that
// key, and the padding exactly the length that write used. Building and
// checking bytes directly (ASCII) keeps long values cheap to simulate.

import { assert } from '../core/assert.js';

const PAD_BYTE = 0x2e; // '.'

/** ASCII text (every char code below 128) as bytes, followed by `padBytes` pad bytes. */
export function encodeValue(id: string, padBytes: number): Uint8Array {
  const bytes = new Uint8Array(id.length + padBytes);
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    assert(c < 0x80 && c !== PAD_BYTE, 'value ids are ASCII without the pad byte');
    bytes[i] = c;
  }
  if (padBytes > 0) bytes.fill(PAD_BYTE, id.length);
  return bytes;
}

/** The id part of a value and its padding length; `padOk` is false if anything after the id is not padding or not ASCII. */
export function splitValue(bytes: Uint8Array): { id: string; padBytes: number; padOk: boolean } {
  let end = bytes.indexOf(PAD_BYTE);
  if (end < 0) end = bytes.length;
  let id = '';
  let ascii = true;
  for (let i = 0; i < end; i++) {
    const c = bytes[i]!;
    if (c >= 0x80) ascii = false;
    id += String.fromCharCode(c);
  }
  let padOk = ascii;
  for (let i = end; i < bytes.length && padOk; i++) if (bytes[i] !== PAD_BYTE) padOk = false;
  return { id, padBytes: bytes.length - end, padOk };
}

/** Ids (and their padding) written so far, per key: a read may only return one of these. */
export class KnownValues {
  private readonly byKey = new Map<string, Map<string, number>>();

  add(key: string, id: string, padBytes: number): void {
    let ids = this.byKey.get(key);
    if (ids === undefined) this.byKey.set(key, ids = new Map());
    ids.set(id, padBytes);
  }

  /** Whether these exact bytes are a value written to `key`. */
  matches(key: string, id: string, padBytes: number): boolean {
    return this.byKey.get(key)?.get(id) === padBytes;
  }
}
