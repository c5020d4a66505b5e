// Requests and replies in Cap'n Proto's text format, for `capnp encode`: the
// reference C++ implementation writes the frames the differential tests read
// (with --segment-size, split over many segments joined by far pointers).

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ErrorCode } from '../../core/errors.js';
import type { DataValue } from '../../core/protocol/data-value.js';
import type { ItemReply, Reply, Request, ScanItem } from '../../core/protocol/ops.js';
import { unreachable } from '../../core/assert.js';

const SCHEMA = join(import.meta.dirname, '../../schema/piccolo.capnp');

export function capnpToolExists(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v capnp'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs `capnp encode` (root type Request or Response) over messages in text form; returns each message's frame. */
export function capnpEncode(rootType: 'Request' | 'Response', messages: string[], segmentSizeWords?: number): Uint8Array[] {
  const args = ['encode', ...(segmentSizeWords === undefined ? [] : [`--segment-size=${segmentSizeWords}`]), SCHEMA, rootType];
  const out = execFileSync('capnp', args, { input: messages.join('\n'), maxBuffer: 64 * 1024 * 1024 });
  return splitFrames(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
}

/** Runs `capnp decode --short` over frames: one line of text per message (it throws if the C++ reader rejects a frame). */
export function capnpDecode(rootType: 'Request' | 'Response', frames: Uint8Array[]): string {
  return execFileSync('capnp', ['decode', '--short', SCHEMA, rootType], { input: Buffer.concat(frames), maxBuffer: 64 * 1024 * 1024 }).toString('utf8');
}

/** Splits a stream of segment-framed messages. */
export function splitFrames(stream: Uint8Array): Uint8Array[] {
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  const frames: Uint8Array[] = [];
  let offset = 0;
  while (offset < stream.length) {
    const segmentCount = view.getUint32(offset, true) + 1;
    let bytes = 4 + 4 * segmentCount + (segmentCount % 2 === 0 ? 4 : 0);
    for (let i = 0; i < segmentCount; i++) bytes += view.getUint32(offset + 4 + 4 * i, true) * 8;
    frames.push(stream.slice(offset, offset + bytes));
    offset += bytes;
  }
  return frames;
}

/** A Data literal; empty Data is left out (the text format has no empty byte literal), which reads as empty. */
function data(name: string, bytes: Uint8Array | undefined): string[] {
  return bytes === undefined || bytes.length === 0 ? [] : [`${name} = 0x"${Buffer.from(bytes).toString('hex')}"`];
}

/**
 * A Text literal: letters, digits and spaces as they are, every other byte
 * escaped (`capnp encode` finds where one message ends by counting brackets,
 * even inside strings).
 */
function text(value: string): string {
  let out = '"';
  for (const byte of new TextEncoder().encode(value)) {
    out += /[A-Za-z0-9 _]/.test(String.fromCharCode(byte)) && byte < 0x80 ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `${out}"`;
}

function flag(name: string, on: boolean | undefined): string[] {
  return on ? [`${name} = true`] : [];
}

function num(name: string, value: number | bigint | undefined): string[] {
  return value === undefined ? [] : [`${name} = ${value}`];
}

function struct(fields: string[]): string {
  return `(${fields.join(', ')})`;
}

export function requestText(id: bigint, req: Request): string {
  let body: string;
  switch (req.op) {
    case 'get': case 'exists': case 'ttl':
      body = `${req.op} = ${struct(data('key', req.key))}`;
      break;
    case 'set':
      body = `set = ${struct([
        ...data('key', req.key), ...data('value', req.value), ...flag('ifAbsent', req.ifAbsent), ...flag('ifPresent', req.ifPresent),
        ...flag('hasExpectedVersion', req.expectedVersion !== undefined), ...num('expectedVersion', req.expectedVersion),
        ...num('ttlMs', req.ttlMs), ...num('expireAtMs', req.expireAtMs), ...flag('keepTtl', req.keepTtl), ...flag('returnPrevious', req.returnPrevious),
      ])}`;
      break;
    case 'del':
      body = `del = ${struct([
        ...data('key', req.key), ...flag('hasExpectedVersion', req.expectedVersion !== undefined), ...num('expectedVersion', req.expectedVersion),
        ...flag('returnPrevious', req.returnPrevious),
      ])}`;
      break;
    case 'incr':
      body = `incr = ${struct([...data('key', req.key), ...num('delta', req.delta)])}`;
      break;
    case 'incrFloat':
      // String(number) is the shortest text that reads back as the same double.
      body = `incrFloat = ${struct([...data('key', req.key), `delta = ${String(req.delta)}`])}`;
      break;
    case 'append':
      body = `append = ${struct([...data('key', req.key), ...data('value', req.value)])}`;
      break;
    case 'expire':
      body = `expire = ${struct([...data('key', req.key), ...num('ttlMs', req.ttlMs), ...num('expireAtMs', req.expireAtMs)])}`;
      break;
    case 'getRange':
      body = `getRange = ${struct([...data('key', req.key), ...num('start', req.start), ...num('end', req.end)])}`;
      break;
    case 'setRange':
      body = `setRange = ${struct([...data('key', req.key), ...num('offset', req.offset), ...data('value', req.value)])}`;
      break;
    case 'getEx':
      body = `getEx = ${struct([...data('key', req.key), ...num('ttlMs', req.ttlMs), ...num('expireAtMs', req.expireAtMs), ...flag('persist', req.persist)])}`;
      break;
    case 'scan':
      body = `scan = ${struct([...data('prefix', req.prefix), ...data('cursor', req.cursor), ...num('limit', req.limit), ...flag('withValues', req.withValues)])}`;
      break;
    case 'mget':
      // Keys are never empty here (arbKey), so every element has a literal.
      body = `mget = (keys = [${req.keys.map((k) => `0x"${Buffer.from(k).toString('hex')}"`).join(', ')}])`;
      break;
    case 'mset':
      body = `mset = ${struct([
        `entries = [${req.entries.map((e) => struct([...data('key', e.key), ...data('value', e.value)])).join(', ')}]`,
        ...flag('ifNoneExist', req.ifNoneExist),
      ])}`;
      break;
    case 'count': case 'flush':
      body = `${req.op} = void`;
      break;
    case 'tx':
      body = `tx = ${struct([
        `ops = [${req.ops.map((op) => requestText(0n, op)).join(', ')}]`,
        `watch = [${req.watch.map((w) => struct([...data('key', w.key), ...num('version', w.version)])).join(', ')}]`,
      ])}`;
      break;
    case 'call':
      // `""` is the empty Data literal inside a list (an element cannot be left out).
      body = `call = (name = ${text(req.name)}, args = [${req.args.map((a) => (a.length === 0 ? '""' : `0x"${Buffer.from(a).toString('hex')}"`)).join(', ')}])`;
      break;
    default:
      unreachable(req, 'request op');
  }
  return `(id = ${id}, ${body})`;
}

function itemText(item: ItemReply): string {
  return struct([
    ...flag('found', item.found), ...flag('hasValue', item.value !== undefined), ...data('value', item.value),
    ...flag('hasVersion', item.version !== undefined), ...num('version', item.version),
  ]);
}

function scanItemText(item: ScanItem): string {
  return struct([...data('key', item.key), ...flag('hasValue', item.value !== undefined), ...data('value', item.value), ...num('version', item.version)]);
}

export function replyText(id: bigint, reply: Reply): string {
  return `(id = ${id}, ${replyBodyText(reply)})`;
}

function replyBodyText(reply: Reply): string {
  if (!reply.ok) {
    return `error = ${struct([
      `code = ${ErrorCode[reply.code]}`, `name = ${text(reply.code)}`, `message = ${text(reply.message)}`,
      ...flag('hasCurrentVersion', reply.currentVersion !== undefined), ...num('currentVersion', reply.currentVersion),
    ])}`;
  }
  return `ok = ${struct([
    ...flag('hasFound', reply.found !== undefined), ...flag('found', reply.found),
    ...flag('hasValue', reply.value !== undefined), ...data('value', reply.value),
    ...flag('hasVersion', reply.version !== undefined), ...num('version', reply.version),
    ...flag('hasInteger', reply.integer !== undefined), ...num('integer', reply.integer),
    ...flag('hasPreviousFound', reply.previousFound !== undefined), ...flag('previousFound', reply.previousFound),
    ...flag('hasPreviousValue', reply.previousValue !== undefined), ...data('previousValue', reply.previousValue),
    ...flag('hasItems', reply.items !== undefined), ...(reply.items === undefined ? [] : [`items = [${reply.items.map(itemText).join(', ')}]`]),
    ...flag('hasScanItems', reply.scanItems !== undefined),
    ...(reply.scanItems === undefined ? [] : [`scanItems = [${reply.scanItems.map(scanItemText).join(', ')}]`]),
    ...flag('hasCursor', reply.cursor !== undefined), ...data('cursor', reply.cursor),
    ...flag('hasReplies', reply.replies !== undefined),
    ...(reply.replies === undefined ? [] : [`replies = [${reply.replies.map((r) => replyText(0n, r)).join(', ')}]`]),
    ...flag('hasData', reply.data !== undefined), ...(reply.data === undefined ? [] : [`data = ${dataValueText(reply.data)}`]),
  ])}`;
}

function doubleText(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  return String(d); // the shortest text that reads back as the same double
}

function dataValueText(value: DataValue): string {
  switch (value.t) {
    case 'nil': return '(nil = void)';
    case 'nilArray': return '(nilArray = void)';
    case 'int': return `(int = ${value.v})`;
    case 'bytes': return value.v.length === 0 ? '(bytes = "")' : `(bytes = 0x"${Buffer.from(value.v).toString('hex')}")`;
    case 'double': return `(double = ${doubleText(value.v)})`;
    case 'status': return `(status = ${text(value.v)})`;
    case 'array': case 'map': case 'set': return `(${value.t} = [${value.v.map(dataValueText).join(', ')}])`;
    case 'pairs': return `(array = [${value.v.map(dataValueText).join(', ')}])`;
    default: return unreachable(value, 'data value');
  }
}
