import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RequestParser, requestParserOptionsFor, type ParseResult, type RequestParserOptions,
} from '../../core/resp/request-parser.js';
import { DEFAULT_LIMITS } from '../../core/limits.js';

const enc = new TextEncoder();
const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

function multibulk(args: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [enc.encode(`*${args.length}\r\n`)];
  for (const a of args) parts.push(enc.encode(`$${a.length}\r\n`), a, enc.encode('\r\n'));
  return Buffer.concat(parts);
}

/** Split bytes at the given cut points (any order, duplicates allowed). */
function splitAt(input: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, input.length]) {
    if (p > from) chunks.push(input.slice(from, p)); // fresh copies, as the TCP layer passes
    from = Math.max(from, p);
  }
  return chunks;
}

type Outcome = { commands: string[][]; end: 'need-more' | string };

/** Push every chunk, draining after each, as a server does. */
function feed(chunks: Uint8Array[], options?: RequestParserOptions): Outcome {
  const parser = new RequestParser(options);
  const commands: Uint8Array[][] = [];
  let last: ParseResult = { kind: 'need-more' };
  for (const chunk of chunks) {
    parser.push(chunk);
    for (let r = parser.next(); ; r = parser.next()) {
      last = r;
      if (r.kind !== 'command') break;
      commands.push(r.args);
    }
    if (last.kind === 'error') break;
  }
  // Compare args only after all input is parsed: views handed out earlier must not have changed.
  return {
    commands: commands.map((args) => args.map(text)),
    end: last.kind === 'error' ? last.message : 'need-more',
  };
}

function parseAll(input: string, options?: RequestParserOptions): Outcome {
  return feed([bytes(input)], options);
}

const arg = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 24 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 100, maxLength: 3000 }) },
  { weight: 2, arbitrary: fc.constantFrom(...['\r\n', '*', '$', '*1\r\n$1\r\nx\r\n', ''].map(bytes)) },
);
const command = fc.array(arg, { minLength: 1, maxLength: 6 });
const cuts = fc.array(fc.nat(), { maxLength: 40 });

describe('RequestParser: multibulk', () => {
  it('yields exactly the commands sent, however the stream is chunked', () => {
    fc.assert(fc.property(fc.array(command, { minLength: 1, maxLength: 12 }), cuts, (commands, points) => {
      const input = Buffer.concat(commands.map(multibulk));
      const out = feed(splitAt(input, points));
      expect(out.end).toBe('need-more');
      expect(out.commands).toEqual(commands.map((c) => c.map(text)));
    }), { numRuns: 300 });
  });

  it('parses one byte at a time', () => {
    const input = multibulk([bytes('SET'), bytes('key'), bytes('va\r\nlue')]);
    const out = feed(splitAt(input, [...Array(input.length).keys()]));
    expect(out).toEqual({ commands: [['SET', 'key', 'va\r\nlue']], end: 'need-more' });
  });

  it('returns views into the chunk when a command lies within it (no copy)', () => {
    const chunk = multibulk([bytes('GET'), bytes('k')]);
    const parser = new RequestParser();
    parser.push(chunk);
    const r = parser.next();
    expect(r.kind).toBe('command');
    if (r.kind === 'command') expect(r.args.every((a) => a.buffer === chunk.buffer)).toBe(true);
    expect(parser.next().kind).toBe('need-more');
    expect(parser.bufferedBytes).toBe(0);
  });

  it('skips *0 and *-1 and empty lines', () => {
    expect(parseAll('*0\r\n*-1\r\n\r\n\n*1\r\n$4\r\nPING\r\n')).toEqual({ commands: [['PING']], end: 'need-more' });
  });

  it('accepts a bulk of exactly bulkBytesMax and refuses one byte more', () => {
    const ok = parseAll(`*1\r\n$8\r\n12345678\r\n`, { bulkBytesMax: 8 });
    expect(ok.commands).toEqual([['12345678']]);
    expect(parseAll(`*1\r\n$9\r\n123456789\r\n`, { bulkBytesMax: 8 }).end).toBe('Protocol error: invalid bulk length');
  });

  it('receives a large bulk in small chunks in linear time', () => {
    // Quadratic re-parsing would scan ~2^21 bytes per chunk for 2^16 chunks and time out.
    const size = 4 * 1024 * 1024;
    const value = new Uint8Array(size).fill(0x61);
    const input = multibulk([bytes('SET'), bytes('k'), value]);
    const parser = new RequestParser();
    const step = 64;
    let result: ParseResult = { kind: 'need-more' };
    let early = 0;
    for (let i = 0; i < input.length; i += step) {
      parser.push(input.slice(i, i + step));
      result = parser.next();
      if (i + step < input.length && result.kind !== 'need-more') early++;
    }
    expect(early).toBe(0);
    expect(result.kind).toBe('command');
    if (result.kind === 'command') {
      expect(result.args[2]!.length).toBe(size);
      expect(result.args[2]!.every((b) => b === 0x61)).toBe(true);
    }
  }, 20_000);

  it('keeps earlier commands intact while later chunks arrive', () => {
    const parser = new RequestParser();
    const first = multibulk([bytes('SET'), bytes('a'), bytes('1')]);
    const second = multibulk([bytes('SET'), bytes('b'), bytes('2')]);
    // First chunk: all of command 1 and half of command 2, so the rest gets appended to a buffer.
    parser.push(Buffer.concat([first, second.subarray(0, 7)]));
    const r1 = parser.next();
    expect(parser.next().kind).toBe('need-more');
    for (let i = 7; i < second.length; i++) parser.push(second.slice(i, i + 1));
    const r2 = parser.next();
    expect(r1.kind === 'command' && r1.args.map(text)).toEqual(['SET', 'a', '1']);
    expect(r2.kind === 'command' && r2.args.map(text)).toEqual(['SET', 'b', '2']);
  });
});

