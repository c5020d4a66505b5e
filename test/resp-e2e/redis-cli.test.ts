// redis-cli (Debian package redis-tools) against a real node: one-shot
// commands, --scan, --pipe mass insertion, and the interactive prompt, which
// calls COMMAND DOCS at start. Skipped, saying so, when redis-cli is absent.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { command, redisCliPath, startRespNode, type RespNode } from './resp-node.js';

const cli = redisCliPath();
if (cli === null) {
  console.warn('test/resp-e2e/redis-cli.test.ts: redis-cli not found; skipping (apt-get install -y redis-tools)');
}
const hasScript = spawnSync('sh', ['-c', 'command -v script'], { encoding: 'utf8' }).status === 0;

let node: RespNode;
beforeAll(async () => { if (cli !== null) node = await startRespNode(); });
afterAll(async () => { await node?.stop(); });

function run(args: string[], input?: string | Buffer): { stdout: string; stderr: string; status: number | null } {
  const result = spawnSync(cli!, ['-h', '127.0.0.1', '-p', String(node.respPort), ...args], {
    encoding: 'utf8', input, timeout: 15_000,
  });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}
const out = (...args: string[]): string => run(args).stdout.trimEnd();

describe.skipIf(cli === null)('redis-cli', () => {
  it('SET, GET, INCR, EXPIRE, TTL, DEL', () => {
    expect(out('SET', 'cli:k', 'hello world')).toBe('OK');
    expect(out('GET', 'cli:k')).toBe('hello world');
    expect(out('INCR', 'cli:n')).toBe('1');
    expect(out('INCRBY', 'cli:n', '9')).toBe('10');
    expect(out('EXPIRE', 'cli:k', '100')).toBe('1');
    expect(Number(out('TTL', 'cli:k'))).toBeGreaterThan(95);
    expect(out('DEL', 'cli:k', 'cli:n')).toBe('2');
    expect(out('INCR', 'cli:k2', 'extra')).toBe("ERR wrong number of arguments for 'incr' command");
  });

  it('SCAN by hand (a connection per call) and with --scan --pattern', () => {
    const keys = Array.from({ length: 120 }, (_, i) => `cliscan:${i}`);
    expect(out('MSET', ...keys.flatMap((k) => [k, 'v']))).toBe('OK');
    const seen: string[] = [];
    let cursor = '0';
    for (let calls = 0; calls === 0 || cursor !== '0'; calls++) {
      const lines = out('SCAN', cursor, 'MATCH', 'cliscan:*', 'COUNT', '30').split('\n');
      expect(lines[0]).toMatch(/^\d+$/);
      expect(calls).toBeLessThan(100);
      cursor = lines[0]!;
      seen.push(...lines.slice(1).filter((l) => l !== ''));
    }
    expect(seen.sort()).toEqual([...keys].sort());
    const scanned = out('--scan', '--pattern', 'cliscan:1*').split('\n').sort();
    expect(scanned).toEqual(keys.filter((k) => k.startsWith('cliscan:1')).sort());
  });

  it('--pipe mass insertion (raw protocol, ends with an ECHO it waits for)', () => {
    const input = Buffer.concat(Array.from({ length: 2000 }, (_, i) => command('SET', `pipe:${i}`, String(i))));
    const result = run(['--pipe'], input);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/errors: 0, replies: 2000/);
    expect(out('GET', 'pipe:1999')).toBe('1999');
  });

  it('PING, INFO and CONFIG GET as tools use them', () => {
    expect(out('PING')).toBe('PONG');
    expect(out('INFO', 'server')).toMatch(/redis_version:6\.2\.0/);
    expect(out('CONFIG', 'GET', 'appendonly')).toBe('appendonly\nno');
  });

  // The prompt (redis-cli >= 7 reads COMMAND DOCS for its help at start); a
  // dumb terminal keeps the line editor plain.
  it.skipIf(!hasScript)('the interactive prompt starts, runs commands and shows help from COMMAND DOCS', () => {
    const typed = ['set cli:i 1', 'get cli:i', 'help get', 'exit'];
    const feeder = `(sleep 0.8; for l in ${typed.map((l) => `'${l}'`).join(' ')}; do printf '%s\\r' "$l"; sleep 0.4; done; sleep 0.5)`;
    const result = spawnSync('sh', ['-c', `${feeder} | script -qc '${cli} -h 127.0.0.1 -p ${node.respPort}' /dev/null`], {
      encoding: 'utf8', env: { ...process.env, TERM: 'dumb' }, timeout: 15_000,
    });
    const text = result.stdout.replace(new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;]*m`, 'g'), ''); // colours
    expect(text).toContain('OK');
    expect(text).toContain('"1"');
    expect(text).toMatch(/summary:\s*Get the value of a key/);
  });
});
