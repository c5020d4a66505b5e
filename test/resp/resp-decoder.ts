// A tiny, strict RESP2/RESP3 reply decoder for tests: independent of the
// encoder under test, so round trips check the bytes, not the code against
// itself. Throws on anything malformed.

export type Decoded =
  | { t: 'simple'; text: string }
  | { t: 'error'; text: string }
  | { t: 'integer'; value: bigint }
  | { t: 'bulk'; value: Uint8Array }
  | { t: 'null' } // RESP3 `_`
  | { t: 'nullBulk' } // RESP2 `$-1`
  | { t: 'nullArray' } // RESP2 `*-1`
  | { t: 'array'; items: Decoded[] }
  | { t: 'map'; entries: [Decoded, Decoded][] }
  | { t: 'set'; items: Decoded[] }
  | { t: 'push'; items: Decoded[] } // RESP3 `>`
  | { t: 'double'; text: string }
  | { t: 'boolean'; value: boolean }
  | { t: 'verbatim'; format: string; text: string };

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

export class RespDecoder {
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.at === this.bytes.length;
  }

  private line(): string {
    for (let i = this.at; i + 1 < this.bytes.length; i++) {
      if (this.bytes[i] === 0x0d) {
        if (this.bytes[i + 1] !== 0x0a) throw new Error(`CR without LF at ${i}`);
        const text = Buffer.from(this.bytes.subarray(this.at, i)).toString('utf8');
        this.at = i + 2;
        return text;
      }
    }
    throw new Error('unterminated line');
  }

  private count(text: string): number {
    if (!/^(0|-1|[1-9][0-9]*)$/.test(text)) throw new Error(`bad length ${JSON.stringify(text)}`);
    return Number(text);
  }

  private body(length: number): Uint8Array {
    const end = this.at + length;
    if (end + 2 > this.bytes.length) throw new Error('truncated bulk');
    if (this.bytes[end] !== 0x0d || this.bytes[end + 1] !== 0x0a) throw new Error('bulk not followed by CRLF');
    const value = new Uint8Array(this.bytes.subarray(this.at, end)); // a plain copy, even from a Buffer
    this.at = end + 2;
    return value;
  }

  next(): Decoded {
    if (this.at >= this.bytes.length) throw new Error('no more replies');
    const type = String.fromCharCode(this.bytes[this.at++]!);
    switch (type) {
      case '+': return { t: 'simple', text: this.line() };
      case '-': return { t: 'error', text: this.line() };
      case ':': {
        const text = this.line();
        if (!/^-?(0|[1-9][0-9]*)$/.test(text) || text === '-0') throw new Error(`bad integer ${text}`);
        return { t: 'integer', value: BigInt(text) };
      }
      case '$': {
        const n = this.count(this.line());
        return n === -1 ? { t: 'nullBulk' } : { t: 'bulk', value: this.body(n) };
      }
      case '*': {
        const n = this.count(this.line());
        if (n === -1) return { t: 'nullArray' };
        const items: Decoded[] = [];
        for (let i = 0; i < n; i++) items.push(this.next());
        return { t: 'array', items };
      }
      case '%': {
        const n = this.count(this.line());
        const entries: [Decoded, Decoded][] = [];
        for (let i = 0; i < n; i++) entries.push([this.next(), this.next()]);
        return { t: 'map', entries };
      }
      case '~':
      case '>': {
        const n = this.count(this.line());
        const items: Decoded[] = [];
        for (let i = 0; i < n; i++) items.push(this.next());
        return { t: type === '~' ? 'set' : 'push', items };
      }
      case '_': {
        if (this.line() !== '') throw new Error('bad null');
        return { t: 'null' };
      }
      case ',': return { t: 'double', text: this.line() };
      case '#': {
        const text = this.line();
        if (text !== 't' && text !== 'f') throw new Error(`bad boolean ${text}`);
        return { t: 'boolean', value: text === 't' };
      }
      case '=': {
        const body = this.body(this.count(this.line()));
        if (body.length < 4 || body[3] !== 0x3a) throw new Error('bad verbatim');
        return { t: 'verbatim', format: latin1(body.subarray(0, 3)), text: Buffer.from(body.subarray(4)).toString('utf8') };
      }
      default: throw new Error(`unknown type byte ${JSON.stringify(type)}`);
    }
  }
}

/** All replies in bytes. */
export function decodeAll(bytes: Uint8Array): Decoded[] {
  const decoder = new RespDecoder(bytes);
  const out: Decoded[] = [];
  while (!decoder.done) out.push(decoder.next());
  return out;
}

/** Exactly one reply. */
export function decodeOne(bytes: Uint8Array): Decoded {
  const all = decodeAll(bytes);
  if (all.length !== 1) throw new Error(`expected one reply, got ${all.length}`);
  return all[0]!;
}

/**
 * A compact view for table tests: simple strings as `+OK`, errors as `-ERR ..`,
 * integers as numbers, bulk strings as (UTF-8) strings, nulls as null, arrays as arrays.
 */
export function simplify(d: Decoded): unknown {
  switch (d.t) {
    case 'simple': return `+${d.text}`;
    case 'error': return `-${d.text}`;
    case 'integer': return Number(d.value);
    case 'bulk': return Buffer.from(d.value).toString('utf8');
    case 'null': case 'nullBulk': case 'nullArray': return null;
    case 'array': case 'set': case 'push': return d.items.map(simplify);
    case 'map': return d.entries.map(([k, v]) => [simplify(k), simplify(v)]);
    case 'double': return Number(d.text);
    case 'boolean': return d.value;
    case 'verbatim': return d.text;
  }
}
