// Settings resolution: precedence flags > env > file > defaults, sources
// remembered, and every mistake a clear ConfigError.

import { describe, expect, it } from 'vitest';
import { ConfigError, loadServerConfig, setting, type ConfigInputs } from '../../runtime-node/config/load-config.js';
import { configAsJson, formatConfig } from '../../runtime-node/config/print-config.js';
import { DEFAULT_PORT, SERVER_SETTINGS } from '../../runtime-node/config/server-settings.js';

function load(args: string[] = [], env: Record<string, string> = {}, files: Record<string, string> = {}) {
  const inputs: ConfigInputs = {
    args, env,
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return text;
    },
  };
  return loadServerConfig(inputs);
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('server settings', () => {
  it('uses the defaults when nothing is given', () => {
    const config = load();
    expect(setting(config, 'port')).toBe(DEFAULT_PORT);
    expect(setting(config, 'host')).toBe('127.0.0.1');
    expect(setting(config, 'protected-mode')).toBe('yes');
    expect(setting(config, 'allow-origin')).toEqual([]);
    expect(config.settings.get('port')!.source).toBe('default');
  });

  it('takes flags over env over file over defaults, and remembers the source', () => {
    const files = { '/etc/p.json': JSON.stringify({ port: 1111, host: '127.0.0.2', workers: 3, 'log-format': 'json' }) };
    const config = load(['--config', '/etc/p.json', '--port', '3333'], { PICCOLO_PORT: '2222', PICCOLO_HOST: '127.0.0.3' }, files);
    expect(setting(config, 'port')).toBe(3333);
    expect(config.settings.get('port')).toMatchObject({ source: 'flag', origin: '--port' });
    expect(setting(config, 'host')).toBe('127.0.0.3');
    expect(config.settings.get('host')).toMatchObject({ source: 'env', origin: 'PICCOLO_HOST' });
    expect(setting(config, 'workers')).toBe(3);
    expect(config.settings.get('workers')).toMatchObject({ source: 'file', origin: '/etc/p.json' });
    expect(setting(config, 'log-format')).toBe('json');
  });

  it('finds the config file from PICCOLO_CONFIG too', () => {
    const config = load([], { PICCOLO_CONFIG: '/c.json' }, { '/c.json': '{"resp-port": 7000}' });
    expect(setting(config, 'resp-port')).toBe(7000);
  });

  it('refuses unknown keys in the config file, with a suggestion', () => {
    const error = errorOf(() => load(['--config', '/c.json'], {}, { '/c.json': '{"requirepas": "x"}' }));
    expect(error.message).toContain("unknown setting 'requirepas'");
    expect(error.message).toContain("did you mean 'requirepass'");
    expect(error.message).toContain('/c.json');
  });

  it('refuses a config file that is missing, not JSON, or not an object', () => {
    expect(errorOf(() => load(['--config', '/nope.json'])).message).toMatch(/cannot read config file \/nope\.json/);
    expect(errorOf(() => load(['--config', '/c.json'], {}, { '/c.json': '{port: 1}' })).message).toMatch(/not valid JSON/);
    expect(errorOf(() => load(['--config', '/c.json'], {}, { '/c.json': '[1]' })).message).toMatch(/JSON object/);
    expect(errorOf(() => load(['--config', '/c.json'], {}, { '/c.json': '{"config": "/x"}' })).message).toMatch(/only be given on the command line/);
  });

  it('checks types and ranges wherever a value comes from', () => {
    expect(errorOf(() => load(['--port', '70000'])).message).toBe("--port must be an integer in 0..65535, got '70000'");
    expect(errorOf(() => load([], { PICCOLO_WORKERS: 'many' })).message).toContain('PICCOLO_WORKERS must be an integer in 1..256');
    expect(errorOf(() => load(['--config', '/c.json'], {}, { '/c.json': '{"port": 1.5}' })).message).toContain("'port' must be an integer");
    expect(errorOf(() => load(['--config', '/c.json'], {}, { '/c.json': '{"port": true}' })).message).toContain('wrong type');
    expect(errorOf(() => load(['--protected-mode', 'maybe'])).message).toContain('must be one of yes, no');
    expect(errorOf(() => load(['--key-bytes-max', '0'])).message).toContain('--key-bytes-max must be an integer in 1..');
    expect(errorOf(() => load(['--bogus'])).message).toMatch(/Unknown option '--bogus'.*piccolo server --help/);
    expect(errorOf(() => load(['stray'])).message).toMatch(/positional/);
  });

  it('reads switches and lists from flags, env and file', () => {
    expect(setting(load(['--no-resp']), 'no-resp')).toBe(true);
    expect(setting(load([], { PICCOLO_NO_PIN: 'yes' }), 'no-pin')).toBe(true);
    expect(setting(load(['--config', '/c.json'], {}, { '/c.json': '{"no-resp": true}' }), 'no-resp')).toBe(true);
    expect(setting(load(['--allow-origin', 'https://a.example', '--allow-origin', 'https://b.example,https://c.example']), 'allow-origin'))
      .toEqual(['https://a.example', 'https://b.example', 'https://c.example']);
    expect(setting(load([], { PICCOLO_ALLOW_ORIGIN: 'https://a.example, https://b.example' }), 'allow-origin'))
      .toEqual(['https://a.example', 'https://b.example']);
    expect(setting(load(['--config', '/c.json'], {}, { '/c.json': '{"allow-origin": ["https://a.example"]}' }), 'allow-origin'))
      .toEqual(['https://a.example']);
  });

  it('reads the password from a file, without its trailing newline, and never from two places', () => {
    const config = load(['--requirepass-file', '/pw'], {}, { '/pw': 's3cret\n' });
    expect(setting(config, 'requirepass')).toBe('s3cret');
    expect(config.settings.get('requirepass')!.origin).toContain('/pw');
    expect(setting(load([], { PICCOLO_REQUIREPASS: 'envpass' }), 'requirepass')).toBe('envpass');
    expect(errorOf(() => load(['--requirepass', 'a', '--requirepass-file', '/pw'], {}, { '/pw': 'b' })).message).toMatch(/both set/);
    expect(errorOf(() => load(['--requirepass-file', '/pw'], {}, { '/pw': '\n' })).message).toMatch(/is empty/);
    expect(errorOf(() => load(['--requirepass-file', '/pw'], {}, { '/pw': 'a\nb\n' })).message).toMatch(/one line/);
    expect(errorOf(() => load(['--requirepass-file', '/missing'])).message).toMatch(/cannot read the password file \/missing/);
  });

  it('needs both TLS files', () => {
    expect(errorOf(() => load(['--tls-cert', '/c.pem'])).message).toBe('TLS needs both --tls-cert and --tls-key');
  });

  it('warns about PICCOLO_ variables that name no setting instead of refusing them', () => {
    expect(load([], { PICCOLO_PROT: '1', PATH: '/bin' }).unknownEnv).toEqual(['PICCOLO_PROT']);
  });

  it('prints every setting with its source, never a secret', () => {
    const config = load(['--port', '9'], { PICCOLO_REQUIREPASS: 'hunter2' });
    const text = formatConfig(config);
    expect(text.split('\n').filter(Boolean)).toHaveLength(SERVER_SETTINGS.length);
    expect(text).toMatch(/^port\s+9\s+flag --port$/m);
    expect(text).toMatch(/^requirepass\s+\(set, hidden\)\s+env PICCOLO_REQUIREPASS$/m);
    expect(text).toMatch(/^host\s+127\.0\.0\.1\s+default$/m);
    expect(text).not.toContain('hunter2');
    expect(JSON.stringify(configAsJson(config))).not.toContain('hunter2');
    expect(configAsJson(config).port).toEqual({ value: 9, source: 'flag', origin: '--port' });
  });
});
