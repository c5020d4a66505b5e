// An HTTP/JSON write load with wrk (Debian's `wrk`, installed when missing):
// the same generator, connections and value size against Piccolo's REST door
// and etcd's HTTP/JSON gateway, so the two are measured alike. A Lua script
// picks a random key per request from a fixed keyspace and builds the
// target's request; wrk --latency reports the percentiles.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What a write looks like on each HTTP API. */
export type HttpWriteTarget = 'piccolo' | 'etcd';

export interface WrkFlags {
  readonly connections: number;
  readonly threads: number;
  readonly durationS: number;
  readonly valueBytes: number;
  readonly keyspace: number;
}

export interface WrkResult {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Non-2xx/3xx replies and socket errors: a run with many is not a measurement. */
  readonly errors: number;
  readonly requests: number;
}

// Lua 5.1 (wrk's LuaJIT): base64 for etcd's JSON (keys and values are base64 there).
const LUA_BASE64 = `
local b64chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
local function b64(data)
  return ((data:gsub('.', function(x)
    local r, b = '', x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and '1' or '0') end
    return r
  end) .. '0000'):gsub('%d%d%d?%d?%d?%d?', function(x)
    if #x < 6 then return '' end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == '1' and 2 ^ (6 - i) or 0) end
    return b64chars:sub(c + 1, c + 1)
  end) .. ({ '', '==', '=' })[#data % 3 + 1])
end
`;

function luaScript(target: HttpWriteTarget, flags: WrkFlags): string {
  const common = `math.randomseed(os.time())\nlocal value = string.rep('x', ${flags.valueBytes})\n`;
  if (target === 'piccolo') {
    return `${common}
request = function()
  return wrk.format('PUT', '/v1/kv/key:' .. math.random(1, ${flags.keyspace}), nil, value)
end
`;
  }
  return `${common}${LUA_BASE64}
local value64 = b64(value)
local headers = { ['Content-Type'] = 'application/json' }
request = function()
  local body = '{"key":"' .. b64('key:' .. math.random(1, ${flags.keyspace})) .. '","value":"' .. value64 .. '"}'
  return wrk.format('POST', '/v3/kv/put', headers, body)
end
`;
}

/** wrk's duration line ("50%    1.23ms") in ms. */
function parseLatencyMs(text: string, percentile: string): number {
  const match = new RegExp(`^\\s*${percentile}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(text);
  if (!match) return NaN;
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
}

export function parseWrkOutput(text: string): WrkResult {
  const rps = Number(/^Requests\/sec:\s+([\d.]+)/m.exec(text)?.[1] ?? NaN);
  const requests = Number(/^\s*(\d+) requests in/m.exec(text)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return { rps, requests, p50Ms: parseLatencyMs(text, '50'), p99Ms: parseLatencyMs(text, '99'), errors: non2xx + socketErrors };
}

/** Run wrk against `http://host:port` with the target's write request. */
export function runWrk(target: HttpWriteTarget, host: string, port: number, flags: WrkFlags): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'piccolo-bench-wrk-'));
  const script = join(dir, `${target}.lua`);
  writeFileSync(script, luaScript(target, flags));
  const child = spawn('wrk', [
    '-t', String(flags.threads), '-c', String(flags.connections), '-d', `${flags.durationS}s`, '--latency', '-s', script, `http://${host}:${port}`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString('utf8'); });
  child.stderr.on('data', (chunk: Buffer) => { out += chunk.toString('utf8'); });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      rmSync(dir, { recursive: true, force: true });
      if (code !== 0) reject(new Error(`wrk against ${target} exited with ${code}: ${out}`));
      else resolve(parseWrkOutput(out));
    });
  });
}
