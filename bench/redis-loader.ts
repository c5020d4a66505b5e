// A minimal pipelined RESP client for the side-by-side benchmark: loads N
// keys (exactly N distinct keys, unlike redis-benchmark -r, which draws keys
// at random) and asks INFO / DBSIZE. Speaks to Redis and Piccolo alike.

import { connect, type Socket } from 'node:net';
import { BENCH_HOST } from './redis-processes.js';

/** SETs per pipelined batch, and batches kept in flight: enough to keep either server busy. */
const BATCH_COMMANDS = 1000;
const BATCHES_IN_FLIGHT = 4;

type Reply = string | number | null | Reply[] | Error;

/** Reads replies (RESP2) from a byte stream; returns null from next() until one is complete. */
class ReplyReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  next(): Reply | undefined {
    const parsed = this.parse(0);
    if (parsed === undefined) return undefined;
    this.buf = this.buf.subarray(parsed.end);
    return parsed.value;
  }

  private parse(at: number): { value: Reply; end: number } | undefined {
    const lineEnd = this.buf.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const type = String.fromCharCode(this.buf[at]!);
    const line = this.buf.toString('utf8', at + 1, lineEnd);
    const next = lineEnd + 2;
    switch (type) {
      case '+': return { value: line, end: next };
      case '-': return { value: new Error(line), end: next };
      case ':': return { value: Number(line), end: next };
      case '$': {
        const length = Number(line);
        if (length < 0) return { value: null, end: next };
        if (this.buf.length < next + length + 2) return undefined;
        return { value: this.buf.toString('utf8', next, next + length), end: next + length + 2 };
      }
      case '*': {
        const count = Number(line);
        if (count < 0) return { value: null, end: next };
        const items: Reply[] = [];
        let end = next;
        for (let i = 0; i < count; i++) {
          const item = this.parse(end);
          if (item === undefined) return undefined;
          items.push(item.value);
          end = item.end;
        }
        return { value: items, end };
      }
      default: throw new Error(`unexpected RESP reply type ${JSON.stringify(type)}`);
    }
  }
}

export function encodeCommand(args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg) : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export class RespBenchClient {
  private readonly reader = new ReplyReader();
  private readonly waiting: ((reply: Reply) => void)[] = [];

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.reader.push(chunk);
      for (let reply = this.reader.next(); reply !== undefined; reply = this.reader.next()) this.waiting.shift()!(reply);
    });
  }

  static connect(port: number): Promise<RespBenchClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: BENCH_HOST, port }, () => resolve(new RespBenchClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Send commands in one write; resolve with their replies in order (errors as Error values). */
  send(commands: (string | Buffer)[][]): Promise<Reply[]> {
    const replies: Reply[] = [];
    return new Promise((resolve) => {
      commands.forEach((_, i) => this.waiting.push((reply) => {
        replies.push(reply);
        if (i === commands.length - 1) resolve(replies);
      }));
      this.socket.write(Buffer.concat(commands.map(encodeCommand)));
    });
  }

  async call(...args: string[]): Promise<Reply> {
    const [reply] = await this.send([args]);
    if (reply instanceof Error) throw reply;
    return reply!;
  }

  /** INFO's `field:value` lines as a record. */
  async info(section: string): Promise<Record<string, string>> {
    const text = await this.call('INFO', section);
    const fields: Record<string, string> = {};
    for (const line of String(text).split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1);
    }
    return fields;
  }

  /** SET key:000000000000 .. key:<count-1> to `valueBytes` bytes each, pipelined; throws on any error reply. */
  async load(count: number, valueBytes: number): Promise<void> {
    const value = Buffer.alloc(valueBytes, 0x78);
    let nextKey = 0;
    const batch = async (): Promise<void> => {
      while (nextKey < count) {
        const commands: (string | Buffer)[][] = [];
        for (let i = 0; i < BATCH_COMMANDS && nextKey < count; i++, nextKey++) {
          commands.push(['SET', `key:${String(nextKey).padStart(12, '0')}`, value]);
        }
        const replies = await this.send(commands);
        const failed = replies.find((r) => r instanceof Error);
        if (failed) throw failed;
      }
    };
    await Promise.all(Array.from({ length: BATCHES_IN_FLIGHT }, batch));
  }

  close(): void {
    this.socket.destroy();
  }
}
