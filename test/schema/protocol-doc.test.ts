// The JSON examples in docs/protocol.md ("Wire formats") are part of the
// contract: every request must decode, every response must be exactly what
// the server's encoder writes, and refusals must be the real ones.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ErrorCode, HTTP_STATUS, type ErrorName } from '../../core/errors.js';
import { DEFAULT_LIMITS } from '../../core/limits.js';
import { OP_NAMES } from '../../core/protocol/ops.js';
import { decodeJsonRequest, decodeJsonResponse, encodeJsonResponse } from '../../schema/json-codec.js';

const doc = readFileSync(join(import.meta.dirname, '../../docs/protocol.md'), 'utf8');

function section(heading: string): string {
  const start = doc.indexOf(`\n${heading}\n`);
  expect(start, `${heading} is missing`).toBeGreaterThanOrEqual(0);
  const end = doc.indexOf('\n## ', start + heading.length + 2);
  return doc.slice(start, end === -1 ? undefined : end);
}

/** Pairs of (request line, response line) from the fenced blocks of the section. */
function examples(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('→ ')) continue;
    const reply = lines[i + 1] ?? '';
    expect(reply.startsWith('← '), `line after ${lines[i]} must be a response`).toBe(true);
    pairs.push([lines[i]!.slice(2), reply.slice(2)]);
  }
  return pairs;
}

const wireFormats = section('## Wire formats');
const pairs = examples(wireFormats);

test('there is an example of every op', () => {
  const shown = new Set(pairs.map(([request]) => /"op":"(\w+)"/.exec(request)?.[1]));
  expect(OP_NAMES.filter((op) => !shown.has(op))).toEqual([]);
});

test.each(pairs)('%s', (requestText, responseText) => {
  const decoded = decodeJsonRequest(requestText, DEFAULT_LIMITS);
  if (decoded.ok) {
    // Executed by a shard: the shown reply must be well-formed and canonical.
    const { id, reply } = decodeJsonResponse(responseText);
    expect(id).toEqual(decoded.id);
    expect(encodeJsonResponse(id, reply)).toBe(responseText);
    return;
  }
  // Refused at the edge: the shown reply must be the real one. A message
  // ending in "…" stands for wording that belongs to the JSON parser.
  const actual = encodeJsonResponse(decoded.id, decoded.error);
  const shown = JSON.parse(responseText) as { error: { message: string } };
  if (shown.error.message.endsWith('…')) {
    const prefix = shown.error.message.slice(0, -1);
    expect(decoded.error.message.startsWith(prefix)).toBe(true);
    shown.error.message = decoded.error.message;
    expect(actual).toBe(JSON.stringify(shown));
  } else {
    expect(actual).toBe(responseText);
  }
});

test('the error table lists every code with its number and HTTP status', () => {
  const rows = [...section('## Error codes').matchAll(/^\| (\d+) \| `(\w+)` \| (\d+) \| .+ \|$/gm)];
  const table = rows.map(([, number, name, status]) => [name, Number(number), Number(status)]);
  const expected = (Object.keys(ErrorCode) as ErrorName[]).map((name) => [name, ErrorCode[name], HTTP_STATUS[name]]);
  expect(table).toEqual(expected);
});