describe('RequestParser: inline', () => {
  const cases: [string, string[][]][] = [
    ['PING\r\n', [['PING']]],
    ['PING\n', [['PING']]],
    ['SET a b\r\nGET a\r\n', [['SET', 'a', 'b'], ['GET', 'a']]],
    ['   SET \t a   b  \r\n', [['SET', 'a', 'b']]],
    ['SET "a b" \'c d\'\r\n', [['SET', 'a b', 'c d']]],
    ['SET k "\\x41\\x7a\\n\\r\\t\\b\\a\\\\\\"\\q"\r\n', [['SET', 'k', 'Az\n\r\t\b\x07\\"q']]],
    ['SET k "\\xZZ"\r\n', [['SET', 'k', 'xZZ']]],
    ["SET k 'it\\'s \"x\" \\n'\r\n", [['SET', 'k', 'it\'s "x" \\n']]],
    ['SET k ""\r\n', [['SET', 'k', '']]],
    ['foo"bar" x\r\n', [['foobar', 'x']]],
    ['a\x0bb c\r\n', [['a\x0bb', 'c']]],
    ['SET a\x00 b\r\n', [['SET', 'a']]],
    ['\r\n\n  \r\nPING\r\n', [['PING']]],
  ];
  for (const [input, expected] of cases) {
    it(`splits ${JSON.stringify(input)}`, () => {
      expect(parseAll(input)).toEqual({ commands: expected, end: 'need-more' });
    });
  }

  for (const input of ['SET k "abc\r\n', 'SET k "a"b\r\n', "SET k 'abc\r\n", "SET k 'a'b\r\n", 'SET k "a\\"\r\n']) {
    it(`refuses unbalanced quotes in ${JSON.stringify(input)}`, () => {
      expect(parseAll(input).end).toBe('Protocol error: unbalanced quotes in request');
    });
  }

  it('round-trips any bytes quoted as redis-cli would quote them', () => {
    const quote = (a: Uint8Array): string =>
      '"' + [...a].map((b) => (b === 0x22 || b === 0x5c ? '\\' + String.fromCharCode(b)
        : b >= 0x21 && b < 0x7f ? String.fromCharCode(b) : '\\x' + b.toString(16).padStart(2, '0'))).join('') + '"';
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 20 }), { minLength: 1, maxLength: 5 }), cuts, (args, points) => {
      const line = bytes(args.map(quote).join(' ') + '\r\n');
      const out = feed(splitAt(line, points));
      expect(out).toEqual({ commands: [args.map(text)], end: 'need-more' });
    }), { numRuns: 200 });
  });
});

