// The collection thresholds as settings: from a flag, the environment or a
// config file (negative list sizes included), into Limits.collections, and
// refused with what is allowed.

import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTION_THRESHOLDS } from '../../core/types/collection-thresholds.js';
import { ConfigError, loadServerConfig } from '../../runtime-node/config/load-config.js';
import { collectionThresholdsFrom } from '../../runtime-node/config/server-settings.js';

function load(args: string[], env: Record<string, string> = {}, file?: string) {
  return loadServerConfig({
    args: file === undefined ? args : ['--config', 'c.json', ...args], env,
    readFile: () => file ?? '',
  });
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('collection thresholds as settings', () => {
  it('default to Redis 7\'s', () => {
    expect(collectionThresholdsFrom(load([]))).toEqual(DEFAULT_COLLECTION_THRESHOLDS);
  });

  it('come from flags (a negative value included), the environment and a config file', () => {
    const config = load(['--list-max-listpack-size', '-1', '--hash-max-listpack-entries=16'],
      { PICCOLO_SET_MAX_INTSET_ENTRIES: '1000' }, '{"zset-max-listpack-value": 32, "list-max-listpack-size": 5}');
    expect(collectionThresholdsFrom(config)).toEqual({
      ...DEFAULT_COLLECTION_THRESHOLDS, listCompactSize: -1, hashCompactEntriesMax: 16, setIntsetEntriesMax: 1000, zsetCompactMemberBytesMax: 32,
    });
    expect(config.settings.get('list-max-listpack-size')).toMatchObject({ source: 'flag' });
    expect(collectionThresholdsFrom(load([], {}, '{"list-max-listpack-size": -1}')).listCompactSize).toBe(-1);
    expect(collectionThresholdsFrom(load([], { PICCOLO_LIST_MAX_LISTPACK_SIZE: '-2' })).listCompactSize).toBe(-2);
  });

  it('are refused out of bounds, saying what is allowed', () => {
    expect(refusal(() => load(['--set-max-listpack-value', '128']))).toBe("--set-max-listpack-value must be an integer in 0..127, got '128'");
    expect(refusal(() => load(['--zset-max-listpack-entries', '-1']))).toBe("--zset-max-listpack-entries must be an integer in 0..8192, got '-1'");
    expect(refusal(() => load([], { PICCOLO_LIST_MAX_LISTPACK_SIZE: '-4' }))).toBe(
      'PICCOLO_LIST_MAX_LISTPACK_SIZE: list-max-listpack-size -4 (32 KiB) is not supported: a list node is 8 KiB here; use -1 (4 KiB), -2 (8 KiB) or an element count 1..8192');
    expect(refusal(() => load([], {}, '{"list-max-listpack-size": 0}'))).toBe(
      "config file c.json: 'list-max-listpack-size': list-max-listpack-size must be -1 (4 KiB), -2 (8 KiB) or an element count 1..8192, got 0");
  });
});