describe('RequestParser: errors and limits', () => {
  const errors: [string, string, RequestParserOptions?][] = [
    ['*abc\r\n', 'Protocol error: invalid multibulk length'],
    ['*01\r\n', 'Protocol error: invalid multibulk length'],
    ['*+1\r\n', 'Protocol error: invalid multibulk length'],
    ['*1\rX', 'Protocol error: invalid multibulk length'],
    ['*1048577\r\n', 'Protocol error: invalid multibulk length'],
    ['*3\r\n', 'need-more', { multibulkLengthMax: 3 }],
    ['*4\r\n', 'Protocol error: invalid multibulk length', { multibulkLengthMax: 3 }],
    ['*1\r\n:5\r\n', "Protocol error: expected '$', got ':'"],
    ['*2\r\n$1\r\na\r\nb', "Protocol error: expected '$', got 'b'"],
    ['*1\r\n$-1\r\n', 'Protocol error: invalid bulk length'],
    ['*1\r\n$x\r\n', 'Protocol error: invalid bulk length'],
    ['*1\r\n$999999999999\r\n', 'Protocol error: invalid bulk length'],
    ['*1\r\n$99999999999999999999999\r\n', 'Protocol error: invalid bulk length'],
    ['*1\r\n$3\r\nabcXY', 'Protocol error: expected CRLF after bulk string'],
    ['A'.repeat(65 * 1024), 'Protocol error: too big inline request'],
    ['A'.repeat(65 * 1024) + '\r\n', 'Protocol error: too big inline request'],
    ['*' + '1'.repeat(65 * 1024), 'Protocol error: too big mbulk count string'],
    ['*1\r\n$' + '1'.repeat(65 * 1024), 'Protocol error: too big bulk count string'],
  ];
  for (const [input, message, options] of errors) {
    it(`${JSON.stringify(input.slice(0, 30))} -> ${message}`, () => {
      expect(parseAll(input, options).end).toBe(message);
    });
  }

  it('commands before an error are still returned', () => {
    expect(parseAll('PING\r\n*1\r\n$-5\r\n')).toEqual({ commands: [['PING']], end: 'Protocol error: invalid bulk length' });
  });

  it('stays in the error state', () => {
    const parser = new RequestParser();
    parser.push(bytes('*x\r\n'));
    const first = parser.next();
    expect(first).toEqual({ kind: 'error', message: 'Protocol error: invalid multibulk length' });
    parser.push(bytes('PING\r\n'));
    expect(parser.next()).toEqual(first);
    expect(parser.failed).toBe(true);
    expect(parser.bufferedBytes).toBe(0);
  });

  it('refuses a declared bulk larger than the buffer limit before receiving it', () => {
    const parser = new RequestParser({ bulkBytesMax: 1000, inlineBytesMax: 100, bufferedBytesMax: 1200 });
    parser.push(bytes('*2\r\n$1000\r\n' + 'a'.repeat(1000) + '\r\n$1000\r\n'));
    const r = parser.next();
    expect(r.kind).toBe('error');
    if (r.kind === 'error') expect(r.message).toMatch(/^Protocol error: query buffer exceeds 1200 bytes/);
  });

  it('refuses input beyond bufferedBytesMax when the caller does not drain', () => {
    const parser = new RequestParser({ bulkBytesMax: 100, inlineBytesMax: 100, bufferedBytesMax: 300 });
    for (let i = 0; i < 10; i++) parser.push(bytes('PING\r\n'.repeat(10)));
    expect(parser.next()).toEqual({ kind: 'error', message: 'Protocol error: query buffer exceeds 300 bytes' });
  });

  it('counts a flood of empty arguments against the buffer limit', () => {
    const parser = new RequestParser({ bulkBytesMax: 100, inlineBytesMax: 100, bufferedBytesMax: 64 * 1024 });
    parser.push(bytes('*1000000\r\n'));
    let result: ParseResult = parser.next();
    // Drained as it goes, so unparsed bytes stay few: it is the held arguments that add up.
    for (let i = 0; i < 2000 && result.kind === 'need-more'; i++) {
      parser.push(bytes('$0\r\n\r\n'.repeat(10)));
      result = parser.next();
      expect(parser.bufferedBytes).toBeLessThanOrEqual(64 * 1024);
    }
    expect(result).toEqual({ kind: 'error', message: 'Protocol error: query buffer exceeds 65536 bytes' });
  });

  it('accepts the largest SET the server limits allow, pipelined with more', () => {
    const options = requestParserOptionsFor(DEFAULT_LIMITS);
    const key = new Uint8Array(DEFAULT_LIMITS.keyBytesMax).fill(0x6b);
    const value = new Uint8Array(DEFAULT_LIMITS.valueBytesMax).fill(0x76);
    const input = Buffer.concat([multibulk([bytes('SET'), key, value]), multibulk([bytes('PING')])]);
    const parser = new RequestParser(options);
    const argLengths: number[][] = [];
    for (let i = 0; i < input.length; i += 65536) {
      parser.push(input.subarray(i, i + 65536));
      for (let r = parser.next(); r.kind !== 'need-more'; r = parser.next()) {
        if (r.kind === 'error') throw new Error(r.message);
        argLengths.push(r.args.map((a) => a.length));
      }
    }
    expect(argLengths).toEqual([[3, key.length, value.length], [4]]);
  });

  it('derives options from server limits', () => {
    const options = requestParserOptionsFor(DEFAULT_LIMITS);
    expect(options.bulkBytesMax).toBe(DEFAULT_LIMITS.valueBytesMax);
    expect(() => new RequestParser(options)).not.toThrow();
    expect(() => new RequestParser({ bulkBytesMax: 100, bufferedBytesMax: 50 })).toThrow();
  });

  const garbage = fc.array(fc.oneof(
    fc.uint8Array({ maxLength: 8 }),
    fc.constantFrom(...['*', '$', '\r\n', '\r', '\n', '"', "'", '\\', '*1\r\n', '$3\r\n', '-1', '0', '99999999999999999999', ' '].map(bytes)),
  ), { maxLength: 40 }).map((parts) => Buffer.concat(parts));

  it('never throws on garbage and never buffers beyond its limit', () => {
    const options = { bulkBytesMax: 64, inlineBytesMax: 32, bufferedBytesMax: 256, multibulkLengthMax: 16 };
    fc.assert(fc.property(garbage, cuts, (input, points) => {
      const parser = new RequestParser(options);
      let errored: ParseResult | null = null;
      for (const chunk of splitAt(input, points)) {
        parser.push(chunk);
        for (let r = parser.next(); ; r = parser.next()) {
          expect(['command', 'need-more', 'error']).toContain(r.kind);
          expect(parser.bufferedBytes).toBeLessThanOrEqual(options.bufferedBytesMax);
          if (r.kind === 'command') {
            expect(errored).toBeNull();
            expect(r.args.length).toBeGreaterThan(0);
            continue;
          }
          if (r.kind === 'error') {
            expect(r.message).toMatch(/^Protocol error: /);
            if (errored) expect(r).toEqual(errored);
            errored = r;
          }
          break;
        }
      }
    }), { numRuns: 500 });
  });

  it('gives the same commands and outcome for garbage however it is chunked', () => {
    const options = { bulkBytesMax: 64, inlineBytesMax: 32, multibulkLengthMax: 16 };
    fc.assert(fc.property(garbage, cuts, (input, points) => {
      expect(feed(splitAt(input, points), options)).toEqual(feed([input], options));
    }), { numRuns: 500 });
  });
});
